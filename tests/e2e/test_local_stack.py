"""The running local stack, driven over HTTP as a complainant, a clerk and an administrator would."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import COMPLAINT, token
from tests.e2e.conftest import Stack, _start, stop
from tests.workflow.conftest import eventually

pytestmark = pytest.mark.e2e


def test_submit_track_and_withdraw_over_http(stack: Stack) -> None:
    receipt = requests.post(f"{stack.url}/v1/complaints", json=COMPLAINT, timeout=10)
    assert receipt.status_code == 201, receipt.text
    code, access = receipt.json()["tracking_code"], receipt.json()["access_code"]
    page = requests.get(f"{stack.url}/v1/complaints/{code}", headers={"X-Access-Code": access}, timeout=10)
    assert page.json()["status"] == "received"
    assert page.json()["deadlines"] == receipt.json()["deadlines"]
    gone = requests.post(f"{stack.url}/v1/complaints/{code}/withdraw", headers={"X-Access-Code": access}, timeout=10)
    assert gone.json()["status"] == "withdrawn"


def test_clerk_intake_and_calendar_over_http(stack: Stack) -> None:
    clerk = {"Authorization": f"Bearer {token('clerk')}"}
    body = {**COMPLAINT, "channel": "walk_in", "received_at": "2026-04-30T11:00:00+08:00"}
    receipt = requests.post(f"{stack.url}/v1/staff/intake", json=body, headers=clerk, timeout=10)
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["deadlines"]["acceptance"]["due_date"] == "2026-05-13"
    year = requests.get(f"{stack.url}/v1/staff/calendar/2026", headers=clerk, timeout=10).json()
    assert year["official"] is True and "2026-05-09" in year["adjusted_workdays"]
    forbidden = requests.put(
        f"{stack.url}/v1/staff/calendar/2027", json={"holidays": [], "adjusted_workdays": []}, headers=clerk, timeout=10
    )
    assert forbidden.status_code == 403


def test_ctrl_c_stops_everything_the_stack_started() -> None:
    own = _start()
    assert stop(own) == 0
    for url in (own.url, own.moto_url):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=2)


def test_the_workflow_runs_on_the_local_stack_escalation_and_decision(stack: Stack) -> None:
    staff = {"Authorization": f"Bearer {token('clerk', 'supervisor', sub='sup-9')}"}
    late = {**COMPLAINT, "channel": "letter", "received_at": "2026-09-01T09:00:00+08:00"}
    case_id = requests.post(f"{stack.url}/v1/staff/intake", json=late, headers=staff, timeout=10).json()["id"]

    def case() -> dict[str, Any]:
        return requests.get(f"{stack.url}/v1/staff/cases/{case_id}", headers=staff, timeout=10).json()

    # the execution (moto, in the stack) times out at once and its Lambda task records the escalation
    escalated = eventually(lambda: [e for e in case()["timeline"] if e["type"] == "escalated"], "an escalation")
    assert escalated[0]["clock"] == "acceptance"
    decided = requests.post(
        f"{stack.url}/v1/staff/cases/{case_id}/decide",
        json={"decision": "accept", "version": case()["version"]},
        headers=staff,
        timeout=10,
    )
    assert decided.status_code == 200, decided.text
    assert eventually(lambda: case()["step"] == "assignment", "the step to move on")
