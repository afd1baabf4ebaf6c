"""The local stack as a developer runs it: it keeps its data across restarts, refuses busy ports at once,
prints one line per request and holds under concurrent clients."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from local import snapshot
from local.launch import Launched, free_port, launch
from local.stage import PROJECT_DIR
from tests.conftest import COMPLAINT, token
from tests.e2e.conftest import QUICK, session_from
from tests.workflow.conftest import eventually

pytestmark = pytest.mark.e2e

ADMIN = {"Authorization": f"Bearer {token('admin')}"}
YEAR_2031 = {"holidays": ["2031-01-01", "2031-10-01"], "adjusted_workdays": ["2031-09-28"]}


def track(stack: Launched, receipt: dict[str, Any], source: str = "127.0.0.1") -> requests.Response:
    code, access = receipt["tracking_code"], receipt["access_code"]
    with session_from(source) as client:
        return client.get(f"{stack.url}/v1/complaints/{code}", headers={"X-Access-Code": access}, timeout=10)


def year_2031(stack: Launched) -> dict[str, Any]:
    answer = requests.get(f"{stack.url}/v1/staff/calendar/2031", headers=ADMIN, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_fresh_start_forgets_ctrl_c_stops_everything_and_data_survives_a_restart(tmp_path: Path) -> None:
    # saved data a plain start refuses (unknown format): --fresh deletes it before anything is restored
    (tmp_path / snapshot.FILE).write_text('{"format": "from another version"}', encoding="utf-8")
    retry = {"Idempotency-Key": str(uuid.uuid4())}
    first = launch(tmp_path, "--fresh", *QUICK)
    try:
        assert year_2031(first)["official"] is False  # started empty
        receipt = requests.post(f"{first.url}/v1/complaints", json=COMPLAINT, headers=retry, timeout=10).json()
        stored = requests.put(f"{first.url}/v1/staff/calendar/2031", json=YEAR_2031, headers=ADMIN, timeout=10)
        assert stored.status_code == 200, stored.text
        before = eventually(lambda: first.task(receipt["id"]).get("task_token"), "the case's first task token")
    finally:
        stopped = first.stop()
    assert stopped == 0
    for url in (first.url, first.moto_url):  # Ctrl-C stopped the app and moto too
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=2)

    again = launch(tmp_path, *QUICK)
    try:
        page = track(again, receipt)
        assert page.status_code == 200, page.text
        assert page.json()["deadlines"] == receipt["deadlines"]
        assert year_2031(again)["official"] is True
        answer = requests.post(f"{again.url}/v1/complaints", json=COMPLAINT, headers=retry, timeout=10)
        assert answer.json()["id"] == receipt["id"]  # the idempotency record came back too
        # the case's workflow runs again: a new execution waits in its step with a new token
        assert eventually(lambda: again.task(receipt["id"]).get("task_token") not in (None, before), "a new token")
    finally:
        stopped = again.stop()
    assert stopped == 0


def test_saved_data_of_an_unknown_format_is_refused_with_how_to_start_empty(tmp_path: Path) -> None:
    saved = tmp_path / snapshot.FILE
    saved.write_text('{"format": "from another version"}', encoding="utf-8")
    with pytest.raises(ValueError, match="start empty with FRESH=1"):
        snapshot.restore(saved, {}, "http://127.0.0.1:1")  # refused before any request


@pytest.mark.parametrize("option", ["--port", "--moto-port"])
def test_a_busy_port_fails_at_once_saying_which_and_how_to_choose_another(option: str, tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        ports = {"--port": free_port(), "--moto-port": free_port(), option: busy}
        started = time.monotonic()
        options = [str(x) for pair in ports.items() for x in pair]
        run = subprocess.run(
            [sys.executable, "-m", "local.stack", *options, "--data-dir", str(tmp_path)],
            check=False,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=20,
        )
        took = time.monotonic() - started
    assert run.returncode != 0
    assert took < 3
    make_option = "PORT" if option == "--port" else "MOTO_PORT"
    assert f"port {busy} ({make_option}) is busy" in run.stderr
    assert f"make run {make_option}=" in run.stderr


def test_one_console_line_per_request_and_no_metrics(stack: Launched) -> None:
    answer = requests.post(f"{stack.url}/v1/complaints", json=COMPLAINT, timeout=10)
    request_id = answer.headers["X-Request-Id"]

    def lines() -> list[str]:
        return [line for line in stack.console.read_text().splitlines() if request_id in line]

    assert len(eventually(lines, "the request's log line")) == 1
    console = stack.console.read_text()
    assert '"POST /v1/complaints HTTP/1.1"' not in console  # chalice local's own access line
    assert "CloudWatchMetrics" not in console  # powertools' EMF metrics


def test_concurrent_intakes_are_each_registered_once_with_their_workflow(stack: Launched) -> None:
    with ThreadPoolExecutor(16) as clients:
        answers = list(
            clients.map(lambda _: requests.post(f"{stack.url}/v1/complaints", json=COMPLAINT, timeout=60), range(16))
        )
    assert [a.text for a in answers if a.status_code != 201] == []
    receipts = [a.json() for a in answers]
    assert len({r["id"] for r in receipts}) == len({r["tracking_code"] for r in receipts}) == 16
    with ThreadPoolExecutor(16) as clients:
        # 16 owners' looks from an address of their own, not counted with the other tests' guesses
        assert {page.status_code for page in clients.map(lambda r: track(stack, r, "127.0.0.4"), receipts)} == {200}
    eventually(lambda: all(stack.task(r["id"]).get("task_token") for r in receipts), "every case's task token")


def test_a_cancelled_transaction_still_changes_nothing(stack: Launched) -> None:
    """The stack backs up only the items a transaction names (local/moto_patches.py): rollback must be whole."""
    dynamodb, table = stack.dynamodb(), f"rollback-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )

    def key(pk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": "item"}}

    def n(pk: str) -> str | None:
        return dynamodb.get_item(TableName=table, Key=key(pk)).get("Item", {}).get("n", {}).get("N")

    for pk in ("a", "b"):
        dynamodb.put_item(TableName=table, Item={**key(pk), "n": {"N": "1"}})
    writes = [
        {
            "Update": {
                "TableName": table,
                "Key": key("a"),
                "UpdateExpression": "SET n = :two",
                "ExpressionAttributeValues": {":two": {"N": "2"}},
            }
        },
        {"Put": {"TableName": table, "Item": {**key("c"), "n": {"N": "1"}}}},
        {"Delete": {"TableName": table, "Key": key("b")}},
    ]
    missing = {
        "ConditionCheck": {"TableName": table, "Key": key("none"), "ConditionExpression": "attribute_exists(pk)"}
    }
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(TransactItems=[*writes, missing])
    assert (n("a"), n("b"), n("c")) == ("1", "1", None)
    dynamodb.transact_write_items(TransactItems=writes)
    assert (n("a"), n("b"), n("c")) == ("2", None, "1")
