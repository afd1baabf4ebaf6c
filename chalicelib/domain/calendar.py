"""China's statutory working-day calendar.

A working day is a weekday that is not a public holiday, or an adjusted weekend day (调休) that
the State Council declared a working day. Each year's schedule is data: the calendar asks a
`schedule_for(year)` function for it and remembers which years were only estimated, so every
deadline computed through such a year can say so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

#: Deadlines further out than this are refused rather than looped towards.
MAX_WORKING_DAYS = 366


@dataclass(frozen=True)
class YearSchedule:
    """The days off and the adjusted working days of one year, and where they come from."""

    year: int
    holidays: frozenset[date]
    adjusted_workdays: frozenset[date]
    official: bool
    source: str

    @classmethod
    def of(
        cls, year: int, holidays: Iterable[date], adjusted_workdays: Iterable[date], *, official: bool, source: str
    ) -> YearSchedule:
        return cls(year, frozenset(holidays), frozenset(adjusted_workdays), official, source)

    def problems(self) -> dict[str, str]:
        """What makes this schedule unusable, keyed by field; empty when it is sound."""
        found: dict[str, str] = {}
        if any(d.year != self.year for d in self.holidays):
            found["holidays"] = f"every holiday must fall in {self.year}"
        if any(d.year != self.year for d in self.adjusted_workdays):
            found["adjusted_workdays"] = f"every adjusted working day must fall in {self.year}"
        elif any(d.weekday() < 5 for d in self.adjusted_workdays):
            found["adjusted_workdays"] = "an adjusted working day must be a Saturday or a Sunday"
        if self.holidays & self.adjusted_workdays:
            found.setdefault("adjusted_workdays", "a day cannot be both a holiday and an adjusted working day")
        return found


@dataclass
class WorkingCalendar:
    """Counts working days across years, asking `schedule_for` once per year it touches."""

    schedule_for: Callable[[int], YearSchedule]
    _years: dict[int, YearSchedule] = field(default_factory=dict)

    def schedule(self, year: int) -> YearSchedule:
        if year not in self._years:
            self._years[year] = self.schedule_for(year)
        return self._years[year]

    def is_workday(self, day: date) -> bool:
        schedule = self.schedule(day.year)
        if day in schedule.adjusted_workdays:
            return True
        if day in schedule.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> tuple[date, bool]:
        """The `days`-th working day after `start` (which itself does not count).

        Returns the day and whether any year crossed was estimated rather than official.
        """
        if not 0 < days <= MAX_WORKING_DAYS:
            raise ValueError(f"working days must be between 1 and {MAX_WORKING_DAYS}, not {days}")
        day, counted, estimated = start, 0, not self.schedule(start.year).official
        while counted < days:
            day += timedelta(days=1)
            estimated = estimated or not self.schedule(day.year).official
            if self.is_workday(day):
                counted += 1
        return day, estimated

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=n)))
