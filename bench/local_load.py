"""`make load`: many intakes from concurrent clients against a local stack (`python -m local.stack`), beside
the bare AWS calls of the same intakes sent straight to a stack's moto (issue 10, target 7).

    python -m bench.local_load [--intakes 500] [--clients 16] [--warm-up 32] [--json]

Two sides, each on a fresh stack of its own, one after the other, bare first:
- bare: the AWS requests one intake through the app sends, recorded in this process against the stack's
  moto (`bench.cold_start.record_intake`), sent again by `bench.bare_app.send` with plain boto3 (one
  session, its clients shared by every client thread) with a new case id and tracking code of the same
  length: the same items byte for byte and a StartExecution with the app's input, so each starts a real
  execution that runs to its first wait, as ours do.
- ours: POST /v1/complaints over HTTP to the stack's app (`chalice local`), which sends those requests.

A stack of its own for each side, because what one side leaves behind is not free: each waiting execution
holds threads and memory in the stack's process (moto's), so the side measured second on a shared stack
would run beside the first side's executions. With a fresh stack and the same warm-up each, both sides
start from the same state and grow it alike. Bare first, as it records the app's requests on its stack.

Prints the latency percentiles of each side and their ratios, the failures (an answer that is not 201;
a bare intake whose request raised), whether every case's execution is waiting (a task token on its TASK
item), and what each open case costs the stack's process in memory and threads. `load_figures()` returns
the same as a dict.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from local.launch import Launched, launch
from local.stage import stage_environment
from tests.conftest import COMPLAINT


@dataclass
class Answer:
    status: int  # 0: no answer (ours) or a request that raised (bare)
    seconds: float
    body: dict[str, Any]


@dataclass
class Phase:
    answers: list[Answer]
    took: float  # seconds for all of them
    waiting: int  # executions that reached their first wait
    rss_growth: float  # MB, the stack's process
    thread_growth: int


def intake(url: str) -> Answer:
    started = time.perf_counter()
    try:
        response = requests.post(f"{url}/v1/complaints", json=COMPLAINT, timeout=120)
    except requests.RequestException as error:
        return Answer(0, time.perf_counter() - started, {"error": type(error).__name__})
    body = response.json() if response.status_code == 201 else {}
    return Answer(response.status_code, time.perf_counter() - started, body)


def bare_intake(template: str) -> Answer:
    """The recorded requests of an intake, sent with a new case id and tracking code (`bench.bare_app.send`)."""
    from bench.bare_app import send
    from chalicelib.domain.codes import new_tracking_code

    case_id, code = uuid.uuid4().hex[:26].upper(), new_tracking_code()  # the lengths of ours
    started = time.perf_counter()
    try:
        send(template, case_id, code)
    except Exception as error:
        return Answer(0, time.perf_counter() - started, {"error": type(error).__name__})
    return Answer(201, time.perf_counter() - started, {"id": case_id})


def run(call: Callable[[], Answer], count: int, clients: int) -> tuple[list[Answer], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda _: call(), range(count)))
    return answers, time.perf_counter() - started


def waiting(stack: Launched, case_ids: list[str], timeout: float = 120) -> int:
    """How many of the cases' executions left their task token (waited for until `timeout`)."""
    dynamodb, table = stack.dynamodb(), stage_environment()["REGISTER_TABLE"]

    def has_token(case_id: str) -> bool:
        key = {"pk": {"S": f"CASE#{case_id}"}, "sk": {"S": "TASK"}}
        return "task_token" in dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})

    pending, deadline = set(case_ids), time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = {case_id for case_id in pending if not has_token(case_id)}
        time.sleep(0.5 if pending else 0)
    return len(case_ids) - len(pending)


def process_status(pid: int) -> tuple[float, int]:
    """Resident memory (MB) and thread count of a process, from /proc (Linux)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def _registered(answers: list[Answer]) -> list[str]:
    return [a.body["id"] for a in answers if a.status == 201]


def measure(stack: Launched, call: Callable[[], Answer], count: int, clients: int, warm_up: int) -> Phase:
    """`warm_up` calls (cold starts, connections; their executions left to reach their wait), then `count`
    from `clients` threads, timed each; then until their executions wait, for the stack's growth."""
    warm, _ = run(call, warm_up, clients)
    waiting(stack, _registered(warm))
    rss_before, threads_before = process_status(stack.process.pid)
    answers, took = run(call, count, clients)
    registered = waiting(stack, _registered(answers))
    rss_after, threads_after = process_status(stack.process.pid)
    return Phase(answers, took, registered, rss_after - rss_before, threads_after - threads_before)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def figures(phase: Phase) -> dict[str, Any]:
    ms = [a.seconds * 1000 for a in phase.answers]
    failed = Counter(str(a.status or a.body.get("error", "no answer")) for a in phase.answers if a.status != 201)
    ids = _registered(phase.answers)
    open_cases = max(len(ids), 1)
    return {
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "seconds": phase.took,
        "per_second": len(ms) / phase.took,
        "errors": sum(failed.values()),
        "failures": dict(failed),
        "registered_once": len(set(ids)) == len(ids),
        "open_cases": len(ids),
        "waiting": phase.waiting,
        "rss_mb_per_case": phase.rss_growth / open_cases,
        "threads_per_case": phase.thread_growth / open_cases,
        "rss_growth_mb": phase.rss_growth,
        "thread_growth": phase.thread_growth,
    }


def load_figures(intakes: int = 500, clients: int = 16, warm_up: int = 32) -> dict[str, Any]:
    """`intakes` from `clients` concurrent clients through the local stack's app, and their bare AWS calls
    straight to a stack's moto, each side on a fresh stack after `warm_up` of its own (see the module's doc).

    Returns {"intakes", "clients", "warm_up", "ours": side, "bare": side, "ratio": {"p50", "p95", "p99",
    "seconds"}} (ours / bare), each side {"p50_ms", "p95_ms", "p99_ms", "seconds" (all `intakes`),
    "per_second", "errors", "failures": {status or exception: n}, "registered_once", "open_cases", "waiting"
    (executions at their first wait), "rss_mb_per_case", "threads_per_case", "rss_growth_mb", "thread_growth"}
    (the stack's process, from before the timed intakes to when their executions all wait).
    """
    # What this process holds already (an earlier bench's in `make bench`) stays out of the collector's way.
    gc.collect()
    gc.freeze()
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)  # 16 threads, botocore's pool of 10
    try:
        with tempfile.TemporaryDirectory() as data:
            stack = launch(Path(data) / "bare")
            try:
                with environment(stage_environment("local") | {"AWS_ENDPOINT_URL": stack.moto_url}):
                    from bench.cold_start import record_intake

                    template = record_intake()
                    bare = measure(stack, lambda: bare_intake(template), intakes, clients, warm_up)
            finally:
                stack.stop()
            stack = launch(Path(data) / "ours")
            try:
                ours = measure(stack, lambda: intake(stack.url), intakes, clients, warm_up)
            finally:
                stack.stop()
    finally:
        gc.unfreeze()
    sides = {"ours": figures(ours), "bare": figures(bare)}
    return {
        "intakes": intakes,
        "clients": clients,
        "warm_up": warm_up,
        **sides,
        "ratio": {
            key.removesuffix("_ms"): sides["ours"][key] / sides["bare"][key]
            for key in ("p50_ms", "p95_ms", "p99_ms", "seconds")
        },
    }


def report(load: dict[str, Any]) -> None:
    ours, bare, ratio = load["ours"], load["bare"], load["ratio"]
    print(
        f"{load['intakes']} intakes from {load['clients']} concurrent clients, each side on a fresh local stack "
        f"after {load['warm_up']} of its own"
    )
    print(f"{'':34} {'ours':>10} {'bare':>10} {'ratio':>7}")
    for p in ("p50", "p95", "p99"):
        print(f"{'latency ' + p + ' ms':34} {ours[p + '_ms']:10.0f} {bare[p + '_ms']:10.0f} {ratio[p]:7.2f}")
    print(f"{'all of them, s':34} {ours['seconds']:10.1f} {bare['seconds']:10.1f} {ratio['seconds']:7.2f}")
    print(f"{'intakes/s':34} {ours['per_second']:10.1f} {bare['per_second']:10.1f}")
    print(f"{'errors':34} {ours['errors']:10} {bare['errors']:10}  {ours['failures'] or ''} {bare['failures'] or ''}")
    wait = [f"{side['waiting']}/{side['open_cases']}" for side in (ours, bare)]
    print(f"{'executions waiting':34} {wait[0]:>10} {wait[1]:>10}")
    print(f"{'registered once':34} {ours['registered_once']!s:>10} {bare['registered_once']!s:>10}")
    for name, side in (("ours", ours), ("bare", bare)):
        print(
            f"stack process per open case ({name}): {side['rss_mb_per_case']:.2f} MB RSS, "
            f"{side['threads_per_case']:.1f} threads ({side['rss_growth_mb']:.0f} MB, {side['thread_growth']} "
            f"threads for {side['open_cases']})"
        )


def passed(load: dict[str, Any]) -> bool:
    return all(
        side["errors"] == 0 and side["registered_once"] and side["waiting"] == side["open_cases"] == load["intakes"]
        for side in (load["ours"], load["bare"])
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intakes", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warm-up", type=int, default=32, help="intakes before measuring (cold starts)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    load = load_figures(args.intakes, args.clients, args.warm_up)
    if args.json:
        print(json.dumps(load, indent=2))
    else:
        report(load)
    return 0 if passed(load) else 1


if __name__ == "__main__":
    sys.exit(main())
