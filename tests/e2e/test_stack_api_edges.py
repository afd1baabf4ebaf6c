"""The local stack as a client meets it: HEAD, UTF-8, per-client guessing budgets, notices sent."""

from __future__ import annotations

import http.client
import json
import socket
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest
import requests

from chalicelib.domain.deadlines import CHINA
from tests.conftest import COMPLAINT, token
from tests.e2e.conftest import Stack
from tests.workflow.conftest import eventually

pytestmark = pytest.mark.e2e


def from_address(stack: Stack, source: str, path: str, headers: dict[str, str]) -> int:
    """A GET sent from another loopback address (the whole 127.0.0.0/8 is this machine)."""
    where = urlparse(stack.url)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", path, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_head_sends_no_body_and_json_is_utf8(stack: Stack) -> None:
    where = urlparse(stack.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as raw:  # what is on the wire
        raw.sendall(b"HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: " in head and body == b""
    bad = requests.post(f"{stack.url}/v1/complaints", json={**COMPLAINT, "facts": "\u200b"}, timeout=10)
    assert bad.status_code == 422 and "\\u" not in bad.text
    assert bad.headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_guessing_client_is_stopped_and_the_owner_elsewhere_is_not(stack: Stack) -> None:
    receipt = requests.post(f"{stack.url}/v1/complaints", json=COMPLAINT, timeout=10).json()
    path = f"/v1/complaints/{receipt['tracking_code']}"
    statuses = [from_address(stack, "127.0.0.2", path, {"X-Access-Code": f"{n:08d}"}) for n in range(21)]
    assert statuses == [404] * 20 + [429]
    # the owner, at another address, still gets in: the code's own budget (30 a day) is not spent
    assert from_address(stack, "127.0.0.3", path, {"X-Access-Code": receipt["access_code"]}) == 200


def test_an_escalation_notice_reaches_the_supervisors_topic_through_the_outbox(stack: Stack) -> None:
    moto: dict[str, Any] = {
        "endpoint_url": stack.moto_url,
        "region_name": "us-east-1",
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }
    sqs, sns = boto3.client("sqs", **moto), boto3.client("sns", **moto)
    queue = sqs.create_queue(QueueName="e2e-supervisors")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if "supervision" in t["TopicArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    month_ago = (datetime.now(CHINA) - timedelta(days=30)).isoformat(timespec="seconds")
    clerk = {"Authorization": f"Bearer {token('clerk')}"}
    late = {**COMPLAINT, "channel": "letter", "received_at": month_ago}
    case_id = requests.post(f"{stack.url}/v1/staff/intake", json=late, headers=clerk, timeout=10).json()["id"]

    def notices() -> list[dict[str, Any]]:
        found = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(json.loads(m["Body"])["Message"]) for m in found]

    (notice, *_) = eventually(lambda: [n for n in notices() if n["case_id"] == case_id], "the escalation notice")
    assert notice["event"] == "escalated" and notice["clock"] == "acceptance"
