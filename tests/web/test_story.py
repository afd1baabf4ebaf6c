"""The issue's story in the browser, both sides at once: a complainant files on a phone, a supervisor accepts and
assigns in the console, the handler writes findings and responds, the complainant answers "not satisfied", the
supervisor reopens. Every step is a person's in a page; the API is only read, to check what the pages did."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from local.launch import Launched
from tests.web.conftest import checked
from tests.web.test_console import open_case, record, sign_in
from tests.web.test_public_site import fill_a_complaint, follow


def act(page: Page, action: str, label: str, fields: dict[str, str] | None = None) -> None:
    """Fill the action's form (text fields by label) and send it; the console says it was done."""
    form = page.locator(f"form[data-action={action}]")
    for name, value in (fields or {}).items():
        form.get_by_label(name).fill(value)
    form.get_by_role("button", name=f"提交：{label}").click()
    expect(page.locator("#action-done")).to_contain_text(label)


def accept_and_assign(supervisor: Page, site: Launched, case_id: str, code: str) -> None:
    """The supervisor signs in, finds the new case in the queue, sees who complained, accepts and assigns it."""
    sign_in(supervisor, "sup-7", "钱主任", "主管", photo="console-sign-in")
    expect(supervisor.locator("#who")).to_contain_text("主管")
    row = supervisor.locator(f"tr[data-case='{case_id}']")
    expect(row).to_contain_text("某某超市有限公司")
    expect(supervisor.locator("#queue-counts")).to_contain_text("已收到")
    checked(supervisor, "console-queue")
    row.get_by_role("link", name=code).click()
    expect(supervisor.get_by_role("heading", level=1, name=f"案件 {code}")).to_be_focused()
    expect(supervisor.locator("main")).to_contain_text("张三")  # a supervisor sees who complained
    expect(supervisor.locator("form.action")).to_have_count(len(record(site, case_id)["actions"]))
    checked(supervisor, "console-case")
    decide = supervisor.locator("form[data-action=decide]")
    decide.get_by_label("受理", exact=True).check()
    decide.get_by_role("button", name="提交：受理决定").click()
    expect(supervisor.locator("#action-done")).to_contain_text("受理决定")
    act(supervisor, "assign", "交办", {"承办单位代码": "xuhui", "承办人工号": "h-7", "承办人姓名": "孙承办"})
    case = record(site, case_id)
    assert (case["status"], case["unit"], case["handler"]["id"]) == ("assigned", "xuhui", "h-7")
    supervisor.get_by_role("button", name="English").click()
    expect(supervisor.locator("html")).to_have_attribute("lang", "en")
    expect(supervisor.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    expect(supervisor.get_by_role("heading", level=1, name=f"Case {code}")).to_be_visible()
    supervisor.get_by_role("button", name="中文").click()
    expect(supervisor.locator("html")).to_have_attribute("lang", "zh-CN")


def answer_not_satisfied(complainant: Page) -> None:
    """The complainant reads the response in full and answers "not satisfied", which needs a reason."""
    expect(complainant.locator("#case-status")).to_have_text("已答复，请告诉我们您是否满意")
    expect(complainant.locator("#response")).to_contain_text("商家同意退货，不同意十倍赔偿。")
    expect(complainant.locator("#response")).to_contain_text("部分解决")
    expect(complainant.locator("#deadlines li", has_text="受理决定")).to_contain_text("已完成")  # that clock stopped
    checked(complainant, "case-responded")
    complainant.get_by_label("不满意", exact=True).check()
    complainant.get_by_role("button", name="提交评价").click()  # "not satisfied" needs its reason
    expect(complainant.locator("#follow-errors")).to_be_focused()
    expect(complainant.locator("#feedback-comment-error")).to_have_text("请说明您不满意的原因。")
    checked(complainant, "feedback-error")
    complainant.get_by_label("意见或不满意的原因").fill("没有按规定赔偿")
    complainant.get_by_role("button", name="提交评价").click()
    expect(complainant.locator("#case-notice")).to_have_text("谢谢，已收到您的评价。")
    expect(complainant.locator("#timeline")).to_contain_text("您的回访意见")
    expect(complainant.get_by_role("button", name="提交评价")).to_have_count(0)


def test_filed_accepted_assigned_answered_not_satisfied_and_reopened(
    phone: Page, desktop: Page, second_desktop: Page, site: Launched
) -> None:
    complainant, supervisor, handler = phone, desktop, second_desktop

    complainant.goto("/")
    fill_a_complaint(complainant)
    with complainant.expect_response(lambda r: r.url.endswith("/v1/complaints") and r.request.method == "POST") as sent:
        complainant.get_by_role("button", name="提交", exact=True).click()
    receipt: dict[str, Any] = sent.value.json()
    expect(complainant.locator("#tracking-code")).to_have_text(receipt["tracking_code"])
    case_id, code = receipt["id"], receipt["tracking_code"]

    accept_and_assign(supervisor, site, case_id, code)

    sign_in(handler, "h-7", "孙承办", "承办人")
    handler.get_by_label("承办人工号").fill("h-7")
    handler.get_by_role("button", name="筛选").click()
    # the filtered list replaces the rows: a click while they are swapped reaches neither the old link nor the new
    expect(handler.locator("#queue-results[aria-busy]")).to_have_count(0)
    handler.get_by_role("link", name=code).click()
    expect(handler.get_by_role("heading", level=1, name=f"案件 {code}")).to_be_focused()
    expect(handler.get_by_role("link", name="督办")).to_have_count(0)  # supervision is not a handler's
    assert "null" not in handler.locator("body").inner_text()
    checked(handler, "console-case-handler")
    act(handler, "findings", "调查结果", {"调查结果": "经核实，牛奶已过保质期。"})
    respond = handler.locator("form[data-action=respond]")
    respond.get_by_label("答复内容").fill("商家同意退货，不同意十倍赔偿。")
    respond.get_by_label("处理结果").select_option("partly_resolved")
    respond.get_by_role("button", name="提交：答复").click()
    expect(handler.locator("#action-done")).to_contain_text("答复")

    complainant.get_by_role("button", name="去查询进度").click()
    follow(complainant, code, receipt["access_code"])
    answer_not_satisfied(complainant)

    supervisor.goto("/staff/#queue")  # not a reload: that would sign out (the token lives in the page only)
    open_case(supervisor, case_id, code)
    expect(supervisor.get_by_role("region", name="时间线")).to_contain_text("重新派单")
    expect(supervisor.locator("form[data-action=reopen]")).to_have_count(0)  # it is being handled again
    checked(supervisor, "console-case-reopened")
    act(supervisor, "assign", "交办", {"承办单位代码": "xuhui", "承办人工号": "h-8", "承办人姓名": "周承办"})
    case = record(site, case_id)
    assert (case["status"], case["handler"]["id"]) == ("assigned", "h-8")
    assert [e["type"] for e in case["timeline"]][-3:] == ["feedback", "reopened", "assigned"]
    # and the complainant's page says so
    complainant.get_by_role("button", name="刷新").click()
    expect(complainant.locator("#case-status")).not_to_have_text("已答复，请告诉我们您是否满意")
    checked(complainant, "case-reopened")
    complainant.get_by_role("button", name="English").click()
    expect(complainant.locator("#timeline")).to_contain_text("Your follow-up answer")
    checked(complainant, "case-reopened-en")
