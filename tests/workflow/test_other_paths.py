"""Reports, enquiries and split submissions on the real ASL under moto."""

from __future__ import annotations

from chalice.test import Client

from tests.conftest import COMPLAINT, post
from tests.workflow.conftest import (
    CLERK,
    HANDLER,
    OTHER_SUPERVISOR,
    act,
    execution,
    finished,
    record,
    types,
    waiting_in,
)

REPORT = {
    "kind": "report",
    "complainant": {"name": "赵举报", "phone": "13700137000"},
    "respondent": {"name": "某某药店"},
    "facts": "无证销售处方药",
    "suspected_violation": "无证经营药品",
}


def test_a_real_name_report_filing_decision_extension_notice_and_result(
    client: Client, stage_env: dict[str, str]
) -> None:
    receipt = post(client, "/v1/complaints", REPORT).json_body
    case_id = receipt["id"]
    waiting_in(stage_env, case_id, "acceptance")
    # verification needs more time: at most 15 more working days (SAMR), on a supervisor's approval
    too_long = act(
        client,
        case_id,
        "extension",
        {"step": "request", "clock": "acceptance", "working_days": 16, "reason": "需现场核查"},
        expect=409,
    )
    assert too_long["error"]["code"] == "invalid_state"
    act(
        client,
        case_id,
        "extension",
        {"step": "request", "clock": "acceptance", "working_days": 15, "reason": "需现场核查"},
    )
    extended = act(client, case_id, "extension", {"step": "approve", "clock": "acceptance"}, OTHER_SUPERVISOR)
    assert extended["deadlines"]["acceptance"]["extended"] == 15
    act(client, case_id, "findings", {"text": "核查：现场发现处方药无处方销售记录"})  # verification (核查)
    act(client, case_id, "decide", {"decision": "accept", "note": "立案"}, CLERK)
    # the real-name reporter must be told within 5 working days of the decision
    told = waiting_in(stage_env, case_id, "notify_reporter")
    assert told["step"] == record(client, case_id)["step"]  # the execution waits where the record says
    clock = record(client, case_id)["deadlines"]["notify_reporter"]
    assert (clock["length"], clock["basis"]) == (5, "working_days")
    act(client, case_id, "notify", {"channel": "sms"})
    waiting_in(stage_env, case_id, "handling")
    act(client, case_id, "assign", {"unit": "drug-inspection", "handler": "h-1"})
    act(client, case_id, "respond", {"message": "已立案查处，罚款五万元", "outcome": "resolved"}, HANDLER)
    assert finished(stage_env, case_id) == "SUCCEEDED"
    case = record(client, case_id)
    assert case["status"] == "closed"
    assert [t for t in types(case) if t != "extension_requested"] == [
        "received",
        "extended",
        "notified",
        "findings",
        "accepted",
        "notified",
        "assigned",
        "responded",
        "closed",
    ]


def test_an_anonymous_report_skips_the_notice_and_never_shows_identity(
    client: Client, stage_env: dict[str, str]
) -> None:
    anonymous = {**REPORT, "complainant": {"anonymous": True}}
    receipt = post(client, "/v1/complaints", anonymous).json_body
    waiting_in(stage_env, receipt["id"], "acceptance")
    act(client, receipt["id"], "decide", {"decision": "reject", "reason_code": "unlawful"}, CLERK)
    assert finished(stage_env, receipt["id"]) == "SUCCEEDED"
    case = record(client, receipt["id"])
    assert case["complainant"] is None and case["anonymous"] is True and case["identity_withheld"] is False
    assert "notify_reporter" not in case["deadlines"]


def test_an_enquiry_is_answered_within_two_working_days(client: Client, stage_env: dict[str, str]) -> None:
    enquiry = {
        "kind": "enquiry",
        "complainant": {"name": "钱咨询", "phone": "13600136000"},
        "facts": "七天无理由退货怎么算？",
    }
    receipt = post(client, "/v1/complaints", enquiry).json_body
    waiting_in(stage_env, receipt["id"], "answer")
    act(client, receipt["id"], "respond", {"message": "自收到商品之日起七日内", "outcome": "resolved"}, CLERK)
    assert finished(stage_env, receipt["id"]) == "SUCCEEDED"
    view = client.http.get(
        f"/v1/complaints/{receipt['tracking_code']}", headers={"X-Access-Code": receipt["access_code"]}
    )
    assert view.json_body["status"] == "closed"
    assert view.json_body["response"]["message"] == "自收到商品之日起七日内"


def test_a_split_submission_runs_two_executions(client: Client, stage_env: dict[str, str]) -> None:
    receipt = post(client, "/v1/complaints", {**COMPLAINT, "suspected_violation": "销售过期食品"}).json_body
    report_id = receipt["linked"][0]["id"]
    waiting_in(stage_env, receipt["id"], "acceptance")
    waiting_in(stage_env, report_id, "acceptance")
    assert execution(stage_env, receipt["id"])["status"] == execution(stage_env, report_id)["status"] == "RUNNING"
    act(client, report_id, "decide", {"decision": "transfer", "transfer_to": "区卫生健康委"}, CLERK)
    assert finished(stage_env, report_id) == "SUCCEEDED"
    assert execution(stage_env, receipt["id"])["status"] == "RUNNING"
