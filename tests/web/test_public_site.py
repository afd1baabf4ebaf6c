"""The public site (`/`): a complainant files, keeps the two codes, follows the case and acts on it, on a phone
and on a desktop, in Chinese and in English, with the mouse or the keyboard alone. Staff steps the page cannot
take are taken through the API."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import requests
from playwright.sync_api import Page, expect

from local.launch import Launched
from tests.conftest import COMPLAINT, TINY_JPEG, token
from tests.web.conftest import checked

STAFF = {"Authorization": f"Bearer {token('clerk', 'supervisor', 'handler', sub='web-staff')}"}


def chinese_date(value: str) -> str:
    day = date.fromisoformat(value)
    return f"{day.year}年{day.month}月{day.day}日"


def file_by_api(site: Launched, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = requests.post(f"{site.url}/v1/complaints", json=body or COMPLAINT, timeout=10)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def staff_act(site: Launched, case_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
    version = requests.get(f"{site.url}/v1/staff/cases/{case_id}", headers=STAFF, timeout=10).json()["version"]
    answer = requests.post(
        f"{site.url}/v1/staff/cases/{case_id}/{action}", json={**body, "version": version}, headers=STAFF, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def address_bar(page: Page) -> str:
    """What the address bar holds now, as the page itself sees it."""
    return str(page.evaluate("location.href"))


def follow(page: Page, tracking_code: str, access_code: str) -> None:
    page.locator("#follow-tracking").fill(tracking_code)
    page.locator("#follow-access").fill(access_code)
    page.locator("#follow-submit").click()


def next_step(page: Page, title: str) -> None:
    """On to the next step: its question is announced (focused) and the one before is out of sight."""
    page.get_by_role("button", name="下一步").click()
    expect(page.locator("#step-title")).to_have_text(title)
    expect(page.locator("#step-title")).to_be_focused()


def fill_a_complaint(page: Page) -> None:
    """The form filled in step by step as a complainant would, in Chinese, up to the last step (evidence)."""
    expect(page.locator("#kind-complaint")).to_be_checked()
    next_step(page, "2. 您是谁")
    page.locator("#complainant-name").fill("张三")
    page.locator("#complainant-phone").fill("13800138000")
    next_step(page, "3. 您投诉或举报谁，在哪里")
    page.get_by_label("被投诉（举报）的商家或单位名称").fill("某某超市有限公司")
    page.get_by_label("商家地址").fill("上海市徐汇区漕溪北路88号")
    page.get_by_label("所在地区代码").fill("310104")
    next_step(page, "4. 发生了什么，什么时候")
    page.get_by_label("事情经过").fill("买到过期牛奶")
    next_step(page, "5. 您的诉求")
    page.get_by_label("您希望如何解决").fill("退货并按价款十倍赔偿")
    next_step(page, "6. 证据")


def read_over_and_change_the_address(page: Page) -> None:
    """The last step reads the answers back; a part is changed from there and the steps walked again."""
    review = page.get_by_role("region", name="请核对您填写的内容")
    expect(review).to_contain_text("张三，13800138000")
    expect(review).to_contain_text("某某超市有限公司，上海市徐汇区漕溪北路88号，310104")
    expect(review).to_contain_text("退货并按价款十倍赔偿")
    review.get_by_role("button", name="修改：3. 您投诉或举报谁，在哪里").click()
    expect(page.locator("#step-title")).to_be_focused()
    page.get_by_label("商家地址").fill("上海市徐汇区漕溪北路99号")
    for title in ("4. 发生了什么，什么时候", "5. 您的诉求", "6. 证据"):
        next_step(page, title)
    expect(review).to_contain_text("漕溪北路99号")


def test_a_complainant_files_with_evidence_on_a_phone_and_follows_the_case(phone: Page, site: Launched) -> None:
    page = phone
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("提交投诉、举报、咨询或建议")
    expect(page.locator("#step-progress")).to_have_text("第 1 步，共 6 步")
    expect(page.locator("#complainant-name")).to_be_hidden()  # one question at a time
    checked(page, "file-form")

    fill_a_complaint(page)
    expect(page.locator("#step-progress")).to_have_text("第 6 步，共 6 步")
    read_over_and_change_the_address(page)
    page.get_by_label("上传证据文件").set_input_files(
        {"name": "receipt.jpg", "mimeType": "image/jpeg", "buffer": TINY_JPEG}
    )
    uploaded = page.locator("#files li.done")
    expect(uploaded).to_contain_text("receipt.jpg")
    expect(uploaded).to_contain_text("已上传")
    expect(uploaded.locator("progress")).to_have_attribute("value", "100")
    checked(page, "file-form-with-evidence")

    with page.expect_response(lambda r: r.url.endswith("/v1/complaints") and r.request.method == "POST") as sent:
        page.get_by_role("button", name="提交", exact=True).click()
    receipt = sent.value.json()
    assert sent.value.status == 201
    expect(page.get_by_role("heading", level=1)).to_have_text("已收到您的投诉")
    expect(page.locator("#tracking-code")).to_have_text(receipt["tracking_code"])
    expect(page.locator("#access-code")).to_have_text(receipt["access_code"])
    expect(page.locator("#keep")).to_contain_text("查询码只显示这一次")
    expect(page.locator("#acceptance")).to_contain_text(chinese_date(receipt["deadlines"]["acceptance"]["due_date"]))
    expect(page.locator("#view-title")).to_be_focused()
    checked(page, "confirmation")
    assert receipt["access_code"] not in address_bar(page)

    # the evidence reached the case
    case = requests.get(f"{site.url}/v1/staff/cases/{receipt['id']}", headers=STAFF, timeout=10).json()
    assert [e["filename"] for e in case["evidence"]] == ["receipt.jpg"]
    assert case["respondent"]["address"] == "上海市徐汇区漕溪北路99号"  # as changed from the review

    page.get_by_role("button", name="去查询进度").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("查询办理进度")
    assert address_bar(page).endswith("#follow")
    follow(page, receipt["tracking_code"], receipt["access_code"])
    expect(page.locator("#case-status")).to_have_text("已收到，等待审查是否受理")
    expect(page.locator("#case-title")).to_be_focused()
    expect(page.locator("#deadlines")).to_contain_text("受理决定")
    expect(page.locator("#deadlines")).to_contain_text(re.compile(r"还剩 \d+ 个工作日|今天到期"))
    expect(page.locator("#timeline")).to_contain_text("收到")
    expect(page.get_by_role("button", name="撤回此件")).to_be_visible()
    checked(page, "case")

    assert_codes_never_in_the_address_bar(page, receipt)


def assert_codes_never_in_the_address_bar(page: Page, receipt: dict[str, Any]) -> None:
    """Back and forward through the visit: no address ever held a code, and nothing but the language is kept."""
    visited = [address_bar(page)]
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("提交投诉、举报、咨询或建议")
    visited.append(address_bar(page))
    page.go_forward()
    expect(page.get_by_role("heading", level=1)).to_have_text("查询办理进度")
    visited.append(address_bar(page))
    assert not [url for url in visited if receipt["access_code"] in url or receipt["tracking_code"] in url]
    # nor is anything kept in the browser's storage but the language
    assert page.evaluate("Object.keys(localStorage)") == ["lang"]
    assert receipt["access_code"] not in page.evaluate("JSON.stringify(history.state)")


def test_validation_errors_are_shown_by_each_field_and_in_a_summary_in_either_language(phone: Page) -> None:
    page = phone
    page.goto("/")
    next_step(page, "2. 您是谁")
    expect(page.locator("#anonymous-field")).to_be_hidden()  # only a report may be anonymous
    # a step does not go on without what it needs
    page.get_by_role("button", name="下一步").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("请修改以下问题后再提交")
    expect(summary).to_contain_text("请填写您的姓名。")
    expect(page.locator("#step-title")).to_have_text("2. 您是谁")
    name = page.locator("#complainant-name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_attribute("aria-describedby", re.compile(r"\bcomplainant-name-error\b"))
    expect(page.locator("#complainant-name-error")).to_have_text(re.compile("^请填写您的姓名。"))

    # what only the API checks (a phone number's form, a region code) comes on sending, and the form goes back
    # to the first step to put right, every problem listed
    name.fill("张三")
    page.locator("#complainant-phone").fill("12345")
    next_step(page, "3. 您投诉或举报谁，在哪里")
    page.get_by_label("被投诉（举报）的商家或单位名称").fill("某某超市有限公司")
    page.get_by_label("所在地区代码").fill("31")
    next_step(page, "4. 发生了什么，什么时候")
    page.get_by_label("事情经过").fill("买到过期牛奶")
    for title in ("5. 您的诉求", "6. 证据"):
        next_step(page, title)
    page.get_by_role("button", name="提交", exact=True).click()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("请填写有效的手机或固定电话号码")
    expect(summary).to_contain_text("地区代码应为 6 位数字")
    expect(page.locator("#step-title")).to_have_text("2. 您是谁")
    expect(page.locator("#complainant-phone-error")).to_contain_text("请填写有效的手机")
    checked(page, "error-summary")

    summary.get_by_role("link", name="地区代码应为 6 位数字", exact=False).click()
    expect(page.locator("#respondent-region-code")).to_be_focused()  # on its own step
    expect(page.locator("#step-title")).to_have_text("3. 您投诉或举报谁，在哪里")
    expect(page.locator("#respondent-region-code-error")).to_contain_text("地区代码应为 6 位数字")
    assert address_bar(page).endswith("/")  # the summary's links move focus, not the view

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="中文")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("heading", level=1)).to_have_text("File a complaint, report, enquiry or suggestion")
    expect(page.locator("#step-progress")).to_have_text("Step 3 of 6")
    expect(page.locator("#error-summary")).to_contain_text("Enter a valid mobile or landline number")
    expect(page.locator("#respondent-region-code-error")).to_contain_text("The region code is 6 digits")
    expect(page.get_by_label("Region code")).to_have_value("31")  # what was typed stays
    checked(page, "error-summary-en")
    put_right_in_english(page)


def put_right_in_english(page: Page) -> None:
    """Put right, a step's problems leave the list as it is passed; the complaint's own rules (a request) come next."""
    page.get_by_label("Region code").fill("")
    page.get_by_role("button", name="Back").click()
    expect(page.locator("#step-title")).to_have_text("2. Who you are")
    page.locator("#complainant-phone").fill("13800138000")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#error-summary")).not_to_contain_text("Enter a valid mobile")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#error-summary")).to_have_count(0)
    for _ in range(2):
        page.get_by_role("button", name="Next").click()
    expect(page.locator("#step-progress")).to_have_text("Step 6 of 6")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Say what you ask for")
    expect(page.locator("#step-title")).to_have_text("5. What you ask for")
    expect(page.locator("#request")).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#request-error")).to_contain_text("请写明您的具体诉求")


def test_filing_with_the_keyboard_alone_reaches_the_confirmation(desktop: Page) -> None:
    page = desktop
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    checked(page, "file-form")

    def tab_to(element_id: str) -> None:
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    tab_to("kind-complaint")
    page.keyboard.press("ArrowDown")  # radios move with the arrows: a report
    page.keyboard.press("ArrowUp")  # and back to a complaint
    expect(page.locator("#kind-complaint")).to_be_checked()
    steps: list[list[tuple[str, str]]] = [
        [],
        [("complainant-name", "李雷"), ("complainant-phone", "13912345678")],
        [("respondent-name", "某某电器商城")],
        [("facts", "购买的电饭煲三天后无法加热，商家拒绝维修。")],
        [("request", "更换同型号新品")],
    ]
    for number, answers in enumerate(steps, start=1):
        for element_id, text in answers:
            tab_to(element_id)
            page.keyboard.type(text)
        if answers and answers[-1][0] in ("complainant-phone", "respondent-name"):
            page.keyboard.press("Enter")  # Enter in a one-line field goes on as well
        else:
            tab_to("next")
            page.keyboard.press("Enter")
        expect(page.locator("#step-progress")).to_have_text(f"第 {number + 1} 步，共 6 步")
        expect(page.locator("#step-title")).to_be_focused()
    tab_to("submit")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("已收到您的投诉")
    expect(page.locator("#view-title")).to_be_focused()
    expect(page.locator("#tracking-code")).to_have_text(re.compile(r"^\d+$"))
    checked(page, "confirmation")

    tab_to("go-follow")
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", level=1)).to_have_text("查询办理进度")
    tab_to("follow-submit")  # the codes are already in the form, from memory
    page.keyboard.press("Enter")
    expect(page.locator("#case-status")).to_have_text("已收到，等待审查是否受理")
    checked(page, "case")


def test_an_anonymous_report_needs_no_identity_and_gets_its_codes(phone: Page, site: Launched) -> None:
    page = phone
    page.goto("/#file")
    page.get_by_label("举报", exact=True).check()
    next_step(page, "2. 您是谁")
    page.get_by_label("匿名举报（不留姓名和电话）").check()
    expect(page.locator("#identity")).to_be_hidden()
    expect(page.locator("#anonymous-on")).to_be_visible()
    checked(page, "anonymous-report")
    next_step(page, "3. 您投诉或举报谁，在哪里")  # no name or phone needed
    page.get_by_label("被投诉（举报）的商家或单位名称").fill("某某无证小作坊")
    next_step(page, "4. 发生了什么，什么时候")
    page.get_by_label("事情经过").fill("该作坊在居民楼内无证生产食品。")
    page.get_by_label("发生日期").fill("2026-11-01")
    next_step(page, "5. 您的诉求")
    next_step(page, "6. 证据")
    expect(page.get_by_role("region", name="请核对您填写的内容")).to_contain_text("您选择了匿名举报")
    with page.expect_response(lambda r: r.url.endswith("/v1/complaints") and r.request.method == "POST") as sent:
        page.get_by_role("button", name="提交", exact=True).click()
    receipt = sent.value.json()
    assert sent.value.request.post_data_json["complainant"] == {"anonymous": True}
    expect(page.get_by_role("heading", level=1)).to_have_text("已收到您的举报")
    expect(page.locator("#tracking-code")).to_have_text(receipt["tracking_code"])
    expect(page.locator("#access-code")).to_have_text(receipt["access_code"])
    expect(page.get_by_text("您是匿名举报")).to_be_visible()
    checked(page, "anonymous-confirmation")
    case = requests.get(f"{site.url}/v1/staff/cases/{receipt['id']}", headers=STAFF, timeout=10).json()
    assert case["anonymous"] is True and case["complainant"] is None


def test_a_wrong_access_code_says_not_found_and_a_withdrawal_is_confirmed_first(phone: Page, site: Launched) -> None:
    receipt = file_by_api(site)
    page = phone
    page.goto("/#follow")
    checked(page, "follow-form")
    follow(page, receipt["tracking_code"], "00000000")
    problem = page.locator("#problem")
    expect(problem).to_be_focused()
    expect(problem).to_contain_text("没有找到这个案件：跟踪码或查询码不正确")
    expect(page.locator("#case-status")).to_have_count(0)
    checked(page, "follow-not-found")

    follow(page, receipt["tracking_code"], receipt["access_code"])
    expect(page.locator("#case-status")).to_have_text("已收到，等待审查是否受理")
    expect(page.locator("#problem")).to_have_count(0)
    page.get_by_role("button", name="撤回此件").click()
    expect(page.locator("#withdraw-confirm")).to_be_focused()
    expect(page.locator("#withdraw-confirm")).to_have_text("确定要撤回吗？撤回后不能恢复办理。")
    checked(page, "withdraw-confirm")
    page.get_by_role("button", name="不撤回").click()
    expect(page.get_by_role("button", name="撤回此件")).to_be_focused()
    page.get_by_role("button", name="撤回此件").click()
    page.get_by_label("撤回原因").fill("已与商家自行和解")
    page.get_by_role("button", name="确定撤回").click()
    expect(page.locator("#case-status")).to_have_text("已撤回")
    expect(page.locator("#case-notice")).to_have_text("已撤回。")
    expect(page.locator("#timeline")).to_contain_text("撤回")
    expect(page.get_by_role("button", name="撤回此件")).to_have_count(0)
    checked(page, "case-withdrawn")

    page.get_by_role("button", name="申请新的查询码").click()
    expect(page.locator("#lost-notice")).to_contain_text("新的查询码已发送到您留下的手机或电子邮箱")


def test_a_failed_request_says_what_to_do_next(phone: Page) -> None:
    page = phone
    page.goto("/")
    fill_a_complaint(page)
    page.route("**/v1/complaints", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="提交", exact=True).click()
    problem = page.locator("#problem")
    expect(problem).to_be_focused()
    expect(problem).to_contain_text("请检查网络连接")
    expect(page.get_by_label("事情经过")).to_have_value("买到过期牛奶")
    checked(page, "network-problem")

    page.unroute("**/v1/complaints")
    page.route(
        "**/v1/complaints",
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"error": {"code": "unavailable", "message": "x"}}'
        ),
    )
    problem.get_by_role("button", name="重试").click()
    expect(page.locator("#problem")).to_contain_text("服务暂时不可用")
    page.unroute("**/v1/complaints")
    page.locator("#problem").get_by_role("button", name="重试").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("已收到您的投诉")


def test_a_closed_complaint_can_be_appealed_from_the_page(phone: Page, site: Launched) -> None:
    receipt = file_by_api(site)
    staff_act(site, receipt["id"], "decide", {"decision": "accept"})
    staff_act(site, receipt["id"], "assign", {"unit": "u1", "handler": "web-staff"})
    staff_act(site, receipt["id"], "respond", {"message": "商家已退货退款。", "outcome": "resolved"})
    satisfied = requests.post(
        f"{site.url}/v1/complaints/{receipt['tracking_code']}/feedback",
        json={"satisfied": True},
        headers={"X-Access-Code": receipt["access_code"]},
        timeout=10,
    )
    assert satisfied.status_code == 200, satisfied.text

    page = phone
    page.goto("/#follow")
    follow(page, receipt["tracking_code"], receipt["access_code"])
    expect(page.locator("#case-status")).to_have_text("已办结")
    expect(page.get_by_role("button", name="撤回此件")).to_have_count(0)
    page.get_by_role("button", name="提交申诉").click()
    expect(page.locator("#appeal-reason-error")).to_have_text("请说明申诉理由。")
    page.get_by_label("申诉理由").fill("退款金额少了运费")
    page.get_by_role("button", name="提交申诉").click()
    expect(page.locator("#case-notice")).to_have_text("已收到您的申诉，将重新审查。")
    expect(page.locator("#case-status")).to_have_text("正在调查处理")
    checked(page, "case-appealed")
