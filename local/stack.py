"""Start the local stack: moto (Step Functions execution on), every resource, and the app.

    python -m local.stack [--port 8000] [--moto-port 5001] [--data-dir .local] [--fresh]

Every DynamoDB item (cases, calendar years, idempotency records) is kept in the data directory: saved
every --save-seconds and on stopping, restored on start, when each open case's workflow is started
again. --fresh deletes the saved data and starts empty. Ctrl-C (SIGINT) or SIGTERM stops everything
it started, the app first, so that the last save holds every write the app acknowledged.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from local.stage import PROJECT_DIR, stage_environment

if TYPE_CHECKING:
    from local.motoserver import MotoServer


def busy_ports(ports: dict[str, int]) -> list[str]:
    """Bind each port before starting anything: moto would wait forever for a busy one, and the app
    would fail while the stack saw whatever holds its port answer and claimed to serve."""
    problems = []
    if len(set(ports.values())) < len(ports):
        problems.append(f"{' and '.join(ports)} must differ, e.g. make run PORT=8000 MOTO_PORT=5001")
    for option, port in ports.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is free
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as error:
                flag = "--" + option.lower().replace("_", "-")
                problems.append(
                    f"port {port} ({option}) is busy: {error.strerror}. Choose another: "
                    f"make run {option}={port + 10}  (python -m local.stack {flag} {port + 10})"
                )
    return problems


SERVE = [sys.executable, "-m", "local.serve"]
#: What the complainant would receive, one JSON line a message, in the data directory.
SENT_MESSAGES = "sent-messages.jsonl"


def start_moto(port: int, data_dir: Path) -> MotoServer:
    from local.moto_patches import (
        back_up_only_what_transactions_touch,
        enforce_post_policies,
        forget_model_instances,
        parse_each_state_machine_once,
        record_sent_messages,
    )
    from local.motoserver import MotoServer

    # Step Functions service integrations call back into moto on MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    data_dir.mkdir(parents=True, exist_ok=True)
    record_sent_messages(data_dir / SENT_MESSAGES)
    forget_model_instances()
    parse_each_state_machine_once()
    back_up_only_what_transactions_touch()
    enforce_post_policies()
    server = MotoServer(port)
    server.start()
    # Must be set before any state machine is created, or executions never run. Lambda tasks run
    # in this process (local/lambda_bridge.py), not in Docker.
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    requests.post(f"{server.endpoint}/moto-api/config", json=config, timeout=10)
    return server


def recover_workflows() -> int:
    """Executions are not saved: start each open case's again at its current step (re-arming its timers)."""
    from chalicelib import wiring
    from chalicelib.service.workflow import recover

    return recover(wiring.services(), wiring.now())


def every(seconds: float, stopping: threading.Event, job: Callable[[], object], name: str) -> threading.Thread:
    """Run `job` every `seconds` until `stopping`; a failed run is reported and the next one tries again."""

    def loop() -> None:
        while not stopping.wait(seconds):
            try:
                job()
            except Exception as error:
                print(f"{name} failed: {error!r}", flush=True)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def reconcile() -> None:
    """`chalice local` serves routes only: the stack fires the app's scheduled jobs itself."""
    from chalicelib.api.jobs import reconcile_workflows

    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "resources": [],
        "detail": {},
    }
    reconcile_workflows(event, None)


def wait_until_up(url: str, app: subprocess.Popen[bytes], stopping: threading.Event, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while app.poll() is None and not stopping.is_set():
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return False


def stop_app(app: subprocess.Popen[bytes]) -> None:
    if app.poll() is None:
        app.terminate()
        try:
            app.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000, help="the app's port")
    parser.add_argument("--moto-port", type=int, default=5001, help="moto's port")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_DIR / ".local", help="where the data is kept")
    parser.add_argument("--fresh", action="store_true", help="delete the saved data and start empty")
    parser.add_argument("--save-seconds", type=float, default=30, help="how often the data is saved")
    parser.add_argument("--schedule-seconds", type=float, default=60, help="how often the scheduled jobs fire")
    parser.add_argument("--notice-seconds", type=float, default=1, help="how often the register's stream is read")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    problems = busy_ports({"PORT": args.port, "MOTO_PORT": args.moto_port})
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    # The app imports in its own process while this one imports moto and provisions it; it serves once told.
    app = subprocess.Popen(
        [*SERVE, "--port", str(args.port), "--aws-endpoint", f"http://127.0.0.1:{args.moto_port}", "--wait"],
        cwd=PROJECT_DIR,
        stdin=subprocess.PIPE,
    )
    try:
        return run(args, app)
    finally:
        stop_app(app)


def run(args: argparse.Namespace, app: subprocess.Popen[bytes]) -> int:
    # Imported once the ports are known to be free: moto's import alone takes a second or two.
    from local import snapshot
    from local.console import quiet_metrics
    from local.lambda_bridge import app_handlers, route_lambda_invocations
    from local.provision import provision
    from local.stream_pump import app_pump

    quiet_metrics()
    env = stage_environment()
    os.environ.update(env)  # this process runs the app's Lambda tasks and schedules too
    data = args.data_dir / snapshot.FILE
    if args.fresh:
        data.unlink(missing_ok=True)
    moto = start_moto(args.moto_port, args.data_dir)
    os.environ["AWS_ENDPOINT_URL"] = moto.endpoint
    route_lambda_invocations(app_handlers(env))
    created = provision(env, endpoint_url=moto.endpoint)
    print(f"moto on {moto.endpoint}; provisioned: {', '.join(created) or 'nothing new'}", flush=True)
    tables = snapshot.table_names(env)
    restored = snapshot.restore(data, tables, moto.endpoint)
    if restored:
        print(f"restored {restored} items from {data}; workflows started: {recover_workflows()}", flush=True)

    def save() -> None:
        snapshot.save(data, snapshot.dump(tables, env["AWS_DEFAULT_REGION"], moto.dynamodb_lock))

    # the outbox's sender and the hand-over, fed by the register's stream as Lambda's event source mappings would
    stream = app_pump(env, moto_lock=moto.dynamodb_lock)
    try:
        assert app.stdin is not None
        app.stdin.write(b"serve\n")  # everything is provisioned and restored
        app.stdin.close()
        return serve(args, app, save, stream.drain)
    finally:
        save()  # the app has stopped: nothing acknowledged is missing from this one
        moto.stop()
        print(f"local stack stopped; data saved in {data}", flush=True)


def serve(
    args: argparse.Namespace, app: subprocess.Popen[bytes], save: Callable[[], None], send: Callable[[], object]
) -> int:
    """Run the app and the stack's own jobs until Ctrl-C, SIGTERM or the app's end; the app is stopped on return."""
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    jobs = [
        every(args.schedule_seconds, stopping, reconcile, "reconcile"),
        every(args.save_seconds, stopping, save, "save"),
        every(args.notice_seconds, stopping, send, "notices"),
    ]
    try:
        if wait_until_up(f"http://127.0.0.1:{args.port}/", app, stopping):
            print(f"app on http://127.0.0.1:{args.port}  (Ctrl-C stops the stack)", flush=True)
        while not stopping.wait(0.2) and app.poll() is None:
            pass
    finally:
        stop_app(app)
        stopping.set()
        for job in jobs:
            job.join(timeout=30)  # a reconciliation or a save under way ends before the last save
    return 0 if app.returncode in (None, 0, -signal.SIGTERM) else app.returncode


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is saved and stopped. Leave without the interpreter's teardown, whose garbage collection
    # over moto's waiting executions took a minute with 500 open cases.
    os._exit(code)
