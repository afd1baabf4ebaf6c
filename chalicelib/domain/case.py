"""The case: one entry of the register (登记) and the events of its timeline.

A case is a complaint, a report, an enquiry or a suggestion. The timeline is append-only: each
change of a case produces events, and the repository writes the case and its new events together.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from chalicelib.domain.deadlines import Deadline
from chalicelib.domain.redaction import redact


class Kind(StrEnum):
    COMPLAINT = "complaint"
    REPORT = "report"
    ENQUIRY = "enquiry"
    SUGGESTION = "suggestion"


class Channel(StrEnum):
    WEB = "web"
    SMS = "sms"
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    FAX = "fax"
    WALK_IN = "walk_in"
    WECHAT = "wechat"
    TRANSFER = "transfer"


class Status(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    MEDIATING = "mediating"
    RESPONDED = "responded"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


#: Timeline entries the complainant sees on the tracking page; the rest are internal.
PUBLIC_EVENTS = frozenset(
    {
        "received",
        "accepted",
        "rejected",
        "transferred",
        "assigned",
        "paused",
        "resumed",
        "extended",
        "responded",
        "feedback",
        "reopened",
        "closed",
        "withdrawn",
        "notified",
    }
)
#: Fields of an event's data the complainant may see; notes, names of staff and findings stay inside.
PUBLIC_EVENT_FIELDS = frozenset(
    {
        "reason_code",
        "transfer_to",
        "clock",
        "due_date",
        "satisfied",
        "outcome",
        "linked_tracking_code",
        "kind",
        "unit",
        "step",
        "pause_reason",
        "about",
        "message",
    }
)


@dataclass(frozen=True)
class Party:
    """The complainant or reporter. Never stored for an anonymous report."""

    name: str
    phone: str
    email: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Respondent:
    """The business complained about or reported (被投诉人/被举报人)."""

    name: str
    address: str | None = None
    region_code: str | None = None


@dataclass(frozen=True)
class Product:
    """What the dispute is about: product or service, as on the register form."""

    name: str
    brand: str | None = None
    model: str | None = None
    quantity: int | None = None
    price: Decimal | None = None
    purchase_date: date | None = None
    order_number: str | None = None


@dataclass(frozen=True)
class Evidence:
    """A file linked at intake (receipts, photos, contracts, recordings), as kept: checked, its metadata
    removed where it could identify or locate its author, and fingerprinted."""

    upload_id: str
    key: str  # where the kept file is (the evidence bucket)
    filename: str  # as the uploader named it
    content_type: str  # what its bytes are (sniffed), not what the client said
    size: int  # bytes kept
    sha256: str  # of the bytes kept (hex)
    original_sha256: str | None = None  # of the bytes received, when metadata was removed from them
    metadata_removed: bool = False


@dataclass(frozen=True)
class Actor:
    """Who did something: the public (complainant), a member of staff, or the system."""

    kind: str  # "public" | "staff" | "system"
    id: str | None = None
    name: str | None = None


PUBLIC = Actor("public")
SYSTEM = Actor("system")


@dataclass(frozen=True)
class Event:
    type: str
    at: datetime
    actor: Actor
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.type in PUBLIC_EVENTS

    def public_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k in PUBLIC_EVENT_FIELDS}


@dataclass
class Case:
    id: str
    tracking_code: str
    access_code_hash: str
    kind: Kind
    channel: Channel
    status: Status
    received_at: datetime
    policy: str
    facts: str
    complainant: Party | None
    anonymous: bool = False
    respondent: Respondent | None = None
    request: str | None = None
    suspected_violation: str | None = None
    category: str | None = None
    occurred_at: str | None = None
    place: str | None = None
    product: Product | None = None
    amount: Decimal | None = None
    evidence: tuple[Evidence, ...] = ()
    first_responder: Actor | None = None
    language: str = "zh-CN"  # of the complainant's notices
    contact: str | None = None  # how the complainant hears of milestones: "sms", "email", or None (nobody to tell)
    incomplete: tuple[str, ...] = ()  # what a clerk must still record (an SMS or e-mail complaint's respondent …)
    linked_case_ids: tuple[str, ...] = ()
    deadlines: dict[str, Deadline] = field(default_factory=dict)
    satisfied: bool | None = None
    severity: str | None = None
    unit: str | None = None
    handler_id: str | None = None
    handler_name: str | None = None
    paused: dict[str, Any] | None = None
    mediation: dict[str, Any] | None = None
    pending_extension: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    under_review: bool = False
    notified_reporter: bool = False
    redacted: dict[str, str] = field(default_factory=dict)  # free text with identity removed, made at intake
    generation: int = 0  # how many times its workflow had to be restarted (the execution's name)
    version: int = 0

    @property
    def execution_name(self) -> str:
        return self.id if not self.generation else f"{self.id}-{self.generation}"


#: Free-text fields whose redacted copy (identity removed) is kept for those who may not see identity.
FREE_TEXT = ("facts", "request", "suspected_violation", "place")


def identity(person: Party | None) -> tuple[str | None, ...]:
    """What names the complainant, as they gave it."""
    return (person.name, person.phone, person.email, person.address) if person else ()


def redacted_texts(source: Any, person: Party | None) -> dict[str, str]:
    """The free text of `source` (a submission or a case) without `person`'s identity. Made once and kept
    (at intake, and again when a clerk records the name), so every reader without the right gets the same text."""
    who = identity(person)
    return {name: redact(text, who) for name in FREE_TEXT if (text := getattr(source, name, None))}


def party_from(data: dict[str, Any] | None) -> Party | None:
    return Party(**data) if data else None


def as_dict(value: Party | Respondent | Product | Actor | None) -> dict[str, Any] | None:
    return None if value is None else {k: v for k, v in asdict(value).items() if v is not None}
