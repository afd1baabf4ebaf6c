"""`make load`: many intakes from concurrent clients against a local stack of its own (`python -m local.stack`).

    python -m bench.local_load [--intakes 500] [--clients 16]

Prints the latency percentiles, the answers that were not 201, whether every case was registered once
with its execution waiting (a task token on its TASK item), and what each open case costs the stack
process in memory and threads (each waiting execution is a few moto threads).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from local.launch import Launched, launch
from tests.conftest import COMPLAINT


@dataclass
class Answer:
    status: int
    seconds: float
    body: dict[str, Any]


def intake(url: str) -> Answer:
    started = time.perf_counter()
    try:
        response = requests.post(f"{url}/v1/complaints", json=COMPLAINT, timeout=120)
    except requests.RequestException:
        return Answer(0, time.perf_counter() - started, {})
    body = response.json() if response.status_code == 201 else {}
    return Answer(response.status_code, time.perf_counter() - started, body)


def intakes(stack: Launched, count: int, clients: int) -> tuple[list[Answer], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda _: intake(stack.url), range(count)))
    return answers, time.perf_counter() - started


def waiting(stack: Launched, case_ids: list[str], timeout: float = 120) -> int:
    """How many of the cases' executions left their task token (waited for until `timeout`)."""
    pending, deadline = set(case_ids), time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = {case_id for case_id in pending if not stack.task(case_id).get("task_token")}
        time.sleep(0.5 if pending else 0)
    return len(case_ids) - len(pending)


def process_status(pid: int) -> tuple[float, int]:
    """Resident memory (MB) and thread count of a process, from /proc (Linux)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(answers: list[Answer], took: float, registered: int, rss_growth: float, thread_growth: int) -> None:
    ms = [a.seconds * 1000 for a in answers]
    errors = Counter(a.status for a in answers if a.status != 201)
    server_errors = sum(n for status, n in errors.items() if status >= 500 or status == 0)
    ids = [a.body["id"] for a in answers if a.status == 201]
    open_cases = max(len(ids), 1)
    print(f"intakes: {len(answers)} in {took:.1f} s ({len(answers) / took:.1f}/s)")
    print(f"latency ms: p50 {percentile(ms, 50):.0f}  p95 {percentile(ms, 95):.0f}  p99 {percentile(ms, 99):.0f}")
    print(f"errors: {sum(errors.values())} (5xx or no answer: {server_errors}) {dict(errors) or ''}")
    print(f"registered once: {len(set(ids)) == len(ids)}; executions waiting: {registered} of {len(ids)}")
    per_case = f"{rss_growth / open_cases:.2f} MB RSS, {thread_growth / open_cases:.1f} threads"
    print(f"stack process per open case: {per_case} ({rss_growth:.0f} MB, {thread_growth} threads for {open_cases})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intakes", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warm-up", type=int, default=32, help="intakes before measuring (cold starts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        stack = launch(Path(data))
        try:
            warm, _ = intakes(stack, args.warm_up, args.clients)
            waiting(stack, [a.body["id"] for a in warm if a.status == 201])
            rss_before, threads_before = process_status(stack.process.pid)
            answers, took = intakes(stack, args.intakes, args.clients)
            ids = [a.body["id"] for a in answers if a.status == 201]
            registered = waiting(stack, ids)
            rss_after, threads_after = process_status(stack.process.pid)
        finally:
            stack.stop()
    report(answers, took, registered, rss_after - rss_before, threads_after - threads_before)
    return 0 if len(ids) == len(answers) == registered else 1


if __name__ == "__main__":
    sys.exit(main())
