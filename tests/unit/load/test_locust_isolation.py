"""The harness process never imports Locust."""

from __future__ import annotations

import subprocess
import sys


def test_the_harness_side_never_imports_locust() -> None:
    """Importing Locust monkey-patches the process with gevent: the harness's modules must not."""
    code = (
        "import sys, chainprobe.cli.main, chainprobe.load_pipeline, chainprobe.drive.load;"
        "sys.exit(1 if 'locust' in sys.modules or 'gevent' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
