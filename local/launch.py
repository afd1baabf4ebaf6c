"""A local stack (`python -m local.stack`) in a subprocess, on free ports: for the end-to-end tests and `make load`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from local.stage import PROJECT_DIR, stage_environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Launched:
    url: str
    moto_url: str
    process: subprocess.Popen[bytes]
    console: Path  # what the stack printed (stdout and stderr)

    def stop(self) -> int:
        """Ctrl-C, as a developer stops `make run`; the stack's exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)

    def dynamodb(self) -> Any:
        """A DynamoDB client on the stack's moto."""
        return boto3.client(
            "dynamodb",
            endpoint_url=self.moto_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def task(self, case_id: str) -> dict[str, Any]:
        """The case's TASK item, where its execution leaves the task token while it waits."""
        key = {"pk": {"S": f"CASE#{case_id}"}, "sk": {"S": "TASK"}}
        item = self.dynamodb().get_item(TableName=stage_environment()["REGISTER_TABLE"], Key=key, ConsistentRead=True)
        return {k: next(iter(v.values())) for k, v in item.get("Item", {}).items()}


def launch(data_dir: Path, *options: str, timeout: float = 60) -> Launched:
    """Start a stack keeping its data in `data_dir` and wait until the app answers."""
    port, moto_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    data_dir.mkdir(parents=True, exist_ok=True)
    console = data_dir / f"console-{port}.log"
    command = [sys.executable, "-m", "local.stack", "--port", str(port), "--moto-port", str(moto_port)]
    with console.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--data-dir", str(data_dir), *options],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = Launched(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{moto_port}", process, console)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{stack.url}/", timeout=2).status_code == 200:
                return stack
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the local stack did not start:\n{console.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
