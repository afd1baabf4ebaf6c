"""What the services need from storage, as interfaces; `chalicelib/adapters` provides them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.calendar import YearSchedule
from chalicelib.domain.case import Case, Event


@dataclass(frozen=True)
class Task:
    """Where a case's execution waits: its task token and step, and whether a hand-off is due."""

    token: str | None
    step: str | None
    since: datetime | None
    signal_pending_since: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    """One read of a complainant's personal data by a member of staff."""

    at: datetime
    staff_id: str
    staff_name: str
    roles: frozenset[str]
    what: str


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    unit: str | None = None
    handler: str | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Page:
    cases: list[Case]
    cursor: dict[str, Any] | None


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
    def save(self, case: Case, events: Sequence[Event], *, signal_due: datetime | None = None) -> None:
        """Write a changed case and its new events together, if nobody changed it since it was read.

        With `signal_due`, the same transaction marks a hand-off to the workflow as due. Raises
        `VersionConflict` when the case changed meanwhile.
        """

    @abstractmethod
    def task(self, case_id: str) -> Task | None: ...

    @abstractmethod
    def signal_delivered(self, case_id: str, token: str) -> None: ...

    @abstractmethod
    def record_read(self, case_id: str, entry: AuditEntry) -> None: ...

    @abstractmethod
    def audit_trail(self, case_id: str) -> list[AuditEntry]: ...

    @abstractmethod
    def queue(self, wanted: QueueFilter, now: datetime, limit: int, cursor: dict[str, Any] | None) -> Page:
        """Cases whose workflow runs, nearest deadline first; `cursor` continues a previous page."""


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


class Workflow(ABC):
    """The case's durable execution (Step Functions)."""

    @abstractmethod
    def start(self, case_id: str, signal: dict[str, Any]) -> None:
        """Start the case's execution (named after the case, so starting twice is harmless)."""

    @abstractmethod
    def resume(self, token: str, signal: dict[str, Any]) -> bool:
        """Hand the next step to the waiting execution; False when the token is no longer valid."""

    @abstractmethod
    def status(self, case_id: str) -> str | None:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; None when there is no execution."""


class Notifier(ABC):
    """Messages about a case. They carry ids and facts of the process, never contact data."""

    @abstractmethod
    def supervisors(self, case: Case, event: Event) -> None: ...

    @abstractmethod
    def complainant(self, case: Case, event: Event) -> None: ...
