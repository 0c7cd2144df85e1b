"""Load: the spec's SLOs and burn-rate tiers as the export model, each SLI as CloudWatch counts.

Example::

    slos = define_slos("probes/orders.yaml", variables=endpoint_variables())
    [(slo.key, slo.sli.kind if slo.sli else None) for slo in slos.slos]
    # [('availability', 'bad'), ('latency', 'good'), ('delivery', 'raw')]

Where each SLI's metrics come from (the only sources chainprobe knows; nothing is invented):

- ``availability``: the spec's ``metric_math`` expression read as ``1 - bad / total`` or ``good / total``
  (``ratio.split_ratio``), each count with the spec's own queries under it; without ``metric_math``, the
  canary's published ``OrdersBad`` over ``OrdersGood + OrdersBad`` (``cloudwatch_publish``).
- ``latency``: when the availability total is ``AWS/ApiGateway Count``, the same API's ``Latency``:
  ``TC(:<threshold>)`` (the count of requests at or under the threshold) over ``SampleCount``. That is
  API Gateway's server-side latency of every request, not chainprobe's client-side latency of good
  orders, and ``meaning`` says so. Otherwise, with ``cloudwatch_publish``, the canary's raw ``Latency``
  (every good order's client-side API latency, ``report.cloudwatch``): ``TC(:<threshold>)`` over
  ``SampleCount``. Without either, no CloudWatch count measures it (``unmeasured``).
- ``delivery``: the canary's published courier stage counts (a delivery objective needs the courier
  section, so they are published), ``StageBad`` over ``StageGood + StageBad`` with ``Stage=courier``
  (``report.stage_metrics``): a ratio of sums over the window, each order weighing once — not the
  per-run ``DeliveryAvailability``, whose average weighs a 3-order run like a 3,000-order one.

Raises ``SpecError`` (the spec), ``BudgetError`` (the windows file), ``NoSloError`` (no ``slo``),
``SloExportError`` (windows of another period) and ``NotARatioError``; every message is one line.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chainprobe.ledger.model import Stage
from chainprobe.measure.budget import load_windows
from chainprobe.report.alarms.sources import BLACKBOX_METRICS, blackbox_query, queries_under
from chainprobe.report.cloudwatch import LATENCY, MetricPublisher
from chainprobe.report.slo_export.exceptions import NoSloError, SloExportError
from chainprobe.report.slo_export.model import MetricQueries, RatioKind, Sli, SloDefinition, SloSet
from chainprobe.report.slo_export.ratio import NotARatioError, split_ratio
from chainprobe.report.stage_metrics import STAGE_BAD, STAGE_DIMENSION, STAGE_GOOD
from chainprobe.spec.loader import load_spec
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.template import Scalar

__all__ = ["define_slos"]


def define_slos(
    spec_path: str | os.PathLike[str],
    *,
    windows_path: str | os.PathLike[str] | None = None,
    variables: Mapping[str, Scalar] | None = None,
) -> SloSet:
    """The SLOs of the spec at ``spec_path`` (see the module docstring)."""
    source = str(spec_path)
    spec = load_spec(spec_path)
    if spec.slo is None:
        raise NoSloError(f"{source}: slo: nothing to export (the spec defines no SLO)")
    windows = load_windows(spec.slo.window_text, path=windows_path)
    if windows.slo_period != spec.slo.window:
        raise SloExportError(
            f"{windows.source}: slo_period is not the spec's slo.window ({spec.slo.window_text}): "
            "burn-rate windows are relative to the SLO period"
        )
    blackbox = _blackbox(spec, dict(variables or {}), source)
    slo = spec.slo
    availability = _availability(spec, blackbox)
    definitions = [
        _definition(spec, "availability", "Availability", slo.availability.objective, availability)
    ]
    if slo.latency is not None:
        latency = _latency(availability, blackbox, slo.latency.threshold_ms)
        definitions.append(
            _definition(spec, "latency", "Latency", slo.latency.percentile / 100, *latency),
        )
    if slo.delivery is not None:
        definitions.append(
            _definition(spec, "delivery", "Delivery", slo.delivery.objective, *_delivery(blackbox))
        )
    return SloSet(
        probe=spec.name,
        description=spec.description,
        spec_source=Path(source).name,
        windows_source=windows.source,
        slos=tuple(definitions),
        tiers=windows.tiers,
    )


def slo_name(probe: str, key: str) -> str:
    """``<probe>-<key>`` as an RFC 1123 label (lowercase letters, digits, ``-``; at most 63)."""
    text = re.sub(r"[^a-z0-9-]+", "-", f"{probe}-{key}".lower()).strip("-")
    return text[:63].rstrip("-")


def _definition(
    spec: ProbeSpec, key: str, title: str, objective: float, sli: Sli | None, unmeasured: str | None = None
) -> SloDefinition:
    assert spec.slo is not None
    return SloDefinition(
        key=key,
        name=slo_name(spec.name, key),
        display_name=f"{spec.name} {title}",
        objective=objective,
        window=spec.slo.window,
        window_text=spec.slo.window_text,
        sli=sli,
        unmeasured=unmeasured,
    )


def _blackbox(spec: ProbeSpec, variables: dict[str, Scalar], source: str) -> MetricPublisher | None:
    if spec.cloudwatch_publish is None:
        return None
    return MetricPublisher.for_spec(spec, variables, cloudwatch=None, source=source)


def _availability(spec: ProbeSpec, blackbox: MetricPublisher | None) -> Sli | None:
    if spec.metric_math is not None:
        queries = spec.metric_math.queries()
        root = next(q for q in queries if q["Id"] == spec.metric_math.availability_id)
        if "Expression" not in root:
            raise NotARatioError(
                f"metric_math: {root['Id']} is a single metric, not a ratio of counts an SLO tool could read"
            )
        parts = split_ratio(str(root["Expression"]))
        kind = RatioKind.BAD if parts.kind == "bad" else RatioKind.GOOD
        return Sli(
            kind=kind,
            numerator=_count(queries, f"{kind.value}Count", parts.numerator, label=f"{kind.value} requests"),
            total=_count(queries, "totalCount", parts.total, label="requests"),
            meaning=(
                f"the spec's metric-math SLI ({spec.metric_math.availability_id}: {root['Expression']}) "
                f"read as {kind.value} / total: {parts.numerator} over {parts.total}"
            ),
        )
    if blackbox is None:
        return None
    dimensions = blackbox.dimensions
    good = blackbox_query(
        "good", blackbox.namespace, BLACKBOX_METRICS["good"], dimensions, label="Orders good"
    )
    bad = blackbox_query("bad", blackbox.namespace, BLACKBOX_METRICS["bad"], dimensions, label="Orders bad")
    return Sli(
        kind=RatioKind.BAD,
        numerator=MetricQueries(queries=(_returned(bad),)),
        total=MetricQueries(
            queries=(
                good,
                bad,
                _returned({"Id": "total", "Expression": "good + bad", "Label": "Orders judged"}),
            )
        ),
        meaning="the canary's published verdicts: OrdersBad over OrdersGood + OrdersBad",
    )


def _latency(
    availability: Sli | None, blackbox: MetricPublisher | None, threshold_ms: float
) -> tuple[Sli | None, str | None]:
    request_count = None
    if availability is not None and availability.total is not None:
        returned = availability.total.returned
        metric = returned.get("MetricStat", {}).get("Metric", {})
        if (metric.get("Namespace"), metric.get("MetricName")) == ("AWS/ApiGateway", "Count"):
            request_count = returned
    if request_count is None and blackbox is not None:
        return _blackbox_latency(blackbox, threshold_ms), None
    if request_count is None:
        return None, (
            f"no CloudWatch metric counts the requests answered within {threshold_ms:g} ms: the availability "
            "total is not AWS/ApiGateway Count (whose Latency would), and the spec has no cloudwatch_publish "
            "section (the canary's raw Latency would)"
        )
    stat = request_count["MetricStat"]
    latency = {**copy.deepcopy(dict(stat["Metric"])), "MetricName": "Latency"}

    def query(query_id: str, statistic: str, label: str) -> dict[str, Any]:
        metric_stat = {"Metric": copy.deepcopy(latency), "Period": stat["Period"], "Stat": statistic}
        return {"Id": query_id, "MetricStat": metric_stat, "Label": label, "ReturnData": True}

    fast = query("fastRequests", f"TC(:{threshold_ms:g})", f"requests within {threshold_ms:g} ms")
    return Sli(
        kind=RatioKind.GOOD,
        numerator=MetricQueries(queries=(fast,)),
        total=MetricQueries(queries=(query("timedRequests", "SampleCount", "requests timed"),)),
        meaning=(
            f"API Gateway's own Latency of every request (server side), TC(:{threshold_ms:g}) over "
            "SampleCount; chainprobe's latency SLI is the client-side latency of good orders"
        ),
    ), None


def _blackbox_latency(blackbox: MetricPublisher, threshold_ms: float) -> Sli:
    """The canary's raw ``Latency`` (good orders, client side): ``TC(:threshold)`` over ``SampleCount``."""

    def query(query_id: str, statistic: str, label: str) -> dict[str, Any]:
        found = blackbox_query(
            query_id, blackbox.namespace, LATENCY, blackbox.dimensions, label=label, stat=statistic
        )
        return _returned(found)

    return Sli(
        kind=RatioKind.GOOD,
        numerator=MetricQueries(
            queries=(
                query("fastOrders", f"TC(:{threshold_ms:g})", f"good orders within {threshold_ms:g} ms"),
            )
        ),
        total=MetricQueries(queries=(query("timedOrders", "SampleCount", "good orders timed"),)),
        meaning=(
            f"the canary's published {LATENCY} (the client-side API latency of every good order, raw "
            f"values), TC(:{threshold_ms:g}) over SampleCount"
        ),
    )


def _delivery(blackbox: MetricPublisher | None) -> tuple[Sli | None, str | None]:
    """The courier stage's published verdict counts (a delivery objective needs a courier section)."""
    if blackbox is None:
        return None, "no CloudWatch metric measures it: the spec has no cloudwatch_publish section"
    return _delivery_counts(blackbox), None


def _delivery_counts(blackbox: MetricPublisher) -> Sli:
    """The courier stage's published verdict counts: bad deliveries over all judged, summed per window."""
    courier = {**blackbox.dimensions, STAGE_DIMENSION: Stage.COURIER.value}
    good = blackbox_query("deliveryGood", blackbox.namespace, STAGE_GOOD, courier, label="Deliveries good")
    bad = blackbox_query("deliveryBad", blackbox.namespace, STAGE_BAD, courier, label="Deliveries bad")
    judged = {"Id": "deliveryTotal", "Expression": "deliveryGood + deliveryBad", "Label": "Deliveries judged"}
    return Sli(
        kind=RatioKind.BAD,
        numerator=MetricQueries(queries=(_returned(bad),)),
        total=MetricQueries(queries=(good, bad, _returned(judged))),
        meaning=(
            f"the canary's published courier verdicts: {STAGE_BAD} over {STAGE_GOOD} + {STAGE_BAD} "
            f"({STAGE_DIMENSION}=courier), summed over the window (each order weighs once)"
        ),
    )


def _count(
    queries: Sequence[dict[str, Any]], wanted_id: str, expression: str, *, label: str
) -> MetricQueries:
    """The queries returning ``expression``: the spec's query itself when it is one id, else a new one."""
    by_id = {str(query["Id"]): query for query in queries}
    if expression in by_id:
        needed = list(queries_under(queries, expression))
    else:
        query_id = _free_id(wanted_id, by_id)
        added = {"Id": query_id, "Expression": expression, "Label": label}
        needed = list(queries_under([*queries, added], query_id))
    for query in needed[:-1]:
        query["ReturnData"] = False
    return MetricQueries(queries=(*needed[:-1], _returned(needed[-1])))


def _returned(query: Mapping[str, Any]) -> dict[str, Any]:
    returned = copy.deepcopy(dict(query))
    returned["ReturnData"] = True
    return returned


def _free_id(wanted: str, taken: Mapping[str, object]) -> str:
    candidates = (wanted, *(f"{wanted}{n}" for n in range(2, len(taken) + 3)))
    return next(name for name in candidates if name not in taken)
