"""The arrival schedule: every arrival sent by exactly one process, on time, under a unique seq."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from chainprobe.drive.load.schedule import ArrivalClaims, ArrivalSchedule
from chainprobe.drive.load.shapes import LoadShape, Stage, load_shapes

SHAPE = load_shapes(environ={}).get("arrival-ramp").scaled(0.25)  # 165 arrivals over 30 s


def all_claims(schedule: ArrivalSchedule) -> list[int]:
    claims = ArrivalClaims(schedule)
    seqs = []
    while (arrival := claims.claim()) is not None:
        seqs.append(arrival.seq)
    assert claims.exhausted and claims.claim() is None
    return seqs


@pytest.mark.parametrize("stride", [1, 2, 3, 7])
def test_workers_share_the_arrivals_with_no_seq_twice_and_none_missing(stride: int) -> None:
    shares = [
        all_claims(ArrivalSchedule(shape=SHAPE, start=0.0, index=i, stride=stride)) for i in range(stride)
    ]
    seqs = [seq for share in shares for seq in share]
    assert len(seqs) == len(set(seqs)) == SHAPE.planned_orders == 165
    assert sorted(seqs) == list(range(165))
    for index, share in enumerate(shares):
        assert all(seq % stride == index for seq in share)  # seq = index + k * stride
        assert len(share) == ArrivalSchedule(shape=SHAPE, start=0.0, index=index, stride=stride).share()


def test_the_processes_together_follow_the_shape() -> None:
    start = 1_000.0
    schedules = [ArrivalSchedule(shape=SHAPE, start=start, index=i, stride=2) for i in range(2)]
    due = sorted(a.due for s in schedules for c in [ArrivalClaims(s)] for a in iter(c.claim, None))
    for t in (5.0, 10.0, 20.0, 29.9):
        sent_by_t = sum(1 for at in due if at < start + t)
        assert abs(sent_by_t - SHAPE.arrivals_by(t)) <= 1  # whole orders against the rate's integral


def test_a_worker_beyond_the_stride_gets_no_arrivals() -> None:
    late = ArrivalSchedule(shape=SHAPE, start=0.0, index=2, stride=2)
    assert not late.active and late.share() == 0
    assert all_claims(late) == []


def test_claims_are_unique_across_threads() -> None:
    shape = LoadShape(name="x", stages=(Stage(duration_s=100, start_rate=50, end_rate=50),))
    claims = ArrivalClaims(ArrivalSchedule(shape=shape, start=0.0, index=1, stride=3))
    taken: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        while (arrival := claims.claim()) is not None:
            with lock:
                taken.append(arrival.seq)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(taken).most_common(1)[0][1] == 1
    assert sorted(taken) == list(range(1, 5000, 3))


def test_a_bad_index_or_stride_is_refused() -> None:
    with pytest.raises(ValueError, match="stride >= 1"):
        ArrivalSchedule(shape=SHAPE, start=0.0, index=0, stride=0)
