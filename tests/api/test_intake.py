"""Public intake: registration, deadlines, split submissions, anonymity, idempotency, atomicity."""

from __future__ import annotations

import copy
import json
import zlib
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.domain import codes
from chalicelib.settings import get_settings
from tests.conftest import COMPLAINT, post


def items(table: str) -> list[dict[str, Any]]:
    """Everything stored in a table — a test-side inspection, never done by the app."""
    return boto3.client("dynamodb").scan(TableName=table)["Items"]


def register_items(stage_env: dict[str, str]) -> list[dict[str, Any]]:
    return items(stage_env["REGISTER_TABLE"])


def unpacked(item: dict[str, Any]) -> dict[str, Any]:
    """A stored JSON document (compressed: `PackedJSONAttribute`)."""
    document: dict[str, Any] = json.loads(zlib.decompress(item["body"]["B"]))
    return document


def readable(stored: list[dict[str, Any]]) -> str:
    """Every stored byte as text, the compressed documents decompressed: what must not be kept is not there."""
    return json.dumps(stored, ensure_ascii=False, default=lambda packed: zlib.decompress(packed).decode())


def stored_cases(stage_env: dict[str, str]) -> list[dict[str, Any]]:
    """The cases as the register keeps them: each its CASE item (what changes) and its DETAILS (what the
    intake fixed), one JSON document each."""
    stored = register_items(stage_env)
    details = {i["pk"]["S"]: unpacked(i) for i in stored if i["sk"]["S"] == "DETAILS"}
    return [{**details[i["pk"]["S"]], **unpacked(i)} for i in stored if i["sk"]["S"] == "CASE"]


def test_a_complaint_is_registered_with_its_acceptance_deadline(client: Client, stage_env: dict[str, str]) -> None:
    response = post(client, "/v1/complaints", COMPLAINT)
    assert response.status_code == 201
    receipt = response.json_body
    assert receipt["status"] == "received" and receipt["kind"] == "complaint"
    assert codes.normalise_tracking_code(receipt["tracking_code"]) == receipt["tracking_code"]
    assert len(receipt["access_code"]) == 8
    acceptance = receipt["deadlines"]["acceptance"]
    assert acceptance["basis"] == "working_days" and acceptance["length"] == 7
    assert acceptance["due_at"].endswith("T23:59:59+08:00")
    assert receipt["received_at"].endswith("+08:00")
    assert receipt["linked"] == []
    # the app wrote the case (marked as its execution's start, for the stream's hand-over) and its details,
    # its tracking-code claim and its first timeline event; the TASK item is the execution's own, written
    # when it enters its first wait (it may have by now)
    stored = register_items(stage_env)
    kinds = sorted(kind for i in stored if (kind := i["sk"]["S"].split("#")[0]) != "TASK")
    assert kinds == ["CASE", "DETAILS", "EVENT", "OUTBOX", "TRACKING"]
    # the receipt notice waits in the outbox (SMS to the phone given), its access code sealed, never plain
    (notice,) = [i for i in stored if i["sk"]["S"].startswith("OUTBOX#")]
    assert json.loads(notice["message"]["S"])["milestone"] == "received"
    assert receipt["access_code"] not in json.dumps(notice) and notice["sealed"]["S"]
    assert "handoff_at" in next(i for i in stored if i["sk"]["S"] == "CASE")
    (case,) = stored_cases(stage_env)
    assert case["complainant"]["phone"] == "+8613800138000"
    assert case["amount"] == "25.00"
    assert next(i for i in stored if i["sk"]["S"] == "CASE")["version"]["N"] == "1"
    # only a keyed hash of the access code is kept, on the claim, and the key is not in the table
    assert receipt["access_code"] not in readable(stored)
    claim = next(i for i in stored if i["sk"]["S"] == "TRACKING")
    key = get_settings().app_secret
    assert codes.access_code_matches(
        receipt["access_code"], receipt["tracking_code"], claim["access_code_hash"]["S"], key
    )
    assert key.decode() not in readable(stored)


def test_a_complaint_that_also_reports_a_violation_is_split_into_two_linked_cases(
    client: Client, stage_env: dict[str, str]
) -> None:
    body = {**COMPLAINT, "suspected_violation": "销售超过保质期的食品"}
    receipt = post(client, "/v1/complaints", body).json_body
    (report,) = receipt["linked"]
    assert receipt["kind"] == "complaint" and report["kind"] == "report"
    assert report["tracking_code"] != receipt["tracking_code"]
    assert report["deadlines"]["acceptance"]["length"] == 15
    cases = stored_cases(stage_env)
    assert {c["kind"] for c in cases} == {"complaint", "report"}
    by_id = {c["id"]: c for c in cases}
    assert by_id[receipt["id"]]["linked_case_ids"] == [report["id"]]
    assert by_id[report["id"]]["linked_case_ids"] == [receipt["id"]]
    # one access code opens both
    for code in (receipt["tracking_code"], report["tracking_code"]):
        view = client.http.get(f"/v1/complaints/{code}", headers={"X-Access-Code": receipt["access_code"]})
        assert view.status_code == 200


def test_an_anonymous_report_stores_no_identity(client: Client, stage_env: dict[str, str]) -> None:
    body = {
        "kind": "report",
        "complainant": {"anonymous": True, "name": "不想留名", "phone": "13912345678"},
        "respondent": {"name": "某某药店"},
        "facts": "无证销售处方药",
    }
    receipt = post(client, "/v1/complaints", body).json_body
    stored = readable(register_items(stage_env))
    assert "不想留名" not in stored and "13912345678" not in stored
    (case,) = stored_cases(stage_env)
    assert case["anonymous"] is True
    assert "complainant" not in case
    # the anonymous reporter can still follow the report
    view = client.http.get(
        f"/v1/complaints/{receipt['tracking_code']}", headers={"X-Access-Code": receipt["access_code"]}
    )
    assert view.json_body["kind"] == "report"


def test_a_complaint_cannot_be_anonymous(client: Client) -> None:
    body = {**COMPLAINT, "complainant": {"anonymous": True}}
    response = post(client, "/v1/complaints", body)
    assert response.status_code == 422
    assert "complainant.anonymous" in response.json_body["error"]["fields"]


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(
    client: Client, stage_env: dict[str, str]
) -> None:
    first = post(client, "/v1/complaints", COMPLAINT, **{"Idempotency-Key": "form-7f3a"})
    again = post(client, "/v1/complaints", COMPLAINT, **{"Idempotency-Key": "form-7f3a"})
    assert first.status_code == again.status_code == 201
    assert again.json_body == first.json_body
    assert len(stored_cases(stage_env)) == 1
    # the same key with another body is refused, and registers nothing
    other = copy.deepcopy(COMPLAINT)
    other["facts"] = "另一件事"
    reused = post(client, "/v1/complaints", other, **{"Idempotency-Key": "form-7f3a"})
    assert reused.status_code == 422
    assert reused.json_body["error"]["code"] == "idempotency_key_reused"
    assert len(stored_cases(stage_env)) == 1
    # without a key, each submission is a new case
    post(client, "/v1/complaints", COMPLAINT)
    assert len(stored_cases(stage_env)) == 2


def test_a_tracking_code_collision_writes_nothing_and_draws_again(
    client: Client, stage_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = post(client, "/v1/complaints", COMPLAINT).json_body["tracking_code"]
    # GIVEN the next split submission's report draws the tracking code already in use
    fresh = iter([codes.new_tracking_code(), taken, codes.new_tracking_code(), codes.new_tracking_code()])
    monkeypatch.setattr("chalicelib.service.intake.new_tracking_code", lambda: next(fresh))
    receipt = post(client, "/v1/complaints", {**COMPLAINT, "suspected_violation": "虚假宣传"}).json_body
    # THEN the failed transaction left nothing behind: exactly three cases, each with its own code
    cases = stored_cases(stage_env)
    assert len(cases) == 3
    assert len({c["tracking_code"] for c in cases}) == 3
    assert taken not in (receipt["tracking_code"], receipt["linked"][0]["tracking_code"])
    claims = [i for i in register_items(stage_env) if i["sk"]["S"] == "TRACKING"]
    assert len(claims) == 3


def test_enquiries_get_a_two_working_day_answer_clock_and_suggestions_none(client: Client) -> None:
    enquiry = {"kind": "enquiry", "complainant": {"name": "赵六", "phone": "021-63211234"}, "facts": "退货期限是多久？"}
    receipt = post(client, "/v1/complaints", enquiry).json_body
    assert receipt["deadlines"]["answer"]["length"] == 2
    suggestion = {**enquiry, "kind": "suggestion", "facts": "建议延长热线服务时间"}
    assert post(client, "/v1/complaints", suggestion).json_body["deadlines"] == {}
