"""Administrators' year schedules in the register."""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.register.items import CalendarItem
from chalicelib.domain.calendar import YearSchedule
from chalicelib.service.ports import CalendarStore


class DynamoCalendarStore(CalendarStore):
    def get(self, year: int) -> YearSchedule | None:
        try:
            item = CalendarItem.get("CALENDAR", str(year), consistent_read=True)
        except DoesNotExist:
            return None
        return YearSchedule.of(
            year,
            (date.fromisoformat(str(d)) for d in item.holidays),
            (date.fromisoformat(str(d)) for d in item.adjusted_workdays),
            official=True,
            source=item.source,
        )

    def put(self, schedule: YearSchedule, *, updated_by: str, updated_at: datetime) -> None:
        # A whole-year replacement (PUT semantics): the last administrator's schedule wins.
        CalendarItem(
            "CALENDAR",
            str(schedule.year),
            holidays=sorted(d.isoformat() for d in schedule.holidays),
            adjusted_workdays=sorted(d.isoformat() for d in schedule.adjusted_workdays),
            source=schedule.source,
            updated_by=updated_by,
            updated_at=updated_at.isoformat(),
        ).save()
