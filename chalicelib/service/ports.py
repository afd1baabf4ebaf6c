"""What the services need from storage, as interfaces; `chalicelib/adapters` provides them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from chalicelib.domain.calendar import YearSchedule
from chalicelib.domain.case import Case, Event


class CaseRepository(ABC):
    @abstractmethod
    def add(self, cases: Sequence[tuple[Case, Sequence[Event]]]) -> None:
        """Store new cases with their first events, all or nothing.

        Raises `TrackingCodeTaken` when a tracking code is already in use (the caller draws again).
        """

    @abstractmethod
    def get(self, case_id: str) -> Case | None: ...

    @abstractmethod
    def find_by_tracking_code(self, tracking_code: str) -> Case | None: ...

    @abstractmethod
    def timeline(self, case_id: str) -> list[Event]: ...

    @abstractmethod
    def save(self, case: Case, events: Sequence[Event]) -> None:
        """Write a changed case and its new events together, if nobody changed it since it was read.

        Raises `VersionConflict` otherwise.
        """


class TrackingCodeTaken(Exception):
    """A freshly drawn tracking code collided with an existing one."""


class CalendarStore(ABC):
    @abstractmethod
    def get(self, year: int) -> YearSchedule | None: ...

    @abstractmethod
    def put(self, schedule: YearSchedule, *, updated_by: str, updated_at: datetime) -> None: ...


class AttemptLimiter(ABC):
    """Counts failed attempts per key in a window, to slow down guessing."""

    @abstractmethod
    def locked_for(self, key: str, now: datetime) -> int:
        """Seconds until `key` may try again; 0 when it may try now."""

    @abstractmethod
    def record_failure(self, key: str, now: datetime) -> None: ...
