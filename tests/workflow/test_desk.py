"""The staff desk: who may do what, confidentiality, the work queue, concurrency and repair."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.adapters.workflow import StepFunctionsWorkflow
from chalicelib.domain.case import Actor
from chalicelib.domain.lifecycle import commands as cmd
from chalicelib.errors import VersionConflict
from chalicelib.service import desk
from chalicelib.service.ports import WorkflowUnavailable
from chalicelib.service.workflow import reconcile
from tests.conftest import COMPLAINT, post, stop_executions, token
from tests.workflow.conftest import (
    ADMIN,
    CLERK,
    HANDLER,
    OTHER_HANDLER,
    SUPERVISOR,
    act,
    drain_stream,
    eventually,
    execution,
    finished,
    record,
    submit,
    task,
    types,
    waiting_in,
)

ROLES = {"clerk": CLERK, "handler": HANDLER, "supervisor": SUPERVISOR, "admin": ADMIN}
ACTIONS = {
    "decide": {"clerk", "supervisor"},
    "assign": {"supervisor"},
    "findings": {"supervisor"},
    "pause": {"supervisor"},
    "resume": {"supervisor"},
    "mediation": {"supervisor"},
    "extension": {"supervisor"},
    "respond": {"supervisor"},  # a clerk answers enquiries only; the handler is not assigned to this case
    "close": {"supervisor"},
    "reopen": {"supervisor"},
    "notify": {"supervisor"},
}


def test_the_authorization_matrix(client: Client) -> None:
    case_id = submit(client)["id"]
    minimal = {
        "decide": {"decision": "accept"},
        "assign": {"unit": "u", "handler": "h-1"},
        "findings": {"text": "t"},
        "pause": {"reason": "testing"},
        "resume": {},
        "mediation": {"step": "start", "complainant_consents": True, "respondent_consents": True},
        "extension": {"step": "request", "clock": "acceptance", "working_days": 1, "reason": "r"},
        "respond": {"message": "m", "outcome": "resolved"},
        "close": {},
        "reopen": {"reason": "r"},
        "notify": {},
    }
    endpoints: list[tuple[str, str, Any, set[str]]] = [
        ("GET", "/v1/staff/cases", None, set(ROLES)),
        ("GET", f"/v1/staff/cases/{case_id}", None, set(ROLES)),
        ("GET", f"/v1/staff/cases/{case_id}/respondent-notice", None, {"clerk", "handler", "supervisor"}),
        ("GET", f"/v1/staff/cases/{case_id}/audit", None, {"supervisor", "admin"}),
        ("GET", "/v1/staff/calendar/2026", None, set(ROLES)),
        ("PUT", "/v1/staff/calendar/2032", {"holidays": [], "adjusted_workdays": []}, {"admin"}),
        (
            "POST",
            "/v1/staff/intake",
            {**COMPLAINT, "channel": "phone", "received_at": "2026-11-20T10:00:00+08:00"},
            {"clerk", "supervisor"},
        ),
    ]
    # a stale version: an allowed role gets past authorization and is stopped by the version check
    endpoints += [
        ("POST", f"/v1/staff/cases/{case_id}/{action}", {**minimal[action], "version": 99}, allowed)
        for action, allowed in ACTIONS.items()
    ]
    bad_tokens = {
        "none": ({}, "missing_token"),
        "expired": ({"Authorization": f"Bearer {token('supervisor', 'admin', hours=-1)}"}, "token_expired"),
        "forged": ({"Authorization": f"Bearer {token('supervisor', 'admin', secret='guess')}"}, "invalid_token"),
    }
    for method, path, body, allowed in endpoints:

        def call(headers: dict[str, str], method: str = method, path: str = path, body: Any = body) -> Any:
            raw = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
            return client.http.request(method, path, headers={"Content-Type": "application/json", **headers}, body=raw)

        for name, (headers, code) in bad_tokens.items():
            response = call(headers)
            assert (response.status_code, response.json_body["error"]["code"]) == (401, code), (path, name)
        for role, headers in ROLES.items():
            response = call(headers)
            if role in allowed:
                assert response.status_code not in (401, 403), (method, path, role, response.body)
                if "/cases/" in path and method == "POST":
                    assert response.json_body["error"]["code"] == "version_conflict", (path, role)
            else:
                assert response.status_code == 403, (method, path, role, response.status_code)
                assert response.json_body["error"]["code"] == "forbidden"


def test_only_those_handling_a_case_see_who_complained_and_every_look_is_audited(
    client: Client, stage_env: dict[str, str]
) -> None:
    case_id = submit(client)["id"]
    waiting_in(stage_env, case_id, "acceptance")
    act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    act(client, case_id, "assign", {"unit": "xuhui", "handler": "h-1", "handler_name": "陈承办"})
    for headers in (ADMIN, OTHER_HANDLER, CLERK):
        seen = record(client, case_id, headers)
        assert seen["complainant"] is None and seen["identity_withheld"] is True
        assert "13800138000" not in json.dumps(seen, ensure_ascii=False)
    handler_view = record(client, case_id, HANDLER)
    assert handler_view["complainant"]["phone"] == "+8613800138000"
    record(client, case_id, SUPERVISOR)
    audit = client.http.get(f"/v1/staff/cases/{case_id}/audit", headers=SUPERVISOR).json_body["items"]
    assert client.http.get(f"/v1/staff/cases/{case_id}/audit", headers=HANDLER).status_code == 403
    readers = [(a["staff"]["id"], a["what"]) for a in audit]
    what = "complainant identity and full text"
    assert ("h-1", what) in readers and ("sup-1", what) in readers
    assert not any(r[0] in ("adm-1", "h-2", "clerk-1") for r in readers)
    # what goes to the business carries the dispute, not the person, even where the text names them
    notice = client.http.get(f"/v1/staff/cases/{case_id}/respondent-notice", headers=HANDLER).json_body
    assert COMPLAINT["respondent"]["name"] in notice["text"]
    assert "张三" not in json.dumps(notice, ensure_ascii=False) and "13800138000" not in notice["text"]


def test_the_complainants_name_in_the_facts_is_scrubbed_from_the_respondent_notice(client: Client) -> None:
    case_id = submit(client, facts="我张三（电话13800138000）在该店买到过期牛奶。")["id"]
    notice = client.http.get(f"/v1/staff/cases/{case_id}/respondent-notice", headers=SUPERVISOR).json_body
    assert "张三" not in notice["text"] and "13800138000" not in notice["text"]
    assert "买到过期牛奶" in notice["facts"]


def test_the_work_queue_orders_by_the_nearest_deadline_and_filters(client: Client, stage_env: dict[str, str]) -> None:
    late = post(
        client,
        "/v1/staff/intake",
        {**COMPLAINT, "channel": "phone", "received_at": "2026-09-01T09:00:00+08:00"},
        **CLERK,
    ).json_body["id"]
    fresh = submit(client)["id"]
    report = post(client, "/v1/complaints", {**COMPLAINT, "kind": "report"}).json_body["id"]
    queue = client.http.get("/v1/staff/cases", headers=CLERK).json_body["items"]
    order = [c["id"] for c in queue]
    assert order.index(late) < order.index(fresh) < order.index(report)  # 7 WD past, 7 WD ahead, 15 WD ahead
    overdue = client.http.get("/v1/staff/cases?overdue=true", headers=CLERK).json_body["items"]
    assert [c["id"] for c in overdue] == [late] and overdue[0]["overdue"] is True
    waiting_in(stage_env, fresh, "acceptance")
    act(client, fresh, "decide", {"decision": "accept"}, CLERK)
    act(client, fresh, "assign", {"unit": "minhang", "handler": "h-2"})
    mine = client.http.get("/v1/staff/cases?handler=h-2", headers=OTHER_HANDLER).json_body["items"]
    assert [c["id"] for c in mine] == [fresh]
    unit = client.http.get("/v1/staff/cases?unit=minhang&status=assigned", headers=SUPERVISOR).json_body["items"]
    assert [c["id"] for c in unit] == [fresh]
    received = client.http.get("/v1/staff/cases?status=received&limit=1", headers=SUPERVISOR).json_body
    assert len(received["items"]) == 1 and received["next_cursor"]
    rest = client.http.get(f"/v1/staff/cases?status=received&cursor={received['next_cursor']}", headers=SUPERVISOR)
    assert {c["id"] for c in rest.json_body["items"]} | {received["items"][0]["id"]} == {late, report}
    forged = client.http.get("/v1/staff/cases?cursor=garbage", headers=SUPERVISOR)
    assert (forged.status_code, forged.json_body["error"]["code"]) == (400, "invalid_cursor")


@pytest.mark.drives_the_stream  # its twenty threads, and they alone, share the services it patches
def test_twenty_conflicting_actions_at_once_exactly_one_wins(
    client: Client, stage_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = submit(client)["id"]
    waiting_in(stage_env, case_id, "acceptance")
    version = record(client, case_id)["version"]
    services = wiring.services()
    everyone_has_read = threading.Barrier(20)
    real_get = services.cases.get

    first_read = threading.local()

    def get_then_wait(case_id: str) -> Any:
        case = real_get(case_id)
        if not getattr(first_read, "done", False):  # the winner's hand-off reads the case again, alone
            first_read.done = True
            everyone_has_read.wait(timeout=10)  # all twenty hold the same version before anyone writes
        return case

    outcomes: list[str] = []
    staff = desk.Staff(Actor("staff", "sup-1", "周主任"), frozenset({"supervisor"}))

    def attempt(n: int) -> None:
        try:
            decision = (
                cmd.Decide(decision="transfer", transfer_to=f"第{n}分局") if n % 2 else cmd.Decide(decision="accept")
            )
            desk.act(case_id, "decide", decision, version=version, staff=staff, services=services, now=wiring.now())
            outcomes.append("won")
        except VersionConflict:
            outcomes.append("version_conflict")
        except Exception as error:  # anything else is a failure of the test, shown in the assertion
            outcomes.append(repr(error))

    # moto has no locking of its own; real DynamoDB serialises conditional writes. A long switch
    # interval makes each moto request run without preemption, as DynamoDB would.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(5)
    try:
        with monkeypatch.context() as patched:
            patched.setattr(services.cases, "get", get_then_wait)
            threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
    finally:
        sys.setswitchinterval(interval)
    assert sorted(outcomes) == ["version_conflict"] * 19 + ["won"]
    case = record(client, case_id)
    assert case["version"] == version + 1
    assert len([t for t in types(case) if t in ("accepted", "transferred")]) == 1


@pytest.mark.drives_the_stream
def test_a_lost_handoff_is_delivered_from_the_register_stream(
    client: Client, stage_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = submit(client)["id"]
    entered = waiting_in(stage_env, case_id, "acceptance")["since"]
    # GIVEN the hand-off to the execution is lost (the process died right after saving the decision)
    with monkeypatch.context() as patched:
        patched.setattr(StepFunctionsWorkflow, "resume", lambda self, token, signal: False)
        act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    assert task(stage_env, case_id)["step"] == "acceptance"  # the execution still waits for a decision
    assert record(client, case_id)["status"] == "accepted"  # the record is the truth
    # WHEN the register's stream reaches the hand-over (Lambda's stream mapping)
    drain_stream(stage_env)
    # THEN it resumes the execution into the step the record says
    waiting_in(stage_env, case_id, "assignment", since=entered)


@pytest.mark.drives_the_stream
def test_a_case_whose_execution_never_started_is_started_from_the_register_stream(
    client: Client, stage_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(self: StepFunctionsWorkflow, case_id: str, signal: dict[str, Any]) -> None:
        raise WorkflowUnavailable("Step Functions unreachable")

    with monkeypatch.context() as patched:
        patched.setattr(StepFunctionsWorkflow, "start", unavailable)
        case_id = submit(client)["id"]  # the complaint is registered all the same
    drain_stream(stage_env)
    eventually(lambda: task(stage_env, case_id).get("step") == "acceptance", "the execution to start")


def test_an_execution_that_died_is_found_in_the_listing_and_restarted_at_its_step(
    client: Client, stage_env: dict[str, str]
) -> None:
    case_id = submit(client)["id"]
    entered = waiting_in(stage_env, case_id, "acceptance")
    # GIVEN the case's execution dies (stopped: moto reports it failed)
    stop_executions(stage_env["AWS_DEFAULT_REGION"])
    assert finished(stage_env, case_id) in {"FAILED", "ABORTED"}
    # WHEN the scheduled reconciliation runs
    report = reconcile(wiring.services(), wiring.now())
    # THEN it finds the execution in Step Functions' list of those that ended badly and starts the case anew
    assert report.restarted == 1
    waiting_in(stage_env, case_id, "acceptance", since=entered["since"])
    assert types(record(client, case_id))[-1] == "workflow_restarted"
    assert execution(stage_env, f"{case_id}-1")["status"] == "RUNNING"
    # the next run lists the dead execution again: its case has moved on to the next generation
    assert reconcile(wiring.services(), wiring.now()).restarted == 0


def test_a_retried_action_with_the_same_idempotency_key_applies_once(client: Client, stage_env: dict[str, str]) -> None:
    case_id = submit(client)["id"]
    waiting_in(stage_env, case_id, "acceptance")
    body = {"decision": "accept", "version": record(client, case_id)["version"]}
    first = post(client, f"/v1/staff/cases/{case_id}/decide", body, **{**CLERK, "Idempotency-Key": "desk-42"})
    again = post(client, f"/v1/staff/cases/{case_id}/decide", body, **{**CLERK, "Idempotency-Key": "desk-42"})
    assert first.status_code == again.status_code == 200
    assert again.json_body == first.json_body
    assert types(record(client, case_id)).count("accepted") == 1
    # without the key, the retry is refused by the version check instead
    plain = post(client, f"/v1/staff/cases/{case_id}/decide", body, **CLERK)
    assert plain.status_code == 409 and plain.json_body["error"]["code"] == "version_conflict"
