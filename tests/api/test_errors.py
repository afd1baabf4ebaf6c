"""Bad input of every kind gets a clear 4xx in the one error shape, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from chalice.test import Client

from tests.conftest import COMPLAINT, post


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json_body["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**COMPLAINT, "kind": "praise"}, "kind"),
        ({**COMPLAINT, "kind": 5}, "kind"),
        ({**COMPLAINT, "amount": True}, "amount"),
        ({**COMPLAINT, "amount": "twenty"}, "amount"),
        ({**COMPLAINT, "product": {"name": "奶", "quantity": "2"}}, "product.quantity"),
        ({**COMPLAINT, "amount": -1}, "amount"),
        ({**COMPLAINT, "amount": 1.005}, "amount"),
        ({**COMPLAINT, "facts": "   "}, "facts"),
        ({**COMPLAINT, "facts": "长" * 5001}, "facts"),
        ({**COMPLAINT, "complainant": {"name": "张三", "phone": "12345"}}, "complainant.phone"),
        ({**COMPLAINT, "complainant": {"name": "张三"}}, "complainant"),
        ({**COMPLAINT, "respondent": {"name": "店", "region_code": "31"}}, "respondent.region_code"),
        ({**COMPLAINT, "evidence": ["../../etc/passwd"]}, "evidence.0"),
        ({**COMPLAINT, "channel": "pigeon"}, "channel"),
        ({**COMPLAINT, "occurred_at": "yesterday"}, "occurred_at"),
        ({**COMPLAINT, "vip": True}, "vip"),
        ({**COMPLAINT, "respondent": {"name": "店", "owner": "x"}}, "respondent.owner"),
        ({k: v for k, v in COMPLAINT.items() if k != "request"}, "request"),
        ({k: v for k, v in COMPLAINT.items() if k != "respondent"}, "respondent"),
    ],
)
def test_invalid_fields_are_named(client: Client, stage_env: dict[str, str], body: dict[str, Any], field: str) -> None:
    error = assert_error(post(client, "/v1/complaints", body), 422, "validation_failed")
    assert any(f == field or f.startswith(field + ".") for f in error["fields"]), error["fields"]
    assert boto3.client("dynamodb").scan(TableName=stage_env["REGISTER_TABLE"])["Count"] == 0


def test_the_message_never_echoes_what_was_sent(client: Client) -> None:
    body = {**COMPLAINT, "complainant": {"name": "张三", "phone": "1380013800"}}
    response = post(client, "/v1/complaints", body)
    assert response.status_code == 422
    assert "1380013800" not in response.body.decode()


@pytest.mark.parametrize("raw", ['{"kind": "complaint",', "not json", "\xff\xfe"])
def test_malformed_json_is_a_400(client: Client, raw: str) -> None:
    assert_error(post(client, "/v1/complaints", raw.encode("latin-1")), 400, "malformed_json")


@pytest.mark.parametrize("raw", ["[]", '"complaint"', "42", "null"])
def test_a_body_that_is_not_an_object_is_a_422(client: Client, raw: str) -> None:
    assert_error(post(client, "/v1/complaints", raw), 422, "validation_failed")


def test_an_empty_body_where_one_is_needed_is_a_400(client: Client) -> None:
    assert_error(post(client, "/v1/complaints", b""), 400, "malformed_json")


def test_a_huge_body_is_a_413(client: Client) -> None:
    body = json.dumps({**COMPLAINT, "facts": "x" * 70_000})
    assert_error(post(client, "/v1/complaints", body), 413, "payload_too_large")


def test_a_body_that_is_not_json_is_a_415(client: Client) -> None:
    response = client.http.post(
        "/v1/complaints", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=b"kind=complaint"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_an_unsupported_method_is_a_405_in_the_same_shape(client: Client) -> None:
    assert_error(client.http.delete("/v1/complaints"), 405, "method_not_allowed")
