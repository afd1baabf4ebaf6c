"""The staff console's actions in a browser, each form filled by its visible labels and sent with its button, as a
person would: pause and resume, mediation, an extension asked for and approved, close, reopen, complete, notify, and
an evidence download. What the test is not about (intake, acceptance, assignment) goes through the API; what the
page did is checked on the page and, through the API, in the register."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from typing import Any

import boto3
import requests
from playwright.sync_api import Locator, Page, expect

from local.launch import Launched
from local.stage import stage_environment
from tests.conftest import TINY_JPEG
from tests.web.conftest import checked
from tests.web.test_console import open_case, record, sign_in, staff, submit
from tests.workflow.conftest import eventually

#: What the case page must not show staff: the API's own names for its fields and codes.
RAW_NAMES = (
    *("pause_reason", "resume_to", "working_days", "due_date", "started_at", "reason", "outcome", "clock"),
    *("brand:", "name:", "testing", "follow_up", "filing_decision", "respondent", "request"),
)


def api_act(site: Launched, case_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
    """A step the test is not about, through the API (a supervisor, who may take any)."""
    answer = requests.post(
        f"{site.url}/v1/staff/cases/{case_id}/{action}",
        json={**body, "version": record(site, case_id)["version"]},
        headers=staff("supervisor", sub="sup-api"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def chinese_date(value: str) -> str:
    day = date.fromisoformat(value)
    return f"{day.year}年{day.month}月{day.day}日"


def form(page: Page, action: str) -> Locator:
    return page.locator(f"form[data-action={action}]")


def send(page: Page, action: str, name: str) -> dict[str, Any]:
    """Click the form's submit button; once the page shows the case the API answered with (its version), the case."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(f"/{action}")) as sent:
        form(page, action).get_by_role("button", name=f"提交：{name}").click()
    assert sent.value.status == 200, sent.value.text()
    case: dict[str, Any] = sent.value.json()
    expect(field(page, "版本")).to_have_text(str(case["version"]))
    expect(page.locator("#action-done")).to_have_text(f"已完成：{name}。")
    return case


def clock_row(page: Page, clock: str) -> Locator:
    """The deadlines table's row of a clock, by its name (调解, 回访 …)."""
    return page.locator("table.deadlines tbody tr").filter(has=page.get_by_role("rowheader", name=clock, exact=True))


def no_raw_names(page: Page) -> None:
    text = page.locator("main").inner_text()
    assert [name for name in RAW_NAMES if name in text] == []


def field(page: Page, name: str) -> Locator:
    """The value the case's summary shows for `name` (状态, 流程环节, 版本 …)."""
    return page.locator(f"dl.facts dt:text-is('{name}') + dd")


def newest_entry(page: Page) -> Locator:
    return page.locator(".timeline li").first


def other_details(page: Page) -> Locator:
    """The case page's "other details": a pause, a mediation, an extension waiting, the response."""
    return page.locator("section[aria-labelledby=s-other]")


def pause_for_testing_and_resume(handler: Page, site: Launched, case_id: str) -> None:
    """鉴定/检测: the mediation clock stops while the milk is tested, then runs again."""
    pause = form(handler, "pause")
    pause.get_by_label("暂停原因").select_option(label="检测")
    pause.get_by_label("备注").fill("样品送检，检测报告约需两周。")
    case = send(handler, "pause", "暂停计时（鉴定/检测）")
    assert case["paused"]["reason"] == "testing" and case["deadlines"]["mediation"]["paused"] is True
    expect(clock_row(handler, "调解")).to_contain_text("已暂停")
    expect(field(handler, "流程环节")).to_have_text("暂停（鉴定/检测）")
    expect(other_details(handler)).to_contain_text("暂停原因检测")
    expect(other_details(handler)).to_contain_text("恢复后回到调查处理中")
    expect(newest_entry(handler)).to_contain_text("暂停计时 · 由 钱承办 · 原因：检测 · 备注：样品送检")
    assert record(site, case_id)["step"] == "paused"
    no_raw_names(handler)
    checked(handler, "console-case-paused")

    case = send(handler, "resume", "恢复计时")
    assert case["paused"] is None and case["deadlines"]["mediation"]["paused"] is False
    expect(clock_row(handler, "调解")).to_contain_text(re.compile(r"还剩 \d+ 个自然日"))
    expect(other_details(handler)).to_have_count(0)
    due = chinese_date(case["deadlines"]["mediation"]["due_date"])
    expect(newest_entry(handler)).to_contain_text(f"恢复计时 · 由 钱承办 · 时限：调解 · 新的截止日期：{due}")
    # the 60 days of mediation are never extended (SAMR art. 25): no extension form is offered meanwhile
    assert case["deadlines"]["mediation"]["extension_left"] == 0
    expect(handler.locator("[data-action-waiting=extension]")).to_contain_text("现在没有可以延期的期限")


def mediate_to_an_agreement(handler: Page) -> None:
    """Mediation only with both parties' consent (the browser will not send it without), its arrangements, then
    the agreement and its terms."""
    mediation = form(handler, "mediation")
    consents = mediation.get_by_role("checkbox", name=re.compile("^投诉人同意调解"))
    mediation.get_by_role("button", name="提交：调解").click()
    assert consents.evaluate("box => box.validity.valueMissing") is True
    consents.check()
    mediation.get_by_role("checkbox", name=re.compile("^被投诉人同意调解")).check()
    mediation.get_by_label("调解时间").fill("2026-12-01T14:30")
    mediation.get_by_label("调解地点").fill("徐汇区市场监管局调解室")
    mediation.get_by_label("调解员").fill("周调解")
    case = send(handler, "mediation", "调解")
    assert case["status"] == "mediating"
    assert case["mediation"]["time"] == "2026-12-01T14:30:00+08:00" and case["mediation"]["mediator"] == "周调解"
    expect(field(handler, "状态")).to_have_text("调解中")
    expect(other_details(handler)).to_contain_text("调解时间2026年12月1日 14:30")
    expect(other_details(handler)).to_contain_text("调解地点徐汇区市场监管局调解室")
    checked(handler, "console-case-mediation")

    mediation.get_by_label("步骤").select_option(label="达成协议")
    mediation.get_by_label("协议内容").fill("商家退货退款 25 元，另赔偿 100 元。")
    case = send(handler, "mediation", "调解")
    assert (case["status"], case["mediation"]["outcome"]) == ("investigating", "agreement")
    expect(field(handler, "状态")).to_have_text("调查中")
    expect(other_details(handler)).to_contain_text("调解结果达成调解协议")
    expect(other_details(handler)).to_contain_text("协议内容商家退货退款 25 元")


def respond_and_ask_for_time(handler: Page) -> str:
    """The answer; then the follow-up (回访) cannot be done in time, and the handler asks a supervisor for three
    more working days. The follow-up's due date before the extension."""
    respond = form(handler, "respond")
    respond.get_by_label("答复内容").fill("经调解，商家退货退款并赔偿 100 元。")
    respond.get_by_label("处理结果").select_option(label="已解决")
    respond.get_by_label("赔偿金额").fill("100")
    case = send(handler, "respond", "答复")
    assert case["status"] == "responded" and case["response"]["compensation_amount"] == "100.00"
    expect(other_details(handler)).to_contain_text("处理结果已解决")
    expect(other_details(handler)).to_contain_text("赔偿金额（元）100.00")

    extension = form(handler, "extension")
    clock = extension.get_by_role("combobox", name=re.compile("^时限"))
    expect(clock.locator("option")).to_have_text(["回访"])  # only a clock still running can be extended
    extension.get_by_label("延长多少").fill("3")
    extension.get_by_label("申请理由").fill("投诉人出差，回访须延后。")
    case = send(handler, "extension", "延期")
    assert case["pending_extension"]["clock"] == "follow_up" and case["pending_extension"]["length"] == 3
    expect(other_details(handler)).to_contain_text("申请延长的时限回访")
    expect(other_details(handler)).to_contain_text("申请延长3 个工作日")
    expect(handler.locator("[data-action-waiting=extension]")).to_contain_text("正在等待主管决定")
    no_raw_names(handler)
    return str(case["deadlines"]["follow_up"]["due_date"])


def extend_close_and_reopen(supervisor: Page, before: str) -> None:
    """A supervisor approves the extension (the due date moves), closes the case, then sends it back to its
    handler (重新派单)."""
    expect(form(supervisor, "extension").get_by_label("批准延期", exact=True)).to_be_checked()
    case = send(supervisor, "extension", "延期")
    after = case["deadlines"]["follow_up"]
    assert case["pending_extension"] is None and after["extended"] == 3 and after["due_date"] > before
    row = clock_row(supervisor, "回访")
    expect(row).to_contain_text(chinese_date(after["due_date"]))
    expect(row).to_contain_text("已延长 3 个工作日")

    form(supervisor, "close").get_by_label("备注").fill("已回访，投诉人无异议。")
    case = send(supervisor, "close", "结案")
    assert case["status"] == "closed"
    expect(field(supervisor, "状态")).to_have_text("已结案")
    expect(clock_row(supervisor, "申诉期")).to_contain_text("还剩")

    form(supervisor, "reopen").get_by_label("理由").fill("抽查发现赔偿未到账。")
    send(supervisor, "reopen", "重新派单")
    expect(field(supervisor, "状态")).to_have_text("已交办")
    expect(newest_entry(supervisor)).to_contain_text("重新派单 · 由 孙主任 · 理由：抽查发现赔偿未到账。")


def test_a_handler_pauses_mediates_and_asks_for_time_a_supervisor_extends_closes_and_reopens(
    desktop: Page, second_desktop: Page, site: Launched
) -> None:
    receipt = submit(site)
    case_id, code = receipt["id"], receipt["tracking_code"]
    api_act(site, case_id, "decide", {"decision": "accept"})
    api_act(site, case_id, "assign", {"unit": "xuhui", "handler": "h-2", "handler_name": "钱承办"})

    handler, supervisor = desktop, second_desktop
    sign_in(handler, "h-2", "钱承办", "承办人")
    open_case(handler, case_id, code)
    # the product as words, not as the API's field names
    content = handler.get_by_role("region", name="内容")
    expect(content).to_contain_text("名称：鲜牛奶；品牌：某某；数量：2；价格（元）：12.50；购买日期：2026年11月1日")
    pause_for_testing_and_resume(handler, site, case_id)
    mediate_to_an_agreement(handler)
    before = respond_and_ask_for_time(handler)

    sign_in(supervisor, "sup-3", "孙主任", "主管")
    open_case(supervisor, case_id, code)
    extend_close_and_reopen(supervisor, before)
    stored = record(site, case_id)
    assert (stored["status"], stored["handler"]["id"]) == ("assigned", "h-2")
    assert [e["type"] for e in stored["timeline"]][-4:] == ["extended", "notified", "closed", "reopened"]
    no_raw_names(supervisor)

    supervisor.get_by_role("button", name="English").click()
    timeline = supervisor.locator(".timeline")
    expect(timeline).to_contain_text("clocks paused · by 钱承办 · Why: testing")
    expect(timeline).to_contain_text("mediation · by 钱承办 · Step: agreement reached")
    expect(supervisor.get_by_role("region", name="Content")).to_contain_text("Name: 鲜牛奶; Brand: 某某; Quantity: 2")
    supervisor.get_by_role("button", name="中文").click()


def upload(site: Launched, data: bytes, filename: str) -> str:
    """A file uploaded as the public site does: an upload form from the API, then the file posted to the bucket."""
    declared: dict[str, Any] = {"filename": filename, "content_type": "image/jpeg", "size": len(data)}
    upload_form = requests.post(f"{site.url}/v1/uploads", json=declared, timeout=10).json()
    sent = requests.post(upload_form["url"], data=upload_form["fields"], files={"file": (filename, data)}, timeout=10)
    assert sent.status_code == 204, sent.text
    return str(upload_form["upload_id"])


def test_a_supervisor_downloads_a_reports_evidence_and_tells_the_reporter_it_is_filed(
    desktop: Page, site: Launched
) -> None:
    report: dict[str, Any] = {
        "kind": "report",
        "complainant": {"name": "李举报", "phone": "13900139000"},
        "respondent": {"name": "某某药店", "address": "上海市静安区南京西路1号"},
        "facts": "该药店销售过期药品，附购药发票。",
        "evidence": [upload(site, TINY_JPEG, "发票.jpg")],
    }
    receipt = submit(site, report)
    case_id, code = receipt["id"], receipt["tracking_code"]
    api_act(site, case_id, "decide", {"decision": "accept"})  # filed (立案): the real-name reporter must be told

    page = desktop
    sign_in(page, "sup-4", "吴主任", "主管")
    open_case(page, case_id, code)
    evidence = page.get_by_role("region", name="证据")
    expect(evidence).to_contain_text("发票.jpg · image/jpeg")
    with page.expect_popup():  # the file opens (downloads) in a new tab
        evidence.get_by_role("button", name="下载 发票.jpg").click()
    link = evidence.get_by_role("link", name="打开 发票.jpg")
    expect(link).to_be_focused()
    expect(evidence).to_contain_text(re.compile(r"下载链接已生成（.+ 前有效）"))
    downloaded = requests.get(str(link.get_attribute("href")), timeout=10)
    assert downloaded.status_code == 200 and downloaded.content == TINY_JPEG
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    assert "%E5%8F%91%E7%A5%A8.jpg" in downloaded.headers["Content-Disposition"]  # 发票.jpg

    expect(clock_row(page, "告知举报人")).to_contain_text(re.compile(r"还剩 \d+ 个工作日"))
    form(page, "notify").get_by_label("告知方式").select_option(label="电话")
    case = send(page, "notify", "告知举报人")
    assert case["step"] == "handling" and case["deadlines"]["notify_reporter"]["stopped_at"]
    expect(clock_row(page, "告知举报人")).to_contain_text("已停止")
    expect(page.locator("form[data-action=notify]")).to_have_count(0)
    expect(newest_entry(page)).to_contain_text("告知 · 由 吴主任 · 事项：立案决定 · 告知方式：电话")
    expect(page.locator(".timeline")).to_contain_text("收到 · 渠道：网站 · 类型：举报")
    no_raw_names(page)
    checked(page, "console-case-reporter-told")


def sms(site: Launched, sender: str, text: str) -> str:
    """An SMS to the centre, as AWS's two-way SMS delivers it (what `python -m local.sms` does); the tracking code
    of the case it registers, from the answer the stack sends back (`sent-messages.jsonl`)."""
    env = stage_environment()
    payload = {
        "originationNumber": sender,
        "destinationNumber": "+8612315",
        "messageKeyword": text.split(maxsplit=1)[0],
        "messageBody": text,
        "inboundMessageId": str(uuid.uuid4()),
        "previousPublishedMessageId": "",
    }
    sns = boto3.client(
        "sns",
        endpoint_url=site.moto_url,
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    sns.publish(TopicArn=env["SMS_INBOUND_TOPIC_ARN"], Message=json.dumps(payload, ensure_ascii=False))
    sent = site.console.parent / "sent-messages.jsonl"

    def answer() -> str | None:
        lines = sent.read_text(encoding="utf-8").splitlines() if sent.exists() else []
        texts = [m["text"] for m in map(json.loads, lines) if m["to"] == sender]
        found = re.search(r"(?<!\d)\d{12}(?!\d)", texts[0]) if texts else None
        return found[0] if found else None

    return str(eventually(answer, "the answer to the SMS"))


#: The console's header on a 360 px phone: two rows of 44 px controls (the brand and the menu button; who is
#: signed in and the sign-out button) and the bar's padding come to 100 px; a third row would add 48 px or more.
TWO_ROWS = 120


def test_a_clerk_on_a_phone_completes_a_complaint_sent_by_sms(phone: Page, site: Launched) -> None:
    sender = f"+86137{uuid.uuid4().int % 10**8:08d}"
    code = sms(site, sender, "投诉 网购手机屏幕碎裂，商家拒绝退换")
    queue = requests.get(f"{site.url}/v1/staff/cases?status=received&limit=200", headers=staff("clerk"), timeout=10)
    (case_id,) = [c["id"] for c in queue.json()["items"] if c["tracking_code"] == code]

    page = phone
    sign_in(page, "clerk-3", "钱登记", "登记员")
    header = page.locator("header")
    assert (header.bounding_box() or {"height": 999})["height"] < TWO_ROWS
    for target in (page.locator("#menu-toggle"), page.get_by_role("button", name="退出登录")):
        box = target.bounding_box() or {"width": 0, "height": 0}
        assert box["width"] >= 44 and box["height"] >= 44  # still easy to tap
    menu = page.locator("#menu-toggle")  # 菜单 / Menu
    expect(menu).to_have_accessible_name("菜单")  # the ☰ is decoration
    menu.click()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1, name="Work queue")).to_be_visible()
    menu.press("Escape")  # the menu closes and gives the focus back
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    assert (header.bounding_box() or {"height": 999})["height"] < TWO_ROWS  # the longer English words too
    row = page.locator(f"tr[data-case='{case_id}']")
    expect(row).to_contain_text("incomplete")
    row.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1, name=f"Case {code}")).to_be_focused()
    expect(page.locator("main")).to_contain_text("Incomplete: respondent, request")
    menu.click()
    page.get_by_role("button", name="中文").click()
    menu.click()

    expect(page.locator("main")).to_contain_text("待补录：被投诉人、诉求")
    # the number to call back is the clerk's to see while the entry is incomplete, and only then
    expect(page.get_by_role("region", name="投诉人")).to_contain_text(sender[-8:])
    complete = form(page, "complete")
    complete.get_by_label("被投诉人", exact=True).fill("某某数码网店")
    complete.get_by_label("被投诉人地址").fill("杭州市余杭区文一西路1号")
    complete.get_by_label("诉求", exact=True).fill("退货退款")
    complete.get_by_label("投诉人姓名").fill("赵六")
    case = send(page, "complete", "补录")
    assert case["incomplete"] == [] and case["respondent"]["name"] == "某某数码网店"
    expect(page.locator("main")).not_to_contain_text("待补录")
    expect(page.get_by_role("region", name="内容")).to_contain_text("退货退款")
    expect(newest_entry(page)).to_contain_text("补录 · 由 钱登记 · 已补录：被投诉人、诉求、投诉人姓名")
    expect(page.locator("form[data-action=complete]")).to_have_count(0)
    expect(page.locator("#identity-withheld")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(sender[-8:])
    stored = record(site, case_id)
    assert (stored["request"], stored["complainant"]["name"]) == ("退货退款", "赵六")
    assert "decide" in stored["actions"]  # now it can be accepted
    no_raw_names(page)
    checked(page, "console-case-completed")
