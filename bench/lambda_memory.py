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
import resource
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
        figures["warm_post_ms"] = statistics.median(timed(post)[0] for _ in range(WARM_ROUNDS))
        figures["warm_get_ms"] = statistics.median(timed(look, case_id)[0] for _ in range(WARM_ROUNDS))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def measure(sizes: tuple[int, ...] = SIZES, containers: int = 3) -> dict[int, dict[str, float]] | str:
    """Median figures of `containers` fresh processes per memory size, or why they could not be taken."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from local.token import mint
    from tests.conftest import COMPLAINT

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = stage_environment("test") | {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
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
        results: dict[int, dict[str, float]] = {}
        for megabytes in sizes:
            with cpu_share(megabytes) as group:
                if group is None:
                    return "no writable CPU cgroup here (needs root and cgroup v1 `cpu` or v2 `cpu.max`)"
                procs = group / "cgroup.procs"

                def enter(procs: Path = procs) -> None:
                    procs.write_text(str(os.getpid()))

                runs = [
                    subprocess.run(
                        [sys.executable, "-m", "bench.lambda_memory", "--child"],
                        cwd=PROJECT_DIR,
                        env=os.environ | env,
                        preexec_fn=enter,
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    for _ in range(containers)
                ]
                samples = [json.loads(run.stdout.strip().splitlines()[-1]) for run in runs]
                results[megabytes] = {name: statistics.median(s[name] for s in samples) for name in samples[0]}
        return results
    finally:
        server.stop()


def cost_per_million(megabytes: int, duration_ms: float) -> float:
    """Lambda's compute charge for a million invocations of `duration_ms` (billed per ms) at `megabytes`."""
    return megabytes / 1024 * duration_ms / 1000 * PRICE_PER_GB_SECOND * 1_000_000


def report(results: dict[int, dict[str, float]] | str) -> None:
    if isinstance(results, str):
        print(f"Lambda memory: skipped — {results}")
        return
    print("Lambda memory sizes (CPU share held by a cgroup; moto outside it):")
    print(
        f"  {'MB':>5} {'vCPU':>5} {'import':>7} {'1st POST':>8} {'1st GET':>8} {'cold':>7} "
        f"{'POST':>6} {'GET':>6} {'$/M POST':>9} {'RSS MB':>7}"
    )
    for megabytes, f in results.items():
        cold = f["import_ms"] + f["first_post_ms"] + f["first_get_ms"]
        print(
            f"  {megabytes:>5} {megabytes / FULL_VCPU_MB:5.2f} {f['import_ms']:7.0f} {f['first_post_ms']:8.0f} "
            f"{f['first_get_ms']:8.0f} {cold:7.0f} {f['warm_post_ms']:6.0f} {f['warm_get_ms']:6.0f} "
            f"{cost_per_million(megabytes, f['warm_post_ms']):9.2f} {f['peak_rss_mb']:7.0f}"
        )


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
