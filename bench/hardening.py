"""Figures of the hardening (`make bench` prints them): what keeping executions in step reads (the
reconciliation with many open cases, the stream's hand-over per hand-off), and whether an unknown
tracking code answers as fast as a wrong access code.

Both run in-process under moto, with the test stage's settings.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
from pynamodb.connection.base import Connection

from bench.timing import paired_medians_ms
from local.lambda_bridge import app_handlers, route_lambda_invocations
from local.provision import provision
from local.stage import stage_environment
from tests.conftest import COMPLAINT

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": False}, "lambda": {"use_docker": False}}


@contextlib.contextmanager
def _moto(**overrides: str) -> Iterator[dict[str, str]]:
    from moto import mock_aws

    from chalicelib import wiring

    env = stage_environment("test") | overrides
    saved = dict(os.environ)
    os.environ.update(env)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    wiring.reset()
    try:
        with mock_aws(config=MOTO_CONFIG):
            route_lambda_invocations(app_handlers(env))
            provision(env)
            yield env
    finally:
        os.environ.clear()
        os.environ.update(saved)
        wiring.reset()


class ItemsRead:
    """Counts the items DynamoDB returns to PynamoDB (GetItem, BatchGetItem, Query): what a run reads."""

    def __init__(self) -> None:
        self.items = 0
        self.requests = 0

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        real = Connection.dispatch

        def dispatch(connection: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
            answer = real(connection, operation, kwargs)
            if operation in ("GetItem", "Query", "BatchGetItem"):
                self.requests += 1
                batch = sum(len(found) for found in answer.get("Responses", {}).values())
                self.items += len(answer.get("Items", ())) + (1 if answer.get("Item") else 0) + batch
            return answer

        Connection.dispatch = dispatch  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            Connection.dispatch = real  # type: ignore[method-assign]


def workflow_upkeep_reads(open_cases: int, handoffs: int) -> dict[str, float]:
    """Items read by one reconciliation run with `open_cases` waiting quietly, and by the stream's
    hand-over of `handoffs` new cases' starts that arrived (their executions wait on version 1)."""
    from chalicelib import wiring
    from chalicelib.domain.case import Channel, Kind, Party, Respondent
    from chalicelib.service.intake import Submission, register
    from chalicelib.service.workflow import hand_over, reconcile

    with _moto() as env:
        table = boto3.resource("dynamodb").Table(env["REGISTER_TABLE"])
        with table.batch_writer() as batch:  # cases whose executions wait, every hand-off arrived
            for n in range(open_cases):
                item = {"pk": f"CASE#QUIET{n:021d}", "sk": "TASK", "task_token": f"token-{n}", "version": 3}
                batch.put_item(Item=item)
        services = wiring.services()
        submission = Submission(
            Kind.COMPLAINT,
            Channel.WEB,
            "买到过期牛奶",
            Party("张三", "+8613800138000"),
            respondent=Respondent("某超市"),
            request="退货",
        )
        new = [register(submission, now=wiring.now(), services=services).cases[0].id for _ in range(handoffs)]
        for case_id in new:  # each execution's first wait, as the ASL writes it
            table.put_item(Item={"pk": f"CASE#{case_id}", "sk": "TASK", "task_token": case_id, "version": 1})
        reconciling, handing_over = ItemsRead(), ItemsRead()
        with reconciling.counting():
            reconcile(services, wiring.now())
        with handing_over.counting():
            outcomes = {hand_over(case_id, 1, services, wiring.now()) for case_id in new}
        assert outcomes == {"arrived"}, outcomes
        return {
            "reconcile_items": reconciling.items,
            "reconcile_requests": reconciling.requests,
            "handover_items": handing_over.items,
            "handover_requests": handing_over.requests,
        }


def tracking_timings(rounds: int) -> dict[str, float]:
    """The same GET with an unknown tracking code and with a wrong access code, timed alternately."""
    from chalice.test import Client

    from app import app
    from chalicelib.domain.codes import normalise_tracking_code

    budgets = {"TRACKING_CLIENT_BUDGET": "1000000", "TRACKING_CODE_BUDGET": "1000000"}
    with _moto(**budgets), Client(app, stage_name="test") as client, contextlib.redirect_stdout(io.StringIO()):
        body = json.dumps(COMPLAINT, ensure_ascii=False)
        receipt = client.http.post("/v1/complaints", headers={"Content-Type": "application/json"}, body=body).json_body
        code = receipt["tracking_code"]
        unknown = next(c for d in "0123456789" if normalise_tracking_code(c := f"10000000000{d}"))

        def wrong() -> None:
            assert client.http.get(f"/v1/complaints/{code}", headers={"X-Access-Code": "00000000"}).status_code == 404

        def absent() -> None:
            assert (
                client.http.get(f"/v1/complaints/{unknown}", headers={"X-Access-Code": "00000000"}).status_code == 404
            )

        def right() -> None:
            headers = {"X-Access-Code": receipt["access_code"]}
            assert client.http.get(f"/v1/complaints/{code}", headers=headers).status_code == 200

        for warm in (wrong, absent, right):
            warm()
        figures = paired_medians_ms(("wrong_access_code_ms", wrong), ("unknown_tracking_code_ms", absent), rounds)
        figures |= paired_medians_ms(("right_code_ms", right), ("wrong_code_ms_again", wrong), rounds)
        return figures
