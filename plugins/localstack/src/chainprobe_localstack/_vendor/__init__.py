"""Code vendored into this package when it is installed, so that a single copy is ever written.

``metricmath``: chainprobe's metric-math evaluator (``src/chainprobe/measure/metricmath``, standard
library only). ``chainprobe.stacks.local.tools.ensure_plugins`` copies it here into the build copy
of the plugin package (never into the source tree) and counts it in the plugins' digest, so a
change to the evaluator reinstalls the plugins.
"""
