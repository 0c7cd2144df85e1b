"""Benchmarks Logs Insights on the local stack: query time against the number of log events.

Runs its own stack on free loopback ports in a temporary state directory, and stops it at the end.
For each size (1k, 10k, 50k events by default) it puts that many JSON events (a correlation id per
ten events, a ``status`` milestone, a latency) with PutLogEvents into a log group of its own, then
times three queries from StartQuery to ``Complete`` (GetQueryResults polled every 20 ms), ``--runs``
times each, and prints the medians:

- ``milestones``: ``fields … | filter correlation_id = "<one id>" | sort @timestamp asc``
- ``lead time``: the source material's ``stats (latest(@timestamp) - earliest(@timestamp))/1000 …
  by correlation_id | sort … desc | limit 10``
- ``count by status``: ``stats count(*) by status, bin(1m)``

    .venv/bin/python bench/logs_insights_bench.py [--sizes 1000 10000 50000] [--runs 5]

Prints its figures; it asserts nothing (speed is measured here, not in tests).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from own_stack import own_stack

BATCH = 5_000  # events per PutLogEvents call (AWS's limit is 10,000 and 1 MB)
QUERIES = {
    "milestones": 'fields @timestamp, status | filter correlation_id = "o-7" | sort @timestamp asc',
    "lead time": "stats (latest(@timestamp) - earliest(@timestamp))/1000 as LeadTimeInSeconds"
    " by correlation_id | sort LeadTimeInSeconds desc | limit 10",
    "count by status": "stats count(*) by status, bin(1m)",
}
STATUSES = ("START", "SAVED_IN_DATABASE", "PUBLISHED", "COMPLETED")


def put_events(logs: Any, group: str, count: int, start_ms: int) -> None:
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="bench")
    for first in range(0, count, BATCH):
        events = [
            {
                "timestamp": start_ms + i,
                "message": json.dumps(
                    {"correlation_id": f"o-{i // 10}", "status": STATUSES[i % 4], "latency": i % 97}
                ),
            }
            for i in range(first, min(first + BATCH, count))
        ]
        logs.put_log_events(logGroupName=group, logStreamName="bench", logEvents=events)


def time_query(logs: Any, group: str, query: str, start_s: int, end_s: int) -> tuple[float, int]:
    started = time.perf_counter()
    query_id = logs.start_query(logGroupName=group, startTime=start_s, endTime=end_s, queryString=query)[
        "queryId"
    ]
    while True:
        answer = logs.get_query_results(queryId=query_id)
        if answer["status"] not in ("Scheduled", "Running"):
            break
        time.sleep(0.02)
    if answer["status"] != "Complete":
        raise SystemExit(f"query ended {answer['status']}: {query}")
    return time.perf_counter() - started, int(answer["statistics"]["recordsScanned"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with own_stack("logs-insights-bench") as own:
        logs = own.stack.clients.client("logs")
        now_ms = int(time.time() * 1000) - 3_600_000
        print(f"{'events':>8}  {'query':<16} {'median s':>9} {'min s':>7} {'scanned':>8}")
        for size in args.sizes:
            group = f"/bench/logs-insights-{size}"
            put_events(logs, group, size, now_ms)
            start_s, end_s = now_ms // 1000 - 1, (now_ms + size) // 1000 + 1
            for name, query in QUERIES.items():
                timings = [time_query(logs, group, query, start_s, end_s) for _ in range(args.runs)]
                seconds = [t for t, _ in timings]
                print(
                    f"{size:>8}  {name:<16} {statistics.median(seconds):>9.3f} {min(seconds):>7.3f}"
                    f" {timings[0][1]:>8}"
                )


if __name__ == "__main__":
    main()
