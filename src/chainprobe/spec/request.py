"""The probe tag and the HTTP request of one tagged order, built from ``send``.

Every order carries its run id, sequence number and order id: in the body (the order id at
``send.order_id_path``, ``{runId, seq}`` at ``send.tag_path``) and in the ``send.tag_header`` header,
so probe traffic is recognisable downstream.

Example::

    >>> tag = ProbeTag(run_id="r-1", seq=7, order_id="o-r-1-7")
    >>> tag.header_value()
    'runId=r-1;seq=7;orderId=o-r-1-7'
    >>> ProbeTag.parse_header("runId=r-1;seq=7;orderId=o-r-1-7") == tag
    True

    request = build_order_request(spec.send, {"api_url": "http://localhost:4566/x"}, tag)
    request.url, request.body["probe"]   # 'http://localhost:4566/x/orders', {'runId': 'r-1', 'seq': 7}

Raises ``UnknownVariableError`` when a template names a variable neither provided nor defaulted.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

from chainprobe.spec.model import SendSpec
from chainprobe.spec.template import Scalar, render, render_value
from chainprobe.spec.variables import order_variables

__all__ = ["OrderRequest", "ProbeTag", "build_order_request"]


@dataclass(frozen=True)
class ProbeTag:
    """What identifies one probe order: run id, sequence number in the run, order id."""

    run_id: str
    seq: int
    order_id: str

    def body(self) -> dict[str, object]:
        """The tag as it goes into the payload: ``{"runId": ..., "seq": ...}``."""
        return {"runId": self.run_id, "seq": self.seq}

    def header_value(self) -> str:
        """The tag as it goes into the tag header."""
        return f"runId={self.run_id};seq={self.seq};orderId={self.order_id}"

    @classmethod
    def parse_header(cls, value: str) -> ProbeTag:
        """Read a tag header value back; raises ``ValueError`` when it is not one."""
        parts = dict(item.partition("=")[::2] for item in value.split(";"))
        try:
            return cls(run_id=parts["runId"], seq=int(parts["seq"]), order_id=parts["orderId"])
        except (KeyError, ValueError) as error:
            raise ValueError(f"not a probe tag header: {value!r}") from error


@dataclass(frozen=True)
class OrderRequest:
    """One rendered HTTP request: method, URL, headers and JSON body."""

    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, object]


def build_order_request(
    send: SendSpec, endpoints: Mapping[str, Scalar], tag: ProbeTag, faults: tuple[str, ...] = ()
) -> OrderRequest:
    """Render ``send`` for one order: templates filled, order id and tag put in body and header, and
    ``faults`` (names of faults this order asks the chain to fire) at ``send.fault_marker_path``."""
    variables = order_variables(endpoints, run_id=tag.run_id, seq=tag.seq, order_id=tag.order_id)
    body = render_value(copy.deepcopy(dict(send.payload)), variables, field="send.payload")
    assert isinstance(body, dict)
    send.order_id_path.set(body, tag.order_id)
    send.tag_path.set(body, tag.body())
    if faults:
        if send.fault_marker_path is None:
            raise ValueError("this spec has no send.fault_marker_path: its chain takes no fault markers")
        send.fault_marker_path.set(body, list(faults))
    headers = {
        name: render(value, variables, field=f"send.headers.{name}") for name, value in send.headers.items()
    }
    headers[send.tag_header] = tag.header_value()
    return OrderRequest(
        method=send.method,
        url=render(send.endpoint, variables, field="send.endpoint"),
        headers=headers,
        body=body,
    )
