"""China's statutory working-day calendar and the deadlines it yields (no AWS)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from chalicelib.domain.calendar import WorkingCalendar, YearSchedule
from chalicelib.domain.deadlines import CHINA, Basis, ClockRule, start_clock
from chalicelib.domain.schedules import builtin_schedule, estimated_schedule

SEVEN_WORKING_DAYS = ClockRule("acceptance", 7, Basis.WORKING_DAYS)


def statutory(year: int) -> YearSchedule:
    return builtin_schedule(year) or estimated_schedule(year)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(statutory)


def received(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CHINA)


def test_national_day_week_2026_is_off_and_its_adjusted_saturday_is_worked(calendar: WorkingCalendar) -> None:
    # GIVEN a complaint received on Wednesday 30 September 2026, the eve of the National Day week
    deadline = start_clock(SEVEN_WORKING_DAYS, received("2026-09-30"), calendar)
    # THEN 1–7 October count for nothing, Saturday 10 October counts, and the decision is due 15 October
    assert deadline.due_date == date(2026, 10, 15)
    assert deadline.due_at.isoformat() == "2026-10-15T23:59:59+08:00"
    assert not deadline.estimated
    assert calendar.is_workday(date(2026, 9, 20))  # Sunday, worked for the holiday
    assert not calendar.is_workday(date(2026, 10, 5))  # Monday, a holiday


def test_spring_festival_2026(calendar: WorkingCalendar) -> None:
    # Friday 13 Feb: Sat 14 (worked) is day 1, 15–23 are off, Sat 28 (worked) is day 6, Mon 2 March day 7
    assert start_clock(SEVEN_WORKING_DAYS, received("2026-02-13"), calendar).due_date == date(2026, 3, 2)
    assert calendar.is_workday(date(2026, 2, 14))
    assert not calendar.is_workday(date(2026, 2, 23))


def test_labour_day_2026(calendar: WorkingCalendar) -> None:
    # Thursday 30 April: 1–5 May off, Sat 9 May worked, due Wednesday 13 May
    assert start_clock(SEVEN_WORKING_DAYS, received("2026-04-30"), calendar).due_date == date(2026, 5, 13)


def test_the_day_of_receipt_is_its_chinese_day_not_utc() -> None:
    calendar = WorkingCalendar(statutory)
    # 18:30 UTC on Sunday 22 Nov is 02:30 on Monday 23 Nov in China: Monday is the day of receipt
    late_sunday_utc = datetime.fromisoformat("2026-11-22T18:30:00+00:00")
    assert start_clock(SEVEN_WORKING_DAYS, late_sunday_utc, calendar).due_date == date(2026, 12, 2)


def test_a_year_beyond_the_known_schedules_is_estimated_and_says_so(calendar: WorkingCalendar) -> None:
    assert builtin_schedule(2027) is None
    # Monday 28 Dec 2026: 29–31 Dec, then 1 Jan 2027 is (by rule) a holiday, due Thursday 7 Jan
    deadline = start_clock(SEVEN_WORKING_DAYS, received("2026-12-28"), calendar)
    assert deadline.due_date == date(2027, 1, 7)
    assert deadline.estimated
    # a deadline wholly inside the known year is not
    assert not start_clock(SEVEN_WORKING_DAYS, received("2026-12-01"), calendar).estimated


def test_a_stored_schedule_governs_its_year() -> None:
    # GIVEN an administrator's 2027 schedule: 1 and 4 January off, Saturday 9 January worked
    stored = YearSchedule.of(
        2027, [date(2027, 1, 1), date(2027, 1, 4)], [date(2027, 1, 9)], official=True, source="国办发明电"
    )
    calendar = WorkingCalendar(lambda year: stored if year == 2027 else statutory(year))
    deadline = start_clock(SEVEN_WORKING_DAYS, received("2026-12-28"), calendar)
    # 29, 30, 31 Dec; 4 Jan off; 5, 6, 7, 8 Jan → day 7 is Friday 8 Jan; official, so not estimated
    assert deadline.due_date == date(2027, 1, 8)
    assert not deadline.estimated


def test_calendar_and_hour_clocks() -> None:
    calendar = WorkingCalendar(statutory)
    start = received("2026-09-30", hour=15)
    sixty_days = start_clock(ClockRule("mediation", 60, Basis.CALENDAR_DAYS), start, calendar)
    assert sixty_days.due_at.isoformat() == "2026-11-29T23:59:59+08:00"
    day = start_clock(ClockRule("first_review", 24, Basis.HOURS), start, calendar)
    assert day.due_at.isoformat() == "2026-10-01T15:00:00+08:00"


def test_schedule_problems_are_named() -> None:
    bad = YearSchedule.of(2027, [date(2026, 12, 31)], [date(2027, 1, 5)], official=True, source="x")
    assert set(bad.problems()) == {"holidays", "adjusted_workdays"}
    both = YearSchedule.of(2027, [date(2027, 1, 9)], [date(2027, 1, 9)], official=True, source="x")
    assert "adjusted_workdays" in both.problems()


def test_absurd_lengths_are_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 1, 1), 0)


def test_a_working_day_clock_paused_over_working_days_gets_those_days_back(calendar: WorkingCalendar) -> None:
    rule = ClockRule("reply", 3, Basis.WORKING_DAYS)
    clock = start_clock(rule, received("2026-11-23"), calendar)  # a Monday
    assert clock.due_date == date(2026, 11, 26)  # Thursday
    paused = clock.pause(datetime(2026, 11, 24, 10, tzinfo=CHINA))  # Tuesday
    resumed = paused.resume(datetime(2026, 11, 26, 15, tzinfo=CHINA), calendar)  # Thursday: two working days
    assert resumed.due_date == date(2026, 11, 30)  # the Monday after, never a weekend
    assert resumed.due_at == datetime(2026, 11, 30, 23, 59, 59, tzinfo=CHINA)
    # over a weekend only the working days count; within one day nothing moves
    weekend = clock.pause(datetime(2026, 11, 27, 9, tzinfo=CHINA)).resume(
        datetime(2026, 11, 30, 9, tzinfo=CHINA), calendar
    )
    assert weekend.due_date == date(2026, 11, 27)
    same_day = clock.pause(datetime(2026, 11, 24, 9, tzinfo=CHINA)).resume(
        datetime(2026, 11, 24, 17, tzinfo=CHINA), calendar
    )
    assert same_day.due_at == clock.due_at


def test_a_pause_across_national_day_counts_only_working_days(calendar: WorkingCalendar) -> None:
    clock = start_clock(SEVEN_WORKING_DAYS, received("2026-09-28"), calendar)
    resumed = clock.pause(datetime(2026, 9, 30, 9, tzinfo=CHINA)).resume(
        datetime(2026, 10, 9, 9, tzinfo=CHINA), calendar
    )
    # paused Wed 30 Sep to Fri 9 Oct: 1–7 Oct are off, so only Thu 8 and Fri 9 Oct come back
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 2
    assert resumed.due_date == calendar.add_working_days(clock.due_date, 2)[0]


def test_days_left_count_working_days_across_the_holiday_and_go_negative_once_past(calendar: WorkingCalendar) -> None:
    deadline = start_clock(SEVEN_WORKING_DAYS, received("2026-09-30"), calendar)  # due 15 October
    assert deadline.days_left(received("2026-09-30"), calendar) == 7  # the holiday week counts for nothing
    assert deadline.days_left(received("2026-10-09"), calendar) == 5  # Sat 10th (worked), Mon 12th–Thu 15th
    assert deadline.days_left(received("2026-10-15", hour=23), calendar) == 0
    assert deadline.days_left(received("2026-10-19"), calendar) == -2  # Fri 16th and Mon 19th
    assert deadline.stop(received("2026-10-01")).days_left(received("2026-10-02"), calendar) is None
    month = start_clock(ClockRule("response", 30, Basis.CALENDAR_DAYS), received("2026-09-30"), calendar)
    assert month.days_left(received("2026-10-01"), calendar) == 29
