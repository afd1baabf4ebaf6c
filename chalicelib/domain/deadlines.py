"""Deadlines: when a clock started, how long it runs, when it is due.

Times are aware datetimes. The service's local day is China Standard Time (UTC+8, no daylight
saving), so a fixed offset is exact and needs no time-zone database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum

from chalicelib.domain.calendar import WorkingCalendar

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)


class Basis(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"


@dataclass(frozen=True)
class ClockRule:
    """One clock of a policy profile: its length, how it counts, and from which event it starts."""

    name: str
    length: int
    basis: Basis
    starts: str = "received"
    source: str = ""


@dataclass(frozen=True)
class Deadline:
    clock: str
    basis: Basis
    length: int
    started_at: datetime
    due_at: datetime
    estimated: bool = False
    paused: bool = False

    @property
    def due_date(self) -> date:
        return self.due_at.astimezone(CHINA).date()

    def overdue(self, now: datetime) -> bool:
        return not self.paused and now > self.due_at

    def with_due_at(self, due_at: datetime) -> Deadline:
        return replace(self, due_at=due_at)


def local_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=CHINA)


def start_clock(rule: ClockRule, started_at: datetime, calendar: WorkingCalendar) -> Deadline:
    """Compute a deadline. Day-based clocks end at 23:59:59 of their last day; the start day does not count."""
    if started_at.tzinfo is None:
        raise ValueError("a clock needs an aware start time")
    estimated = False
    if rule.basis is Basis.HOURS:
        due_at = started_at.astimezone(CHINA) + timedelta(hours=rule.length)
    elif rule.basis is Basis.CALENDAR_DAYS:
        due_at = end_of(local_day(started_at) + timedelta(days=rule.length))
    else:
        last_day, estimated = calendar.add_working_days(local_day(started_at), rule.length)
        due_at = end_of(last_day)
    return Deadline(rule.name, rule.basis, rule.length, started_at, due_at, estimated=estimated)
