"""Code vendored into this package when it is installed, so that a single copy is ever written.

- ``metricmath``: chainprobe's metric-math evaluator (``src/chainprobe/measure/metricmath``).
- ``fault_names``: the fault names and the rate check, the contract of the fault registry
  (``src/chainprobe/stacks/local/fault_names.py``), which the harness's fault client reads too.

Both are standard library only. ``chainprobe.stacks.local.tools.ensure_plugins`` copies them here
into the build copy of the plugin package (never into the source tree) and counts them in the
plugins' digest, so a change to either reinstalls the plugins. The harness's unit tests, which load
this package from its source tree, bind these names to the harness's modules instead
(``tests/unit/plugin_source.py``).
"""
