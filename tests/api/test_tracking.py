"""The complainant's tracking page and actions: one 404 for every wrong answer, guessing slowed down."""

from __future__ import annotations

from typing import Any

from chalice.test import Client

from tests.conftest import COMPLAINT, post


def submitted(client: Client, **changes: Any) -> dict[str, Any]:
    return post(client, "/v1/complaints", {**COMPLAINT, **changes}).json_body


def view(client: Client, tracking_code: str, access_code: str) -> Any:
    return client.http.get(f"/v1/complaints/{tracking_code}", headers={"X-Access-Code": access_code})


def test_the_complainant_sees_status_deadlines_and_public_timeline_but_no_phone(client: Client) -> None:
    receipt = submitted(client)
    response = view(client, receipt["tracking_code"], receipt["access_code"])
    assert response.status_code == 200
    body = response.json_body
    assert body["status"] == "received"
    assert body["deadlines"] == receipt["deadlines"]
    assert [e["type"] for e in body["timeline"]] == ["received"]
    assert body["respondent"] == COMPLAINT["respondent"]["name"]
    assert "13800138000" not in response.body.decode()
    # spaces and dashes as a person types them are fine
    code = receipt["tracking_code"]
    assert view(client, f"{code[:4]}-{code[4:8]} {code[8:]}", receipt["access_code"]).status_code == 200


def test_wrong_access_code_and_unknown_tracking_code_get_the_same_answer(client: Client) -> None:
    receipt = submitted(client)
    wrong = view(client, receipt["tracking_code"], "00000000")
    unknown = view(client, "000000000000", receipt["access_code"])
    missing = client.http.get(f"/v1/complaints/{receipt['tracking_code']}")
    assert wrong.status_code == unknown.status_code == missing.status_code == 404
    assert wrong.json_body == unknown.json_body == missing.json_body


def test_repeated_wrong_codes_are_slowed_down_even_for_the_right_code(client: Client) -> None:
    receipt = submitted(client)
    for _ in range(5):
        assert view(client, receipt["tracking_code"], "11111111").status_code == 404
    locked = view(client, receipt["tracking_code"], receipt["access_code"])
    assert locked.status_code == 429
    assert locked.json_body["error"]["code"] == "too_many_attempts"
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    # other cases are not affected
    other = submitted(client)
    assert view(client, other["tracking_code"], other["access_code"]).status_code == 200


def test_withdrawal_ends_the_case_once(client: Client) -> None:
    receipt = submitted(client)
    path = f"/v1/complaints/{receipt['tracking_code']}/withdraw"
    headers = {"X-Access-Code": receipt["access_code"]}
    done = post(client, path, {"reason": "商家已主动退款"}, **headers)
    assert done.status_code == 200
    assert done.json_body["status"] == "withdrawn"
    assert [e["type"] for e in done.json_body["timeline"]] == ["received", "withdrawn"]
    again = client.http.post(path, headers=headers)
    assert again.status_code == 409
    assert again.json_body["error"]["code"] == "invalid_state"
    wrong = post(client, path, {}, **{"X-Access-Code": "12345678"})
    assert wrong.status_code == 404


def test_feedback_and_appeal_wait_for_a_response_and_a_closing(client: Client) -> None:
    receipt = submitted(client)
    headers = {"X-Access-Code": receipt["access_code"]}
    code = receipt["tracking_code"]
    feedback = post(client, f"/v1/complaints/{code}/feedback", {"satisfied": True}, **headers)
    assert feedback.status_code == 409 and feedback.json_body["error"]["code"] == "invalid_state"
    appeal = post(client, f"/v1/complaints/{code}/appeal", {"reason": "处理不公"}, **headers)
    assert appeal.status_code == 409
