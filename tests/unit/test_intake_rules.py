"""Intake rules that need the whole submission, and the policy data behind the clocks (no AWS)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from chalicelib.domain.case import Actor, Channel, Kind, Party, Respondent
from chalicelib.domain.deadlines import CHINA, Basis
from chalicelib.domain.policy import load_policy
from chalicelib.errors import InvalidInput
from chalicelib.service.intake import Submission, check

NOW = datetime(2026, 11, 23, 10, tzinfo=CHINA)
ZHANG = Party("张三", "+8613800138000")
SHOP = Respondent("某某超市")
BACKDATE = timedelta(days=90)


def problems(**changes: object) -> dict[str, str]:
    base: dict[str, object] = dict(
        kind=Kind.COMPLAINT, channel=Channel.WEB, facts="f", complainant=ZHANG, respondent=SHOP, request="退货"
    )
    base.update(changes)
    try:
        check(Submission(**base), NOW, BACKDATE)  # type: ignore[arg-type]
    except InvalidInput as refused:
        return refused.fields or {}
    return {}


def test_a_complete_complaint_passes() -> None:
    check(Submission(Kind.COMPLAINT, Channel.WEB, "f", ZHANG, respondent=SHOP, request="退货"), NOW, BACKDATE)


def test_only_reports_may_be_anonymous() -> None:
    assert "complainant.anonymous" in problems(anonymous=True, complainant=None)


def test_a_complaint_needs_a_respondent_and_a_request() -> None:
    assert {"respondent", "request"} <= set(problems(respondent=None, request=None))


def test_clerk_intake_is_never_web_and_never_in_the_future() -> None:
    clerk = Actor("staff", "c1", "王五")
    found = problems(clerk=clerk, channel=Channel.WEB, received_at=NOW + timedelta(hours=1))
    assert {"channel", "received_at"} <= set(found)


@pytest.mark.parametrize(
    "received_at",
    [datetime(1, 1, 1, tzinfo=CHINA), datetime(2003, 12, 31, tzinfo=CHINA), NOW - timedelta(days=91)],
)
def test_a_receipt_cannot_be_dated_before_the_calendar_or_long_ago(received_at: datetime) -> None:
    found = problems(clerk=Actor("staff", "c1", "王五"), channel=Channel.PHONE, received_at=received_at)
    assert found == {"received_at": "the time of receipt can be at most 90 days ago"}


def test_a_receipt_a_few_weeks_old_is_fine() -> None:
    clerk = Actor("staff", "c1", "王五")
    submission = Submission(
        Kind.COMPLAINT,
        Channel.LETTER,
        "f",
        ZHANG,
        respondent=SHOP,
        request="退货",
        clerk=clerk,
        received_at=NOW - timedelta(days=30),
    )
    check(submission, NOW, BACKDATE)


def test_what_happened_and_the_purchase_cannot_be_in_the_future() -> None:
    from chalicelib.domain.case import Product

    found = problems(occurred_at="2999-01-01", product=Product("奶", purchase_date=date(2999, 1, 1)))
    assert found == {"occurred_at": "cannot be in the future", "product.purchase_date": "cannot be in the future"}
    found = problems(occurred_at="2026-11-23T09:00:00+08:00", product=Product("奶", purchase_date=date(2026, 11, 23)))
    assert found == {}


def test_samr_profile_clocks() -> None:
    samr = load_policy("samr")
    (complaint,) = samr.clocks_starting(Kind.COMPLAINT, "received")
    assert (complaint.name, complaint.length, complaint.basis) == ("acceptance", 7, Basis.WORKING_DAYS)
    (report,) = samr.clocks_starting(Kind.REPORT, "received")
    assert report.name == "acceptance" and report.length == 15
    assert samr.clocks_starting(Kind.SUGGESTION, "received") == ()


def test_unknown_profile_is_named() -> None:
    with pytest.raises(ValueError, match="samr"):
        load_policy("no-such-profile")
