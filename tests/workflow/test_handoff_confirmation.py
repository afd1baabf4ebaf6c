"""The execution confirms each hand-off as it enters its next wait: one write, never over a newer change.
The reconciliation's look (`by_check`) is there only while a hand-off or a start is unconfirmed."""

from __future__ import annotations

from datetime import datetime

from chalice.test import Client

from chalicelib import wiring
from chalicelib.domain.lifecycle.steps import stamp
from tests.workflow.conftest import CLERK, act, client_for, eventually, execution, submit, task, waiting_in


def test_entering_the_next_wait_clears_the_mark_and_the_look(client: Client, stage_env: dict[str, str]) -> None:
    case_id = submit(client)["id"]
    # the first wait confirms the start: the case leaves the reconciliation's index
    t = waiting_in(stage_env, case_id, "acceptance")
    assert "check_at" not in t and "check_shard" not in t
    act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    # the execution waits for the assignment: the hand-off is confirmed and no look is left (no timer look:
    # an execution that dies is found in Step Functions' list of failed ones)
    t = waiting_in(stage_env, case_id, "assignment")
    assert "signal_pending_since" not in t
    assert "check_at" not in t and "check_shard" not in t


def test_a_newer_change_whose_handoff_found_no_token_is_taken_up_by_the_execution_itself(
    client: Client, stage_env: dict[str, str]
) -> None:
    case_id = submit(client)["id"]
    waiting_in(stage_env, case_id, "acceptance")
    act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    older = datetime.fromisoformat(waiting_in(stage_env, case_id, "assignment")["since"])
    # GIVEN a newer change is committed (its mark, a look due now) while an older hand-off is on its way,
    # so the newer change's own hand-off found only the token the older one was using
    newer, now = wiring.now(), stamp(wiring.now())
    client_for("dynamodb").update_item(
        TableName=stage_env["REGISTER_TABLE"],
        Key={"pk": {"S": f"CASE#{case_id}"}, "sk": {"S": "TASK"}},
        UpdateExpression="SET signal_pending_since = :mark, check_at = :now, check_shard = :shard",
        ExpressionAttributeValues={
            ":mark": {"S": newer.isoformat()},
            ":now": {"S": now},
            ":shard": {"S": "CHECK#0"},
        },
    )
    services = wiring.services()
    case = services.cases.get(case_id)
    assert case is not None
    token = task(stage_env, case_id)["task_token"]
    assert services.workflow.resume(token, services.signal(case, wiring.now(), handed=older))
    # THEN the execution, finding the newer mark as it enters its wait, reads the committed case itself
    # and its next wait confirms the newer change: no one has to deliver it, no reconciliation is needed
    confirmed = eventually(
        lambda: (t := task(stage_env, case_id))["task_token"] != token and "signal_pending_since" not in t and t,
        "the newer change's mark to go",
    )
    assert "check_at" not in confirmed and "check_shard" not in confirmed
    history = client_for("stepfunctions").get_execution_history(
        executionArn=execution(stage_env, case_id)["executionArn"]
    )
    entered = [e["stateEnteredEventDetails"]["name"] for e in history["events"] if "stateEnteredEventDetails" in e]
    assert entered[-3:] == ["CatchUpWithTheNewerChange", "Route", "AwaitAssignment"]
