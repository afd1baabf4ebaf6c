"""Lambda memory from measurement: cold start and handler time at the CPU share each size buys.

Lambda gives a function CPU in proportion to its memory (1,769 MB = one vCPU), so a 256 MB function
runs on ~14% of a core. Each size is played by a fresh process held to that share by a Linux CPU
cgroup (`cpu.cfs_quota_us` or `cpu.max`), talking to a moto server outside the cgroup, as DynamoDB
and Step Functions are outside the function. Needs root and a writable cgroup CPU controller; without
them the figure says so and is skipped.

python -m bench.lambda_memory [--sizes 256 512 1024 1769]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from moto.server import ThreadedMotoServer

from local.provision import provision
from local.stage import PROJECT_DIR, stage_environment

T = TypeVar("T")
FULL_VCPU_MB = 1769
PERIOD_US = 100_000
#: Lambda's x86 price per GB-second (us-east-1 and cn-north-1 publish the same shape; the ratio is what matters).
PRICE_PER_GB_SECOND = 0.0000166667
SIZES = (256, 512, 1024, 1769)
WARM_ROUNDS = 15
#: What a warm intake waits on DynamoDB (TransactWriteItems) and Step Functions (StartExecution) in AWS.
AWS_LATENCY_MS = 25


@contextmanager
def cpu_share(megabytes: int) -> Iterator[Path | None]:
    """A CPU cgroup limited to the share of a core that `megabytes` of Lambda memory buys; None if unavailable."""
    quota = PERIOD_US * megabytes // FULL_VCPU_MB
    name = f"bench-lambda-{megabytes}-{os.getpid()}"
    for root, write in (
        (Path("/sys/fs/cgroup/cpu"), lambda d: (d / "cpu.cfs_quota_us").write_text(str(quota))),
        (Path("/sys/fs/cgroup"), lambda d: (d / "cpu.max").write_text(f"{quota} {PERIOD_US}")),
    ):
        group = root / name
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            write(group)
        except OSError:
            group.rmdir()
            continue
        try:
            yield group
        finally:
            group.rmdir()
        return
    yield None


def _child() -> None:
    """One container's life: init (import), the first public POST and staff GET, then warm requests."""
    body = os.environ.pop("BENCH_BODY")
    token = os.environ.pop("BENCH_TOKEN")
    started = time.perf_counter()
    from chalice.test import Client

    from app import app

    figures = {"import_ms": (time.perf_counter() - started) * 1000}
    headers = {"Content-Type": "application/json"}
    staff = {"Authorization": f"Bearer {token}"}
    with Client(app, stage_name="test") as client:

        def post() -> str:
            answer = client.http.post("/v1/complaints", headers=headers, body=body)
            assert answer.status_code == 201, answer.body
            return str(answer.json_body["id"])

        def timed(fn: Callable[..., T], *args: Any) -> tuple[float, T]:
            at = time.perf_counter()
            result = fn(*args)
            return (time.perf_counter() - at) * 1000, result

        def look(case_id: str) -> None:
            assert client.http.get(f"/v1/staff/cases/{case_id}", headers=staff).status_code == 200

        figures["first_post_ms"], case_id = timed(post)
        figures["first_get_ms"], _ = timed(look, case_id)
        for name, request in (("post", post), ("get", lambda: look(case_id))):
            walls, cpus = [], []
            for _ in range(WARM_ROUNDS):
                time.sleep(0.3)  # moto settles the last intake's execution: each request meets an idle moto
                cpu = time.process_time()
                walls.append(timed(request)[0])
                cpus.append((time.process_time() - cpu) * 1000)
            figures[f"warm_{name}_ms"] = statistics.median(walls)
            figures[f"warm_{name}_cpu_ms"] = statistics.median(cpus)
    # VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    figures["peak_rss_mb"] = int(status["VmHWM"].split()[0]) / 1024
    print(json.dumps(figures))


def _container(megabytes: int, env: dict[str, str]) -> dict[str, float] | str:
    """One fresh process held to the CPU share of `megabytes`: its figures, or why there are none."""
    with cpu_share(megabytes) as group:
        if group is None:
            return "no writable CPU cgroup here (needs root and cgroup v1 `cpu` or v2 `cpu.max`)"
        procs = group / "cgroup.procs"
        run = subprocess.run(
            [sys.executable, "-m", "bench.lambda_memory", "--child"],
            cwd=PROJECT_DIR,
            env=os.environ | env,
            preexec_fn=lambda: procs.write_text(str(os.getpid())),
            capture_output=True,
            text=True,
            check=False,
        )
    if run.returncode:
        raise RuntimeError(f"a {megabytes} MB container failed:\n{run.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
    return figures


def measure(sizes: tuple[int, ...] = SIZES, containers: int = 3) -> dict[int, dict[str, float]] | str:
    """Median figures of `containers` fresh processes per memory size, or why they could not be taken.

    Each round has a fresh moto server and runs every size once, so no size meets a moto slowed by
    the executions the others left waiting."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from local.token import mint
    from tests.conftest import COMPLAINT

    samples: dict[int, list[dict[str, float]]] = {megabytes: [] for megabytes in sizes}
    for _ in range(containers):
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            env = stage_environment("test") | {
                "AWS_ENDPOINT_URL": f"http://{host}:{port}",
                "POWERTOOLS_LOG_LEVEL": "WARNING",
                "POWERTOOLS_METRICS_DISABLED": "true",
                # AWS's time limits, not the test stage's short ones: a container held to 14% of a core
                # may be paused for most of a second between sending a request and reading its answer
                "AWS_READ_TIMEOUT_SECONDS": "3",
                "AWS_MAX_ATTEMPTS": "3",
                "BENCH_BODY": json.dumps(COMPLAINT, ensure_ascii=False),
            }
            saved = dict(os.environ)
            os.environ.update(env)
            try:
                provision(env)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            env["BENCH_TOKEN"] = mint(f"sup-{uuid.uuid4().hex[:6]}", ["supervisor"], secret=env.get("STAFF_JWT_SECRET"))
            for megabytes in sizes:
                figures = _container(megabytes, env)
                if isinstance(figures, str):
                    return figures
                samples[megabytes].append(figures)
        finally:
            server.stop()
    return {
        megabytes: {name: statistics.median(s[name] for s in runs) for name in runs[0]}
        for megabytes, runs in samples.items()
    }


def billed_ms(megabytes: int, cpu_ms: float) -> float:
    """A warm request's duration in Lambda: its CPU time stretched by the size's share of a core, plus
    `AWS_LATENCY_MS` of waiting on DynamoDB and Step Functions (moto's wall time here says more about
    this machine's load than about AWS, so it is left out)."""
    return cpu_ms / min(1.0, megabytes / FULL_VCPU_MB) + AWS_LATENCY_MS


def cost_per_million(megabytes: int, duration_ms: float) -> float:
    """Lambda's compute charge for a million invocations of `duration_ms` (billed per ms) at `megabytes`."""
    return megabytes / 1024 * duration_ms / 1000 * PRICE_PER_GB_SECOND * 1_000_000


def report(results: dict[int, dict[str, float]] | str) -> None:
    if isinstance(results, str):
        print(f"Lambda memory: skipped — {results}")
        return
    print("Lambda memory sizes (CPU share held by a cgroup; moto outside it); ms, warm requests' medians:")
    print(
        f"  {'MB':>5} {'vCPU':>5} {'import':>7} {'1st POST':>8} {'1st GET':>8} {'cold':>6} "
        f"{'POST CPU':>8} {'billed':>6} {'$/M POST':>8} {'GET CPU':>7} {'RSS MB':>6}"
    )
    for megabytes, f in results.items():
        cold = f["import_ms"] + f["first_post_ms"] + f["first_get_ms"]
        billed = billed_ms(megabytes, f["warm_post_cpu_ms"])
        print(
            f"  {megabytes:>5} {megabytes / FULL_VCPU_MB:5.2f} {f['import_ms']:7.0f} {f['first_post_ms']:8.0f} "
            f"{f['first_get_ms']:8.0f} {cold:6.0f} {f['warm_post_cpu_ms']:8.1f} {billed:6.0f} "
            f"{cost_per_million(megabytes, billed):8.2f} {f['warm_get_cpu_ms']:7.1f} {f['peak_rss_mb']:6.0f}"
        )
    print(f"  (billed = CPU / share + {AWS_LATENCY_MS} ms waiting on AWS; $ at {PRICE_PER_GB_SECOND} per GB-s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child()
    else:
        report(measure(tuple(args.sizes)))


if __name__ == "__main__":
    main()
