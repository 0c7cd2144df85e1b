"""Parses the command line, dispatches, and turns known errors into one line and an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from chainprobe import __version__
from chainprobe.cli import (
    alarm_commands,
    budget_commands,
    deploy_commands,
    fault_commands,
    load_commands,
    logs_commands,
    reconcile_commands,
    run_commands,
    slo_commands,
    stack_commands,
)
from chainprobe.cli.exit_codes import ExitCode
from chainprobe.drive.canary import FaultMarkerError
from chainprobe.drive.load.exceptions import DriverError, RemoteTargetError, ShapeError
from chainprobe.ledger.exceptions import LedgerError, RunNotFoundError
from chainprobe.report.writer import ReportDirError
from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.secrets import redact
from chainprobe.stacks.exceptions import StackConfigError, StackError, ToolMissingError
from chainprobe.target import TargetConfigError
from chainprobe.verify.courier import CourierJournalError

COMMAND_GROUPS = (
    stack_commands,
    deploy_commands,
    run_commands,
    load_commands,
    fault_commands,
    alarm_commands,
    budget_commands,
    slo_commands,
    reconcile_commands,
    logs_commands,
)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"chainprobe: {redact(message)} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(ExitCode.USAGE)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="chainprobe",
        description="End-to-end probes and SLO gates for a serverless request chain.",
        epilog="exit codes: 0 SLO met, 1 SLO breached, 2 bad usage or config, 3 unreachable, 4 bug, "
        "130 stopped by the user (Ctrl-C, SIGTERM)",
    )
    parser.add_argument("--version", action="version", version=f"chainprobe {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


def fail(message: str, code: ExitCode) -> int:
    print(f"chainprobe: {redact(message)}", file=sys.stderr)
    return int(code)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return fail("interrupted", ExitCode.INTERRUPTED)
    except (SpecError, TargetConfigError, RunNotFoundError, FaultMarkerError, ReportDirError) as e:
        return fail(str(e), ExitCode.USAGE)
    except (ShapeError, RemoteTargetError) as e:
        return fail(str(e), ExitCode.USAGE)
    except DriverError as e:
        return fail(str(e), ExitCode.UNREACHABLE)
    except LedgerError as e:
        return fail(f"ledger: {e}", ExitCode.USAGE)
    except (ToolMissingError, StackConfigError) as e:
        return fail(str(e), ExitCode.USAGE)
    except (StackError, CourierJournalError) as e:
        return fail(str(e), ExitCode.UNREACHABLE)
    except NoCredentialsError:
        return fail("no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)", ExitCode.USAGE)
    except ClientError as e:
        error = e.response.get("Error", {})
        return fail(f"AWS said {error.get('Code')}: {error.get('Message')}", ExitCode.UNREACHABLE)
    except BotoCoreError as e:
        return fail(f"AWS endpoint: {e}", ExitCode.UNREACHABLE)
    except Exception as e:
        if os.environ.get("CHAINPROBE_DEBUG"):
            raise
        return fail(
            f"internal error: {type(e).__name__}: {e} (CHAINPROBE_DEBUG=1 shows where)", ExitCode.INTERNAL
        )


if __name__ == "__main__":
    sys.exit(main())
