"""A run's black-box results as CloudWatch custom metrics, so they sit next to the metric-math SLI.

``chainprobe canary --publish-metrics`` (and ``chainprobe verify --run ID --publish-metrics``) publish
each run with PutMetricData once its verdicts are final, when the spec has a ``cloudwatch_publish``
section, and only once per run (``chainprobe.run_publishing``: CloudWatch sums what it is sent)::

    cloudwatch_publish:
      namespace: Chainprobe        # optional, default Chainprobe (AWS/ is reserved)
      dimensions:                  # optional; values are templates over the endpoint values
        Probe: orders              # (${region}, ${table}, any CHAINPROBE_<NAME> variable)

Every datum carries the spec's dimensions and the run's end as its timestamp (one datapoint per metric
per run, standard resolution):

==========================  ============  ==========================================================
metric                      unit          value
==========================  ============  ==========================================================
``OrdersSent``              Count         orders sent (planned but never sent ones are not counted)
``OrdersGood``              Count         orders that completed the whole chain
``OrdersBad``               Count         orders that did not (chain failure classes)
``OrdersBad`` +             Count         orders per failure class that occurred in the run: the
``FailureClass=<class>``                  chain classes (``http_5xx``, ``db_missing``... they sum to
                                          ``OrdersBad``) and the delivery classes (``courier_missing``,
                                          ``courier_failed``, ``courier_duplicate``: chain-good orders
                                          the courier did not get once; ``courier_unexpected``: rejected
                                          orders it got)
``Availability``            None          chain availability, 0..1 (good / (good + bad))
``Latency``                 Milliseconds  every good order's API latency, as raw values (``Values`` +
                                          ``Counts``): ask ``p95`` over any period, one run or a month
``LatencyP50|P95|P99``      Milliseconds  per-run API latency percentiles of good orders (nearest
                                          rank), kept for dashboards built on them: one run's value,
                                          never to be aggregated across runs (a p95 of per-run p95s is
                                          not the p95 of the orders); read ``Latency`` instead
``DeliveryAvailability``    None          the run's delivery SLO availability, 0..1 (per run: across
                                          runs, ``StageGood|StageBad`` + ``Stage=courier``, summed)
``StageGood|StageBad`` +    Count         per verified stage, orders judged at it that passed / failed
``Stage=<stage>``                         it (``api``, ``dynamodb``, ``event``, ``courier``)
``StageLag`` +              Milliseconds  per verified stage, each order's lag from its send, as raw
``Stage=<stage>``                         values: ask ``p95`` over any period (``report.stage_metrics``)
==========================  ============  ==========================================================

``Latency`` is published as ``StageLag`` is (``report.metric_datum.MetricValues``): each good order's
latency rounded to 0.001 ms, equal values counted together, at most ``MAX_VALUES`` (150) distinct values
per entry and as many entries (same name, dimensions and timestamp) as the run needs. Nothing is bucketed
or dropped, so CloudWatch holds every order's value and its ``pNN`` over any window of runs is the
percentile of all their orders.

A value that was not measured (no order judged, no good order, delivery not verified) is left out
rather than published as 0, and a failure class is published only when it occurred. So an alarm on
a per-class series should treat missing data as not breaching. Across runs, prefer
``SUM(OrdersGood) / (SUM(OrdersGood) + SUM(OrdersBad))`` over an average of ``Availability``: runs of
different sizes then weigh what they should.

Example::

    publisher = MetricPublisher.for_spec(spec, target.endpoints, target.clients.client("cloudwatch"))
    published = publisher.publish(report)       # PublishedMetrics(namespace="Chainprobe", count=9, ...)

Raises ``MissingFieldError`` (``for_spec``: no ``cloudwatch_publish`` section), a ``TemplateError`` or
``InvalidValueError`` for a dimension value that does not render to 1..1024 characters, or a dimension
named ``Stage`` or ``FailureClass`` (chainprobe's own, ``RESERVED_DIMENSIONS``); ``publish``
lets botocore's errors through (the caller decides what a failed publish means). Limitation: each
metric and dimension combination is a billed custom metric (9 series, one per failure class seen, and
3 per verified stage).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chainprobe.measure.sli import latency_sample
from chainprobe.report.metric_datum import COUNT, MILLISECONDS, NO_UNIT, MetricDatum, MetricValues
from chainprobe.report.model import RunReport
from chainprobe.report.sections import class_counts
from chainprobe.report.stage_metrics import STAGE_DIMENSION, stage_metrics
from chainprobe.spec.exceptions import InvalidValueError, MissingFieldError, SpecError
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.objectives import DEFAULT_NAMESPACE
from chainprobe.spec.template import Scalar, render

__all__ = [
    "FAILURE_CLASS_DIMENSION",
    "LATENCY",
    "PUT_BATCH",
    "RESERVED_DIMENSIONS",
    "MetricDatum",
    "MetricPublisher",
    "MetricValues",
    "PublishedMetrics",
    "latency_metrics",
    "run_metrics",
]

LATENCY = "Latency"
"""The raw API latency metric (good orders, milliseconds): CloudWatch's percentiles over it are true."""
FAILURE_CLASS_DIMENSION = "FailureClass"
RESERVED_DIMENSIONS = (FAILURE_CLASS_DIMENSION, STAGE_DIMENSION)
"""Dimensions chainprobe adds itself: a spec's ``cloudwatch_publish.dimensions`` may not name them."""
PUT_BATCH = 20  # entries per PutMetricData call: AWS takes up to 1000, older emulators 20; with at most
# 150 values per entry (StageLag) a call stays far below PutMetricData's 1 MB
_MAX_DIMENSION_VALUE = 1024


@dataclass(frozen=True)
class PublishedMetrics:
    """What ``MetricPublisher.publish`` sent: where, with which dimensions, how many data, when."""

    namespace: str
    dimensions: dict[str, str]
    count: int
    timestamp: datetime

    def describe(self) -> str:
        """``'9 metrics to CloudWatch namespace Chainprobe (Probe=orders)'``."""
        text = f"{self.count} metrics to CloudWatch namespace {self.namespace}"
        if self.dimensions:
            text += " (" + ", ".join(f"{name}={value}" for name, value in self.dimensions.items()) + ")"
        return text


def latency_metrics(report: RunReport, dimensions: Mapping[str, str] | None = None) -> list[MetricValues]:
    """``Latency``: the good orders' API latencies as raw values (none when no order was good)."""
    sample = latency_sample(report.orders)
    return MetricValues.of(LATENCY, sample, MILLISECONDS, tuple((dimensions or {}).items()))


def run_metrics(report: RunReport, dimensions: Mapping[str, str] | None = None) -> list[MetricDatum]:
    """The data published for ``report`` (see the module docstring), each with ``dimensions``."""
    base = tuple((dimensions or {}).items())
    sli = report.sli
    data = [
        MetricDatum("OrdersSent", sli.sent, COUNT, base),
        MetricDatum("OrdersGood", sli.chain.good, COUNT, base),
        MetricDatum("OrdersBad", sli.chain.bad, COUNT, base),
    ]
    measured: list[tuple[str, float | None, str]] = [
        ("Availability", sli.chain.availability, NO_UNIT),
        ("LatencyP50", sli.latency.p50, MILLISECONDS),
        ("LatencyP95", sli.latency.p95, MILLISECONDS),
        ("LatencyP99", sli.latency.p99, MILLISECONDS),
        ("DeliveryAvailability", sli.delivery.availability if sli.delivery else None, NO_UNIT),
    ]
    data.extend(MetricDatum(name, value, unit, base) for name, value, unit in measured if value is not None)
    data.extend(
        MetricDatum("OrdersBad", count, COUNT, (*base, (FAILURE_CLASS_DIMENSION, failure.value)))
        for failure, count in class_counts(report)
    )
    return data


class MetricPublisher:
    """Publishes run reports to one namespace with fixed dimensions through a CloudWatch client."""

    def __init__(
        self,
        *,
        cloudwatch: Any,
        namespace: str = DEFAULT_NAMESPACE,
        dimensions: Mapping[str, str] | None = None,
    ) -> None:
        self.cloudwatch = cloudwatch
        self.namespace = namespace
        self.dimensions = dict(dimensions or {})

    @classmethod
    def for_spec(
        cls,
        spec: ProbeSpec,
        endpoints: Mapping[str, Scalar],
        cloudwatch: Any,
        *,
        source: str | None = None,
    ) -> MetricPublisher:
        """The spec's namespace and rendered dimensions; ``source`` (the spec file) names it in errors."""
        publish = spec.cloudwatch_publish
        if publish is None:
            raise MissingFieldError(
                "publishing metrics needs this section (namespace, dimensions)",
                source=source,
                field="cloudwatch_publish",
            )
        dimensions: dict[str, str] = {}
        for name, template in publish.dimensions.items():
            field = f"cloudwatch_publish.dimensions.{name}"
            if name in RESERVED_DIMENSIONS:
                raise InvalidValueError(
                    f"{name} is the dimension chainprobe adds to its per-{name.lower()} metrics: "
                    "give yours another name (e.g. Env for a deployment stage)",
                    source=source,
                    field=field,
                )
            try:
                value = render(template, endpoints, field=field)
            except SpecError as error:
                if source is None:
                    raise
                raise error.with_source(source) from error
            if not 1 <= len(value) <= _MAX_DIMENSION_VALUE:
                raise InvalidValueError(
                    f"expected a dimension value of 1 to {_MAX_DIMENSION_VALUE} characters, got {value!r}",
                    source=source,
                    field=field,
                )
            dimensions[name] = value
        return cls(cloudwatch=cloudwatch, namespace=publish.namespace, dimensions=dimensions)

    def publish(self, report: RunReport) -> PublishedMetrics:
        """PutMetricData for the run and its stages (``report.stage_metrics``), in batches of
        ``PUT_BATCH``, timestamped at the run's end."""
        data: list[MetricDatum | MetricValues] = [
            *run_metrics(report, self.dimensions),
            *latency_metrics(report, self.dimensions),
            *stage_metrics(report, self.dimensions),
        ]
        ended = report.run.ended_at if report.run.ended_at is not None else time.time()
        timestamp = datetime.fromtimestamp(ended, UTC)
        for batch in itertools.batched(data, PUT_BATCH):
            self.cloudwatch.put_metric_data(
                Namespace=self.namespace, MetricData=[datum.to_aws(timestamp) for datum in batch]
            )
        return PublishedMetrics(
            namespace=self.namespace, dimensions=dict(self.dimensions), count=len(data), timestamp=timestamp
        )
