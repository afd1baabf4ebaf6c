"""The running local stack, driven over HTTP as a complainant, a clerk and an administrator would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.deadlines import CHINA
from chalicelib.domain.schedules import builtin_schedule, estimated_schedule
from local.stage import PROJECT_DIR
from tests.conftest import COMPLAINT, TINY_JPEG, token
from tests.e2e.conftest import Stack
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
    # a walk-in typed in the next morning keeps its receipt time; one from half a year ago is refused
    yesterday = datetime.now(CHINA) - timedelta(days=1)
    body = {**COMPLAINT, "channel": "walk_in", "received_at": yesterday.isoformat(timespec="seconds")}
    receipt = requests.post(f"{stack.url}/v1/staff/intake", json=body, headers=clerk, timeout=10)
    assert receipt.status_code == 201, receipt.text
    calendar = WorkingCalendar(lambda year: builtin_schedule(year) or estimated_schedule(year))
    due, _ = calendar.add_working_days(yesterday.date(), 7)
    assert receipt.json()["deadlines"]["acceptance"]["due_date"] == due.isoformat()
    old = {**body, "received_at": "2026-04-30T11:00:00+08:00"}
    refused = requests.post(f"{stack.url}/v1/staff/intake", json=old, headers=clerk, timeout=10)
    assert refused.status_code == 422 and "received_at" in refused.json()["error"]["fields"]
    year = requests.get(f"{stack.url}/v1/staff/calendar/2026", headers=clerk, timeout=10).json()
    assert year["official"] is True and "2026-05-09" in year["adjusted_workdays"]
    forbidden = requests.put(
        f"{stack.url}/v1/staff/calendar/2027", json={"holidays": [], "adjusted_workdays": []}, headers=clerk, timeout=10
    )
    assert forbidden.status_code == 403


def test_evidence_is_uploaded_to_the_stacks_bucket_linked_and_downloaded_over_http(stack: Stack) -> None:
    declared = {"filename": "receipt.jpg", "content_type": "image/jpeg", "size": len(TINY_JPEG)}
    form = requests.post(f"{stack.url}/v1/uploads", json=declared, timeout=10).json()
    assert form["url"].startswith(stack.moto_url)  # the stack's S3, path-style
    too_big = requests.post(form["url"], data=form["fields"], files={"file": TINY_JPEG + b"\0"}, timeout=10)
    assert too_big.status_code == 400  # the local S3 keeps to the signed policy
    sent = requests.post(form["url"], data=form["fields"], files={"file": ("receipt.jpg", TINY_JPEG)}, timeout=10)
    assert sent.status_code == 204, sent.text
    body = {**COMPLAINT, "evidence": [form["upload_id"]]}
    case_id = requests.post(f"{stack.url}/v1/complaints", json=body, timeout=10).json()["id"]
    supervisor = {"Authorization": f"Bearer {token('supervisor')}"}
    link = requests.get(f"{stack.url}/v1/staff/cases/{case_id}/evidence/1", headers=supervisor, timeout=10).json()
    downloaded = requests.get(link["url"], timeout=10)
    assert downloaded.status_code == 200 and downloaded.content == TINY_JPEG
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")


def test_the_workflow_runs_on_the_local_stack_escalation_and_decision(stack: Stack) -> None:
    staff = {"Authorization": f"Bearer {token('clerk', 'supervisor', sub='sup-9')}"}
    month_ago = (datetime.now(CHINA) - timedelta(days=30)).isoformat(timespec="seconds")
    late = {**COMPLAINT, "channel": "letter", "received_at": month_ago}
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


def test_an_sms_complaint_runs_its_course_on_the_stack_and_every_notice_is_in_sent_messages(stack: Stack) -> None:
    """`python -m local.sms` publishes to the stack's inbound topic; what the complainant receives is appended
    to `sent-messages.jsonl` in the stack's data directory, in order."""
    sent = stack.console.parent / "sent-messages.jsonl"
    phone = "+8613700137000"
    staff = {"Authorization": f"Bearer {token('supervisor', 'clerk', sub='sup-e2e', name='王主任')}"}

    def sms(text: str) -> None:
        command = [
            sys.executable,
            "-m",
            "local.sms",
            "--from",
            phone,
            text,
            "--moto-port",
            stack.moto_url.rsplit(":", 1)[1],
        ]
        subprocess.run(command, cwd=PROJECT_DIR, check=True, capture_output=True, timeout=30)

    def texts() -> list[str]:
        lines = sent.read_text(encoding="utf-8").splitlines() if sent.exists() else []
        return [json.loads(line)["text"] for line in lines if json.loads(line)["to"] == phone]

    def wait_for(words: str, count: int) -> list[str]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            got = texts()
            if len(got) >= count and words in got[count - 1]:
                return got
            time.sleep(0.2)
        raise AssertionError(f"no text {count} with {words!r}: {texts()}")

    def act(case_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        version = requests.get(f"{stack.url}/v1/staff/cases/{case_id}", headers=staff, timeout=10).json()["version"]
        answer = requests.post(
            f"{stack.url}/v1/staff/cases/{case_id}/{action}",
            json={**body, "version": version},
            headers=staff,
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    sms("投诉 网购手机屏幕碎裂，商家拒绝退换")
    first = wait_for("工作人员将致电补录", 1)[0]
    code = first.split("查询码")[1][:12]
    found = requests.get(f"{stack.url}/v1/staff/cases?status=received", headers=staff, timeout=10).json()["items"]
    (case_id,) = [c["id"] for c in found if c["tracking_code"] == code]
    act(case_id, "complete", {"respondent": "某网店", "request": "退货退款", "complainant_name": "赵六"})
    act(case_id, "decide", {"decision": "accept"})
    wait_for("已受理", 2)
    act(case_id, "assign", {"unit": "u1", "handler": "sup-e2e"})
    act(case_id, "respond", {"message": "商家同意换货", "outcome": "partly_resolved"})
    wait_for("满意请回复1", 3)
    sms("2 没有换货")
    wait_for("感谢", 4)
    act(case_id, "respond", {"message": "已换货", "outcome": "resolved"})
    wait_for("满意请回复1", 5)
    sms("1")
    got = wait_for("已办结", 6)
    assert requests.get(f"{stack.url}/v1/staff/cases/{case_id}", headers=staff, timeout=10).json()["status"] == "closed"
    assert all(phone[3:] not in text for text in got)  # no text carries the complainant's own number


def test_an_email_delivered_to_the_mail_bucket_registers_a_case_and_is_answered(stack: Stack, tmp_path: Path) -> None:
    """`python -m local.mail` puts the raw mail where SES receipt would; the bucket's notification reaches
    `receive_mail` through the mail queue, and the answer (with the codes) is in `sent-messages.jsonl`."""
    sent = stack.console.parent / "sent-messages.jsonl"
    sender = f"li.{uuid.uuid4().hex[:8]}@example.com"
    mail = tmp_path / "complaint.eml"
    mail.write_bytes(
        (
            f"From: Li Si <{sender}>\r\nTo: ts@complaints.local\r\nSubject: 投诉 某某超市出售过期牛奶\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "11月1日在某某超市（上海市徐汇区漕溪北路88号）买到过期牛奶，要求退货赔偿。\r\n"
        ).encode()
    )
    moto_port = stack.moto_url.rsplit(":", 1)[1]
    command = [sys.executable, "-m", "local.mail", str(mail), "--moto-port", moto_port]
    subprocess.run(command, cwd=PROJECT_DIR, check=True, capture_output=True, timeout=30)

    def answers() -> list[dict[str, Any]]:
        lines = sent.read_text(encoding="utf-8").splitlines() if sent.exists() else []
        return [m for m in map(json.loads, lines) if m["to"] == sender]

    (answer,) = eventually(answers, "the answer to the mail")
    assert answer["channel"] == "email" and answer["subject"]
    code = re.search(r"(?<!\d)\d{12}(?!\d)", answer["text"])
    assert code, answer["text"]
    staff = {"Authorization": f"Bearer {token('supervisor', sub='sup-mail')}"}
    queue = requests.get(f"{stack.url}/v1/staff/cases", headers=staff, timeout=10).json()["items"]
    (case,) = [c for c in queue if c["tracking_code"] == code[0]]
    assert case["incomplete"] is True  # a clerk records what the mail could not say
