"""`make bench`: intake handler time against its bare AWS calls, and cold import against a bare app.

python -m bench [--rounds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from local.provision import provision
from local.stage import PROJECT_DIR, stage_environment


def median_ms(fn: Callable[[], Any], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def bench_intake(rounds: int) -> dict[str, float]:
    """The intake handler against the bare DynamoDB calls it makes, on one moto server."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = stage_environment("test")
    os.environ.update(env)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the access log would drown the figures
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    provision(env)

    from chalice.test import Client

    from app import app
    from chalicelib.domain.codes import hash_access_code
    from tests.conftest import COMPLAINT

    body = json.dumps(COMPLAINT, ensure_ascii=False)
    headers = {"Content-Type": "application/json"}
    dynamodb = boto3.client("dynamodb")
    table, idem = env["REGISTER_TABLE"], env["IDEMPOTENCY_TABLE"]

    def put(pk: str, sk: str, extra: dict[str, Any]) -> dict[str, Any]:
        item = {"pk": {"S": pk}, "sk": {"S": sk}, **extra}
        return {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}

    case_attrs = {"facts": {"S": COMPLAINT["facts"]}, "complainant": {"M": {"phone": {"S": "+8613800138000"}}}}

    def bare_register() -> None:
        case_id = uuid.uuid4().hex
        dynamodb.transact_write_items(
            TransactItems=[
                put(f"CASE#{case_id}", "CASE", case_attrs),
                put(f"TRACKING#{case_id[:12]}", "TRACKING", {"case_id": {"S": case_id}}),
                put(f"CASE#{case_id}", "EVENT#000001#00", {"type": {"S": "received"}}),
            ]
        )

    def bare_idempotent_register() -> None:
        key = uuid.uuid4().hex
        dynamodb.put_item(
            TableName=idem,
            Item={"id": {"S": key}, "status": {"S": "INPROGRESS"}},
            ConditionExpression="attribute_not_exists(id)",
        )
        bare_register()
        dynamodb.update_item(
            TableName=idem,
            Key={"id": {"S": key}},
            UpdateExpression="SET #s = :c",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":c": {"S": "COMPLETED"}},
        )

    with Client(app, stage_name="test") as client:

        def handler() -> None:
            assert client.http.post("/v1/complaints", headers=headers, body=body).status_code == 201

        def idempotent_handler() -> None:
            keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex}
            assert client.http.post("/v1/complaints", headers=keyed, body=body).status_code == 201

        handler()  # warm both paths (clients, calendar cache)
        bare_register()
        with contextlib.redirect_stdout(io.StringIO()):  # the EMF metric lines are part of the work, not the report
            figures = {
                "intake_handler_ms": median_ms(handler, rounds),
                "bare_transact_write_ms": median_ms(bare_register, rounds),
                "intake_with_idempotency_key_ms": median_ms(idempotent_handler, rounds),
                "bare_idempotent_calls_ms": median_ms(bare_idempotent_register, rounds),
                "access_code_hash_ms": median_ms(lambda: hash_access_code("12345678"), rounds),
            }
    server.stop()
    return figures


def cold_import_ms(code: str, rounds: int) -> float:
    def run() -> None:
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=PROJECT_DIR,
            check=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )

    run()  # compile once so both sides read cached bytecode
    return median_ms(run, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    intake = bench_intake(args.rounds)
    app_import = cold_import_ms("import app", 7)
    bare_import = cold_import_ms("import boto3, chalice; chalice.Chalice(app_name='bare')", 7)
    rows = [
        ("intake handler / bare TransactWriteItems", intake["intake_handler_ms"], intake["bare_transact_write_ms"]),
        (
            "intake with Idempotency-Key / bare Put+Transact+Update",
            intake["intake_with_idempotency_key_ms"],
            intake["bare_idempotent_calls_ms"],
        ),
        ("cold `import app` / bare Chalice app importing boto3", app_import, bare_import),
    ]
    print(f"{'measure':58} {'ours ms':>9} {'base ms':>9} {'ratio':>7}")
    for name, ours, base in rows:
        print(f"{name:58} {ours:9.1f} {base:9.1f} {ours / base:7.2f}")
    print(f"(of which scrypt access-code hash: {intake['access_code_hash_ms']:.1f} ms per intake)")


if __name__ == "__main__":
    main()
