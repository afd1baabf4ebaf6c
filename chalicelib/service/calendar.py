"""The working-day calendar in use: administrators' schedules first, then the built-in ones, then a guess."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime

from chalicelib.domain.calendar import WorkingCalendar, YearSchedule
from chalicelib.domain.schedules import builtin_schedule, estimated_schedule
from chalicelib.errors import InvalidInput
from chalicelib.service.ports import CalendarStore

log = logging.getLogger(__name__)


class CalendarService:
    """Resolves each year's schedule and caches administrators' schedules for `cache_seconds`.

    A schedule stored through `store()` takes effect at once in this process and within
    `cache_seconds` everywhere else.
    """

    def __init__(
        self, store: CalendarStore, cache_seconds: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._stored: dict[int, tuple[float, YearSchedule | None]] = {}

    def schedule_for(self, year: int) -> YearSchedule:
        cached = self._stored.get(year)
        if cached is None or self._monotonic() - cached[0] > self._cache_seconds:
            cached = (self._monotonic(), self._store.get(year))
            self._stored[year] = cached
        schedule = cached[1] or builtin_schedule(year)
        if schedule is None:
            log.warning(
                "calendar_estimated: no official holiday schedule for %s; deadlines in it are estimates "
                "until an administrator stores the year (PUT /v1/staff/calendar/%s)",
                year,
                year,
                extra={"calendar_year": year},
            )
            schedule = estimated_schedule(year)
        return schedule

    def calendar(self) -> WorkingCalendar:
        """A calendar for one request: each year is resolved once per request."""
        return WorkingCalendar(self.schedule_for)

    def store(
        self,
        year: int,
        holidays: Iterable[date],
        adjusted_workdays: Iterable[date],
        *,
        source: str,
        updated_by: str,
        now: datetime,
    ) -> YearSchedule:
        schedule = YearSchedule.of(year, holidays, adjusted_workdays, official=True, source=source)
        problems = schedule.problems()
        if problems:
            raise InvalidInput("the schedule is not consistent", fields=problems)
        self._store.put(schedule, updated_by=updated_by, updated_at=now)
        self._stored[year] = (self._monotonic(), schedule)
        return schedule
