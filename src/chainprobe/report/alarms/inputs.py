"""Load: the spec and the burn-rate windows, checked against each other, turned into alarm inputs.

Example::

    inputs = load_inputs("probes/orders.yaml", variables=endpoint_variables())
    [source.key for source in inputs.sources]        # ['sli', 'blackbox']
    inputs.windows.source                             # 'windows/30d.yaml'

The windows are the file shipped for the spec's ``slo.window`` (``measure/windows/30d.yaml``), or the
file at ``windows_path``; either way its ``slo_period`` must be the spec's window, since a tier's
burn-rate factor is relative to it. ``variables`` render the templates the generated alarms need
(``cloudwatch_publish.dimensions``, ``dynamodb.table`` for the latency widget): the CLI passes the
``CHAINPROBE_*`` environment (``endpoint_variables()``), so ``${table:-Orders}`` is ``Orders`` unless
``CHAINPROBE_TABLE`` says otherwise.

Raises ``SpecError`` (the spec file, a template that does not render), ``BudgetError`` (the windows
file), ``NothingToAlarmError`` (no ``slo``, or neither ``metric_math`` nor ``cloudwatch_publish``),
``WindowsMismatchError`` and ``InvalidSliError``; every message is one line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from chainprobe.measure.budget import BurnRateWindows, load_windows
from chainprobe.report.alarms.exceptions import NothingToAlarmError, WindowsMismatchError
from chainprobe.report.alarms.sources import SliSource, blackbox_source, metric_math_source
from chainprobe.report.cloudwatch import MetricPublisher
from chainprobe.spec.duration import format_duration
from chainprobe.spec.loader import load_spec
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.template import Scalar

__all__ = ["AlarmInputs", "BlackboxMetrics", "load_inputs"]


@dataclass(frozen=True, kw_only=True)
class BlackboxMetrics:
    """Where the canary publishes: the spec's namespace and its rendered dimensions."""

    namespace: str
    dimensions: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class AlarmInputs:
    """What the model is built from: the spec, its objective, the tiers, the SLI sources."""

    spec: ProbeSpec
    spec_source: str
    objective: float
    windows: BurnRateWindows
    sources: tuple[SliSource, ...]
    blackbox: BlackboxMetrics | None
    variables: Mapping[str, Scalar]


def load_inputs(
    spec_path: str | os.PathLike[str],
    *,
    windows_path: str | os.PathLike[str] | None = None,
    variables: Mapping[str, Scalar] | None = None,
) -> AlarmInputs:
    """Load and cross-check the spec at ``spec_path`` and its burn-rate windows."""
    source = str(spec_path)
    spec = load_spec(spec_path)
    values = dict(variables or {})
    if spec.slo is None:
        raise NothingToAlarmError(
            f"{source}: slo: burn-rate alarms need the SLO (slo.availability.objective and slo.window)"
        )
    if spec.metric_math is None and spec.cloudwatch_publish is None:
        raise NothingToAlarmError(
            f"{source}: nothing to alarm on: the spec has neither metric_math (the metric-math SLI) "
            "nor cloudwatch_publish (the black-box SLI the canary publishes)"
        )
    windows = load_windows(spec.slo.window_text, path=windows_path)
    if windows.slo_period != spec.slo.window:
        raise WindowsMismatchError(
            f"{windows.source}: slo_period is {_days(windows.slo_period)} but the spec's "
            f"slo.window is {spec.slo.window_text}: burn-rate factors are relative to the SLO period"
        )
    sources: list[SliSource] = []
    if spec.metric_math is not None:
        sources.append(metric_math_source(spec.metric_math))
    blackbox = None
    if spec.cloudwatch_publish is not None:
        publisher = MetricPublisher.for_spec(spec, values, cloudwatch=None, source=source)
        blackbox = BlackboxMetrics(namespace=publisher.namespace, dimensions=publisher.dimensions)
        sources.append(blackbox_source(blackbox.namespace, blackbox.dimensions))
    return AlarmInputs(
        spec=spec,
        spec_source=Path(source).name,
        objective=spec.slo.availability.objective,
        windows=windows,
        sources=tuple(sources),
        blackbox=blackbox,
        variables=values,
    )


def _days(period: timedelta) -> str:
    """SLO periods in days, as they are written (``28d``, not ``4w``)."""
    seconds = int(period.total_seconds())
    return f"{seconds // 86_400}d" if seconds % 86_400 == 0 else format_duration(period)
