"""`make bench`: intake handler time against its bare AWS calls, and cold import against a bare app.

python -m bench [--rounds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import boto3
import botocore.client
from moto.server import ThreadedMotoServer

from bench.hardening import reconciliation_reads, tracking_timings
from bench.timing import median_ms, paired_medians_ms
from local.provision import provision
from local.stage import PROJECT_DIR, stage_environment


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

    stepfunctions = boto3.client("stepfunctions")

    def bare_register() -> None:
        case_id = uuid.uuid4().hex
        dynamodb.transact_write_items(
            TransactItems=[
                put(f"CASE#{case_id}", "CASE", case_attrs),
                put(f"TRACKING#{case_id[:12]}", "TRACKING", {"case_id": {"S": case_id}}),
                put(f"CASE#{case_id}", "EVENT#000001#00", {"type": {"S": "received"}}),
            ]
        )
        stepfunctions.start_execution(stateMachineArn=env["CASE_WORKFLOW_ARN"], name=case_id, input="{}")

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
                **paired_medians_ms(("intake_handler_ms", handler), ("bare_transact_write_ms", bare_register), rounds),
                **paired_medians_ms(
                    ("intake_with_idempotency_key_ms", idempotent_handler),
                    ("bare_idempotent_calls_ms", bare_idempotent_register),
                    rounds,
                ),
                "access_code_hmac_ms": median_ms(lambda: hash_access_code("12345678", "1" * 12, b"k" * 32), rounds),
                # what the hash cost before (scrypt, n=2^14): the baseline of the access-code change
                "access_code_scrypt_ms": median_ms(
                    lambda: hashlib.scrypt(b"12345678", salt=b"s" * 16, n=2**14, r=8, p=1), rounds
                ),
            }
    server.stop()
    return figures


_TYPES = {"S", "N", "B", "BOOL", "NULL", "M", "L"}


def item_bytes(value: Any) -> int:
    """DynamoDB's item-size rule: names and values in UTF-8, numbers ~1 byte per 2 digits, 3 bytes per map/list."""
    if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TYPES):
        return sum(len(k.encode()) + item_bytes(v) for k, v in value.items())  # an item: named attributes
    kind, inner = next(iter(value.items()))
    sizes = {
        "S": lambda: len(inner.encode()),
        "N": lambda: len(inner) // 2 + 1,
        "BOOL": lambda: 1,
        "NULL": lambda: 1,
        "M": lambda: 3 + sum(len(k.encode()) + item_bytes(v) + 1 for k, v in inner.items()),
        "L": lambda: 3 + sum(item_bytes(v) + 1 for v in inner),
        "B": lambda: len(inner),
    }
    return int(sizes[kind]())


def write_units(operation: str, params: dict[str, Any]) -> float:
    """Write units DynamoDB charges: 1 per KB written, twice that inside a transaction.

    moto reports no ConsumedCapacity for transactions, so the units are computed from the
    request by DynamoDB's published rules; an update is charged for an item of at most 1 KB here.
    """
    if operation == "TransactWriteItems":
        units = 0
        for entry in params["TransactItems"]:
            action, body = next(iter(entry.items()))
            size = item_bytes(body["Item"]) if action == "Put" else 1024
            units += 2 * max(1, -(-size // 1024)) if action != "ConditionCheck" else 0
        return float(units)
    if operation == "PutItem":
        return float(max(1, -(-item_bytes(params["Item"]) // 1024)))
    return 1.0


class WriteUnits:
    """Sums the write units of the DynamoDB writes the current thread makes (the app's, not moto's)."""

    WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})

    def __init__(self) -> None:
        self.units = 0.0
        self._thread = threading.get_ident()
        self._original = botocore.client.BaseClient._make_api_call

    def __enter__(self) -> WriteUnits:
        meter = self

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if operation in meter.WRITES and threading.get_ident() == meter._thread:
                meter.units += write_units(operation, params)
            return meter._original(client, operation, params)

        botocore.client.BaseClient._make_api_call = metered
        return self

    def __exit__(self, *exc: object) -> None:
        botocore.client.BaseClient._make_api_call = self._original


def bench_lifecycle() -> dict[str, float]:
    """The happy path on the real ASL under moto: state transitions, and write units per human action."""
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib import wiring
    from local.lambda_bridge import app_handlers, route_lambda_invocations
    from tests.conftest import COMPLAINT, post
    from tests.workflow.conftest import CLERK, HANDLER, SUPERVISOR, execution, record, waiting_in

    env = stage_environment("test")
    os.environ.update(env)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    wiring.reset()
    figures: dict[str, float] = {}
    config: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config), Client(app, stage_name="test") as client:
        route_lambda_invocations(app_handlers(env))
        provision(env)
        with WriteUnits() as meter:
            receipt = post(client, "/v1/complaints", COMPLAINT).json_body
        figures["intake"] = meter.units
        case_id = receipt["id"]
        steps = [
            ("acceptance", "decide", {"decision": "accept"}, CLERK),
            ("assignment", "assign", {"unit": "xuhui", "handler": "h-1"}, SUPERVISOR),
            ("handling", "findings", {"text": "核实属实"}, HANDLER),
            ("handling", "respond", {"message": "已退款", "outcome": "resolved"}, HANDLER),
        ]
        for step, action, body, headers in steps:
            waiting_in(env, case_id, step)
            version = record(client, case_id)["version"]
            with WriteUnits() as meter:
                response = post(client, f"/v1/staff/cases/{case_id}/{action}", {"version": version, **body}, **headers)
            assert response.status_code == 200, response.body
            figures[action] = meter.units
        waiting_in(env, case_id, "feedback")
        with WriteUnits() as meter:
            code, access = receipt["tracking_code"], receipt["access_code"]
            post(client, f"/v1/complaints/{code}/feedback", {"satisfied": True}, **{"X-Access-Code": access})
        figures["feedback"] = meter.units
        waiting_in(env, case_id, "appeal_window")
        arn = execution(env, case_id)["executionArn"]
        history = boto3.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
        figures["transitions"] = sum(1 for e in history if e["type"].endswith("StateEntered"))
    return figures


def cold_imports_ms(ours: str, base: str, rounds: int) -> tuple[float, float]:
    """Median wall time of two fresh interpreters' imports, run alternately so both see the same noise."""

    def run(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, check=True)
        return (time.perf_counter() - started) * 1000

    run(ours), run(base)  # both read compiled bytecode from here on
    samples = [(run(ours), run(base)) for _ in range(rounds)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--open-cases", type=int, default=20_000, help="open cases for the reconciliation figure")
    args = parser.parse_args()
    intake = bench_intake(args.rounds)
    app_import, bare_import = cold_imports_ms(
        "import app", "import boto3, chalice; chalice.Chalice(app_name='bare')", 11
    )
    rows = [
        (
            "intake handler / bare TransactWriteItems+StartExecution",
            intake["intake_handler_ms"],
            intake["bare_transact_write_ms"],
        ),
        (
            "intake with Idempotency-Key / bare Put+Transact+Start+Update",
            intake["intake_with_idempotency_key_ms"],
            intake["bare_idempotent_calls_ms"],
        ),
        ("cold `import app` / bare Chalice app importing boto3", app_import, bare_import),
    ]
    print(f"{'measure':64} {'ours ms':>9} {'base ms':>9} {'ratio':>7}")
    for name, ours, base in rows:
        print(f"{name:64} {ours:9.1f} {base:9.1f} {ours / base:7.2f}")
    print(
        f"(access-code hash: HMAC {intake['access_code_hmac_ms']:.3f} ms per intake and per look; "
        f"the scrypt it replaced: {intake['access_code_scrypt_ms']:.1f} ms)"
    )
    timings = tracking_timings(args.rounds)
    print(
        f"tracking look, wrong access code / unknown tracking code: {timings['wrong_access_code_ms']:.2f} / "
        f"{timings['unknown_tracking_code_ms']:.2f} ms, ratio "
        f"{timings['wrong_access_code_ms'] / timings['unknown_tracking_code_ms']:.2f} (same work, same time)"
    )
    reads = reconciliation_reads(args.open_cases, 10)
    print(
        f"reconciliation with {args.open_cases:,} open cases of which 10 are due: {reads['items_read']:.0f} items "
        f"read in {reads['read_requests']:.0f} requests ({reads['checked']:.0f} checked)"
    )
    lifecycle = bench_lifecycle()
    transitions = lifecycle.pop("transitions")
    print(
        f"\nhappy path receipt → accept → assign → findings → respond → satisfied: {transitions:.0f} state transitions"
    )
    print("DynamoDB write units per action (computed from the requests by DynamoDB's sizing rules):")
    for action, units in lifecycle.items():
        print(f"  {action:10} {units:5.1f} WCU")


if __name__ == "__main__":
    main()
