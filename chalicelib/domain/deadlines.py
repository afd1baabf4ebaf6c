"""Clocks and deadlines: when a clock started, how long it runs, when it is due, pauses and extensions.

Times are aware datetimes. The service's local day is China Standard Time (UTC+8, no daylight
saving), so a fixed offset is exact and needs no time-zone database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum

from chalicelib.domain.calendar import MAX_WORKING_DAYS, WorkingCalendar

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
#: A day-based reminder comes in the morning of its day, so people read it at work.
REMINDER_TIME = time(9, 0)


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
    #: Remind the complainant (once) this many basis units before the clock is due; None: never.
    remind_complainant_before: int | None = None
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
    reminded_at: datetime | None = None  # the last chase (督办) after escalation, for staff
    steps: tuple[str, ...] = field(default=())
    #: When the complainant is reminded before the due time; None once sent (it is sent once), or never.
    remind_at: datetime | None = None
    #: The rule's lead (`ClockRule.remind_complainant_before`), kept so a moved due time moves the reminder.
    remind_before: int | None = None

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

    def days_left(self, now: datetime, calendar: WorkingCalendar) -> int | None:
        """Days from today (in China) to the due date, counted in the deadline's own unit (working days
        by the calendar, or calendar days): 0 on the day, negative once past. None for a deadline in
        hours and for one no longer running."""
        if not self.running or self.basis is Basis.HOURS:
            return None
        today, due = now.astimezone(CHINA).date(), self.due_date
        if self.basis is Basis.CALENDAR_DAYS:
            return (due - today).days
        if due >= today:
            return calendar.working_days_between(today, due)
        return -calendar.working_days_between(due, today)

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
        )._reminder_moved(calendar)

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
        return replace(
            self, due_at=due_at, extended=self.extended + by, estimated=estimated, escalated_at=None
        )._reminder_moved(calendar)

    def _reminder_moved(self, calendar: WorkingCalendar) -> Deadline:
        """A pending reminder recomputed from the (new) due time with the stored lead.

        Recomputed rather than shifted by the due time's delta: a working-day due time moved by two
        working days over a weekend moves four calendar days, which would put a shifted reminder on a
        Sunday; recomputing keeps it at 09:00 of a working day. A reminder already sent (or never
        scheduled) stays so: the complainant is reminded once.
        """
        if self.remind_at is None or self.remind_before is None:
            return self
        remind_at, guessed = reminder_time(self.basis, self.due_at, self.remind_before, calendar)
        if remind_at <= self.started_at:
            return replace(self, remind_at=None)
        return replace(self, remind_at=remind_at, estimated=self.estimated or guessed)


def local_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=CHINA)


def working_days_before(day: date, days: int, calendar: WorkingCalendar) -> tuple[date, bool]:
    """The `days`-th working day before `day` (which itself does not count): `add_working_days` backwards.

    Returns the day and whether any year crossed was estimated rather than official.
    """
    if not 0 < days <= MAX_WORKING_DAYS:
        raise ValueError(f"working days must be between 1 and {MAX_WORKING_DAYS}, not {days}")
    counted, estimated = 0, not calendar.schedule(day.year).official
    while counted < days:
        day -= timedelta(days=1)
        estimated = estimated or not calendar.schedule(day.year).official
        if calendar.is_workday(day):
            counted += 1
    return day, estimated


def reminder_time(basis: Basis, due_at: datetime, before: int, calendar: WorkingCalendar) -> tuple[datetime, bool]:
    """When a reminder `before` basis units ahead of `due_at` falls, and whether the calendar guessed.

    Working days: 09:00 of the working day `before` working days ahead of the last day; calendar days:
    09:00 of the day `before` days ahead of the due day; hours: exactly `before` hours ahead.
    """
    if basis is Basis.HOURS:
        return due_at - timedelta(hours=before), False
    last_day = local_day(due_at)
    if basis is Basis.CALENDAR_DAYS:
        return datetime.combine(last_day - timedelta(days=before), REMINDER_TIME, tzinfo=CHINA), False
    day, estimated = working_days_before(last_day, before, calendar)
    return datetime.combine(day, REMINDER_TIME, tzinfo=CHINA), estimated


def start_clock(rule: ClockRule, started_at: datetime, calendar: WorkingCalendar) -> Deadline:
    """Compute a deadline. Day-based clocks end at 23:59:59 of their last day; the start day does not count.

    A rule with `remind_complainant_before` also gets its reminder time, unless that falls at or before
    the start (a window shorter than the lead has no reminder).
    """
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
    deadline = Deadline(rule.name, rule.basis, rule.length, started_at, due_at, estimated=estimated, steps=rule.steps)
    if rule.remind_complainant_before is None:
        return deadline
    remind_at, guessed = reminder_time(rule.basis, due_at, rule.remind_complainant_before, calendar)
    if remind_at <= started_at:
        return deadline
    return replace(
        deadline, remind_at=remind_at, remind_before=rule.remind_complainant_before, estimated=estimated or guessed
    )
