"""Logs carry a correlation id and never personal data; intake is counted by channel and kind."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from chalice.test import Client

from chalicelib.observability import logger
from tests.conftest import COMPLAINT, post, staff_headers


@pytest.fixture
def every_log_line() -> Iterator[io.StringIO]:
    """A sink attached to every logger there is, whatever its own handlers."""
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logger.registered_formatter)  # the app's own JSON lines
    loggers = [logging.getLogger()] + [
        known for known in logging.Logger.manager.loggerDict.values() if isinstance(known, logging.Logger)
    ]
    for known in loggers:
        known.addHandler(handler)
    yield sink
    for known in loggers:
        known.removeHandler(handler)


def test_a_phone_number_never_reaches_a_log_line(
    client: Client, every_log_line: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    phone_digits = "13800138000"
    receipt = post(client, "/v1/complaints", COMPLAINT).json_body
    post(client, "/v1/complaints", {**COMPLAINT, "complainant": {"name": "张三", "phone": "1380013800x"}})
    post(
        client,
        "/v1/staff/intake",
        {**COMPLAINT, "channel": "phone", "received_at": "2026-11-20T09:00:00+08:00"},
        **staff_headers("clerk"),
    )
    client.http.get(f"/v1/complaints/{receipt['tracking_code']}", headers={"X-Access-Code": receipt["access_code"]})
    client.http.get(f"/v1/complaints/{receipt['tracking_code']}", headers={"X-Access-Code": "99999999"})
    logged = every_log_line.getvalue() + capsys.readouterr().out
    assert "request handled" in logged  # the sink did see the app's logging
    for secret in (phone_digits, "1380013800", "张三", COMPLAINT["complainant"]["address"], receipt["access_code"]):
        assert secret not in logged


def test_each_request_logs_one_json_line_with_its_correlation_id(client: Client, every_log_line: io.StringIO) -> None:
    response = client.http.get("/")
    lines = [json.loads(line) for line in every_log_line.getvalue().splitlines()]
    access = {json.dumps(line, sort_keys=True): line for line in lines if line.get("message") == "request handled"}
    (line,) = access.values()  # the sink sees it through more than one logger; it is one line
    assert line["correlation_id"] == response.headers["X-Request-Id"]
    assert line["status"] == 200 and line["route"] == "/"


def test_intake_is_counted_by_channel_and_kind(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    post(client, "/v1/complaints", {**COMPLAINT, "suspected_violation": "虚假宣传"})
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    counted = sorted((m["channel"], m["kind"], m["CasesReceived"]) for m in emitted)
    assert counted == [("web", "complaint", [1.0]), ("web", "report", [1.0])]
    (directive,) = emitted[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Complaints"
    assert sorted(directive["Dimensions"][0]) == ["channel", "kind", "service"]


def test_the_reconciliations_log_lines_name_the_case_they_are_about(
    client: Client, every_log_line: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import wiring
    from chalicelib.api.jobs import reconcile_workflows, workflow
    from chalicelib.service.ports import Ended, WorkflowUnavailable

    first = post(client, "/v1/complaints", COMPLAINT).json_body["id"]
    second = post(client, "/v1/complaints", COMPLAINT).json_body["id"]
    # GIVEN the workflow task ran for the first case in this container
    workflow({"action": "deadline_passed", "case_id": first, "step": "acceptance"}, None)
    # WHEN the reconciliation then reports about the second case (its execution failed; no new one can start)
    services = wiring.services()
    monkeypatch.setattr(services.workflow, "ended", lambda statuses, since: [Ended(second, "FAILED", wiring.now())])
    monkeypatch.setattr(services.workflow, "start", lambda name, signal: (_ for _ in ()).throw(WorkflowUnavailable()))
    scheduled = {
        "version": "0",
        "id": "1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-23T02:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }
    reconcile_workflows(scheduled, None)
    lines = [json.loads(line) for line in every_log_line.getvalue().splitlines()]
    (postponed,) = {line["message"]: line for line in lines if line["message"] == "reconcile_postponed"}.values()
    # THEN its line carries the second case, not the one the task left behind
    assert postponed["case_id"] == second
    summary = next(line for line in lines if line["message"] == "reconciled")
    assert "case_id" not in summary
