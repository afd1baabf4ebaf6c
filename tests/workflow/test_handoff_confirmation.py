"""The execution confirms each hand-off as it enters its next wait: one write, never over a newer change.
The reconciliation's look (`by_check`) is there only while a hand-off or a start is unconfirmed."""

from __future__ import annotations

from datetime import datetime

from chalice.test import Client

from chalicelib import wiring
from chalicelib.domain.lifecycle.steps import stamp
from chalicelib.service.workflow import deliver
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


def test_a_newer_change_on_its_way_keeps_its_mark_until_its_own_handoff(
    client: Client, stage_env: dict[str, str]
) -> None:
    case_id = submit(client)["id"]
    waiting_in(stage_env, case_id, "acceptance")
    act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    older = datetime.fromisoformat(waiting_in(stage_env, case_id, "assignment")["since"])
    # GIVEN a newer change is committed (its mark, a look due now) while an older hand-off is on its way
    newer, now = wiring.now(), stamp(wiring.now())
    client_for("dynamodb").update_item(
        TableName=stage_env["REGISTER_TABLE"],
        Key={"pk": {"S": f"CASE#{case_id}"}, "sk": {"S": "TASK"}},
        UpdateExpression="SET signal_pending_since = :mark, check_at = :now",
        ExpressionAttributeValues={":mark": {"S": newer.isoformat()}, ":now": {"S": now}},
    )
    services = wiring.services()
    case = services.cases.get(case_id)
    assert case is not None
    token = task(stage_env, case_id)["task_token"]
    assert services.workflow.resume(token, services.signal(case, wiring.now(), handed=older))
    # THEN the execution waits again, with the newer change's mark and look left for its hand-off
    t = eventually(lambda: (t := task(stage_env, case_id))["task_token"] != token and t, "the execution's next wait")
    assert t["signal_pending_since"] == newer.isoformat() and t["check_at"] == now
    history = client_for("stepfunctions").get_execution_history(
        executionArn=execution(stage_env, case_id)["executionArn"]
    )
    entered = [e["stateEnteredEventDetails"]["name"] for e in history["events"] if "stateEnteredEventDetails" in e]
    assert entered[-1] == "AwaitTheNewerChange"
    # WHEN that hand-off is delivered, the execution's next wait confirms it
    assert deliver(case_id, services, wiring.now())
    confirmed = eventually(
        lambda: "signal_pending_since" not in (t := task(stage_env, case_id)) and t, "the mark to go"
    )
    assert "check_at" not in confirmed and "check_shard" not in confirmed
