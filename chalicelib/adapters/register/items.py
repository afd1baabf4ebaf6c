"""The register's item types (PynamoDB models). Private to the adapter: callers get domain objects.

| item                  | pk                    | sk                         |
|-----------------------|-----------------------|----------------------------|
| case (what changes)   | CASE#<id>             | CASE                       |
| case details (intake) | CASE#<id>             | DETAILS                    |
| timeline events       | CASE#<id>             | EVENT#<version>            |
| outgoing notice       | CASE#<id>             | OUTBOX#<version>#<n>       |
| workflow task token   | CASE#<id>             | TASK                       |
| audit of a read       | AUDIT#<case id>       | <at>#<staff id>            |
| tracking-code claim   | TRACKING#<code>       | TRACKING                   |
| calendar year         | CALENDAR              | <year>                     |
| attempt budget        | ATTEMPTS#<scope>#<key>| ATTEMPTS                   |
| evidence upload       | UPLOAD#<upload id>    | UPLOAD                     |
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from pynamodb.attributes import (
    Attribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.constants import BINARY
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.resources import REGISTER, Index

CASE_SK = "CASE"
DETAILS_SK = "DETAILS"
TASK_SK = "TASK"
UPLOAD_SK = "UPLOAD"
INBOUND_SK = "INBOUND"
OPT_OUT_SK = "OPTOUT"
SURVEY_SK = "SURVEY"


def case_key(case_id: str) -> str:
    return f"CASE#{case_id}"


def upload_key(upload_id: str) -> str:
    return f"UPLOAD#{upload_id}"


def inbound_key(inbound: str) -> str:
    """A message that came in (`sms#<inboundMessageId>`, `email#<object key>`): handled once."""
    return f"INBOUND#{inbound}"


def contact_key(address: str) -> str:
    """A phone number (E.164) or e-mail address: its opt-out and the case whose survey it may answer."""
    return f"CONTACT#{address}"


def audit_key(case_id: str) -> str:
    """A case's audit trail has a partition of its own: it grows with every look, and reading the
    case's own items (or writing them) never wades through it or shares its throughput."""
    return f"AUDIT#{case_id}"


class CompactJSONAttribute(JSONAttribute):
    """JSON as DynamoDB bills it, byte for byte: no spaces, Chinese as UTF-8 (3 bytes) rather than a
    `\\uXXXX` escape (6). Read like any JSON attribute."""

    def serialize(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class PackedJSONAttribute(Attribute[Any]):
    """A JSON document compressed (zlib): a case's deadlines repeat the same names and times, so its
    record takes a third of the bytes, and of the write units each change costs. A document stored
    before as a JSON string is still read."""

    attr_type = BINARY

    def serialize(self, value: Any) -> bytes:
        return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 9)

    def get_value(self, value: dict[str, Any]) -> Any:
        return value["S"] if "S" in value else super().get_value(value)

    def deserialize(self, value: bytes | str) -> Any:
        return json.loads(value if isinstance(value, str) else zlib.decompress(value))


class RegisterItem(Model):
    class Meta:
        table_name = "unbound"  # set by `bind()` from the settings, before first use

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def _index(declared: Index) -> GlobalSecondaryIndex[Any]:
    """A PynamoDB index class built from its one declaration in `chalicelib/resources.py`."""

    class Meta:
        index_name = declared.name
        projection = (
            AllProjection()
            if declared.projection is None
            else IncludeProjection(list(declared.projection))
            if declared.projection
            else KeysOnlyProjection()
        )

    attributes: dict[str, Any] = {"Meta": Meta, declared.partition_key.name: UnicodeAttribute(hash_key=True)}
    if declared.sort_key:
        attributes[declared.sort_key.name] = UnicodeAttribute(range_key=True)
    return type(declared.name, (GlobalSecondaryIndex,), attributes)()


_INDEXES = {index.name: index for index in REGISTER.indexes}


class CaseItem(RegisterItem):
    by_status = _index(_INDEXES["by_status"])
    by_unit = _index(_INDEXES["by_unit"])
    by_handler = _index(_INDEXES["by_handler"])
    body = PackedJSONAttribute()  # the case but its details (codec.to_plain, fields at their default left out)
    summary = CompactJSONAttribute()  # what the work queue lists (lifecycle.summary), projected into its indexes
    handoff_at = UnicodeAttribute(null=True)  # this write is a hand-off to the execution (the stream takes it)
    # the work queue's index keys, set only while the case's workflow runs (sparse: a closed case leaves)
    q_status = UnicodeAttribute(null=True)
    q_unit = UnicodeAttribute(null=True)
    q_handler = UnicodeAttribute(null=True)
    next_due_at = UnicodeAttribute()
    version = VersionAttribute()


class DetailsItem(RegisterItem):
    """What the intake fixes (the parties, the facts as written and redacted, the access-code hash):
    written with the case, and again only if it changed, so a change of the case rewrites the small
    CASE item alone."""

    body = PackedJSONAttribute()


class EventItem(RegisterItem):
    body = CompactJSONAttribute()  # the events of one change, oldest first


class OutboxItem(RegisterItem):
    channel = UnicodeAttribute()
    message = JSONAttribute()
    sent_at = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    dead_at = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    sealed = UnicodeAttribute(null=True)  # the notice's secret facts (a new access code), removed once sent


class InboundItem(RegisterItem):
    """The mark of a message that came in, written with what it caused (a case, an answer to a survey)."""

    at = UnicodeAttribute()
    outcome = UnicodeAttribute(null=True)  # of a message that caused nothing else ("automatic")
    expires_at = TTLAttribute()


class ContactItem(RegisterItem):
    """Per phone number or address: `OPTOUT` (no more SMS) or `SURVEY` (the case a `1`/`2` from it answers)."""

    at = UnicodeAttribute()
    case_id = UnicodeAttribute(null=True)


class TaskItem(RegisterItem):
    """Written by the state machine as it enters each wait (the app only reads it)."""

    task_token = UnicodeAttribute(null=True)
    step = UnicodeAttribute(null=True)  # where it waits and since when: for people looking, not read here
    since = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)  # of the case the execution's input was computed from


class TrackingItem(RegisterItem):
    case_id = UnicodeAttribute()
    access_code_hash = UnicodeAttribute()


class CalendarItem(RegisterItem):
    holidays = ListAttribute(of=UnicodeAttribute)
    adjusted_workdays = ListAttribute(of=UnicodeAttribute)
    source = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class AuditItem(RegisterItem):
    at = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    staff_name = UnicodeAttribute()
    roles = ListAttribute(of=UnicodeAttribute)
    what = UnicodeAttribute()


class AttemptsItem(RegisterItem):
    tries = NumberAttribute()
    window_ends = NumberAttribute()
    expires_at = TTLAttribute()


class UploadItem(RegisterItem):
    """An upload a client was allowed (`service/evidence.py`): what it declared, and the case that linked it.
    Gone a day after it was allowed (TTL), linked or not: the case keeps what it needs of it."""

    key = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    created_at = UnicodeAttribute()
    case_id = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


MODELS: tuple[type[RegisterItem], ...] = (
    RegisterItem,
    CaseItem,
    DetailsItem,
    EventItem,
    OutboxItem,
    TaskItem,
    TrackingItem,
    CalendarItem,
    AuditItem,
    AttemptsItem,
    UploadItem,
)
