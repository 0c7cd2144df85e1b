"""Faults and the fault log on a chain that is not the reference one.

The second chain (``tests/integration/chains/checkout``: its own CloudFormation template, deployed into the
session's local stack) keys its item ``pk = ORDER#<ref>``, nests the id in its event as ``order.ref`` and
reads its fault markers at ``meta.faults``. Once the local stack is told where (``fault set --on …``),
each managed-service fault, by marker and by rate, must be logged naming every order it hit, and a
canary's bad orders must be exactly the orders the log names. A canary whose markers sit where the chain
never reads them must not say "SLO met": it exits 2 and says where the markers were put.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainprobe.drive.canary import FaultPlan
from chainprobe.ledger.model import FailureClass, OrderRecord, Verdict
from chainprobe.ledger.store import Ledger
from chainprobe.measure.fault_log import FaultCheck
from chainprobe.pipeline import run_canary
from chainprobe.report import RunReport
from chainprobe.stacks.local.faults import FaultLocation, FaultRegistryClient, FiredFault
from chainprobe.stacks.reference_chain import ChainStack
from chainprobe.target import Target
from tests.integration.conftest import CONFIG_TTL_S, RunningStack

ROOT = Path(__file__).resolve().parents[2]
CHAIN = Path(__file__).resolve().parent / "chains" / "checkout"
SPEC = CHAIN / "probe.yaml"
STACK_NAME = "chainprobe-checkout"
CHAINPROBE = str(Path(sys.executable).parent / "chainprobe")
MANAGED_FAULTS = ("dynamodb-throttle", "events-entry-failure")
COUNT = 6
EVERY = 3
MARKED = {seq for seq in range(COUNT) if seq % EVERY == 0}
LOCATIONS = (
    FaultLocation(
        "dynamodb-throttle",
        "Checkouts",
        order_id_path="pk",
        marker_path="meta.faults",
        order_id_prefix="ORDER#",
    ),
    FaultLocation("events-entry-failure", "checkout", order_id_path="order.ref", marker_path="meta.faults"),
)
# What each fault does to the checkout chain's answer: a throttled PutItem is a 503, a failed entry a 502.
STATUS = {"dynamodb-throttle": 503, "events-entry-failure": 502}


@pytest.fixture(scope="module")
def checkout_api(local_stack: RunningStack) -> Iterator[str]:
    """The second chain, created from its template in the session's stack; its API's base URL."""
    stack = ChainStack(local_stack.clients, name=STACK_NAME)
    stack.delete()
    local_stack.clients.client("cloudformation").create_stack(
        StackName=STACK_NAME,
        TemplateBody=(CHAIN / "template.yaml").read_text(),
        Capabilities=["CAPABILITY_IAM"],
    )
    status = stack.wait(300)
    assert status == "CREATE_COMPLETE", stack.first_failure()
    api_id = stack.outputs()["ApiId"]
    try:
        yield f"{local_stack.config.aws_endpoint_url}/_aws/execute-api/{api_id}/live"
    finally:
        stack.delete()


@pytest.fixture
def located(faults: FaultRegistryClient) -> Iterator[FaultRegistryClient]:
    """The registry, told where the checkout chain keeps an order's id and its markers (and then not)."""
    for location in LOCATIONS:
        faults.locate(location)
    try:
        yield faults
    finally:
        faults.forget_locations()


@pytest.fixture
def checkout_target(target: Target, checkout_api: str) -> Target:
    return Target(
        name=target.name,
        endpoints={**target.endpoints, "checkout_api_url": checkout_api},
        clients=target.clients,
    )


def canary(
    target: Target, ledger_path: Path, plan: FaultPlan | None, count: int = COUNT
) -> tuple[list[OrderRecord], RunReport]:
    outcome = run_canary(
        spec_path=SPEC,
        count=count,
        rate=4.0,
        report_dir=None,
        say=print,
        target=target,
        fault_plan=plan,
        metric_math=False,
    )
    with Ledger(ledger_path) as ledger:
        orders = ledger.orders(outcome.report.run.run_id)
    return orders, outcome.report


def fired_since(registry: FaultRegistryClient, fault: str, since: float) -> list[FiredFault]:
    return [entry for entry in registry.log(since=since) if entry.fault == fault]


def bad_orders(orders: list[OrderRecord]) -> dict[str, FailureClass | None]:
    return {o.order_id: o.chain_failure for o in orders if o.chain_verdict is Verdict.BAD}


@pytest.mark.parametrize("fault", MANAGED_FAULTS)
def test_a_marked_fault_hits_exactly_the_marked_orders_and_the_log_names_each(
    located: FaultRegistryClient, checkout_target: Target, ledger_path: Path, fault: str
) -> None:
    started = time.time()
    orders, report = canary(checkout_target, ledger_path, FaultPlan(faults=(fault,), every=EVERY))

    marked = {o.order_id for o in orders if o.seq in MARKED}
    entries = fired_since(located, fault, started)
    # The log names every order it hit, once each (the chain calls each service once, without retries)...
    assert Counter(entry.order_id for entry in entries) == Counter(dict.fromkeys(marked, 1))
    assert {entry.trigger for entry in entries} == {"marker"}
    # ...and those are exactly the canary's bad orders, each an HTTP 5xx; every other order is good.
    assert bad_orders(orders) == dict.fromkeys(marked, FailureClass.HTTP_5XX)
    assert {o.api_status for o in orders if o.order_id in marked} == {STATUS[fault]}
    assert all(o.chain_verdict is Verdict.GOOD for o in orders if o.order_id not in marked)
    # The report says so, per fault asked for.
    assert report.faults is not None
    assert report.faults.checks == (FaultCheck(fault, 2, 2, 2),)
    assert report.faults.findings() == [] and report.faults.never_fired() is None


@pytest.mark.parametrize("fault", MANAGED_FAULTS)
def test_a_fault_by_rate_is_logged_naming_each_order_and_those_are_the_bad_orders(
    located: FaultRegistryClient, checkout_target: Target, ledger_path: Path, fault: str
) -> None:
    located.set(fault, 0.5)
    started = time.time()
    try:
        orders, report = canary(checkout_target, ledger_path, None, count=10)
    finally:
        located.clear(fault)

    entries = fired_since(located, fault, started)
    run_ids = {o.order_id for o in orders}
    # Every entry names an order of this run (none is null), once; exactly those orders are bad.
    assert all(entry.order_id in run_ids for entry in entries), entries
    assert Counter(entry.order_id for entry in entries) == Counter(dict.fromkeys(bad_orders(orders), 1))
    assert bad_orders(orders) == {entry.order_id: FailureClass.HTTP_5XX for entry in entries}
    assert {entry.trigger for entry in entries} <= {"rate"}
    assert report.faults is None  # no --fault: nothing asked for, no summary


def spec_with_marker_at(path: str, tmp_path: Path) -> Path:
    text = SPEC.read_text()
    assert "fault_marker_path: meta.faults" in text
    variant = tmp_path / "checkout-chaos.yaml"
    variant.write_text(text.replace("fault_marker_path: meta.faults", f"fault_marker_path: {path}"))
    return variant


def test_markers_where_the_chain_never_reads_them_are_a_configuration_error_not_an_slo_met(
    located: FaultRegistryClient,
    checkout_api: str,
    cli_env: dict[str, str],
    ledger_path: Path,
    tmp_path: Path,
) -> None:
    spec = spec_with_marker_at("chaos", tmp_path)  # the reference chain's place: this chain ignores it
    reports = tmp_path / "reports"
    started = time.time()
    run = subprocess.run(
        [
            CHAINPROBE,
            "canary",
            "--spec",
            str(spec),
            "--count",
            "3",
            "--rate",
            "3",
            "--no-metric-math",
            "--fault",
            "dynamodb-throttle",
            "--report-dir",
            str(reports),
        ],
        env=cli_env | {"CHAINPROBE_CHECKOUT_API_URL": checkout_api},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    expected = (
        "chainprobe: the chain never fired dynamodb-throttle: 3 orders carried the marker at chaos in the "
        "request body (send.fault_marker_path) and the fault log names none of them; the chain reads its "
        "markers elsewhere (dynamodb-throttle, events-entry-failure: chainprobe fault set NAME --marker-path)"
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines()[-1] == expected
    assert "Traceback" not in run.stderr
    assert "SLO MET" in run.stdout  # the orders were all good: that is exactly what must not pass
    assert "  finding     the chain never fired dynamodb-throttle" in run.stdout
    report = json.loads((reports / "report.json").read_text())
    assert report["orders"]["good"] == 3
    with Ledger(ledger_path) as ledger:
        order_ids = [o.order_id for o in sorted(ledger.orders(report["run_id"]), key=lambda o: o.seq)]
    assert report["faults"]["faults"] == [
        {
            "fault": "dynamodb-throttle",
            "marked": 3,
            "logged_orders": 0,
            "log_entries": 0,
            "unlogged_orders": order_ids,
            "unmarked_hits": 0,
            "unlogged_hit_by": {},
        }
    ]
    assert report["faults"]["never_fired"] == expected.removeprefix("chainprobe: ")
    assert "never fired dynamodb-throttle" in (reports / "summary.md").read_text()
    assert fired_since(located, "dynamodb-throttle", started) == []


def test_fault_set_says_where_a_chain_keeps_things_without_activating_the_fault(
    faults: FaultRegistryClient, cli_env: dict[str, str]
) -> None:
    def chainprobe(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CHAINPROBE, "fault", *args], env=cli_env, capture_output=True, text=True, timeout=60
        )

    try:
        located = chainprobe(
            "set", "dynamodb-throttle", "--on", "Checkouts", "--order-id-path", "pk",
            "--order-id-prefix", "ORDER#", "--marker-path", "meta.faults",
        )  # fmt: skip
        assert located.returncode == 0, located.stderr
        assert located.stdout.splitlines() == [LOCATIONS[0].describe()]
        assert faults.active() == {}  # only where to look, not a fault at every PutItem
        assert faults.locations() == [LOCATIONS[0]]

        listed = json.loads(chainprobe("list", "--json").stdout)
        assert listed["locations"] == [LOCATIONS[0].to_dict()] and listed["faults"] == {}

        bad = chainprobe("set", "events-entry-failure", "--marker-path", "meta..faults")
        assert (bad.returncode, bad.stdout) == (2, "")
        assert bad.stderr.splitlines() == [
            "chainprobe: markerPath must be a dotted path such as order.ref, got 'meta..faults'"
        ]

        cleared = chainprobe("clear", "--locations")
        assert cleared.returncode == 0, cleared.stderr
        assert faults.locations() == []
    finally:
        faults.forget_locations()
        if faults.active():
            faults.clear()
            time.sleep(CONFIG_TTL_S)
