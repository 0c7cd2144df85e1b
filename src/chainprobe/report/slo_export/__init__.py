"""``chainprobe slo``: the spec's SLOs in the formats SLO tools read (OpenSLO, Sloth, Application Signals).

The pipeline: ``definitions.define_slos`` (spec + burn-rate windows -> ``model.SloSet``, each SLI as
CloudWatch counts) -> the selected SLOs -> one format module (``openslo``, ``sloth``, ``appsignals``)
-> text. Example::

    exported = export_slos("probes/orders.yaml", "openslo", only=("availability", "latency"))
    exported.text          # multi-document YAML
    exported.slos          # ('availability', 'latency')

An SLO a format cannot express is refused (``UnexpressibleSloError``, one line naming the SLO and
why); nothing is written then. Raises also ``SpecError``, ``BudgetError``, ``NoSloError`` and
``UnknownSloError`` (``only`` names an SLO the spec does not define).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from chainprobe.report.slo_export.appsignals import render_appsignals
from chainprobe.report.slo_export.definitions import define_slos
from chainprobe.report.slo_export.exceptions import (
    NoSloError,
    SloExportError,
    UnexpressibleSloError,
    UnknownSloError,
)
from chainprobe.report.slo_export.model import SloDefinition, SloSet
from chainprobe.report.slo_export.openslo import render_openslo
from chainprobe.report.slo_export.sloth import render_sloth
from chainprobe.spec.template import Scalar

__all__ = [
    "FORMATS",
    "ExportedSlos",
    "NoSloError",
    "SloExportError",
    "UnexpressibleSloError",
    "UnknownSloError",
    "define_slos",
    "export_slos",
]

type Renderer = Callable[[SloSet, tuple[SloDefinition, ...]], str]

FORMATS: Mapping[str, Renderer] = {
    "openslo": render_openslo,
    "sloth": render_sloth,
    "cloudwatch-appsignals": render_appsignals,
}


@dataclass(frozen=True, kw_only=True)
class ExportedSlos:
    """The export's text and the keys of the SLOs it holds, in spec order."""

    text: str
    slos: tuple[str, ...]


def export_slos(
    spec_path: str | os.PathLike[str],
    format_name: str,
    *,
    only: Sequence[str] = (),
    windows_path: str | os.PathLike[str] | None = None,
    variables: Mapping[str, Scalar] | None = None,
) -> ExportedSlos:
    """The spec's SLOs (all, or those named in ``only``) in ``format_name`` (a key of ``FORMATS``)."""
    slos = define_slos(spec_path, windows_path=windows_path, variables=variables)
    defined = [slo.key for slo in slos.slos]
    unknown = [key for key in only if key not in defined]
    if unknown:
        raise UnknownSloError(f"--slo {unknown[0]}: the spec defines {', '.join(defined)}")
    selected = tuple(slo for slo in slos.slos if not only or slo.key in only)
    text = FORMATS[format_name](slos, selected)
    return ExportedSlos(text=text, slos=tuple(slo.key for slo in selected))
