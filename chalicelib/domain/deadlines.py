"""Clocks and deadlines: when a clock started, how long it runs, when it is due, pauses and extensions.

Times are aware datetimes. The service's local day is China Standard Time (UTC+8, no daylight
saving), so a fixed offset is exact and needs no time-zone database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    """One clock of a policy profile (data): its length, how it counts, what starts and stops it,
    which workflow steps it guards, whether it pauses, how far it may be extended."""

    name: str
    length: int
    basis: Basis
    starts: str = "received"
    stops: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    anchor: str = "start"  # "start": counts from the starting event; "received": from receipt
    pausable: bool = False
    max_extension: int | None = None  # None: no limit; 0: never extended
    on_expiry: str = "escalate"
    escalate_to: str = "supervisor"  # who is told and chases (督办) when it runs out
    real_name_only: bool = False
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
    paused_at: datetime | None = None
    paused_seconds: int = 0
    extended: int = 0
    stopped_at: datetime | None = None
    escalated_at: datetime | None = None
    reminded_at: datetime | None = None
    steps: tuple[str, ...] = field(default=())

    @property
    def due_date(self) -> date:
        return self.due_at.astimezone(CHINA).date()

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    def overdue(self, now: datetime) -> bool:
        """Late: stopped after its due time, or still running (and not paused) past it."""
        if self.stopped_at is not None:
            return self.stopped_at > self.due_at
        if self.paused and self.paused_at is not None:
            return self.paused_at > self.due_at
        return now > self.due_at

    def stop(self, at: datetime) -> Deadline:
        return replace(self, stopped_at=at, paused=False)

    def pause(self, at: datetime) -> Deadline:
        return replace(self, paused=True, paused_at=at)

    def resume(self, at: datetime, calendar: WorkingCalendar) -> Deadline:
        """The paused span does not count, measured on the clock's own basis: a working-day clock gets
        back the working days the pause covered (paused Tuesday, resumed Thursday: two), so it still
        comes due at the end of a working day; other clocks get back exactly the time paused."""
        assert self.paused_at is not None
        paused_for = at - self.paused_at
        due_at, estimated = self.due_at + paused_for, self.estimated
        if self.basis is Basis.WORKING_DAYS:
            days = calendar.working_days_between(local_day(self.paused_at), local_day(at))
            due_at = self.due_at
            if days:
                last_day, guessed = calendar.add_working_days(self.due_date, days)
                due_at, estimated = end_of(last_day), estimated or guessed
        return replace(
            self,
            paused=False,
            paused_at=None,
            due_at=due_at,
            estimated=estimated,
            paused_seconds=self.paused_seconds + int(paused_for.total_seconds()),
        )

    def extend(self, by: int, calendar: WorkingCalendar) -> Deadline:
        """Move the due time by `by` units of the clock's own basis, from the current due time."""
        estimated = self.estimated
        if self.basis is Basis.HOURS:
            due_at = self.due_at + timedelta(hours=by)
        elif self.basis is Basis.CALENDAR_DAYS:
            due_at = self.due_at + timedelta(days=by)
        else:
            last_day, guessed = calendar.add_working_days(self.due_date, by)
            due_at, estimated = end_of(last_day), estimated or guessed
        return replace(self, due_at=due_at, extended=self.extended + by, estimated=estimated, escalated_at=None)


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
    return Deadline(rule.name, rule.basis, rule.length, started_at, due_at, estimated=estimated, steps=rule.steps)
