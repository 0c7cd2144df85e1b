"""The ``chainprobe`` command. Each command group registers itself from its own module.

Exit codes (the contract, also in the README):
    0  done / SLO met
    1  SLO breached
    2  bad usage or configuration (malformed spec, unknown field, missing credentials)
    3  the target or its infrastructure cannot be reached or started
    4  internal error (a bug; CHAINPROBE_DEBUG=1 shows the traceback)
"""

from chainprobe.cli.main import main

__all__ = ["main"]
