"""What stops a probe before it has a verdict, as one line in pytest's report instead of a traceback.

The same errors the ``chainprobe`` command turns into one stderr line and exit 2 or 3 (a spec, a target,
the ledger, the fault registry, AWS), redacted of secrets, become ``pytest.fail(..., pytrace=False)``: a
fixture's is an error of the test's setup, a probe call's a failure of the test.

Example::

    with one_line_failures():
        probe.order()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from chainprobe.drive.canary import FaultMarkerError
from chainprobe.ledger.exceptions import LedgerError
from chainprobe.pytest_plugin.exceptions import ProbeError
from chainprobe.pytest_plugin.stack import FaultsUnavailableError
from chainprobe.report.writer import ReportDirError
from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.secrets import redact
from chainprobe.stacks.exceptions import StackError
from chainprobe.stacks.local.faults import FaultUsageError
from chainprobe.target import TargetConfigError
from chainprobe.verify.courier import CourierJournalError

ONE_LINE_ERRORS = (
    SpecError,
    TargetConfigError,
    FaultMarkerError,
    FaultUsageError,
    FaultsUnavailableError,
    ReportDirError,
    LedgerError,
    StackError,
    CourierJournalError,
    ProbeError,
)


@contextmanager
def one_line_failures() -> Iterator[None]:
    """Turns the errors above (and AWS's) into one ``chainprobe: …`` line; anything else is a bug and keeps
    its traceback."""
    try:
        yield
        return
    except ONE_LINE_ERRORS as e:
        message = str(e)
    except NoCredentialsError:
        message = "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
    except ClientError as e:
        error = e.response.get("Error", {})
        message = f"AWS said {error.get('Code')}: {error.get('Message')}"
    except BotoCoreError as e:
        message = f"AWS endpoint: {e}"
    fail(message)


def fail(message: str) -> NoReturn:
    """``pytest.fail`` with the line alone: not the error it replaces (``from None``), not a traceback."""
    line = " ".join(redact(message).split())
    raise pytest.fail.Exception(f"chainprobe: {line}", pytrace=False) from None
