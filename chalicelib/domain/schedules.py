"""Where year schedules come from when no administrator has stored one.

`chinese-calendar` carries the State Council's published schedules (official). Past its last year
the `holidays` package gives China's statutory holidays by rule, without the adjusted weekend
working days: a guess, so it is marked unofficial and every deadline through it is `estimated`.
"""

from __future__ import annotations

import functools

import chinese_calendar

from chalicelib.domain.calendar import YearSchedule

#: The first year whose official schedule is known: no receipt is dated before it.
FIRST_YEAR = min(d.year for d in chinese_calendar.holidays)


@functools.cache
def builtin_schedule(year: int) -> YearSchedule | None:
    days_off = [d for d in chinese_calendar.holidays if d.year == year]
    if not days_off:
        return None
    workdays = [d for d in chinese_calendar.workdays if d.year == year]
    version = getattr(chinese_calendar, "__version__", "")
    return YearSchedule.of(year, days_off, workdays, official=True, source=f"chinese-calendar {version}".strip())


@functools.cache
def estimated_schedule(year: int) -> YearSchedule:
    import holidays  # only ever needed past the known years: kept off the cold-start path

    days_off = holidays.country_holidays("CN", years=year)
    return YearSchedule.of(
        year,
        days_off.keys(),
        (),
        official=False,
        source="estimate: statutory holidays by rule, no adjusted working days",
    )
