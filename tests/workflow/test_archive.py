"""The end of a case's appeal window: archived, and off the work queue (its indexes hold open cases only)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalice.test import Client

from chalicelib import wiring
from chalicelib.service.workflow import on_deadline
from tests.workflow.conftest import CLERK, HANDLER, SUPERVISOR, act, record, submit, waiting_in


def queue(client: Client) -> list[str]:
    response = client.http.get("/v1/staff/cases", headers=SUPERVISOR)
    assert response.status_code == 200, response.body
    return [entry["id"] for entry in response.json_body["items"]]


def test_an_appeal_window_that_runs_out_archives_the_case_and_takes_it_off_the_queue(
    client: Client, stage_env: dict[str, str]
) -> None:
    # GIVEN a case closed and waiting out its appeal window: still on the queue
    case_id = submit(client)["id"]
    waiting_in(stage_env, case_id, "acceptance")
    act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    waiting_in(stage_env, case_id, "assignment")
    act(client, case_id, "assign", {"unit": "xuhui-amr", "handler": "h-1", "handler_name": "陈承办"})
    waiting_in(stage_env, case_id, "handling")
    act(client, case_id, "respond", {"message": "已退款", "outcome": "resolved"}, HANDLER)
    act(client, case_id, "close", {"note": "电话回访已告知"}, HANDLER)
    waiting_in(stage_env, case_id, "appeal_window")
    assert case_id in queue(client)
    # WHEN the window's timer fires at its end (the state machine's task)
    due = datetime.fromisoformat(record(client, case_id)["deadlines"]["appeal"]["due_at"])
    signal = on_deadline(case_id, "appeal_window", wiring.services(), due + timedelta(seconds=1))
    # THEN the execution is told the case is done, the record keeps the stopped clock, and the queue drops it
    assert signal["step"] == "done"
    assert record(client, case_id)["deadlines"]["appeal"]["stopped_at"] is not None
    assert case_id not in queue(client)
