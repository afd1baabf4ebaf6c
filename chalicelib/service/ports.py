"""What the services need from storage and AWS, as interfaces; `chalicelib/adapters` provides them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.calendar import YearSchedule
from chalicelib.domain.case import Case, Event
from chalicelib.domain.lifecycle.summary import CaseSummary
from chalicelib.domain.notices import Notice


@dataclass(frozen=True)
class Task:
    """The task token of a case's execution, left as it entered its current wait, and the version of the
    case its input was computed from: a hand-off of that version or an older one has arrived."""

    case_id: str
    token: str | None
    version: int


@dataclass(frozen=True)
class Claim:
    """A tracking code's owner: the case and the keyed hash of its access code."""

    case_id: str
    access_code_hash: str


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
    items: list[CaseSummary]
    cursor: dict[str, Any] | None


@dataclass(frozen=True)
class OutboxEntry:
    """A notice waiting in the outbox, with the key that makes a second send harmless."""

    send_key: str
    notice: Notice
    attempts: int


@dataclass(frozen=True)
class Inbound:
    """A message that came in (`sms#<inboundMessageId>`, `email#<object key>`), marked in the write of
    what it caused, so a redelivery causes nothing twice."""

    key: str
    at: datetime


class AlreadyHandled(Exception):
    """The message that came in was handled before (a redelivery)."""


class CaseRepository(ABC):
    @abstractmethod
    def add(
        self,
        cases: Sequence[tuple[Case, Sequence[Event]]],
        *,
        now: datetime,
        uploads: Sequence[str] = (),
        notices: Sequence[Notice] = (),
        inbound: Inbound | None = None,
    ) -> None:
        """Store new cases with their first events and the notices they owe, all or nothing, each marked
        as a hand-off (its start) made at `now`; in the same write, mark the `uploads` as linked to the
        first case and the `inbound` message as handled.

        Raises `TrackingCodeTaken` when a tracking code is already in use (the caller draws again),
        `UploadTaken` when one of the uploads was linked meanwhile (or is gone), and `AlreadyHandled`
        when the inbound message was.
        """

    @abstractmethod
    def get(self, case_id: str) -> Case | None: ...

    @abstractmethod
    def claim(self, tracking_code: str) -> Claim | None: ...

    @abstractmethod
    def timeline(self, case_id: str) -> list[Event]: ...

    @abstractmethod
    def save(
        self,
        case: Case,
        events: Sequence[Event],
        notices: Sequence[Notice] = (),
        *,
        signal_due: datetime | None = None,
        inbound: Inbound | None = None,
    ) -> None:
        """Write a changed case, its new events and the notices they owe together, if nobody changed it since.

        With `signal_due`, the write marks the change as a hand-off to the workflow (made at that moment):
        the register's stream then carries it to `service.workflow.hand_over`. With `inbound`, it marks the
        message that caused it as handled. Raises `VersionConflict` when the case changed meanwhile, and
        `AlreadyHandled` when the message was handled before.
        """

    @abstractmethod
    def rekey(self, case: Case, events: Sequence[Event], notice: Notice) -> None:
        """Save `case` with a new access-code hash (its tracking claim too), the events and the notice that
        carries the new code, together, if nobody changed the case since (else `VersionConflict`)."""

    @abstractmethod
    def task(self, case_id: str) -> Task | None: ...

    @abstractmethod
    def record_read(self, case_id: str, entry: AuditEntry) -> None: ...

    @abstractmethod
    def audit_trail(
        self, case_id: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[AuditEntry], dict[str, Any] | None]:
        """A page of who looked at the complainant's data, oldest first (read only when asked for)."""

    @abstractmethod
    def queue(self, wanted: QueueFilter, now: datetime, limit: int, cursor: dict[str, Any] | None) -> Page:
        """The summaries of cases whose workflow runs, nearest deadline first; `cursor` continues a page."""

    @abstractmethod
    def open_cases(self) -> Sequence[Case]:
        """Every case whose workflow runs (a restored local stack restarts them)."""


class TrackingCodeTaken(Exception):
    """A freshly drawn tracking code collided with an existing one."""


class UploadTaken(Exception):
    """An upload a submission links was linked by another one meanwhile (or has expired)."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(upload_id)
        self.upload_id = upload_id


@dataclass(frozen=True)
class Upload:
    """A file a client was allowed to upload, waiting to be linked by a submission (or linked: `case_id`)."""

    id: str
    key: str  # where the client uploads it (the evidence bucket)
    filename: str
    content_type: str  # as declared
    size: int  # the declared size: the most the upload may hold
    created_at: datetime
    expires_at: datetime  # unlinked after this, it is gone (the bucket's lifecycle deletes the file too)
    case_id: str | None = None


class Uploads(ABC):
    """The register's record of each upload allowed (linked in `CaseRepository.add`)."""

    @abstractmethod
    def add(self, upload: Upload) -> None: ...

    @abstractmethod
    def get(self, upload_id: str) -> Upload | None: ...


@dataclass(frozen=True)
class PresignedPost:
    """An HTML form's target and fields that let a client upload one file, signed (S3 POST policy)."""

    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class StoredObject:
    size: int
    etag: str


class EvidenceStore(ABC):
    """Where evidence files are (S3): uploaded by clients with a signed policy, kept under a key of the app's."""

    @abstractmethod
    def presign_post(self, key: str, content_type: str, max_size: int, expires_in: int) -> PresignedPost:
        """Let whoever holds the answer upload, for `expires_in` seconds, 1 to `max_size` bytes of
        `content_type` to exactly `key`."""

    @abstractmethod
    def head(self, key: str) -> StoredObject | None:
        """The object's size and version (ETag), or None when there is none."""

    @abstractmethod
    def read(self, key: str, etag: str) -> bytes | None:
        """The object's bytes if it is still the version `etag`; None when it is gone or was replaced."""

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    def copy(self, source: str, etag: str, key: str, content_type: str) -> bool:
        """Keep the object `source` under `key` as it is, inside the store (its bytes do not travel through
        the app); False when it is gone or is no longer the version `etag`."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def presign_get(self, key: str, filename: str, content_type: str, expires_in: int) -> str:
        """A URL that downloads the object as an attachment named `filename`, for `expires_in` seconds."""


class CalendarStore(ABC):
    @abstractmethod
    def get(self, year: int) -> YearSchedule | None: ...

    @abstractmethod
    def put(self, schedule: YearSchedule, *, updated_by: str, updated_at: datetime) -> None: ...


@dataclass(frozen=True)
class Spent:
    """A try asked of a budget: `wait` is 0 when it was taken, else the seconds until the window ends;
    `tries` counts the window's tries taken, this one included."""

    wait: int
    tries: int = 0


class AttemptBudget(ABC):
    """A number of tries per key in a fixed window. A try is taken *before* it is checked, atomically,
    so however many arrive at once no more than the budget are ever checked."""

    @abstractmethod
    def spend(self, key: str, now: datetime) -> Spent:
        """Take one try."""

    @abstractmethod
    def refund(self, key: str) -> None:
        """Give back a try that succeeded (the owner looking at their case costs nothing)."""

    @abstractmethod
    def reset(self, key: str) -> None:
        """Forget the key's tries (a lockout lifted)."""


@dataclass(frozen=True)
class Run:
    """A case's execution: RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED, and the version of the case
    it was started with."""

    status: str
    version: int


@dataclass(frozen=True)
class Ended:
    """An execution that has stopped: its name (the case id, and generation), how, and when."""

    name: str
    status: str
    at: datetime


class WorkflowUnavailable(Exception):
    """Step Functions refused or could not be reached: the hand-off is tried again from the register's
    stream, and an execution that ended badly is restarted by the reconciliation."""


class Workflow(ABC):
    """The case's durable execution (Step Functions). Raises `WorkflowUnavailable` on AWS errors."""

    @abstractmethod
    def start(self, name: str, signal: dict[str, Any]) -> None:
        """Start an execution named `name` (starting the same name twice is harmless)."""

    @abstractmethod
    def resume(self, token: str, signal: dict[str, Any]) -> bool:
        """Hand the next step to the waiting execution; False when the token is no longer valid."""

    @abstractmethod
    def run(self, name: str) -> Run | None:
        """The execution named `name`; None when there is no such execution."""

    @abstractmethod
    def ended(self, statuses: frozenset[str], since: datetime) -> list[Ended]:
        """The executions that ended in one of `statuses` at `since` or later, newest first."""


class Outbox(ABC):
    """The notices written with the changes that owe them, on their way out."""

    @abstractmethod
    def pending(self, send_key: str) -> OutboxEntry | None:
        """The entry if it still waits to be sent (not sent, not given up)."""

    @abstractmethod
    def sent(self, send_key: str, at: datetime) -> None: ...

    @abstractmethod
    def failed(self, send_key: str, error: str, *, give_up: bool, at: datetime) -> int:
        """Count a failed send; with `give_up`, stop trying. Returns the attempts so far."""


class NoticeSender(ABC):
    """Delivers a notice to its audience (SNS topics today; SMS and e-mail later)."""

    @abstractmethod
    def send(self, notice: Notice, send_key: str) -> None: ...


class DeadLetters(ABC):
    """Notices given up on, where staff can see them."""

    @abstractmethod
    def put(self, entry: OutboxEntry, error: str) -> None: ...

    @abstractmethod
    def peek(self, limit: int) -> list[dict[str, Any]]: ...


class SendFailed(Exception):
    """A notice could not be handed to its channel this time."""


class SmsGateway(ABC):
    """Sends one SMS (AWS End User Messaging, SNS, or a domestic provider): raises `SendFailed`."""

    @abstractmethod
    def send(self, to: str, text: str, reference: str) -> str:
        """Send `text` to `to` (E.164); `reference` names the notice (a provider may log it). Returns the
        provider's message id."""


class MailGateway(ABC):
    """Sends one e-mail (SES): raises `SendFailed`."""

    @abstractmethod
    def send(self, to: str, subject: str, text: str, reference: str, headers: dict[str, str]) -> str:
        """Send a plain-text mail; `headers` thread it (In-Reply-To, References) or mark it automatic."""


class Contacts(ABC):
    """What the register knows of a phone number or e-mail address, and the answers owed to what came in."""

    @abstractmethod
    def opted_out(self, address: str) -> bool: ...

    @abstractmethod
    def opt(self, address: str, out: bool, inbound: Inbound, answer: Notice) -> None:
        """Opt `address` out of SMS (or back in) and queue the answer, once: raises `AlreadyHandled`."""

    @abstractmethod
    def answer(self, inbound: Inbound, answer: Notice) -> None:
        """Queue the answer to a message that came in, once: raises `AlreadyHandled` for a redelivery."""

    @abstractmethod
    def record(self, inbound: Inbound, outcome: str) -> None:
        """Mark a message handled without an answer (mail sent automatically), once: raises `AlreadyHandled`."""

    @abstractmethod
    def await_survey(self, address: str, case_id: str, at: datetime) -> None:
        """A `1` or `2` from `address` now answers the follow-up survey of `case_id`."""

    @abstractmethod
    def survey_case(self, address: str) -> str | None: ...


class MailStore(ABC):
    """Where inbound e-mail is kept as received (SES receipt's S3 action)."""

    @abstractmethod
    def read(self, key: str, limit: int) -> bytes | None:
        """At most the first `limit` bytes of the mail at `key`; None when there is none."""
