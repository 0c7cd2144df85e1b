"""The slow courier profile on the real WireMock: the rate limit refuses past its bucket (issue 12, item 5).

The profile (``stubs/profiles/slow``) is the source material's slow API: 20% of calls fail at once,
the others take 0-2 s, and at most 10 requests a second with a burst of 10 (chainprobe's WireMock
extension, ``stubs/extensions``, a token bucket switched on by the profile's rate-limit stub).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from chainprobe.stacks import paths
from tests.integration.conftest import RunningStack

BURST = 10
RATE = 10.0
SENT = 40


def profile() -> list[dict[str, object]]:
    folder = paths.stubs_dir() / "profiles" / "slow" / "mappings"
    return [json.loads(Path(f).read_text()) for f in sorted(folder.glob("*.json"))]


def test_the_slow_profile_refuses_requests_past_its_token_bucket(local_stack: RunningStack) -> None:
    courier = local_stack.endpoints.courier_url
    stubs = profile()
    prefix = f"o-rl-{uuid.uuid4().hex[:8]}-"
    httpx.post(f"{courier}/__admin/mappings/import", json={"mappings": stubs}, timeout=10)
    httpx.post(f"{courier}/__admin/scenarios/reset", timeout=10)
    try:
        with httpx.Client(timeout=10) as client, ThreadPoolExecutor(SENT) as pool:
            answers = list(
                pool.map(
                    lambda n: (
                        client.post(f"{courier}/deliveries", json={"orderId": f"{prefix}{n}"}).status_code
                    ),
                    range(SENT),
                )
            )
        journal = httpx.get(f"{courier}/__admin/requests", timeout=10).json()["requests"]
    finally:
        for stub in stubs:
            httpx.delete(f"{courier}/__admin/mappings/{stub['id']}", timeout=10)
        httpx.post(f"{courier}/__admin/scenarios/reset", timeout=10)

    mine = sorted(
        (e["request"]["loggedDate"] / 1000, e["response"]["status"])
        for e in journal
        if e["request"]["url"] == "/deliveries"
        and json.loads(e["request"]["body"])["orderId"].startswith(prefix)
    )
    counts = Counter(answers)
    print(f"{SENT} concurrent calls: {dict(counts)}")
    assert len(mine) == SENT and Counter(status for _, status in mine) == counts  # refusals are journaled
    assert counts[429] > 0
    admitted = [at for at, status in mine if status != 429]
    # The token bucket's bound: from the first admitted call on, at most BURST + RATE x elapsed (+1 for
    # the journal's millisecond stamps) by any admitted call's time.
    for n, at in enumerate(admitted, start=1):
        assert n <= BURST + RATE * (at - admitted[0]) + 1
    # Refused calls do not advance the profile's cycle: exactly one admitted call in five failed at once.
    assert counts[500] == len(admitted) // 5
    assert counts[201] == len(admitted) - counts[500]
