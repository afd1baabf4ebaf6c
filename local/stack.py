"""Start the local stack: moto (Step Functions execution on), every resource, and the app.

    python -m local.stack [--port 8000] [--moto-port 5001]

Ctrl-C (SIGINT) or SIGTERM stops everything it started.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import requests
from moto.server import ThreadedMotoServer

from local.lambda_bridge import app_handlers, route_lambda_invocations
from local.provision import provision
from local.stage import PROJECT_DIR, stage_environment


def start_moto(port: int) -> tuple[ThreadedMotoServer, str]:
    # Step Functions service integrations call back into moto on MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # Must be set before any state machine is created, or executions never run. Lambda tasks run
    # in this process (local/lambda_bridge.py), not in Docker.
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    requests.post(f"{endpoint}/moto-api/config", json=config, timeout=10)
    return server, endpoint


def run_schedules(every: float, stopping: threading.Event) -> None:
    """`chalice local` serves routes only: the stack fires the app's scheduled jobs itself."""
    from chalicelib.api.jobs import reconcile_workflows

    while not stopping.wait(every):
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
        try:
            reconcile_workflows(event, None)
        except Exception as error:  # a failed run is reported and the next one tries again
            print(f"reconcile failed: {error!r}", flush=True)


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--moto-port", type=int, default=5001)
    parser.add_argument("--schedule-seconds", type=float, default=60, help="how often the scheduled jobs fire")
    args = parser.parse_args()

    env = stage_environment()
    os.environ.update(env)  # this process runs the app's Lambda tasks and schedules too
    server, endpoint = start_moto(args.moto_port)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    route_lambda_invocations(app_handlers(env))
    created = provision(env, endpoint_url=endpoint)
    print(f"moto on {endpoint}; provisioned: {', '.join(created) or 'nothing new'}", flush=True)

    app = subprocess.Popen(
        [sys.executable, "-m", "local.serve", "--port", str(args.port), "--aws-endpoint", endpoint],
        cwd=PROJECT_DIR,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    schedules = threading.Thread(target=run_schedules, args=(args.schedule_seconds, stopping), daemon=True)
    schedules.start()
    try:
        wait_until_up(f"http://127.0.0.1:{args.port}/")
        print(f"app on http://127.0.0.1:{args.port}  (Ctrl-C stops the stack)", flush=True)
        while not stopping.is_set() and app.poll() is None:
            time.sleep(0.2)
    finally:
        stopping.set()
        if app.poll() is None:
            app.terminate()
            try:
                app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                app.kill()
        server.stop()
        print("local stack stopped", flush=True)
    return 0 if app.returncode in (None, 0, -signal.SIGTERM) else app.returncode


if __name__ == "__main__":
    sys.exit(main())
