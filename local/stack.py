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
import time
import urllib.request

import requests
from moto.server import ThreadedMotoServer

from local.provision import provision
from local.stage import PROJECT_DIR, stage_environment


def start_moto(port: int) -> tuple[ThreadedMotoServer, str]:
    # Step Functions service integrations call back into moto on MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # Must be set before any state machine is created, or executions never run.
    requests.post(f"{endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=10)
    return server, endpoint


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
    args = parser.parse_args()

    env = stage_environment()
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    server, endpoint = start_moto(args.moto_port)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    created = provision(env, endpoint_url=endpoint)
    print(f"moto on {endpoint}; provisioned: {', '.join(created) or 'nothing new'}", flush=True)

    app = subprocess.Popen(
        [sys.executable, "-m", "local.serve", "--port", str(args.port), "--aws-endpoint", endpoint],
        cwd=PROJECT_DIR,
    )
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        wait_until_up(f"http://127.0.0.1:{args.port}/")
        print(f"app on http://127.0.0.1:{args.port}  (Ctrl-C stops the stack)", flush=True)
        while not stopping and app.poll() is None:
            time.sleep(0.2)
    finally:
        if app.poll() is None:
            app.terminate()
            try:
                app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                app.kill()
        server.stop()
        print("local stack stopped", flush=True)
    return 0 if stopping else (app.returncode or 1)


if __name__ == "__main__":
    sys.exit(main())
