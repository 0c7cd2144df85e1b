"""Behaviour the spec model itself carries: the capture pattern, verified stages, deadlines."""

from __future__ import annotations

from pathlib import Path

from chainprobe.spec import EventSpec, FieldPath, load_spec

ORDERS = Path(__file__).resolve().parents[3] / "probes" / "orders.yaml"


def test_capture_pattern_of_the_reference_event() -> None:
    spec = load_spec(ORDERS)
    assert spec.event is not None
    assert spec.event.capture_pattern() == {
        "source": ["orders.api"],
        "detail-type": ["OrderCreated"],
        "detail": {"probe": {"runId": [{"exists": True}]}},
    }


def test_capture_pattern_merges_the_extra_pattern() -> None:
    event = EventSpec(
        bus="b",
        source="s",
        detail_type="T",
        pattern={"detail": {"status": ["CREATED"]}},
        order_id_path=FieldPath.parse("detail.id"),
        tag_path=FieldPath.parse("detail.probe"),
    )
    assert event.capture_pattern() == {
        "source": ["s"],
        "detail-type": ["T"],
        "detail": {"status": ["CREATED"], "probe": {"runId": [{"exists": True}]}},
    }
    assert event.pattern == {"detail": {"status": ["CREATED"]}}


def test_deadline_lookup_by_stage_name() -> None:
    spec = load_spec(ORDERS)
    assert [spec.deadlines.for_stage(s) for s in spec.verified_stages()] == [10, 5, 10, 30]
