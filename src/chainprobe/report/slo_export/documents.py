"""What the format modules share: YAML output, the selected SLOs, and the window in whole units."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import yaml

from chainprobe.report.slo_export.exceptions import UnexpressibleSloError
from chainprobe.report.slo_export.model import Sli, SloDefinition

__all__ = ["dump_documents", "measured", "window_units"]

_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60))


def measured(slo: SloDefinition, *, format_name: str) -> Sli:
    """``slo``'s SLI; an SLO no CloudWatch metric measures is refused (one line, naming why)."""
    if slo.sli is None:
        raise UnexpressibleSloError(
            f"{format_name}: the {slo.key} SLO cannot be exported: {slo.unmeasured} (leave it out with --slo)"
        )
    return slo.sli


def window_units(window: timedelta) -> tuple[int, str]:
    """``window`` as a whole number of its largest unit: ``(30, 'day')``, ``(6, 'hour')``."""
    seconds = int(window.total_seconds())
    for unit, size in _UNITS:
        if seconds % size == 0 and seconds > 0:
            return seconds // size, unit
    raise UnexpressibleSloError(f"an SLO window of {seconds} s is not a whole number of minutes")


def dump_documents(documents: Iterable[Any], *, header: str) -> str:
    """YAML documents separated by ``---``, after a comment ``header``."""
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    body = yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, width=110, explicit_start=True)
    return comment + body


class _Dumper(yaml.SafeDumper):
    """Safe YAML that never writes aliases (a reader sees each query in full)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
