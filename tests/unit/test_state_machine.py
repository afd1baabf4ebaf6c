"""The ASL file itself: it deploys unchanged, so it is checked here (cfn-lint does not look inside)."""

from __future__ import annotations

import json
import re

from chalicelib.domain.lifecycle.steps import STEPS
from chalicelib.resources import CASE_WORKFLOW
from local.stage import PROJECT_DIR

ASL = json.loads((PROJECT_DIR / CASE_WORKFLOW.definition).read_text(encoding="utf-8"))
STATES = ASL["States"]


def targets(state: dict) -> set[str]:
    found = {state[k] for k in ("Next", "Default") if k in state}
    found |= {choice["Next"] for choice in state.get("Choices", [])}
    found |= {catch["Next"] for catch in state.get("Catch", [])}
    return found


def test_every_transition_lands_on_a_state_and_every_state_is_reachable() -> None:
    assert ASL["StartAt"] in STATES
    reachable, frontier = {ASL["StartAt"]}, [ASL["StartAt"]]
    while frontier:
        for target in targets(STATES[frontier.pop()]):
            assert target in STATES, target
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(STATES)


def test_every_step_the_rules_can_name_is_routed() -> None:
    routed = {c["StringEquals"] for c in STATES["Route"]["Choices"]}
    assert routed == set(STEPS)


def test_every_human_wait_has_a_token_a_timer_and_an_escalation() -> None:
    waits = {name: s for name, s in STATES.items() if name.startswith("Await")}
    assert len(waits) == len(STEPS) - 1  # one per step but "done"
    escalation = {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timed_out", "Next": "DeadlinePassed"}
    for name, state in waits.items():
        assert state["Resource"].endswith(".waitForTaskToken"), name
        assert state["TimeoutSecondsPath"] == "$.timeout_seconds", name
        assert state["Catch"][0] == escalation, name
        assert state["Parameters"]["ExpressionAttributeValues"][":token"] == {"S.$": "$$.Task.Token"}


def test_a_wait_writes_its_token_and_the_version_it_runs_on_unconditionally_in_one_write() -> None:
    """Entering a step's wait is the only write a hand-off costs: the token, the step and the version of the
    case the input came from (the stream's hand-over compares it), with no condition that could fail it."""
    for name, state in STATES.items():
        if not name.startswith("Await"):
            continue
        parameters = state["Parameters"]
        assert parameters["UpdateExpression"] == (
            "SET task_token = :token, step = :step, since = :since, version = :version"
        ), name
        assert "ConditionExpression" not in parameters, name
        assert parameters["ExpressionAttributeValues"][":version"] == {"N.$": "States.Format('{}', $.version)"}
        assert len(state["Catch"]) == 1, name
    assert STATES["DeadlinePassed"]["ResultSelector"]["version.$"] == "$.Payload.version"


def test_no_account_region_or_name_is_written_into_it() -> None:
    text = json.dumps(ASL)
    assert not re.search(r"\d{12}", text)
    assert set(re.findall(r"\$\{(\w+)\}", text)) == {name for name, _ in CASE_WORKFLOW.substitutions}
    assert all(not s.get("Error", "").startswith("States.") for s in STATES.values())


def test_the_file_is_what_the_generator_writes() -> None:
    from local.asl import rendered

    assert (PROJECT_DIR / CASE_WORKFLOW.definition).read_text(encoding="utf-8") == rendered()


def test_a_failing_task_waits_and_tries_again_instead_of_ending_the_case() -> None:
    task = STATES["DeadlinePassed"]
    assert task["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.task_error", "Next": "WaitBeforeRetry"}]
    assert STATES["WaitBeforeRetry"] == {**STATES["WaitBeforeRetry"], "SecondsPath": "$.retry_seconds"}
    assert STATES["WaitBeforeRetry"]["Next"] == "DeadlinePassed"
    assert "retry_seconds.$" in task["ResultSelector"]
