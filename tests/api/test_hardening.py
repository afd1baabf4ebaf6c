"""What an attacker and a reviewer tried: identity in free text, codes at rest, outages, odd input."""

from __future__ import annotations

import json
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from tests.conftest import COMPLAINT, post, staff_headers, token, unnamed_token

LEAKY = {
    **COMPLAINT,
    "complainant": {
        "name": "李秘密",
        "phone": "13912345678",
        "email": "li.secret@example.com",
        "address": "杭州市西湖区文三路9号",
    },
    "facts": "我李秘密（电话 139-1234-5678，或 139 1234 5678，+86 139 1234 5678；邮箱 LI.SECRET@Example.COM；"
    "身份证 11010519491231002X；银行卡 6222 0212 3456 7890 123；家住杭州市西湖区文三路9号）买到过期牛奶，价格12.5元。",
    "request": "请回电 0571-8765 4321 转 12，退货并赔偿",
}
SECRETS = [
    "李秘密",
    "13912345678",
    "139-1234-5678",
    "139 1234 5678",
    "LI.SECRET",
    "li.secret",
    "11010519491231002X",
    "6222 0212 3456 7890 123",
    "文三路9号",
    "8765 4321",
]


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s.lower() in text.lower()]


def test_the_respondent_notice_and_staff_without_the_right_never_see_identity_in_any_spelling(client: Client) -> None:
    case_id = post(client, "/v1/complaints", LEAKY).json_body["id"]
    notice = client.http.get(f"/v1/staff/cases/{case_id}/respondent-notice", headers=staff_headers("clerk"))
    assert notice.status_code == 200
    assert leaked(notice.body.decode()) == []
    assert "买到过期牛奶" in notice.json_body["facts"] and "12.5元" in notice.json_body["facts"]
    for role in ("clerk", "handler", "admin"):  # not the first responder, not assigned, no right
        seen = client.http.get(f"/v1/staff/cases/{case_id}", headers=staff_headers(role)).json_body
        assert seen["complainant"] is None and seen["text_redacted"] is True
        assert leaked(json.dumps(seen, ensure_ascii=False)) == [], role
    # a supervisor handles it: the full text, and the look is audited
    full = client.http.get(f"/v1/staff/cases/{case_id}", headers=staff_headers("supervisor")).json_body
    assert "139-1234-5678" in full["facts"] and full["text_redacted"] is False
    audit = client.http.get(f"/v1/staff/cases/{case_id}/audit", headers=staff_headers("supervisor")).json_body
    assert [a["what"] for a in audit["items"]] == ["complainant identity and full text"]


def test_no_access_code_is_kept_in_plain_text_not_even_in_the_stored_reply(
    client: Client, stage_env: dict[str, str]
) -> None:
    first = post(client, "/v1/complaints", COMPLAINT, **{"Idempotency-Key": "retry-1"}).json_body
    again = post(client, "/v1/complaints", COMPLAINT, **{"Idempotency-Key": "retry-1"}).json_body
    assert again == first  # the retry gets the same answer, access code included
    dynamodb = boto3.client("dynamodb")
    everything = json.dumps(
        [dynamodb.scan(TableName=stage_env[t])["Items"] for t in ("REGISTER_TABLE", "IDEMPOTENCY_TABLE")],
        ensure_ascii=False,
        default=lambda packed: zlib.decompress(packed).decode(),  # the case's documents, compressed
    )
    assert first["access_code"] not in everything and first["tracking_code"] in everything


@pytest.fixture
def hanging_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An endpoint that accepts connections and never answers: DynamoDB hanging mid-request."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_an_outage_answers_503_with_retry_after_well_inside_the_gateways_29_seconds(
    client: Client, hanging_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert post(client, "/v1/complaints", COMPLAINT).status_code == 201
    # WHEN DynamoDB stops answering
    monkeypatch.setenv("AWS_ENDPOINT_URL", hanging_backend)
    wiring.reset()
    started = time.monotonic()
    response = post(client, "/v1/complaints", COMPLAINT)
    elapsed = time.monotonic() - started
    # THEN the request ends within the configured limits (test stage: 1 s read timeout, 2 attempts)
    assert response.status_code == 503, response.body
    assert response.json_body["error"]["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert elapsed < 10


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**COMPLAINT, "facts": "\u200b\u200b\u2060"}, "facts"),
        ({**COMPLAINT, "request": "\u3000\u2800"}, "request"),
    ],
)
def test_text_of_invisible_characters_only_is_refused(client: Client, body: dict[str, Any], field: str) -> None:
    response = post(client, "/v1/complaints", body)
    assert response.status_code == 422 and field in response.json_body["error"]["fields"]


def test_control_characters_other_than_newline_and_tab_are_stripped(client: Client) -> None:
    body = {**COMPLAINT, "facts": "过期\x00牛奶\x1b[31m\r\n第二行\t完"}
    case_id = post(client, "/v1/complaints", body).json_body["id"]
    seen = client.http.get(f"/v1/staff/cases/{case_id}", headers=staff_headers("supervisor")).json_body
    assert seen["facts"] == "过期牛奶[31m\n第二行\t完"


def test_a_receipt_dated_year_one_is_refused_with_the_field_named(client: Client) -> None:
    body = {**COMPLAINT, "channel": "phone", "received_at": "0001-01-01T00:00:00+08:00"}
    response = post(client, "/v1/staff/intake", body, **staff_headers("clerk"))
    assert response.status_code == 422 and "received_at" in response.json_body["error"]["fields"]
    future = post(client, "/v1/complaints", {**COMPLAINT, "occurred_at": "2999-01-01"})
    assert future.status_code == 422 and "occurred_at" in future.json_body["error"]["fields"]


def test_a_cognito_token_without_a_name_names_its_holder_by_username(client: Client) -> None:
    sub = "7d3c9a1e-0b6f-4c1a-9f2e-5a8b4c3d2e1f"  # Cognito's sub is a UUID: no name to show anyone
    unnamed = unnamed_token(sub, "wang.shouli", "clerk")
    body = {**COMPLAINT, "channel": "phone", "received_at": "2026-11-20T09:00:00+08:00"}
    case_id = post(client, "/v1/staff/intake", body, Authorization=f"Bearer {unnamed}").json_body["id"]
    case = client.http.get(f"/v1/staff/cases/{case_id}", headers=staff_headers("supervisor")).json_body
    assert case["first_responder"] == {"id": sub, "name": "wang.shouli"}


def test_if_match_and_a_body_version_that_disagree_are_refused(client: Client) -> None:
    case_id = post(client, "/v1/complaints", COMPLAINT).json_body["id"]
    response = post(
        client,
        f"/v1/staff/cases/{case_id}/decide",
        {"decision": "accept", "version": 1},
        **{**staff_headers("supervisor"), "If-Match": '"2"'},
    )
    assert response.status_code == 422 and response.json_body["error"]["code"] == "version_mismatch"


def test_an_extension_names_its_clock(client: Client) -> None:
    case_id = post(client, "/v1/complaints", COMPLAINT).json_body["id"]
    body = {"step": "request", "working_days": 3, "reason": "需检测", "version": 1}
    response = post(client, f"/v1/staff/cases/{case_id}/extension", body, **staff_headers("supervisor"))
    assert response.status_code == 422 and "clock" in response.json_body["error"]["fields"]


def test_json_carries_chinese_as_utf8(client: Client) -> None:
    response = post(client, "/v1/complaints", {**COMPLAINT, "facts": "   "})
    assert "\\u" not in response.body.decode() and response.headers["Content-Type"].endswith("charset=utf-8")


def test_a_deployed_stage_with_missing_settings_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.settings import ConfigurationError, Settings

    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"APP_STAGE": "prod", "STAFF_AUTH": "hs256"})
    message = str(refused.value)
    for name in ("APP_SECRET", "REGISTER_TABLE", "CASE_WORKFLOW_ARN", "STAFF_AUTH"):
        assert name in message
    with pytest.raises(ConfigurationError):
        Settings.from_env({})  # no stage at all is not the local stack either
    local = Settings.from_env(
        {
            "APP_STAGE": "local",
            "REGISTER_TABLE": "r",
            "IDEMPOTENCY_TABLE": "i",
            "CASE_WORKFLOW_ARN": "a",
            "SUPERVISION_TOPIC_ARN": "s",
            "MAIL_INBOUND_BUCKET": "m",
            "DEAD_LETTER_QUEUE_URL": "q",
            "EVIDENCE_BUCKET": "e",
        }
    )
    assert local.staff_jwt_secret == "local-dev-secret"


def test_an_admin_token_signed_with_the_local_secret_is_refused_with_an_empty_environment(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("APP_STAGE", "STAFF_JWT_SECRET", "STAFF_AUTH", "APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    wiring.reset()
    response = client.http.get("/v1/staff/calendar/2026", headers=staff_headers("admin"))
    assert response.status_code == 500 and response.json_body["error"]["code"] == "internal_error"


def test_a_notice_that_cannot_be_sent_waits_in_the_dead_letter_queue_where_staff_see_it(
    client: Client, stage_env: dict[str, str]
) -> None:
    from chalicelib.domain.case import SYSTEM, Event
    from chalicelib.domain.notices import notices_for
    from local.stream_pump import app_pump

    case_id = post(client, "/v1/complaints", COMPLAINT).json_body["id"]
    services = wiring.services()
    case = services.cases.get(case_id)
    assert case is not None
    escalation = [Event("escalated", wiring.now(), SYSTEM, {"clock": "acceptance", "escalate_to": "supervisor"})]
    # GIVEN the supervision topic is gone: every publish fails
    boto3.client("sns").delete_topic(TopicArn=stage_env["SUPERVISION_TOPIC_ARN"])
    # WHEN the escalation is saved, its notice is in the outbox with it, and the stream is delivered
    services.cases.save(case, escalation, notices_for(case, escalation))
    app_pump(stage_env, backoff=0.001).drain()
    # THEN after every retry it is given up on into the dead-letter queue, and staff can see it
    seen = client.http.get("/v1/staff/outbox/dead-letters", headers=staff_headers("supervisor")).json_body
    (letter,) = seen["items"]
    assert letter["message"] == {**letter["message"], "case_id": case_id, "event": "escalated"}
    assert letter["attempts"] == 5 and letter["audience"] == "supervision"
    assert client.http.get("/v1/staff/outbox/dead-letters", headers=staff_headers("clerk")).status_code == 403


def test_a_staff_action_that_owes_a_notice_answers_200_and_leaves_the_sending_to_the_outbox(
    client: Client, stage_env: dict[str, str]
) -> None:
    from chalicelib.domain.notices import Audience

    case_id = post(client, "/v1/complaints", COMPLAINT).json_body["id"]
    boto3.client("sns").delete_topic(TopicArn=stage_env["SUPERVISION_TOPIC_ARN"])  # nothing is sent in the request
    asked = post(
        client,
        f"/v1/staff/cases/{case_id}/extension",
        {"step": "request", "clock": "acceptance", "working_days": 3, "reason": "需调取监控", "version": 1},
        **staff_headers("supervisor"),
    )
    assert asked.status_code == 200
    other = {"Authorization": f"Bearer {token('supervisor', sub='sup-2')}"}
    approved = post(
        client,
        f"/v1/staff/cases/{case_id}/extension",
        {"step": "approve", "clock": "acceptance", "version": asked.json_body["version"]},
        **other,
    )
    # the change is saved and answered; the notice it owes waits in the outbox, written with it
    assert approved.status_code == 200 and approved.json_body["deadlines"]["acceptance"]["extended"] == 3
    outbox = [
        i
        for i in boto3.client("dynamodb").scan(TableName=stage_env["REGISTER_TABLE"])["Items"]
        if i["sk"]["S"].startswith("OUTBOX#") and '"extended"' in i["message"]["S"]
    ]
    (notice,) = outbox
    assert notice["channel"]["S"] == Audience.COMPLAINANT.value and "sent_at" not in notice
