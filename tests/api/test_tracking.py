"""The complainant's tracking page and actions: one 404 for every wrong answer, guessing slowed down."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.register.attempts import DynamoAttemptBudget
from chalicelib.service.ports import Spent
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


def test_a_few_wrong_codes_do_not_lock_the_owner_but_a_guessing_client_is_stopped(client: Client) -> None:
    receipt = submitted(client)
    for _ in range(5):
        assert view(client, receipt["tracking_code"], "11111111").status_code == 404
    assert view(client, receipt["tracking_code"], receipt["access_code"]).status_code == 200
    # the same client keeps guessing: its own budget (20 in 15 minutes) runs out, whatever the code
    for _ in range(15):
        assert view(client, receipt["tracking_code"], "22222222").status_code == 404
    locked = view(client, receipt["tracking_code"], receipt["access_code"])
    assert locked.status_code == 429
    assert locked.json_body["error"]["code"] == "too_many_attempts"
    assert 0 < int(locked.headers["Retry-After"]) <= 900


def test_thirty_parallel_guesses_on_one_code_check_no_more_than_its_budget(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import wiring
    from chalicelib.service import tracking

    receipt = submitted(client)
    checked: list[str] = []
    real = tracking.access_code_matches

    def counting(*args: Any) -> bool:
        checked.append(args[0])
        time.sleep(0.05)  # hold the check open: the other requests run meanwhile, as on a busy server
        return real(*args)

    monkeypatch.setattr(tracking, "access_code_matches", counting)  # (moto's DynamoDB is atomic: conftest)
    budgets = tracking.Budgets(
        DynamoAttemptBudget("client", 1000, timedelta(minutes=15)),
        DynamoAttemptBudget("code", 5, timedelta(days=1)),
        DynamoAttemptBudget("recovery", 3, timedelta(days=1)),
    )
    outcomes: list[str] = []

    def guess(n: int) -> None:
        try:
            tracking.open_case(
                receipt["tracking_code"],
                f"{n:08d}",
                client=f"203.0.113.{n}",
                now=wiring.now(),
                services=wiring.services(),
                budgets=budgets,
            )
        except Exception as error:
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == 5
    assert sorted(outcomes) == ["NotFound"] * 5 + ["Throttled"] * 25


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


def test_a_budget_opens_counts_stops_and_opens_again_when_its_window_ends(client: Client) -> None:
    from chalicelib import wiring

    budget, now = DynamoAttemptBudget("code", 2, timedelta(minutes=15)), wiring.now()
    # a key never tried opens its window with the first try; then the window counts
    assert budget.spend("k", now) == Spent(0, 1) and budget.spend("k", now + timedelta(minutes=1)) == Spent(0, 2)
    # spent: the wait is what is left of the window
    assert budget.spend("k", now + timedelta(minutes=5)) == Spent(10 * 60)
    # a try given back can be taken again in the same window
    budget.refund("k")
    assert budget.spend("k", now + timedelta(minutes=6)) == Spent(0, 2)
    # once the window has ended, the next try opens a new one
    later = now + timedelta(minutes=16)
    assert budget.spend("k", later) == Spent(0, 1) and budget.spend("k", later) == Spent(0, 2)
    assert budget.spend("k", later).wait > 0
