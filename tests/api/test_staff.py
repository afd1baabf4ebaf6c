"""Staff intake by clerks, staff authentication and roles, and the calendar administration."""

from __future__ import annotations

import json
import zlib
from datetime import datetime

import boto3
import pytest
from chalice.test import Client

from chalicelib.domain.deadlines import CHINA
from tests.conftest import COMPLAINT, post, staff_headers, token

PHONE_INTAKE = {**COMPLAINT, "channel": "phone", "received_at": "2026-09-30T16:20:00+08:00"}


def test_a_clerk_types_in_a_phone_complaint_and_is_its_first_responder(
    client: Client, stage_env: dict[str, str]
) -> None:
    response = post(client, "/v1/staff/intake", PHONE_INTAKE, **staff_headers("clerk"))
    assert response.status_code == 201
    receipt = response.json_body
    # received on the eve of National Day 2026: the clock runs from then, not from when it was typed in
    assert receipt["received_at"] == "2026-09-30T16:20:00+08:00"
    assert receipt["deadlines"]["acceptance"]["due_date"] == "2026-10-15"
    assert receipt["deadlines"]["acceptance"]["overdue"] is True  # it is long past
    stored = [
        boto3.client("dynamodb").get_item(
            TableName=stage_env["REGISTER_TABLE"], Key={"pk": {"S": f"CASE#{receipt['id']}"}, "sk": {"S": sk}}
        )["Item"]
        for sk in ("CASE", "DETAILS")
    ]
    case = {k: v for item in stored for k, v in json.loads(zlib.decompress(item["body"]["B"])).items()}
    assert case["first_responder"]["id"] == "staff-1"
    assert case["channel"] == "phone"


def test_staff_intake_refuses_the_future_and_the_web_channel(client: Client) -> None:
    future = post(
        client,
        "/v1/staff/intake",
        {**PHONE_INTAKE, "received_at": "2099-01-01T09:00:00+08:00"},
        **staff_headers("clerk"),
    )
    assert future.status_code == 422 and "received_at" in future.json_body["error"]["fields"]
    web = post(client, "/v1/staff/intake", {**PHONE_INTAKE, "channel": "web"}, **staff_headers("clerk"))
    assert web.status_code == 422 and "channel" in web.json_body["error"]["fields"]
    naive = post(
        client, "/v1/staff/intake", {**PHONE_INTAKE, "received_at": "2026-09-30T16:20:00"}, **staff_headers("clerk")
    )
    assert naive.status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"),
    [
        ("POST", "/v1/staff/intake", PHONE_INTAKE, {"clerk", "supervisor"}),
        ("GET", "/v1/staff/calendar/2026", None, {"clerk", "handler", "supervisor", "admin"}),
        ("PUT", "/v1/staff/calendar/2031", {"holidays": ["2031-01-01"], "adjusted_workdays": []}, {"admin"}),
    ],
)
def test_every_staff_endpoint_checks_the_token_and_the_role(
    client: Client, method: str, path: str, body: object, allowed: set[str]
) -> None:
    def call(headers: dict[str, str]) -> tuple[int, str]:
        response = client.http.request(
            method,
            path,
            headers={"Content-Type": "application/json", **headers},
            body=json.dumps(body).encode() if body is not None else b"",
        )
        return response.status_code, response.json_body["error"]["code"] if response.status_code >= 400 else ""

    assert call({}) == (401, "missing_token")
    assert call({"Authorization": "Basic dXNlcjpwdw=="}) == (401, "missing_token")
    assert call({"Authorization": f"Bearer {token('admin', 'clerk', hours=-1)}"}) == (401, "token_expired")
    assert call({"Authorization": f"Bearer {token('admin', 'clerk', secret='not-the-secret')}"}) == (
        401,
        "invalid_token",
    )
    assert call({"Authorization": "Bearer not.a.jwt"}) == (401, "invalid_token")
    for role in ("clerk", "handler", "supervisor", "admin"):
        status, code = call(staff_headers(role))
        if role in allowed:
            assert status in (200, 201), (role, status, code)
        else:
            assert (status, code) == (403, "forbidden"), role


def test_the_calendar_shows_official_and_estimated_years(client: Client) -> None:
    official = client.http.get("/v1/staff/calendar/2026", headers=staff_headers("handler")).json_body
    assert official["official"] is True
    assert "2026-10-01" in official["holidays"] and "2026-10-10" in official["adjusted_workdays"]
    guessed = client.http.get("/v1/staff/calendar/2027", headers=staff_headers("handler")).json_body
    assert guessed["official"] is False and guessed["adjusted_workdays"] == []
    bad = client.http.get("/v1/staff/calendar/nineteen", headers=staff_headers("handler"))
    assert bad.status_code == 422


def test_an_administrators_schedule_governs_deadlines_in_its_year(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN it is Monday 28 December 2026 and 2027's schedule is not yet known
    monkeypatch.setattr("chalicelib.wiring.now", lambda: datetime(2026, 12, 28, 10, tzinfo=CHINA))
    before = post(client, "/v1/complaints", COMPLAINT).json_body["deadlines"]["acceptance"]
    assert before == {**before, "due_date": "2027-01-07", "estimated": True}
    # WHEN the administrator stores 2027: 1–4 January off, Saturday 9 January worked
    schedule = {
        "holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"],
        "adjusted_workdays": ["2027-01-09"],
        "source": "国务院办公厅关于2027年部分节假日安排的通知",
    }
    stored = client.http.put(
        "/v1/staff/calendar/2027",
        headers={"Content-Type": "application/json", **staff_headers("admin")},
        body=json.dumps(schedule, ensure_ascii=False),
    )
    assert stored.status_code == 200 and stored.json_body["official"] is True
    # THEN new deadlines through 2027 follow it and are no longer estimates
    after = post(client, "/v1/complaints", COMPLAINT).json_body["deadlines"]["acceptance"]
    assert (after["due_date"], after["estimated"]) == ("2027-01-08", False)
    shown = client.http.get("/v1/staff/calendar/2027", headers=staff_headers("clerk")).json_body
    assert shown["source"] == schedule["source"] and shown["holidays"] == schedule["holidays"]


def test_an_inconsistent_schedule_is_refused(client: Client) -> None:
    response = client.http.put(
        "/v1/staff/calendar/2027",
        headers={"Content-Type": "application/json", **staff_headers("admin")},
        body=b'{"holidays": ["2027-01-09"], "adjusted_workdays": ["2027-01-09", "2027-01-05"]}',
    )
    assert response.status_code == 422
    assert "adjusted_workdays" in response.json_body["error"]["fields"]


def test_the_case_lists_the_actions_the_reader_may_take_in_its_state(client: Client) -> None:
    case_id = post(client, "/v1/complaints", COMPLAINT).json_body["id"]

    def actions(*roles: str, sub: str = "staff-1") -> set[str]:
        headers = {"Authorization": f"Bearer {token(*roles, sub=sub)}"}
        return set(client.http.get(f"/v1/staff/cases/{case_id}", headers=headers).json_body["actions"])

    assert actions("clerk") == {"decide"}  # nothing to complete: the web form asked for everything
    assert actions("supervisor") == {"decide", "extension"}  # assigning comes after acceptance
    version = client.http.get(f"/v1/staff/cases/{case_id}", headers=staff_headers("supervisor")).json_body["version"]
    body = {"decision": "accept", "version": version}
    assert post(client, f"/v1/staff/cases/{case_id}/decide", body, **staff_headers("clerk")).status_code == 200
    assert actions("clerk") == set()  # accepted: nothing left for a clerk on a complaint
    assert actions("supervisor") == {"assign", "extension"}
    assert actions("handler") == set()  # not assigned to them

    def act(action: str, body: dict[str, object], headers: dict[str, str]) -> None:
        version = client.http.get(f"/v1/staff/cases/{case_id}", headers=headers).json_body["version"]
        done = post(client, f"/v1/staff/cases/{case_id}/{action}", {**body, "version": version}, **headers)
        assert done.status_code == 200, done.json_body

    handler = {"Authorization": f"Bearer {token('handler', sub='h-1')}"}
    act("assign", {"unit": "u1", "handler": "h-1"}, staff_headers("supervisor"))
    assert {"mediation", "respond", "pause"} <= actions("handler", sub="h-1")
    clocks = client.http.get(f"/v1/staff/cases/{case_id}", headers=handler).json_body["deadlines"]
    assert clocks["mediation"]["extension_left"] == 0  # SAMR art. 25: the 60 days are not extended
    act("pause", {"reason": "testing"}, handler)
    # paused for a test, the case is neither mediated nor answered until it resumes: neither is offered
    paused = actions("handler", sub="h-1")
    assert "resume" in paused and not {"mediation", "respond", "pause"} & paused
    version = client.http.get(f"/v1/staff/cases/{case_id}", headers=handler).json_body["version"]
    answer = {"message": "m", "outcome": "resolved", "version": version}
    refused = post(client, f"/v1/staff/cases/{case_id}/respond", answer, **handler)
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "invalid_state"
