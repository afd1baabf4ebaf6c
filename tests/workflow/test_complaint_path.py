"""The complaint's path on the real ASL under moto: every step, clock and escalation, in seconds."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from tests.conftest import COMPLAINT, post
from tests.workflow.conftest import (
    CLERK,
    HANDLER,
    OTHER_SUPERVISOR,
    act,
    eventually,
    execution,
    finished,
    record,
    submit,
    task,
    types,
    waiting_in,
)


def accepted_and_assigned(client: Client, env: dict[str, str]) -> dict[str, str]:
    receipt = submit(client)
    case_id = receipt["id"]
    waiting_in(env, case_id, "acceptance")
    act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    waiting_in(env, case_id, "assignment")
    act(client, case_id, "assign", {"unit": "xuhui-amr", "handler": "h-1", "handler_name": "陈承办"})
    waiting_in(env, case_id, "handling")
    return receipt


def test_the_happy_path_from_receipt_to_satisfied_closing(client: Client, stage_env: dict[str, str]) -> None:
    receipt = accepted_and_assigned(client, stage_env)
    case_id = receipt["id"]
    act(client, case_id, "findings", {"text": "核实属实：超市销售的牛奶已过保质期两天。"}, HANDLER)
    act(
        client,
        case_id,
        "mediation",
        {"step": "start", "complainant_consents": True, "respondent_consents": True, "place": "徐汇区市场监管局调解室"},
        HANDLER,
    )
    waiting_in(stage_env, case_id, "mediation")
    act(client, case_id, "mediation", {"step": "agreement", "terms": "退货退款并赔偿一千元"}, HANDLER)
    waiting_in(stage_env, case_id, "handling")
    answered = act(
        client,
        case_id,
        "respond",
        {"message": "经调解双方达成协议", "outcome": "resolved", "compensation_amount": 1000},
        HANDLER,
    )
    assert answered["status"] == "responded" and answered["deadlines"]["follow_up"]["length"] == 5
    waiting_in(stage_env, case_id, "feedback")
    headers = {"X-Access-Code": receipt["access_code"]}
    view = post(client, f"/v1/complaints/{receipt['tracking_code']}/feedback", {"satisfied": True}, **headers).json_body
    assert view["status"] == "closed" and view["response"]["outcome"] == "resolved"
    waiting_in(stage_env, case_id, "appeal_window")
    case = record(client, case_id)
    assert types(case) == [
        "received",
        "accepted",
        "assigned",
        "findings",
        "mediation",
        "mediation",
        "responded",
        "feedback",
        "closed",
    ]
    assert all(not d["overdue"] for d in case["deadlines"].values())
    assert case["deadlines"]["acceptance"]["stopped_at"] is not None
    assert execution(stage_env, case_id)["status"] == "RUNNING"  # still open to an appeal


def test_a_rejection_ends_the_execution_and_tells_the_reason(client: Client, stage_env: dict[str, str]) -> None:
    receipt = submit(client)
    waiting_in(stage_env, receipt["id"], "acceptance")
    act(client, receipt["id"], "decide", {"decision": "reject", "reason_code": "time_barred"}, CLERK)
    assert finished(stage_env, receipt["id"]) == "SUCCEEDED"
    view = client.http.get(
        f"/v1/complaints/{receipt['tracking_code']}", headers={"X-Access-Code": receipt["access_code"]}
    )
    assert view.json_body["status"] == "rejected"
    assert view.json_body["timeline"][-1] == {
        **view.json_body["timeline"][-1],
        "type": "rejected",
        "reason_code": "time_barred",
    }
    bad = act(client, receipt["id"], "decide", {"decision": "accept"}, CLERK, expect=409)
    assert bad["error"]["code"] == "invalid_state"


def test_a_transfer_names_the_competent_body(client: Client, stage_env: dict[str, str]) -> None:
    receipt = submit(client)
    waiting_in(stage_env, receipt["id"], "acceptance")
    missing = act(client, receipt["id"], "decide", {"decision": "transfer"}, CLERK, expect=422)
    assert "transfer_to" in missing["error"]["fields"]
    act(client, receipt["id"], "decide", {"decision": "transfer", "transfer_to": "上海市浦东新区市场监督管理局"}, CLERK)
    assert finished(stage_env, receipt["id"]) == "SUCCEEDED"
    view = client.http.get(
        f"/v1/complaints/{receipt['tracking_code']}", headers={"X-Access-Code": receipt["access_code"]}
    )
    assert view.json_body["timeline"][-1]["transfer_to"] == "上海市浦东新区市场监督管理局"


def test_an_overdue_case_is_escalated_at_once_and_chased_daily_until_decided(
    client: Client, stage_env: dict[str, str]
) -> None:
    # GIVEN supervisors listen on the supervision topic
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    queue = sqs.create_queue(QueueName="supervisors")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stage_env["SUPERVISION_TOPIC_ARN"], Protocol="sqs", Endpoint=queue_arn)
    # WHEN a letter received a month ago is typed in: its acceptance decision is already late
    letter = {**COMPLAINT, "channel": "letter", "received_at": "2026-09-01T09:00:00+08:00"}
    receipt = post(client, "/v1/staff/intake", letter, **CLERK).json_body
    case_id = receipt["id"]
    # THEN the execution escalates at once, then reminds every (test) day of 2 seconds
    escalations = eventually(
        lambda: (
            [e for e in record(client, case_id)["timeline"] if e["type"] == "escalated"][:2]
            if len([e for e in record(client, case_id)["timeline"] if e["type"] == "escalated"]) >= 2
            else None
        ),
        "an escalation and a reminder",
    )
    assert [e["reminder"] for e in escalations] == [False, True]
    assert escalations[0]["clock"] == "acceptance" and escalations[0]["escalate_to"] == "supervisor"
    case = record(client, case_id)
    assert case["deadlines"]["acceptance"]["overdue"] is True
    assert case["deadlines"]["acceptance"]["escalated_at"] is not None
    # the work queue says so too, without each case being read (the supervision view lists escalations from it)
    listed = client.http.get("/v1/staff/cases?overdue=true", headers=CLERK).json_body["items"]
    (item,) = [i for i in listed if i["id"] == case_id]
    assert item["escalated_clock"] == "acceptance" and item["escalated_at"] is not None
    # the notices went out through the outbox, written with the escalation events (the stream feeds the sender)
    messages = eventually(
        lambda: sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"), "the notices"
    )
    notice = json.loads(json.loads(messages[0]["Body"])["Message"])
    assert notice == {**notice, "case_id": case_id, "event": "escalated", "clock": "acceptance"}
    assert "13800138000" not in json.dumps(messages, ensure_ascii=False)
    # WHEN the decision is finally taken, the chasing stops
    act(client, case_id, "decide", {"decision": "accept"}, CLERK)
    waiting_in(stage_env, case_id, "assignment")
    count = len([e for e in record(client, case_id)["timeline"] if e["type"] == "escalated"])
    time.sleep(2.5)
    after = [e for e in record(client, case_id)["timeline"] if e["type"] == "escalated"]
    assert all(e["clock"] != "acceptance" for e in after[count:])


def test_a_pause_moves_the_mediation_deadline_by_exactly_the_paused_time(
    client: Client, stage_env: dict[str, str]
) -> None:
    case_id = accepted_and_assigned(client, stage_env)["id"]
    act(
        client,
        case_id,
        "mediation",
        {"step": "start", "complainant_consents": True, "respondent_consents": True},
        HANDLER,
    )
    waiting_in(stage_env, case_id, "mediation")
    before = record(client, case_id)["deadlines"]["mediation"]
    act(client, case_id, "pause", {"reason": "testing", "note": "送检牛奶样品"}, HANDLER)
    paused = waiting_in(stage_env, case_id, "paused")
    assert paused["step"] == record(client, case_id)["step"]  # the execution waits where the record says
    assert record(client, case_id)["deadlines"]["mediation"]["paused"] is True
    time.sleep(1.5)
    resumed = act(client, case_id, "resume", {}, HANDLER)
    after = resumed["deadlines"]["mediation"]
    paused_at = next(e["at"] for e in resumed["timeline"] if e["type"] == "paused")
    resumed_at = next(e["at"] for e in resumed["timeline"] if e["type"] == "resumed")
    paused_for = datetime.fromisoformat(resumed_at) - datetime.fromisoformat(paused_at)
    assert datetime.fromisoformat(after["due_at"]) - datetime.fromisoformat(before["due_at"]) == paused_for
    assert after["paused"] is False and after["paused_seconds"] == int(paused_for.total_seconds())
    waiting_in(stage_env, case_id, "mediation")
    # while paused, nothing but resuming (or withdrawing) moves the case
    act(client, case_id, "pause", {"reason": "appraisal"}, HANDLER)
    blocked = act(client, case_id, "respond", {"message": "x", "outcome": "resolved"}, HANDLER, expect=409)
    assert blocked["error"]["code"] == "invalid_state"


def test_an_approved_extension_moves_the_running_timer(client: Client, stage_env: dict[str, str]) -> None:
    # GIVEN a late acceptance decision, already escalated
    letter = {**COMPLAINT, "channel": "letter", "received_at": "2026-09-01T09:00:00+08:00"}
    case_id = post(client, "/v1/staff/intake", letter, **CLERK).json_body["id"]
    eventually(lambda: "escalated" in types(record(client, case_id)), "the escalation")
    # WHEN the supervisor approves 60 more working days for it
    act(
        client,
        case_id,
        "extension",
        {"step": "request", "clock": "acceptance", "working_days": 60, "reason": "需调取监控录像"},
        CLERK,
        expect=403,
    )
    act(
        client,
        case_id,
        "extension",
        {"step": "request", "clock": "acceptance", "working_days": 60, "reason": "需调取监控录像"},
    )
    entered = task(stage_env, case_id)["since"]
    # the supervisor who asked may not approve their own request; another supervisor does
    own = act(client, case_id, "extension", {"step": "approve", "clock": "acceptance"}, expect=403)
    assert own["error"]["code"] == "forbidden"
    approved = act(client, case_id, "extension", {"step": "approve", "clock": "acceptance"}, OTHER_SUPERVISOR)
    # THEN the due date moved, the complainant is told, and the execution waits with the new timer
    assert approved["deadlines"]["acceptance"]["extended"] == 60
    assert approved["deadlines"]["acceptance"]["overdue"] is False
    assert types(approved)[-2:] == ["extended", "notified"]
    waiting_in(stage_env, case_id, "acceptance", since=entered)
    quiet = len([e for e in record(client, case_id)["timeline"] if e["type"] == "escalated"])
    time.sleep(2.5)  # longer than a reminder: none comes, the deadline is months away now
    assert len([e for e in record(client, case_id)["timeline"] if e["type"] == "escalated"]) == quiet


def test_not_satisfied_reopens_then_a_second_answer_closes(client: Client, stage_env: dict[str, str]) -> None:
    receipt = accepted_and_assigned(client, stage_env)
    case_id = receipt["id"]
    act(client, case_id, "respond", {"message": "商家同意退货", "outcome": "partly_resolved"}, HANDLER)
    waiting_in(stage_env, case_id, "feedback")
    headers = {"X-Access-Code": receipt["access_code"]}
    code = receipt["tracking_code"]
    unhappy = post(client, f"/v1/complaints/{code}/feedback", {"satisfied": False, "comment": "没有赔偿"}, **headers)
    assert unhappy.json_body["status"] == "assigned"
    waiting_in(stage_env, case_id, "handling")
    act(client, case_id, "respond", {"message": "商家已赔偿", "outcome": "resolved"}, HANDLER)
    waiting_in(stage_env, case_id, "feedback")
    happy = post(client, f"/v1/complaints/{code}/feedback", {"satisfied": True}, **headers)
    assert happy.json_body["status"] == "closed"
    assert types(record(client, case_id)).count("reopened") == 1


def test_withdrawal_mid_investigation_ends_the_execution(client: Client, stage_env: dict[str, str]) -> None:
    receipt = accepted_and_assigned(client, stage_env)
    act(client, receipt["id"], "findings", {"text": "正在核实"}, HANDLER)
    done = post(
        client,
        f"/v1/complaints/{receipt['tracking_code']}/withdraw",
        {"reason": "已和解"},
        **{"X-Access-Code": receipt["access_code"]},
    )
    assert done.json_body["status"] == "withdrawn"
    assert finished(stage_env, receipt["id"]) == "SUCCEEDED"
    assert (
        act(client, receipt["id"], "findings", {"text": "x"}, HANDLER, expect=409)["error"]["code"] == "invalid_state"
    )


def test_an_appeal_reopens_a_closed_case_for_the_supervisors_final_decision(
    client: Client, stage_env: dict[str, str]
) -> None:
    receipt = accepted_and_assigned(client, stage_env)
    case_id = receipt["id"]
    act(client, case_id, "respond", {"message": "不支持赔偿请求", "outcome": "not_resolved"}, HANDLER)
    act(client, case_id, "close", {"note": "电话回访已告知"}, HANDLER)
    waiting_in(stage_env, case_id, "appeal_window")
    headers = {"X-Access-Code": receipt["access_code"]}
    appealed = post(client, f"/v1/complaints/{receipt['tracking_code']}/appeal", {"reason": "处理意见不公"}, **headers)
    assert appealed.status_code == 200
    waiting_in(stage_env, case_id, "review")
    assert act(client, case_id, "close", {}, HANDLER, expect=403)["error"]["code"] == "forbidden"
    act(client, case_id, "close", {"note": "维持原处理意见"})
    assert finished(stage_env, case_id) == "SUCCEEDED"
    again = post(client, f"/v1/complaints/{receipt['tracking_code']}/appeal", {"reason": "再申诉"}, **headers)
    assert again.status_code == 409


def test_a_failing_deadline_task_does_not_end_the_case_it_waits_and_tries_again(
    client: Client, stage_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.api import jobs

    real = jobs.on_deadline
    failures = {"left": 4}

    def flaky(*args: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("DynamoDB throttled the task")
        return real(*args)

    monkeypatch.setattr(jobs, "on_deadline", flaky)
    # GIVEN a case whose acceptance is already late, and a task that fails four times in a row
    letter = {**COMPLAINT, "channel": "letter", "received_at": "2026-09-01T09:00:00+08:00"}
    case_id = post(client, "/v1/staff/intake", letter, **CLERK).json_body["id"]
    # THEN the execution survives the failures (quick retries, then a wait) and escalates in the end
    eventually(lambda: "escalated" in types(record(client, case_id)), "the escalation after the failures")
    assert failures["left"] == 0
    assert execution(stage_env, case_id)["status"] == "RUNNING"
