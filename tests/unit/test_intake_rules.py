"""Intake rules that need the whole submission, and the policy data behind the clocks (no AWS)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.domain.case import Actor, Channel, Kind, Party, Respondent
from chalicelib.domain.deadlines import CHINA, Basis
from chalicelib.domain.policy import load_policy
from chalicelib.errors import InvalidInput
from chalicelib.service.intake import Submission, check

NOW = datetime(2026, 11, 23, 10, tzinfo=CHINA)
ZHANG = Party("张三", "+8613800138000")
SHOP = Respondent("某某超市")


def problems(**changes: object) -> dict[str, str]:
    base: dict[str, object] = dict(
        kind=Kind.COMPLAINT, channel=Channel.WEB, facts="f", complainant=ZHANG, respondent=SHOP, request="退货"
    )
    base.update(changes)
    with pytest.raises(InvalidInput) as raised:
        check(Submission(**base), NOW)  # type: ignore[arg-type]
    return raised.value.fields or {}


def test_a_complete_complaint_passes() -> None:
    check(Submission(Kind.COMPLAINT, Channel.WEB, "f", ZHANG, respondent=SHOP, request="退货"), NOW)


def test_only_reports_may_be_anonymous() -> None:
    assert "complainant.anonymous" in problems(anonymous=True, complainant=None)


def test_a_complaint_needs_a_respondent_and_a_request() -> None:
    assert {"respondent", "request"} <= set(problems(respondent=None, request=None))


def test_clerk_intake_is_never_web_and_never_in_the_future() -> None:
    clerk = Actor("staff", "c1", "王五")
    found = problems(clerk=clerk, channel=Channel.WEB, received_at=NOW + timedelta(hours=1))
    assert {"channel", "received_at"} <= set(found)


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
