"""Inbound SMS commands: the first word decides, in either language, whatever the case or width."""

from __future__ import annotations

import pytest

from chalicelib.domain.case import Kind
from chalicelib.domain.codes import normalise_tracking_code
from chalicelib.domain.messages.commands import Command, File, Help, OptIn, OptOut, Status, Survey, parse

CODE = "314159265359"  # a valid code, the same in every process (pytest-xdist collects the parameters twice)
assert normalise_tracking_code(CODE) == CODE


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("投诉 某超市卖过期牛奶，要求退货", File(Kind.COMPLAINT, "某超市卖过期牛奶，要求退货")),
        ("投诉某超市卖过期牛奶", File(Kind.COMPLAINT, "某超市卖过期牛奶")),
        ("  Complaint  the shop sold me stale milk ", File(Kind.COMPLAINT, "the shop sold me stale milk")),
        ("举报 无证行医", File(Kind.REPORT, "无证行医")),
        ("举报\u3000无证行医", File(Kind.REPORT, "无证行医")),
        ("REPORT unlicensed clinic", File(Kind.REPORT, "unlicensed clinic")),
        ("咨询 三包期多久", File(Kind.ENQUIRY, "三包期多久")),
        ("建议 延长服务时间", File(Kind.SUGGESTION, "延长服务时间")),
        ("投诉", Help()),  # a keyword alone files nothing
        (f"查询 {CODE}", Status(CODE)),
        (f"查询{CODE[:4]} {CODE[4:8]}-{CODE[8:]}", Status(CODE)),
        (f"status {CODE}", Status(CODE)),
        ("查询 123", Status(None)),
        ("退订", OptOut()),
        ("TD", OptOut()),
        ("stop", OptOut()),
        ("ＳＴＯＰ", OptOut()),
        ("订阅", OptIn()),
        ("Start", OptIn()),
        ("stop the noise please", Help()),  # not a bare STOP: the help text, not an opt-out
        ("1", Survey(True, "")),
        ("２ 商家没有退款", Survey(False, "商家没有退款")),
        ("2", Survey(False, "")),
        ("你好", Help()),
        ("", Help()),
    ],
)
def test_the_first_word_decides(body: str, expected: Command) -> None:
    assert parse(body) == expected
