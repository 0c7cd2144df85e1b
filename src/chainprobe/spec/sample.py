"""Every template of a spec rendered for a sample order, before a run sends its first one.

A template naming a variable nobody provides would otherwise be found order by order (the sender's
payload or header, the verifier's DynamoDB key or API check) after orders were sent. ``render_sample``
renders the request (endpoint, headers, payload, the fault markers asked for), the API checks, the
DynamoDB table, key and checks, the event bus and the courier admin URL with the run's endpoint values
and a sample order's ``run_id``, ``seq`` and ``order_id``, and checks what the rendering gives:

- the endpoint and the courier admin URL are http(s) URLs (``InvalidUrlError``);
- no header value holds a control character (an API key with a trailing newline): ``InvalidValueError``
  naming the header, never its value.

Raises a ``SpecError`` (exit 2) naming the field. Example::

    sample = render_sample(spec, target.endpoints)
    sample.request.url, sample.table, sample.bus    # 'http://…/orders', 'Orders', 'orders'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chainprobe.spec.checks import EqualsCheck, JsonCheck
from chainprobe.spec.exceptions import InvalidValueError
from chainprobe.spec.http_url import check_http_url
from chainprobe.spec.model import ProbeSpec
from chainprobe.spec.request import OrderRequest, ProbeTag, build_order_request
from chainprobe.spec.template import Scalar, Variables, render, render_value
from chainprobe.spec.variables import order_variables

__all__ = ["SAMPLE_TAG", "SampleOrder", "render_sample"]

SAMPLE_TAG = ProbeTag(run_id="r-preflight", seq=0, order_id="o-r-preflight-0")


@dataclass(frozen=True)
class SampleOrder:
    """What a spec's templates render to for one order (``None`` where the spec has no such section)."""

    request: OrderRequest
    table: str | None = None
    key: Mapping[str, str] | None = None
    bus: str | None = None
    courier_admin_url: str | None = None


def render_sample(
    spec: ProbeSpec, endpoints: Mapping[str, Scalar], *, faults: tuple[str, ...] = ()
) -> SampleOrder:
    """Render every template of ``spec`` for ``SAMPLE_TAG``; raises a ``SpecError`` naming the field."""
    marked = faults if spec.send.fault_marker_path is not None else ()
    request = build_order_request(spec.send, endpoints, SAMPLE_TAG, marked)
    check_http_url(request.url, name="send.endpoint")
    for name, value in request.headers.items():
        if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in value):
            raise InvalidValueError(
                "the rendered header value holds a control character (a trailing newline in a variable?)",
                field=f"send.headers.{name}",
            )
    variables = order_variables(
        endpoints, run_id=SAMPLE_TAG.run_id, seq=SAMPLE_TAG.seq, order_id=SAMPLE_TAG.order_id
    )
    _render_checks(spec.api.checks, variables, section="api.checks")
    table = key = bus = admin_url = None
    if spec.dynamodb is not None:
        table = render(spec.dynamodb.table, variables, field="dynamodb.table")
        key = {
            name: render(template, variables, field=f"dynamodb.key.{name}")
            for name, template in spec.dynamodb.key.items()
        }
        _render_checks(spec.dynamodb.checks, variables, section="dynamodb.checks")
    if spec.event is not None:
        bus = render(spec.event.bus, variables, field="event.bus")
    if spec.courier is not None:
        admin_url = render(spec.courier.admin_url, variables, field="courier.admin_url")
        check_http_url(admin_url, name="courier.admin_url")
    return SampleOrder(request=request, table=table, key=key, bus=bus, courier_admin_url=admin_url)


def _render_checks(checks: tuple[JsonCheck, ...], variables: Variables, *, section: str) -> None:
    for index, check in enumerate(checks):
        if isinstance(check, EqualsCheck):
            render_value(check.expected, variables, field=f"{section}[{index}].equals")
