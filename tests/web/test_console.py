"""The staff console (/staff/) in a browser: sign in, the queue, a case and its actions, supervision, the calendar."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from playwright.sync_api import Page, expect

from local.launch import Launched
from tests.conftest import COMPLAINT, token
from tests.web.conftest import checked
from tests.workflow.conftest import eventually

CHINA = timezone(timedelta(hours=8))


def staff(*roles: str, sub: str = "sup-1") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(*roles, sub=sub)}"}


def submit(site: Launched, body: dict[str, Any] = COMPLAINT) -> dict[str, Any]:
    answer = requests.post(f"{site.url}/v1/complaints", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def record(site: Launched, case_id: str) -> dict[str, Any]:
    answer = requests.get(f"{site.url}/v1/staff/cases/{case_id}", headers=staff("supervisor"), timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def sign_in(page: Page, sub: str, name: str, *roles: str, photo: str | None = None) -> None:
    """Through the sign-in form, as a person on the local stack would."""
    page.goto("/staff/")
    expect(page.get_by_role("heading", level=1, name="工作人员登录")).to_be_focused()
    page.get_by_label("工号").fill(sub)
    page.get_by_label("姓名").fill(name)
    for role in roles:
        page.get_by_label(role, exact=True).check()
    if photo:
        checked(page, photo)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="工作队列")).to_be_focused()
    expect(page.locator("#who")).to_contain_text(name)


def open_case(page: Page, case_id: str, code: str) -> None:
    page.goto(f"/staff/#case/{case_id}")
    expect(page.get_by_role("heading", level=1, name=f"案件 {code}")).to_be_visible()


def test_a_stale_tab_is_told_someone_changed_the_case_and_overwrites_nothing(
    desktop: Page, second_desktop: Page, site: Launched
) -> None:
    receipt = submit(site)
    for page, sub in ((desktop, "sup-1"), (second_desktop, "sup-2")):
        sign_in(page, sub, f"主管{sub}", "主管")
        open_case(page, receipt["id"], receipt["tracking_code"])

    first = desktop.locator("form[data-action=decide]")
    first.get_by_label("受理", exact=True).check()
    first.get_by_role("button", name="提交：受理决定").click()
    expect(desktop.locator("#action-done")).to_be_visible()

    second = second_desktop.locator("form[data-action=decide]")
    second.get_by_label("不予受理", exact=True).check()
    second.get_by_label("不予受理理由（不予受理时必选）").select_option("no_harm_shown")
    second.get_by_role("button", name="提交：受理决定").click()
    alert = second.get_by_role("alert")
    expect(alert).to_contain_text("此案件已被他人更改，请重新载入")
    reload = alert.get_by_role("button", name="重新载入")
    expect(reload).to_be_focused()
    checked(second_desktop, "console-conflict")
    assert record(site, receipt["id"])["status"] == "accepted"  # the first decision stands

    reload.click()
    expect(second_desktop.locator("form[data-action=decide]")).to_have_count(0)
    expect(second_desktop.locator("main")).to_contain_text("已受理")


def test_an_anonymous_report_shows_no_identity_in_the_queue_or_the_case(desktop: Page, site: Launched) -> None:
    report = {
        "kind": "report",
        "complainant": {"anonymous": True, "name": "匿名人甲", "phone": "13912345678"},  # never stored
        "respondent": {"name": "匿名举报的某某药店", "address": "上海市静安区南京西路1号"},
        "facts": "该药店销售过期药品。",
    }
    receipt = submit(site, report)
    page = desktop
    sign_in(page, "sup-1", "王主任", "主管")
    row = page.locator(f"tr[data-case='{receipt['id']}']")
    expect(row).to_contain_text("匿名举报的某某药店")
    open_case(page, receipt["id"], receipt["tracking_code"])
    expect(page.locator("#identity-withheld")).to_contain_text("匿名举报")
    text = page.locator("main").inner_text()
    for shown in ("姓名", "电话", "电子邮箱", "匿名人甲", "13912345678", "12345678"):
        assert shown not in text
    page.goto("/staff/#queue")
    expect(row).to_be_visible()
    queue = page.locator("main").inner_text()
    assert "匿名人甲" not in queue and "12345678" not in queue
    checked(page, "console-case-anonymous")


def test_a_clerk_sees_a_case_not_theirs_with_identity_withheld(desktop: Page, site: Launched) -> None:
    receipt = submit(site)
    page = desktop
    sign_in(page, "clerk-9", "钱登记", "登记员")
    open_case(page, receipt["id"], receipt["tracking_code"])
    expect(page.locator("#identity-withheld")).to_contain_text("投诉人身份已隐去")
    text = page.locator("main").inner_text()
    assert COMPLAINT["complainant"]["name"] not in text
    assert COMPLAINT["complainant"]["phone"] not in text


def test_an_overdue_case_shows_in_supervision(phone: Page, site: Launched) -> None:
    month_ago = (datetime.now(CHINA) - timedelta(days=30)).isoformat(timespec="seconds")
    late = {**COMPLAINT, "channel": "letter", "received_at": month_ago}
    answer = requests.post(f"{site.url}/v1/staff/intake", json=late, headers=staff("clerk", sub="clerk-1"), timeout=10)
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    # its workflow escalates it at once (督办): the supervision view lists that too
    eventually(lambda: [e for e in record(site, receipt["id"])["timeline"] if e["type"] == "escalated"], "escalation")

    page = phone
    sign_in(page, "sup-1", "王主任", "主管")
    row = page.locator(f"tr[data-case='{receipt['id']}']")
    expect(row).to_have_class(re.compile(r"\boverdue\b"))
    expect(row).to_contain_text("已超期")
    menu = page.get_by_role("button", name="菜单")  # on a phone the views fold behind the menu
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.get_by_role("link", name="督办").click()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("heading", level=1, name="督办")).to_be_focused()
    overdue = page.locator("#overdue")
    expect(overdue.get_by_role("link", name=receipt["tracking_code"]).first).to_be_visible()
    expect(page.locator("#escalations")).to_contain_text(f"{receipt['tracking_code']} · 受理决定")
    expect(page.locator("#dead-letters")).to_be_visible()
    checked(page, "console-supervision")


def test_an_admin_loads_a_year_of_the_calendar_and_saves_a_change(desktop: Page, site: Launched) -> None:
    page = desktop
    sign_in(page, "admin-1", "孙管理", "管理员")
    page.get_by_role("link", name="节假日日历").click()
    expect(page.locator("#calendar-state")).to_be_visible()  # this year's, loaded: then another is asked for
    page.get_by_label("年份").fill("2031")
    page.get_by_role("button", name="载入").click()
    expect(page.get_by_role("heading", level=1, name="节假日日历 2031")).to_be_focused()
    holidays = page.get_by_label("法定节假日（每行一个日期，YYYY-MM-DD）")
    expect(holidays).to_be_editable()
    checked(page, "console-calendar")

    page.get_by_label("调休上班日（每行一个日期，YYYY-MM-DD）").fill("2031-02-08")
    holidays.fill("2031-01-01\n2031-01-23\n2031-01-24")
    page.get_by_label("依据（如 国办发明电〔2026〕x号）").fill("测试安排")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("已保存 2031 年的安排")
    expect(page.locator("#calendar-state")).to_contain_text("已公布的正式安排")
    stored = requests.get(f"{site.url}/v1/staff/calendar/2031", headers=staff("admin"), timeout=10).json()
    assert stored["holidays"] == ["2031-01-01", "2031-01-23", "2031-01-24"]
    assert stored["adjusted_workdays"] == ["2031-02-08"]
