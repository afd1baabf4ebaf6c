"""The channels under moto, as in AWS: an SMS published to the inbound topic reaches `receive_sms` (SNS →
Lambda), an e-mail put into the mail bucket reaches `receive_mail` (S3 → SQS → Lambda), and what the centre
sends leaves through the outbox by SNS SMS and SES, read here from moto's own record of what it delivered."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.domain.messages.sms import parts
from chalicelib.service.ports import SendFailed
from local.stream_pump import app_pump
from tests.conftest import jpeg_segment, post, staff_headers

ACCOUNT, REGION = "123456789012", "us-east-1"
PHONE, OTHER = "+8613800138000", "+8613900139000"


@pytest.fixture
def sent() -> Iterator[dict[str, Any]]:
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    yield {"sms": sns_backends[ACCOUNT][REGION].sms_messages, "mail": ses_backends[ACCOUNT][REGION].sent_messages}


def texts_to(sent: dict[str, Any], number: str) -> list[str]:
    return [text for to, text in sent["sms"].values() if to == number]


def sms_in(env: dict[str, str], sender: str, body: str, message_id: str | None = None) -> None:
    payload = {
        "originationNumber": sender,
        "destinationNumber": "+8610012315",
        "messageKeyword": body.split(maxsplit=1)[0] if body.split() else "",
        "messageBody": body,
        "inboundMessageId": message_id or str(uuid.uuid4()),
        "previousPublishedMessageId": "",
    }
    boto3.client("sns").publish(TopicArn=env["SMS_INBOUND_TOPIC_ARN"], Message=json.dumps(payload, ensure_ascii=False))
    app_pump(env, backoff=0.001).drain()  # the outbox's sender, fed by the stream


def mail_in(env: dict[str, str], raw: bytes) -> str:
    key = f"inbound/{uuid.uuid4().hex}"
    boto3.client("s3").put_object(Bucket=env["MAIL_INBOUND_BUCKET"], Key=key, Body=raw)
    app_pump(env, backoff=0.001).drain()
    return key


def mails_to(sent: dict[str, Any], address: str) -> list[str]:
    return [m.raw_data for m in sent["mail"] if address in "".join(m.destinations) or f"To: {address}" in m.raw_data]


def queue_of(client: Client) -> list[dict[str, Any]]:
    return client.http.get("/v1/staff/cases?status=received", headers=staff_headers("supervisor")).json_body["items"]


def test_an_sms_complaint_is_registered_once_flagged_incomplete_and_answered_once_with_its_codes(
    client: Client, stage_env: dict[str, str], sent: dict[str, Any]
) -> None:
    message_id = str(uuid.uuid4())
    sms_in(stage_env, PHONE, "投诉 某超市卖过期牛奶，要求退款", message_id)
    sms_in(stage_env, PHONE, "投诉 某超市卖过期牛奶，要求退款", message_id)  # SNS delivered it again
    (summary,) = queue_of(client)
    assert summary["incomplete"] is True and summary["kind"] == "complaint"
    (reply,) = texts_to(sent, PHONE)
    assert summary["tracking_code"] in reply and "工作人员将致电补录" in reply and "密码" in reply
    assert parts(reply) <= 2 and PHONE[3:] not in reply
    case = client.http.get(f"/v1/staff/cases/{summary['id']}", headers=staff_headers("supervisor")).json_body
    assert case["channel"] == "sms" and case["incomplete"] == ["respondent", "request"]
    assert case["complainant"]["phone"] == PHONE and case["deadlines"]["acceptance"]["length"] == 7
    # a clerk calls back and completes it (seeing the number to call while the entry is incomplete, not after);
    # then it can be accepted
    clerk_view = client.http.get(f"/v1/staff/cases/{summary['id']}", headers=staff_headers("clerk")).json_body
    assert clerk_view["complainant"]["phone"] == PHONE and clerk_view["identity_withheld"] is False
    refused = post(
        client,
        f"/v1/staff/cases/{case['id']}/decide",
        {"decision": "accept", "version": case["version"]},
        **staff_headers("supervisor"),
    )
    assert refused.status_code == 409
    done = post(
        client,
        f"/v1/staff/cases/{case['id']}/complete",
        {"respondent": "某超市", "request": "退款", "complainant_name": "张三", "version": case["version"]},
        **staff_headers("clerk"),
    )
    assert done.status_code == 200 and done.json_body["incomplete"] == []
    assert done.json_body["complainant"] is None and done.json_body["identity_withheld"] is True
    accepted = post(
        client,
        f"/v1/staff/cases/{case['id']}/decide",
        {"decision": "accept", "version": done.json_body["version"]},
        **staff_headers("supervisor"),
    )
    assert accepted.status_code == 200
    app_pump(stage_env, backoff=0.001).drain()
    assert "已受理" in texts_to(sent, PHONE)[-1]


def test_status_is_told_only_to_the_number_that_filed_and_opt_out_silences_later_notices(
    client: Client, stage_env: dict[str, str], sent: dict[str, Any]
) -> None:
    sms_in(stage_env, PHONE, "complaint the shop sold me stale milk")
    (summary,) = queue_of(client)
    code = summary["tracking_code"]
    assert "Complaint registered" in texts_to(sent, PHONE)[-1]  # an English keyword: English texts
    sms_in(stage_env, PHONE, f"status {code.lower()}")
    assert code in texts_to(sent, PHONE)[-1] and "registered, awaiting acceptance" in texts_to(sent, PHONE)[-1]
    sms_in(stage_env, OTHER, f"查询 {code}")
    sms_in(stage_env, OTHER, "查询 TS-0000-0000")
    stranger, garbage = texts_to(sent, OTHER)
    assert stranger == garbage and code not in stranger  # the same answer as an unknown code
    sms_in(stage_env, PHONE, "STOP")
    assert "no more texts" in texts_to(sent, PHONE)[-1]
    before = len(texts_to(sent, PHONE))
    reject = {"decision": "reject", "reason_code": "time_barred", "version": summary["version"]}
    assert (
        post(client, f"/v1/staff/cases/{summary['id']}/decide", reject, **staff_headers("supervisor")).status_code
        == 200
    )
    app_pump(stage_env, backoff=0.001).drain()
    assert len(texts_to(sent, PHONE)) == before  # opted out: the rejection notice is not texted
    sms_in(stage_env, PHONE, "START")
    assert "again" in texts_to(sent, PHONE)[-1]
    sms_in(stage_env, PHONE, "hello?")
    assert "STATUS" in texts_to(sent, PHONE)[-1] and parts(texts_to(sent, PHONE)[-1]) <= 2


def test_the_survey_is_answered_by_sms_not_satisfied_reopens_and_satisfied_closes(
    client: Client, stage_env: dict[str, str], sent: dict[str, Any]
) -> None:
    sms_in(stage_env, PHONE, "投诉 快递丢件")
    (summary,) = queue_of(client)
    case_id, version = summary["id"], summary["version"]
    supervisor = staff_headers("supervisor")
    steps = [
        ("complete", {"respondent": "某快递", "request": "赔偿"}),
        ("decide", {"decision": "accept"}),
        ("assign", {"unit": "u1", "handler": "staff-1"}),
        ("respond", {"message": "已赔偿", "outcome": "resolved"}),
    ]
    for action, body in steps:
        answer = post(client, f"/v1/staff/cases/{case_id}/{action}", {**body, "version": version}, **supervisor)
        assert answer.status_code == 200, answer.json_body
        version = answer.json_body["version"]
    app_pump(stage_env, backoff=0.001).drain()
    assert "满意请回复1" in texts_to(sent, PHONE)[-1] and "/track" in texts_to(sent, PHONE)[-1]
    sms_in(stage_env, PHONE, "2 没有收到赔偿")
    case = client.http.get(f"/v1/staff/cases/{case_id}", headers=supervisor).json_body
    assert case["status"] == "assigned" and "感谢" in texts_to(sent, PHONE)[-1]
    answer = post(
        client,
        f"/v1/staff/cases/{case_id}/respond",
        {"message": "已补发", "outcome": "resolved", "version": case["version"]},
        **supervisor,
    )
    app_pump(stage_env, backoff=0.001).drain()
    sms_in(stage_env, PHONE, "1")
    case = client.http.get(f"/v1/staff/cases/{case_id}", headers=supervisor).json_body
    assert case["status"] == "closed" and "已办结" in texts_to(sent, PHONE)[-1]
    sms_in(stage_env, PHONE, "1")
    assert "暂无待评价" in texts_to(sent, PHONE)[-1]


def test_a_lost_access_code_is_replaced_by_sms_and_the_answer_never_says_whether_the_code_exists(
    client: Client, stage_env: dict[str, str], sent: dict[str, Any]
) -> None:
    from tests.api.test_intake import COMPLAINT

    receipt = post(client, "/v1/complaints", COMPLAINT).json_body
    code, old = receipt["tracking_code"], receipt["access_code"]
    known = client.http.post(f"/v1/complaints/{code}/access-code")
    unknown = client.http.post("/v1/complaints/TS-0000-0000/access-code")
    assert known.status_code == unknown.status_code == 202 and known.json_body == unknown.json_body
    assert old not in json.dumps(known.json_body)
    app_pump(stage_env, backoff=0.001).drain()
    phone = COMPLAINT["complainant"]["phone"]
    new = texts_to(sent, "+86" + phone.removeprefix("+86"))[-1].split("新密码为")[1][:8]
    assert client.http.get(f"/v1/complaints/{code}", headers={"X-Access-Code": old}).status_code == 404
    assert client.http.get(f"/v1/complaints/{code}", headers={"X-Access-Code": new}).status_code == 200
    for _ in range(3):
        client.http.post(f"/v1/complaints/{code}/access-code")
    assert client.http.post(f"/v1/complaints/{code}/access-code").status_code == 429


def _mail(body: str | None, *, subject: str = "投诉 某商场", attach: bytes | None = None, **headers: str) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "王五 <wang@example.cn>", "complaints@centre.example.cn", subject
    mail["Message-ID"] = f"<{uuid.uuid4().hex}@example.cn>"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    if body is not None:
        mail.set_content(body)
    if attach is not None:
        mail.add_attachment(attach, maintype="image", subtype="jpeg", filename="发票.jpg")
    return mail.as_bytes()


def test_an_email_complaint_keeps_its_attachment_without_location_and_is_answered_by_email(
    client: Client, stage_env: dict[str, str], sent: dict[str, Any]
) -> None:
    gps = jpeg_segment(0xE1, b"Exif\x00\x00GPS-latitude-31.2")
    photo = (
        b"\xff\xd8"
        + jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + gps
        + b"\xff\xda\x00\x02\x00\xff\xd9"
    )
    key = mail_in(stage_env, _mail("商场拒绝退货，要求退款。", attach=photo))
    mail_in(stage_env, b"")  # nothing to read, nobody to answer: recorded, no case
    (summary,) = queue_of(client)
    case = client.http.get(f"/v1/staff/cases/{summary['id']}", headers=staff_headers("supervisor")).json_body
    assert case["channel"] == "email" and case["complainant"]["email"] == "wang@example.cn"
    assert case["contact"] == "email" and "商场拒绝退货" in case["facts"]
    (evidence,) = case["evidence"]
    assert evidence["content_type"] == "image/jpeg" and evidence["metadata_removed"] is True
    (answer,) = mails_to(sent, "wang@example.cn")
    assert summary["tracking_code"] in answer and "Auto-Submitted: auto-generated" in answer
    boto3.client("s3").copy_object(  # the same object delivered again registers nothing new
        Bucket=stage_env["MAIL_INBOUND_BUCKET"],
        Key=key,
        CopySource={"Bucket": stage_env["MAIL_INBOUND_BUCKET"], "Key": key},
    )
    app_pump(stage_env, backoff=0.001).drain()
    assert len(queue_of(client)) == 1


@pytest.mark.parametrize(
    ("raw", "answered"),
    [
        (_mail(None, attach=b"\xff\xd8\xff\xd9"), "没有正文"),  # attachment-only
        (b"From: wang@example.cn\r\nContent-Type: multipart/mixed\r\n\r\n--x--", "无法识别"),  # malformed
        (_mail("I am away", Auto_Submitted="auto-replied"), None),  # an auto-reply: never answered
        (_mail("bounce", Precedence="bulk"), None),
    ],
    ids=["attachment-only", "malformed", "auto-reply", "bulk"],  # fixed: the mails carry random Message-IDs
)
def test_mail_that_cannot_be_registered_is_answered_and_mail_from_robots_is_not(
    client: Client, stage_env: dict[str, str], sent: dict[str, Any], raw: bytes, answered: str | None
) -> None:
    mail_in(stage_env, raw)
    assert queue_of(client) == []
    answers = mails_to(sent, "wang@example.cn")
    if answered is None:
        assert answers == []
    else:
        (answer,) = answers
        parsed = message_from_string(answer, policy=policy.default)
        assert parsed["Auto-Submitted"] == "auto-replied" and parsed["Subject"].startswith("Re:")  # never answered
        assert answered in parsed.get_body().get_content()


def test_a_notice_that_fails_twice_is_sent_once_and_one_that_always_fails_is_dead_lettered(
    client: Client, stage_env: dict[str, str], sent: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.api.test_intake import COMPLAINT

    gateway = wiring.gateways().sms
    real, failures = gateway.send, {"left": 2}

    def flaky(to: str, text: str, reference: str) -> str:
        if failures["left"]:
            failures["left"] -= 1
            raise SendFailed("throttled")
        return real(to, text, reference)

    monkeypatch.setattr(gateway, "send", flaky)
    receipt = post(client, "/v1/complaints", COMPLAINT).json_body
    app_pump(stage_env, backoff=0.001).drain()
    phone = "+86" + COMPLAINT["complainant"]["phone"].removeprefix("+86")
    received = [t for t in texts_to(sent, phone) if receipt["tracking_code"] in t]
    assert len(received) == 1 and receipt["access_code"] in received[0]
    failures["left"] = 1000
    post(client, "/v1/complaints", COMPLAINT)
    app_pump(stage_env, backoff=0.001).drain()
    (letter,) = client.http.get("/v1/staff/outbox/dead-letters", headers=staff_headers("supervisor")).json_body["items"]
    assert letter["audience"] == "complainant" and letter["attempts"] == 5
    assert "access_code" not in json.dumps(letter["message"]) or receipt["access_code"] not in json.dumps(letter)
