"""The milestone messages: the same facts in both languages, every code in words, nothing personal, and
short enough for two SMS parts."""

from __future__ import annotations

from datetime import date
from typing import Any, get_args

import pytest

from chalicelib.domain.case import Kind, Status
from chalicelib.domain.lifecycle.commands import Respond
from chalicelib.domain.lifecycle.reasons import RejectReason
from chalicelib.domain.messages import LANGUAGES, MILESTONES, REPLIES, book, language_of, placeholders, render
from chalicelib.domain.messages.sms import parts

#: The longest facts a message can be filled with (a transfer to a long-named body, a long reason).
FACTS: dict[str, Any] = {
    "tracking_code": "TS-7K3M-9QXP",
    "access_code": "83920417",
    "kind": "complaint",
    "due_date": date(2026, 12, 31),
    "reason": "past_guarantee",
    "transfer_to": "上海市浦东新区市场监督管理局",
    "outcome": "partly_resolved",
    "mediation_at": "2026年12月3日14:00",
    "mediation_place": "浦东新区消费者协会调解室",
    "mediator": "王调解",
    "status": "responded",
    "problem": "no_text",
    "link": "https://12315.example.gov.cn/track",
}


def test_both_languages_have_every_milestone_with_the_same_facts_and_every_code_in_words() -> None:
    chinese, english = book("zh-CN"), book("en")
    for milestone in (*MILESTONES, *REPLIES):
        for part in ("subject", "text"):
            assert placeholders(chinese[milestone][part]) == placeholders(english[milestone][part]), milestone
    for texts in (chinese, english):
        assert set(texts["kinds"]) == {k.value for k in Kind}
        assert set(texts["statuses"]) == {s.value for s in Status}
        assert set(texts["reasons"]) == {r.value for r in RejectReason}
        outcomes = get_args(Respond.model_fields["outcome"].annotation)
        assert set(texts["outcomes"]) == set(outcomes)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("milestone", (*MILESTONES, *REPLIES))
def test_each_milestone_and_reply_reads_whole_and_fits_two_sms_parts(milestone: str, language: str) -> None:
    needed = placeholders(book(language)[milestone]["text"]) | placeholders(book(language)[milestone]["subject"])
    message = render(milestone, language, **{k: v for k, v in FACTS.items() if k in needed})
    assert "{" not in message.text and "}" not in message.subject
    if "tracking_code" in needed:
        assert FACTS["tracking_code"] in message.text + message.subject
    assert parts(message.text) <= 2, (message.text, parts(message.text))


def test_codes_and_dates_are_words_in_the_readers_language() -> None:
    chinese = render("rejected", "zh-CN", tracking_code="TS-1", kind="report", reason="time_barred")
    assert "举报" in chinese.text and "三年" in chinese.text and "time_barred" not in chinese.text
    english = render(
        "accepted", language_of("en-GB"), tracking_code="TS-1", kind="complaint", due_date=date(2026, 12, 2)
    )
    assert english.text == "Your complaint TS-1 is accepted. We will answer by 2 Dec 2026."
    assert (
        "2026年12月2日"
        in render("extended", "zh-CN", tracking_code="TS-1", kind="complaint", due_date=date(2026, 12, 2)).text
    )
    assert language_of(None) == language_of("fr") == "zh-CN"


def test_a_message_carries_no_personal_data_and_is_never_half_filled_in() -> None:
    with pytest.raises(ValueError, match="may not carry"):
        render("accepted", "zh-CN", tracking_code="TS-1", kind="complaint", due_date=date(2026, 12, 2), phone="138")
    with pytest.raises(ValueError, match="needs"):
        render("accepted", "en", tracking_code="TS-1", kind="complaint")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("a" * 152 + "€" + "a" * 10, 2),  # the € does not fit the first part's last septet: it moves on
        ("中" * 70, 1),
        ("中" * 71, 2),
        ("中" * 134, 2),
        ("中" * 135, 3),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
        ("", 1),
    ],
)
def test_sms_parts_follow_the_gsm_and_ucs2_limits(text: str, expected: int) -> None:
    assert parts(text) == expected
