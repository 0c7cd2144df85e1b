"""Sloth (``prometheus/v1``): refused, in one line saying why.

A Sloth SLI is a pair of PromQL queries (``sli.events.error_query`` and ``total_query``) over
Prometheus series. Every SLI chainprobe knows is CloudWatch metrics (the spec's metric-math SLI, the
canary's published results); none of them is a Prometheus series, and naming one (say, the series an
exporter such as YACE would scrape) would claim a pipeline nobody set up, and sum per-period
CloudWatch values at Prometheus' scrape interval, which counts each request as often as it is
scraped. So this format refuses rather than emit a query that measures something else.
"""

from __future__ import annotations

from chainprobe.report.slo_export.documents import measured
from chainprobe.report.slo_export.exceptions import UnexpressibleSloError
from chainprobe.report.slo_export.model import SloDefinition, SloSet

__all__ = ["render_sloth"]

FORMAT = "sloth"


def render_sloth(slos: SloSet, selected: tuple[SloDefinition, ...]) -> str:
    """Refuses: names the first selected SLO's CloudWatch metric and why Sloth cannot read it."""
    for slo in selected:
        sli = measured(slo, format_name=FORMAT)
        stats = [query["MetricStat"]["Metric"] for query in sli.numerator.metric_stats()]
        named = f" ({stats[0]['Namespace']} {stats[0]['MetricName']}...)" if stats else ""
        raise UnexpressibleSloError(
            f"{FORMAT}: the {slo.key} SLO is CloudWatch metrics{named} and a Sloth SLI is PromQL over "
            "Prometheus series: no Prometheus series holds them (export openslo or cloudwatch-appsignals)"
        )
    raise UnexpressibleSloError(f"{FORMAT}: no SLO selected")
