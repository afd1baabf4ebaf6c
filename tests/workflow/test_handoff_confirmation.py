"""A hand-off costs no write of its own: the change's write carries the mark, the execution's wait writes
the version it runs on, and the register's stream delivers what the request could not."""

from __future__ import annotations

import pytest
from chalice.test import Client

from chalicelib import wiring
from tests.workflow.conftest import CLERK, SUPERVISOR, act, client_for, drain_stream, submit, task, waiting_in


def submit_and_wait(client: Client, env: dict[str, str]) -> str:
    case_id = str(submit(client)["id"])
    waiting_in(env, case_id, "acceptance")
    return case_id


def _case_item(env: dict[str, str], case_id: str) -> dict[str, dict[str, str]]:
    return client_for("dynamodb").get_item(
        TableName=env["REGISTER_TABLE"],
        Key={"pk": {"S": f"CASE#{case_id}"}, "sk": {"S": "CASE"}},
        ConsistentRead=True,
    )["Item"]


@pytest.mark.drives_the_stream
def test_each_wait_records_the_version_of_the_case_it_runs_on(client: Client, stage_env: dict[str, str]) -> None:
    case_id = submit_and_wait(client, stage_env)
    assert task(stage_env, case_id)["version"] == "1"
    act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    t = waiting_in(stage_env, case_id, "assignment")
    # the wait wrote its token, step, time and version, nothing else: no mark or look to clear
    assert set(t) == {"pk", "sk", "task_token", "step", "since", "version"} and t["version"] == "2"
    assert "handoff_at" in _case_item(stage_env, case_id)  # the decision's own write is the stream's record
    assert drain_stream(stage_env) >= 2  # the stream's hand-over finds both hand-offs arrived: nothing to do
    assert task(stage_env, case_id)["task_token"] == t["task_token"]


@pytest.mark.drives_the_stream
def test_an_execution_that_entered_its_wait_on_an_older_input_gets_the_newer_one_from_the_stream(
    client: Client, stage_env: dict[str, str]
) -> None:
    case_id = submit_and_wait(client, stage_env)
    act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    token = waiting_in(stage_env, case_id, "assignment")["task_token"]
    services = wiring.services()
    older = services.cases.get(case_id)
    act(client, case_id, "assign", {"unit": "u-1", "handler": "h-1"}, SUPERVISOR)
    entered = waiting_in(stage_env, case_id, "handling")["since"]
    # GIVEN the execution then takes an input computed before the assignment (a timer's task that read
    # the case just before it changed): it waits in the wrong step, on an older version
    assert older is not None and older.version == 2
    assert services.workflow.resume(task(stage_env, case_id)["task_token"], services.signal(older, wiring.now()))
    stale = waiting_in(stage_env, case_id, "assignment", since=entered)
    assert stale["version"] == "2" and stale["task_token"] != token
    # WHEN the stream's hand-over sees the assignment's record
    drain_stream(stage_env)
    # THEN the execution is handed the committed case: it waits for the handling, on version 3
    assert waiting_in(stage_env, case_id, "handling", since=stale["since"])["version"] == "3"
