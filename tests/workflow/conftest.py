"""Helpers for driving cases through the real state machine under moto, in seconds."""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from tests.conftest import COMPLAINT, post, token

SUPERVISOR = {"Authorization": f"Bearer {token('supervisor', sub='sup-1', name='周主任')}"}
OTHER_SUPERVISOR = {"Authorization": f"Bearer {token('supervisor', sub='sup-2', name='吴主任')}"}
CLERK = {"Authorization": f"Bearer {token('clerk', sub='clerk-1', name='王受理')}"}
HANDLER = {"Authorization": f"Bearer {token('handler', sub='h-1', name='陈承办')}"}
OTHER_HANDLER = {"Authorization": f"Bearer {token('handler', sub='h-2', name='林承办')}"}
ADMIN = {"Authorization": f"Bearer {token('admin', sub='adm-1', name='系统管理员')}"}


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll until `check()` is truthy (the execution runs in moto's threads); bounded. Often at first (an
    execution moves on in milliseconds: a fixed 0.1 s added up to seconds per test), then every 0.1 s."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


@functools.cache
def _client(service: str, endpoint: str | None) -> Any:
    """One client per service for the polls (ten a second): building one costs more than the call it makes.
    A client made under one test's `mock_aws` is intercepted by the next one's just as well."""
    return boto3.client(service, endpoint_url=endpoint)


def client_for(service: str) -> Any:
    return _client(service, os.environ.get("AWS_ENDPOINT_URL"))


def task(env: dict[str, str], case_id: str) -> dict[str, Any]:
    item = (
        client_for("dynamodb")
        .get_item(
            TableName=env["REGISTER_TABLE"],
            Key={"pk": {"S": f"CASE#{case_id}"}, "sk": {"S": "TASK"}},
            ConsistentRead=True,
        )
        .get("Item", {})
    )
    return {k: next(iter(v.values())) for k, v in item.items()}


def waiting_in(env: dict[str, str], case_id: str, step: str, since: str | None = None) -> dict[str, Any]:
    """Wait until the execution waits in `step` (a wait entered after `since`)."""

    def check() -> dict[str, Any] | None:
        t = task(env, case_id)
        fresh = since is None or t.get("since", "") > since
        return t if t.get("step") == step and t.get("task_token") and fresh else None

    try:
        return eventually(check, f"{case_id} to wait in {step}")
    except AssertionError as error:  # say where it waits instead, and what its execution did last
        runs = client_for("stepfunctions").list_executions(stateMachineArn=env["CASE_WORKFLOW_ARN"])["executions"]
        mine = [r for r in runs if r["name"].split("-")[0] == case_id]
        history = [
            (e["type"], e.get("stateEnteredEventDetails", {}).get("name"))
            for r in mine
            for e in client_for("stepfunctions").get_execution_history(executionArn=r["executionArn"])["events"][-6:]
        ]
        raise AssertionError(f"{error}: TASK {task(env, case_id)}, executions {history}") from None


def execution(env: dict[str, str], case_id: str) -> dict[str, Any]:
    arn = env["CASE_WORKFLOW_ARN"].replace(":stateMachine:", ":execution:") + f":{case_id}"
    return client_for("stepfunctions").describe_execution(executionArn=arn)


def finished(env: dict[str, str], case_id: str) -> str:
    return eventually(
        lambda: (s := execution(env, case_id)["status"]) != "RUNNING" and s, f"{case_id}'s execution to end"
    )


def between_steps(env: dict[str, str], case_id: str) -> bool:
    """True while one of the case's executions is on its way to its next wait: its last event is not the
    hand-over of a task token (TaskSubmitted). A hand-off then finds only the spent token and is left to
    the register stream's hand-over, which the tests run only when they say so (`drain_stream`)."""
    sfn = client_for("stepfunctions")
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=env["CASE_WORKFLOW_ARN"], statusFilter="RUNNING"
    ):
        for run in page["executions"]:
            if run["name"] == case_id or run["name"].startswith(f"{case_id}-"):
                events = sfn.get_execution_history(executionArn=run["executionArn"])["events"]
                if events[-1]["type"] != "TaskSubmitted":
                    return True
    return False


def record(client: Client, case_id: str, headers: dict[str, str] = SUPERVISOR) -> dict[str, Any]:
    response = client.http.get(f"/v1/staff/cases/{case_id}", headers=headers)
    assert response.status_code == 200, response.body
    return response.json_body


def act(
    client: Client,
    case_id: str,
    action: str,
    body: dict[str, Any],
    headers: dict[str, str] = SUPERVISOR,
    *,
    expect: int = 200,
) -> dict[str, Any]:
    # as at a desk, act once the case's workflow waits for people: a hand-off made while it is still moving
    # on from the previous one (milliseconds) would wait for the stream's hand-over
    env = dict(os.environ)  # the stage's, set by the `stage_env` fixture
    eventually(lambda: not between_steps(env, case_id), f"{case_id}'s workflow to wait for people")
    version = record(client, case_id)["version"]
    response = post(client, f"/v1/staff/cases/{case_id}/{action}", {"version": version, **body}, **headers)
    assert response.status_code == expect, response.body
    return response.json_body


def submit(client: Client, **changes: Any) -> dict[str, Any]:
    response = post(client, "/v1/complaints", {**COMPLAINT, **changes})
    assert response.status_code == 201, response.body
    return response.json_body


def types(case: dict[str, Any]) -> list[str]:
    return [e["type"] for e in case["timeline"]]


@pytest.fixture(autouse=True)
def register_stream(aws: None, stage_env: dict[str, str], request: pytest.FixtureRequest) -> Iterator[None]:
    """The register's stream runs to its handlers (the sender, the hand-over) all along, as Lambda's event
    source mappings do in AWS: a hand-off that met the execution between two waits reaches it from there.
    A test marked `drives_the_stream` hands the stream over itself, when it says so (`drain_stream`)."""
    if request.node.get_closest_marker("drives_the_stream"):
        yield
        return
    from local.stream_pump import app_pump

    stopping = threading.Event()
    pump = threading.Thread(target=app_pump(stage_env, backoff=0.01, retries=10).run, args=(0.02, stopping))
    pump.start()
    yield
    stopping.set()
    pump.join()


def drain_stream(env: dict[str, str]) -> int:
    """Run the outbox's sender and the hand-over over what the register's stream holds now (Lambda's stream
    mappings, in-process); returns how many records there were."""
    from local.stream_pump import app_pump

    return app_pump(env, backoff=0.01).drain()
