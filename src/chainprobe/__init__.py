"""chainprobe: end-to-end synthetic probes and SLO gates for serverless request chains.

The pipeline reads in one direction: spec -> drive -> verify -> measure -> report, on one of the
stacks (``local``, ``compose``, ``aws``) against the reference chain the project ships in ``chain/``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
