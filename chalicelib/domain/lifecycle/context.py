"""What every action needs besides the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Actor
from chalicelib.domain.policy import Policy


@dataclass(frozen=True)
class Ctx:
    """What every action needs besides the case: when, who, and the rules in force."""

    now: datetime
    actor: Actor
    policy: Policy
    calendar: WorkingCalendar
    roles: frozenset[str] = frozenset()
    reminder: timedelta = timedelta(days=1)
