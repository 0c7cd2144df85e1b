"""The run lifecycle's decisions: which cause stops a run, which exit code says it, when a run is
complete, and that an incomplete run never meets its gate."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chainprobe.cli import run_commands
from chainprobe.cli.exit_codes import ExitCode
from chainprobe.cli.main import build_parser, main
from chainprobe.cli.run_commands import STOP_EXIT, exit_code
from chainprobe.ledger import Ledger, LedgerBusyError, OrderRecord, Run, RunState, Verdict
from chainprobe.pipeline import RunOutcome
from chainprobe.report import build_report, evaluate_gate, sli_for_spec
from chainprobe.run_lifecycle import (
    SENDING_CUT_SHORT,
    RunControl,
    RunStop,
    StopCause,
    end_reason,
    end_run,
    grace_seconds,
    stop_for,
)
from chainprobe.spec import parse_spec
from chainprobe.spec.exceptions import SpecError
from chainprobe.spec.model import Deadlines, DeliveryObjective
from chainprobe.stacks.exceptions import ServerStartError
from chainprobe.target import TargetConfigError
from chainprobe.verify.courier import CourierJournalError

SPEC = parse_spec(
    """
name: shop
send: {endpoint: "${api_url}/orders", order_id_path: orderId}
api: {expected_status: [201]}
slo: {window: 30d, availability: {objective: 0.9}}
"""
)


def good_order(seq: int) -> OrderRecord:
    return OrderRecord(
        run_id="r-1",
        seq=seq,
        order_id=f"o-{seq}",
        planned_at=100.0 + seq,
        sent_at=100.0 + seq,
        api_status=201,
        api_latency_ms=100.0,
        chain_verdict=Verdict.GOOD,
    )


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (KeyboardInterrupt(), StopCause.INTERRUPTED),
        (LedgerBusyError("ledger.sqlite: the ledger stayed locked"), StopCause.LEDGER),
        (SpecError("send.headers: undefined variable x"), StopCause.CONFIG),
        (TargetConfigError("table Orders does not exist"), StopCause.CONFIG),
        (CourierJournalError("courier journal at http://127.0.0.1:9: refused"), StopCause.INFRASTRUCTURE),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:4566"), StopCause.INFRASTRUCTURE),
        (
            ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "BatchGetItem"),
            StopCause.INFRASTRUCTURE,
        ),
        (ServerStartError("localstack exited"), StopCause.INFRASTRUCTURE),
        (httpx.ConnectError("refused"), StopCause.INFRASTRUCTURE),
        (KeyError("seq"), StopCause.BUG),
        (ZeroDivisionError("division by zero"), StopCause.BUG),
    ],
)
def test_each_error_stands_for_its_cause(error: BaseException, cause: StopCause) -> None:
    assert stop_for(error).cause is cause


def test_a_ledger_stop_says_ledger_once() -> None:
    stop = stop_for(LedgerBusyError("/x/ledger.sqlite: the ledger stayed locked (database is locked)"))
    assert stop.reason == "ledger: /x/ledger.sqlite: the ledger stayed locked (database is locked)"


def test_the_courier_journal_is_infrastructure_and_says_so() -> None:
    stop = stop_for(CourierJournalError("courier journal at http://127.0.0.1:9: refused"))
    assert stop.reason == "infrastructure: courier journal at http://127.0.0.1:9: refused"
    assert STOP_EXIT[stop.cause] == ExitCode.UNREACHABLE == 3


@pytest.mark.parametrize(
    ("cause", "code"),
    [
        (StopCause.INTERRUPTED, 130),
        (StopCause.LEDGER, 2),
        (StopCause.CONFIG, 2),
        (StopCause.INFRASTRUCTURE, 3),
        (StopCause.BUG, 4),
    ],
)
def test_each_cause_has_its_exit_code(cause: StopCause, code: int) -> None:
    assert STOP_EXIT[cause] == code
    assert ExitCode.INTERRUPTED == 130


def test_the_first_cause_wins() -> None:
    control = RunControl()
    assert not control.stopped and control.cause is None
    assert control.stop(RunStop(StopCause.LEDGER, "ledger: locked"))
    assert not control.stop(RunStop(StopCause.INTERRUPTED, "SIGINT"))
    assert control.stopped and control.cause == RunStop(StopCause.LEDGER, "ledger: locked")


def _run(state: RunState, reason: str | None = None) -> Run:
    return Run(
        run_id="r-1",
        spec_path="s.yaml",
        spec_name="shop",
        target="local",
        started_at=0.0,
        state=state,
        end_reason=reason,
    )


SIGINT = RunStop(StopCause.INTERRUPTED, "SIGINT")


@pytest.mark.parametrize(
    ("run", "verified", "stop", "expected"),
    [
        (_run(RunState.SENT), True, None, None),  # every order sent, every verdict final: complete
        (_run(RunState.SENT), True, SIGINT, None),  # stopped after it had completed: still complete
        (_run(RunState.SENT), False, SIGINT, "interrupted (SIGINT)"),  # verdicts left pending
        (_run(RunState.RUNNING), True, SIGINT, "interrupted (SIGINT)"),  # the sending was cut short
        (_run(RunState.RUNNING), True, None, SENDING_CUT_SHORT),  # killed: no cause recorded
        (_run(RunState.RUNNING, "ledger: locked"), True, None, "ledger: locked"),  # verify keeps it
        (_run(RunState.VERIFIED, "interrupted (SIGINT)"), True, None, "interrupted (SIGINT)"),  # again
        (_run(RunState.VERIFIED), True, None, None),  # re-verifying a complete run
        (_run(RunState.SENT, "infrastructure: x"), True, None, None),  # verify finished the verdicts
        (_run(RunState.SENT, "infrastructure: x"), False, None, "infrastructure: x"),
    ],
)
def test_when_a_run_is_complete(run: Run, verified: bool, stop: RunStop | None, expected: str | None) -> None:
    assert end_reason(run, verified=verified, stop=stop) == expected


def test_an_incomplete_run_never_meets_its_gate_even_with_every_order_good() -> None:
    orders = [good_order(seq) for seq in range(10)]
    complete = evaluate_gate(sli_for_spec(orders, SPEC), SPEC.slo)
    incomplete = evaluate_gate(sli_for_spec(orders, SPEC), SPEC.slo, end_reason="interrupted (SIGINT)")

    assert complete.met
    assert not incomplete.met
    assert incomplete.reasons == ("incomplete: interrupted (SIGINT)",)
    assert incomplete.incomplete == ("incomplete: interrupted (SIGINT)",)


def _outcome(state: RunState, reason: str | None, stop: RunStop | None) -> RunOutcome:
    orders = [good_order(seq) for seq in range(10)]
    run = _run(state, reason)
    report = build_report(run=run, orders=orders, spec=SPEC)
    return RunOutcome(report=report, files=None, stop=stop)


@pytest.mark.parametrize(
    ("state", "reason", "stop", "code", "complete"),
    [
        (RunState.VERIFIED, None, None, ExitCode.OK, True),
        (RunState.RUNNING, "interrupted (SIGINT)", SIGINT, ExitCode.INTERRUPTED, False),
        (
            RunState.RUNNING,
            "ledger: locked",
            RunStop(StopCause.LEDGER, "ledger: locked"),
            ExitCode.USAGE,
            False,
        ),
        (
            RunState.SENT,
            "infrastructure: x",
            RunStop(StopCause.INFRASTRUCTURE, "x"),
            ExitCode.UNREACHABLE,
            False,
        ),
        (RunState.RUNNING, "bug: y", RunStop(StopCause.BUG, "y"), ExitCode.INTERNAL, False),
        # verify of a run stopped earlier: nothing stops it now, the gate is not met: 1, never 0
        (RunState.VERIFIED, "interrupted (SIGINT)", None, ExitCode.SLO_BREACHED, False),
    ],
)
def test_exit_code_and_completeness(
    state: RunState, reason: str | None, stop: RunStop | None, code: ExitCode, complete: bool
) -> None:
    outcome = _outcome(state, reason, stop)
    assert exit_code(outcome) == code
    assert outcome.report.complete is complete
    data = outcome.report.to_dict()
    assert (data["complete"], data["end_reason"]) == (complete, reason)
    assert data["slo"]["met"] is complete


def test_the_stopped_line_says_why_and_how_to_finish() -> None:
    outcome = _outcome(RunState.RUNNING, "interrupted (SIGINT)", SIGINT)
    line = run_commands.stopped_line(outcome)
    assert line == (
        "run r-1 incomplete: interrupted (SIGINT); 10 orders sent: 10 good, 0 bad, 0 pending; "
        "finish it with 'chainprobe verify --run r-1'"
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (KeyboardInterrupt(), 130),
        (CourierJournalError("courier journal at http://127.0.0.1:9: refused"), 3),
    ],
)
def test_main_maps_an_interrupt_to_130_and_the_courier_journal_to_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: BaseException, code: int
) -> None:
    def finish_run(**_: object) -> RunOutcome:
        raise error

    monkeypatch.setattr(run_commands, "finish_run", finish_run)
    assert main(["verify", "--run", "r-1"]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" not in err


def test_verify_takes_the_metric_math_options_of_canary() -> None:
    parser = build_parser()
    args = parser.parse_args(["verify", "--run", "r-1", "--no-metric-math", "--metric-math-wait", "5"])
    assert (args.metric_math, args.metric_math_wait) == (False, 5.0)
    default = parser.parse_args(["verify", "--run", "r-1"])
    assert (default.metric_math, default.metric_math_wait) == (True, None)


def test_the_end_of_a_run_is_recorded(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        run = ledger.create_run(spec_path="s", spec_name="n", target="local")
        ledger.end_run(run.run_id, end_reason="interrupted (SIGINT)", verified=False, ended_at=5.0)
        stopped = ledger.get_run(run.run_id)
        ledger.end_run(run.run_id, end_reason=None, verified=True, ended_at=9.0)
        finished = ledger.get_run(run.run_id)
    assert (stopped.state, stopped.end_reason, stopped.ended_at) == (
        RunState.RUNNING,
        "interrupted (SIGINT)",
        5.0,
    )
    assert (finished.state, finished.end_reason, finished.ended_at) == (RunState.VERIFIED, None, 9.0)


def test_an_end_reason_never_holds_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reason goes into the ledger, where a later ``verify`` reads it without the secret to hide."""
    monkeypatch.setenv("CHAINPROBE_API_KEY", "k-0123456789abcdef")
    error = httpx.ConnectError("connect to http://127.0.0.1:9/prod/orders?key=k-0123456789abcdef refused")
    reason = stop_for(error).reason
    assert "k-0123456789abcdef" not in reason
    url = "http://127.0.0.1:9/prod/orders?key=***"
    assert reason == f"infrastructure: HTTP: ConnectError: connect to {url} refused"
    line = RunStop(StopCause.INFRASTRUCTURE, "courier at http://h/?token=k-0123456789abcdef").reason
    assert line == "infrastructure: courier at http://h/?token=***"


@pytest.mark.parametrize(
    ("deadlines", "delivery_s", "grace"),
    [
        (Deadlines(api=40, dynamodb=1, event=1, courier=1), None, 45),  # longest + 2 s receive + 3 s
        (Deadlines(api=1, dynamodb=41, event=1, courier=1), None, 46),
        (Deadlines(api=1, dynamodb=1, event=42, courier=1), None, 47),
        (Deadlines(api=1, dynamodb=1, event=1, courier=43), None, 48),
        (Deadlines(api=1, dynamodb=1, event=1, courier=43), 60.0, 65),  # the delivery objective's
        (Deadlines(api=1, dynamodb=1, event=1, courier=43), 20.0, 48),
    ],
)
def test_the_grace_covers_the_longest_deadline(
    deadlines: Deadlines, delivery_s: float | None, grace: float
) -> None:
    assert SPEC.slo is not None
    delivery = None if delivery_s is None else DeliveryObjective(objective=0.9, deadline_seconds=delivery_s)
    spec = replace(SPEC, deadlines=deadlines, slo=replace(SPEC.slo, delivery=delivery))
    assert grace_seconds(spec) == grace


def test_end_run_records_a_complete_run_verified_and_a_stopped_one_as_it_stands(tmp_path: Path) -> None:
    pending = replace(good_order(1), chain_verdict=Verdict.PENDING)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        created = ledger.create_run(spec_path="s", spec_name="n", target="local")
        sent = replace(created, state=RunState.SENT)
        complete = end_run(ledger, sent, [good_order(0)], None)
        assert (complete.state, complete.end_reason) == (RunState.VERIFIED, None)
        assert ledger.get_run(created.run_id).state is RunState.VERIFIED
        stopped = end_run(ledger, sent, [good_order(0), pending], SIGINT)
        assert (stopped.state, stopped.end_reason) == (RunState.SENT, "interrupted (SIGINT)")


class RefusingLedger:
    def end_run(self, run_id: str, **_: object) -> None:
        raise LedgerBusyError("ledger.sqlite: the ledger stayed locked")


def test_a_ledger_that_refuses_the_end_fails_only_a_run_that_was_not_stopped() -> None:
    run = Run(run_id="r-1", spec_path="s", spec_name="n", target="t", started_at=0, state=RunState.SENT)
    ended = end_run(RefusingLedger(), run, [good_order(0)], SIGINT)  # type: ignore[arg-type]
    assert ended.end_reason is None and ended.state is RunState.VERIFIED
    with pytest.raises(LedgerBusyError):
        end_run(RefusingLedger(), run, [good_order(0)], None)  # type: ignore[arg-type]
