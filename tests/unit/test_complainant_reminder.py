"""The complainant's one reminder before a clock runs out (the follow-up survey), as policy data (no AWS)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from chalicelib.domain.calendar import WorkingCalendar, YearSchedule
from chalicelib.domain.case import Case, Kind, Status
from chalicelib.domain.codec import from_plain, to_plain
from chalicelib.domain.deadlines import CHINA, Basis, ClockRule, Deadline, start_clock, working_days_before
from chalicelib.domain.lifecycle import commands as cmd
from chalicelib.domain.lifecycle.actions import respond
from chalicelib.domain.lifecycle.expiry import deadline_passed
from chalicelib.domain.lifecycle.steps import step_of, timer
from chalicelib.domain.policy import PROFILE_DIR, Policy, load_policy
from tests.unit.test_expiry import CALENDAR, at, handled_case

DAY = timedelta(days=1)
RESPONDED = datetime(2026, 3, 4, 10, tzinfo=CHINA)  # a Wednesday; March 2026 has no holidays


def follow_up(length: int = 5, basis: Basis = Basis.WORKING_DAYS, before: int | None = 2) -> ClockRule:
    return ClockRule("follow_up", length, basis, steps=("feedback",), remind_complainant_before=before)


def responded_case() -> Case:
    """A samr complaint answered on Wednesday 4 March 2026: waiting for the complainant's survey."""
    case = handled_case()
    respond(case, at(RESPONDED), cmd.Respond(message="已处理", outcome="resolved"))
    assert step_of(case) == "feedback"
    return case


def test_a_working_day_reminder_comes_at_nine_two_working_days_before_the_last_day_over_a_weekend() -> None:
    clock = start_clock(follow_up(), datetime(2026, 11, 17, 10, tzinfo=CHINA), CALENDAR)  # a Tuesday
    assert clock.due_date == date(2026, 11, 24)  # the Tuesday after
    # two working days before Tuesday: Monday, then (over the weekend) Friday, in the morning
    assert clock.remind_at == datetime(2026, 11, 20, 9, tzinfo=CHINA)
    assert (clock.remind_before, clock.estimated) == (2, False)


def test_a_working_day_reminder_skips_the_national_day_week() -> None:
    clock = start_clock(follow_up(), datetime(2026, 9, 24, 15, tzinfo=CHINA), CALENDAR)  # Thursday before Mid-Autumn
    assert clock.due_date == date(2026, 10, 9)  # 28, 29, 30 Sep, 8, 9 Oct
    assert clock.remind_at == datetime(2026, 9, 30, 9, tzinfo=CHINA)  # 1-7 Oct are off


def test_a_calendar_day_reminder_and_an_hour_reminder() -> None:
    start = datetime(2026, 11, 2, 10, tzinfo=CHINA)
    days = start_clock(follow_up(15, Basis.CALENDAR_DAYS), start, CALENDAR)
    assert days.due_at == datetime(2026, 11, 17, 23, 59, 59, tzinfo=CHINA)
    assert days.remind_at == datetime(2026, 11, 15, 9, tzinfo=CHINA)
    hours = start_clock(follow_up(24, Basis.HOURS, before=4), start, CALENDAR)
    assert hours.due_at == datetime(2026, 11, 3, 10, tzinfo=CHINA)
    assert hours.remind_at == datetime(2026, 11, 3, 6, tzinfo=CHINA)


@pytest.mark.parametrize(
    "rule",
    [
        follow_up(1),  # one working day, reminded two ahead: before the start
        follow_up(2),  # 09:00 of the start day, already gone at 10:00
        follow_up(2, Basis.CALENDAR_DAYS),
        follow_up(2, Basis.HOURS),  # exactly at the start: no reminder
        follow_up(5, before=None),  # a clock without a reminder
    ],
)
def test_no_reminder_when_the_window_is_not_longer_than_the_lead(rule: ClockRule) -> None:
    clock = start_clock(rule, datetime(2026, 11, 17, 10, tzinfo=CHINA), CALENDAR)  # a Tuesday
    assert (clock.remind_at, clock.remind_before) == (None, None)


def test_the_workflow_wakes_for_the_reminder_sends_it_once_then_waits_for_the_due_time() -> None:
    case = responded_case()
    clock = case.deadlines["follow_up"]
    assert clock.due_at == datetime(2026, 3, 11, 23, 59, 59, tzinfo=CHINA)
    remind_at = datetime(2026, 3, 9, 9, tzinfo=CHINA)
    assert clock.remind_at == remind_at
    assert timer(case, RESPONDED, DAY) == (remind_at - RESPONDED).total_seconds()
    # too early: nothing happens and the reminder stays pending
    assert deadline_passed(case, "feedback", at(remind_at - timedelta(seconds=1))) == []
    assert case.deadlines["follow_up"].remind_at == remind_at

    events = deadline_passed(case, "feedback", at(remind_at))
    assert [(e.type, e.at, e.data) for e in events] == [
        ("reminded", remind_at, {"clock": "follow_up", "due_date": "2026-03-11", "about": "survey"})
    ]
    assert case.deadlines["follow_up"].remind_at is None and case.status is Status.RESPONDED
    assert deadline_passed(case, "feedback", at(remind_at)) == []  # sent once
    assert deadline_passed(case, "feedback", at(remind_at + DAY)) == []
    assert timer(case, remind_at, DAY) == (clock.due_at - remind_at).total_seconds()


def test_a_case_past_due_closes_without_a_reminder() -> None:
    case = responded_case()
    clock = case.deadlines["follow_up"]
    assert clock.remind_at is not None
    assert timer(case, clock.due_at + timedelta(hours=1), DAY) == 1  # overdue: look now
    events = deadline_passed(case, "feedback", at(clock.due_at + timedelta(seconds=1)))
    assert [(e.type, e.data.get("outcome")) for e in events] == [("closed", "no_reply")]
    assert case.status is Status.CLOSED and not case.deadlines["follow_up"].running


def test_an_extension_or_a_pause_moves_a_pending_reminder_and_a_sent_one_stays_sent() -> None:
    clock = start_clock(follow_up(), datetime(2026, 11, 17, 10, tzinfo=CHINA), CALENDAR)  # due Tue 24 Nov
    extended = clock.extend(3, CALENDAR)
    assert extended.due_date == date(2026, 11, 27)  # Friday
    assert extended.remind_at == datetime(2026, 11, 25, 9, tzinfo=CHINA)  # Wednesday, recomputed
    # paused Thursday 19 to Monday 23 November: Friday and Monday come back
    resumed = clock.pause(datetime(2026, 11, 19, 9, tzinfo=CHINA)).resume(
        datetime(2026, 11, 23, 9, tzinfo=CHINA), CALENDAR
    )
    assert resumed.due_date == date(2026, 11, 26)  # Thursday
    assert resumed.remind_at == datetime(2026, 11, 24, 9, tzinfo=CHINA)
    # on calendar days and hours the reminder keeps its lead too
    days = start_clock(follow_up(15, Basis.CALENDAR_DAYS), datetime(2026, 11, 2, 10, tzinfo=CHINA), CALENDAR)
    assert days.extend(5, CALENDAR).remind_at == datetime(2026, 11, 20, 9, tzinfo=CHINA)
    hours = start_clock(follow_up(24, Basis.HOURS, 4), datetime(2026, 11, 2, 10, tzinfo=CHINA), CALENDAR)
    assert hours.extend(6, CALENDAR).remind_at == datetime(2026, 11, 3, 12, tzinfo=CHINA)
    # once sent, a later extension does not bring it back: the complainant is reminded once
    sent = replace(clock, remind_at=None)
    assert sent.extend(3, CALENDAR).remind_at is None


def test_extension_through_the_workflow_moves_the_reminder() -> None:
    case = responded_case()
    case.deadlines["follow_up"] = case.deadlines["follow_up"].extend(2, CALENDAR)
    assert case.deadlines["follow_up"].due_date == date(2026, 3, 13)  # Friday
    assert case.deadlines["follow_up"].remind_at == datetime(2026, 3, 11, 9, tzinfo=CHINA)
    assert timer(case, RESPONDED, DAY) == (datetime(2026, 3, 11, 9, tzinfo=CHINA) - RESPONDED).total_seconds()


def test_stepping_back_over_a_year_boundary_says_when_the_year_was_estimated() -> None:
    def schedule(year: int) -> YearSchedule:
        return YearSchedule.of(year, (), (), official=year != 2030, source="test")

    calendar = WorkingCalendar(schedule)
    assert working_days_before(date(2031, 1, 2), 2, calendar) == (date(2030, 12, 31), True)
    assert working_days_before(date(2031, 1, 10), 2, calendar) == (date(2031, 1, 8), False)
    with pytest.raises(ValueError, match="working days"):
        working_days_before(date(2031, 1, 10), 0, calendar)


def test_the_reminder_survives_the_register_codec() -> None:
    pending = start_clock(follow_up(), datetime(2026, 11, 17, 10, tzinfo=CHINA), CALENDAR)
    plain = to_plain(pending, defaults=False)
    assert plain["remind_at"] == "2026-11-20T09:00:00+08:00" and plain["remind_before"] == 2
    assert from_plain(Deadline, plain) == pending
    sent = replace(pending, remind_at=None)
    assert "remind_at" not in to_plain(sent, defaults=False)
    assert from_plain(Deadline, to_plain(sent, defaults=False)) == sent
    without = start_clock(follow_up(before=None), datetime(2026, 11, 17, 10, tzinfo=CHINA), CALENDAR)
    assert not {"remind_at", "remind_before"} & set(to_plain(without, defaults=False))
    assert from_plain(Deadline, to_plain(without, defaults=False)) == without
    case = responded_case()
    assert from_plain(Case, to_plain(case, defaults=False)).deadlines == case.deadlines


def test_every_profile_reminds_two_units_before_its_follow_up_ends() -> None:
    samr = load_policy("samr").rule(Kind.COMPLAINT, "follow_up")
    assert (samr.length, samr.basis, samr.on_expiry, samr.remind_complainant_before) == (
        5,
        Basis.WORKING_DAYS,
        "close_without_reply",
        2,
    )
    for path in PROFILE_DIR.glob("*.json"):
        rules = {r.name: r for r in load_policy(path.stem).rules(Kind.COMPLAINT)}
        if "follow_up" in rules:
            assert rules["follow_up"].remind_complainant_before == 2, path.stem
        assert all(r.remind_complainant_before is None for name, r in rules.items() if name != "follow_up")


@pytest.mark.parametrize("lead", [0, -1, "2", 1.5, True])
def test_a_profile_with_a_senseless_lead_fails_at_load(lead: object) -> None:
    data = {
        "profile": "broken",
        "kinds": {
            "complaint": {
                "clocks": [
                    {"name": "follow_up", "length": 5, "basis": "working_days", "remind_complainant_before": lead}
                ]
            }
        },
    }
    with pytest.raises(ValueError, match="remind_complainant_before"):
        Policy.from_dict(data)
