"""The register in DynamoDB (PynamoDB), one table, items by key only — never a Scan.

| item                  | pk                    | sk                         |
|-----------------------|-----------------------|----------------------------|
| case                  | CASE#<id>             | CASE                       |
| timeline event        | CASE#<id>             | EVENT#<version>#<n>        |
| tracking-code claim   | TRACKING#<code>       | TRACKING                   |
| calendar year         | CALENDAR              | <year>                     |
| failed-attempt count  | ATTEMPTS#<key>        | ATTEMPTS                   |
| workflow hand-off     | CASE#<id>             | TASK                       |
| audit of a read       | CASE#<id>             | AUDIT#<at>#<staff id>      |

A case and its new events are written in one transaction, conditional on the case's version;
the tracking-code claim makes codes unique (a GSI could not). The TASK item is where the case's
execution leaves its task token (the ASL writes it) and where an action marks a hand-off as due,
in the same transaction as the change that needs it.

The work queue and the reconciliation read sparse indexes ordered by `next_due_at`:
`by_queue` (every case whose workflow is still running), `by_status`, `by_unit`, `by_handler`.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.calendar import YearSchedule
from chalicelib.domain.case import (
    Actor,
    Case,
    Channel,
    Event,
    Kind,
    Product,
    Respondent,
    Status,
    as_dict,
    party_from,
)
from chalicelib.domain.deadlines import Basis, Deadline
from chalicelib.domain.lifecycle import next_due, step_of
from chalicelib.errors import VersionConflict
from chalicelib.service.ports import (
    AttemptLimiter,
    AuditEntry,
    CalendarStore,
    CaseRepository,
    Page,
    QueueFilter,
    Task,
    TrackingCodeTaken,
)

#: Sorts after every real due time: cases without a running clock come last in the queue.
NO_DEADLINE = "9999-12-31T23:59:59Z"


class _RegisterItem(Model):
    class Meta:
        table_name = "unbound"  # set by `bind()` from the settings, before first use

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


def _index(name: str, partition: str) -> type[GlobalSecondaryIndex[Any]]:
    class Meta:
        index_name = name
        projection = AllProjection()

    return type(
        name,
        (GlobalSecondaryIndex,),
        {"Meta": Meta, partition: UnicodeAttribute(hash_key=True), "next_due_at": UnicodeAttribute(range_key=True)},
    )


class _CaseItem(_RegisterItem):
    by_queue = _index("by_queue", "queue")()
    by_status = _index("by_status", "status")()
    by_unit = _index("by_unit", "unit")()
    by_handler = _index("by_handler", "handler_id")()
    case_id = UnicodeAttribute()
    tracking_code = UnicodeAttribute()
    access_code_hash = UnicodeAttribute()
    kind = UnicodeAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()
    received_at = UnicodeAttribute()
    policy = UnicodeAttribute()
    facts = UnicodeAttribute()
    anonymous = BooleanAttribute(default=False)
    complainant = MapAttribute(null=True)  # type: ignore[var-annotated]
    respondent = MapAttribute(null=True)  # type: ignore[var-annotated]
    request = UnicodeAttribute(null=True)
    suspected_violation = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    occurred_at = UnicodeAttribute(null=True)
    place = UnicodeAttribute(null=True)
    product = MapAttribute(null=True)  # type: ignore[var-annotated]
    amount = UnicodeAttribute(null=True)  # a decimal string: money is never a float
    evidence = ListAttribute(of=UnicodeAttribute, null=True)
    first_responder = MapAttribute(null=True)  # type: ignore[var-annotated]
    linked_case_ids = ListAttribute(of=UnicodeAttribute, null=True)
    deadlines = MapAttribute(null=True)  # type: ignore[var-annotated]
    satisfied = BooleanAttribute(null=True)
    severity = UnicodeAttribute(null=True)
    unit = UnicodeAttribute(null=True)
    handler_id = UnicodeAttribute(null=True)
    handler_name = UnicodeAttribute(null=True)
    paused = MapAttribute(null=True)  # type: ignore[var-annotated]
    mediation = MapAttribute(null=True)  # type: ignore[var-annotated]
    pending_extension = MapAttribute(null=True)  # type: ignore[var-annotated]
    response = MapAttribute(null=True)  # type: ignore[var-annotated]
    under_review = BooleanAttribute(default=False)
    notified_reporter = BooleanAttribute(default=False)
    queue = UnicodeAttribute(null=True)  # "OPEN" while the workflow runs: the sparse by_queue index
    next_due_at = UnicodeAttribute()
    version = VersionAttribute()


class _EventItem(_RegisterItem):
    type = UnicodeAttribute()
    at = UnicodeAttribute()
    actor = MapAttribute()  # type: ignore[var-annotated]
    data = MapAttribute(null=True)  # type: ignore[var-annotated]


class _TrackingItem(_RegisterItem):
    case_id = UnicodeAttribute()


class _CalendarItem(_RegisterItem):
    holidays = ListAttribute(of=UnicodeAttribute)
    adjusted_workdays = ListAttribute(of=UnicodeAttribute)
    source = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class _TaskItem(_RegisterItem):
    task_token = UnicodeAttribute(null=True)
    step = UnicodeAttribute(null=True)
    since = UnicodeAttribute(null=True)
    signal_pending_since = UnicodeAttribute(null=True)


class _AuditItem(_RegisterItem):
    at = UnicodeAttribute()
    staff_id = UnicodeAttribute()
    staff_name = UnicodeAttribute()
    roles = ListAttribute(of=UnicodeAttribute)
    what = UnicodeAttribute()


class _AttemptsItem(_RegisterItem):
    failures = NumberAttribute()
    window_ends = NumberAttribute()
    expires_at = TTLAttribute()


def bind(table_name: str) -> None:
    """Point every register model at the stage's table (Lambda env is read at first use, not import)."""
    _RegisterItem.Meta.table_name = table_name
    for model in (
        _RegisterItem,
        _CaseItem,
        _EventItem,
        _TrackingItem,
        _CalendarItem,
        _AttemptsItem,
        _TaskItem,
        _AuditItem,
    ):
        model._connection = None


def _case_key(case_id: str) -> str:
    return f"CASE#{case_id}"


def _tracking_key(code: str) -> str:
    return f"TRACKING#{code}"


def _plain(value: Any) -> Any:
    """Domain values as DynamoDB map values: dates as ISO strings, decimals as strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_MOMENTS = ("paused_at", "stopped_at", "escalated_at", "reminded_at")


def _deadline_to_map(d: Deadline) -> dict[str, Any]:
    m: dict[str, Any] = {
        "basis": d.basis.value,
        "length": d.length,
        "started_at": d.started_at.isoformat(),
        "due_at": d.due_at.isoformat(),
        "estimated": d.estimated,
        "paused": d.paused,
        "paused_seconds": d.paused_seconds,
        "extended": d.extended,
        "steps": list(d.steps),
    }
    m.update({k: getattr(d, k).isoformat() for k in _MOMENTS if getattr(d, k) is not None})
    return m


def _deadline_from_map(clock: str, m: dict[str, Any]) -> Deadline:
    moments = {k: datetime.fromisoformat(m[k]) for k in _MOMENTS if m.get(k)}
    return Deadline(
        clock=clock,
        basis=Basis(m["basis"]),
        length=int(m["length"]),
        started_at=datetime.fromisoformat(m["started_at"]),
        due_at=datetime.fromisoformat(m["due_at"]),
        estimated=bool(m["estimated"]),
        paused=bool(m["paused"]),
        paused_seconds=int(m.get("paused_seconds", 0)),
        extended=int(m.get("extended", 0)),
        steps=tuple(m.get("steps", ())),
        **moments,
    )


def _utc(moment: datetime) -> str:
    """Index sort keys: one fixed format (UTC, seconds) so strings order like times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: Case fields stored as they are, and fields stored as maps: the same names on both sides.
_SCALARS = (
    "tracking_code",
    "access_code_hash",
    "policy",
    "facts",
    "anonymous",
    "request",
    "suspected_violation",
    "category",
    "occurred_at",
    "place",
    "satisfied",
    "severity",
    "unit",
    "handler_id",
    "handler_name",
    "under_review",
    "notified_reporter",
)
_MAPS = ("paused", "mediation", "pending_extension", "response")


def _case_to_item(case: Case) -> _CaseItem:
    item = _CaseItem(
        _case_key(case.id),
        "CASE",
        case_id=case.id,
        kind=case.kind.value,
        channel=case.channel.value,
        status=case.status.value,
        received_at=case.received_at.isoformat(),
        complainant=_plain(as_dict(case.complainant)),
        respondent=_plain(as_dict(case.respondent)),
        product=_plain(as_dict(case.product)),
        amount=None if case.amount is None else str(case.amount),
        evidence=list(case.evidence) or None,
        first_responder=_plain(as_dict(case.first_responder)),
        linked_case_ids=list(case.linked_case_ids) or None,
        deadlines={name: _deadline_to_map(d) for name, d in case.deadlines.items()} or None,
        queue="OPEN" if step_of(case) != "done" else None,
        next_due_at=_utc(due) if (due := next_due(case)) else NO_DEADLINE,
        **{name: getattr(case, name) for name in _SCALARS},
        **{name: _plain(getattr(case, name)) for name in _MAPS},
    )
    if case.version:
        item.version = case.version
    return item


def _map(attr: Any) -> dict[str, Any] | None:
    return attr.as_dict() if attr is not None else None


def _product_from(m: dict[str, Any] | None) -> Product | None:
    if not m:
        return None
    return Product(
        name=m["name"],
        brand=m.get("brand"),
        model=m.get("model"),
        quantity=int(m["quantity"]) if m.get("quantity") is not None else None,
        price=Decimal(m["price"]) if m.get("price") is not None else None,
        purchase_date=date.fromisoformat(m["purchase_date"]) if m.get("purchase_date") else None,
        order_number=m.get("order_number"),
    )


def _case_from_item(item: _CaseItem) -> Case:
    respondent = _map(item.respondent)
    first_responder = _map(item.first_responder)
    return Case(
        id=item.case_id,
        kind=Kind(item.kind),
        channel=Channel(item.channel),
        status=Status(item.status),
        received_at=datetime.fromisoformat(item.received_at),
        complainant=party_from(_map(item.complainant)),
        respondent=Respondent(**respondent) if respondent else None,
        product=_product_from(_map(item.product)),
        amount=Decimal(item.amount) if item.amount is not None else None,
        evidence=tuple(str(e) for e in item.evidence or ()),
        first_responder=Actor(**first_responder) if first_responder else None,
        linked_case_ids=tuple(str(i) for i in item.linked_case_ids or ()),
        deadlines={k: _deadline_from_map(k, v) for k, v in (_map(item.deadlines) or {}).items()},
        version=int(item.version or 0),
        **{name: getattr(item, name) for name in _SCALARS},
        **{name: _map(getattr(item, name)) for name in _MAPS},  # type: ignore[arg-type]
    )


def _event_items(case: Case, events: Sequence[Event]) -> list[_EventItem]:
    """Event keys derive from the version being written, so a retried write cannot add duplicates."""
    return [
        _EventItem(
            _case_key(case.id),
            f"EVENT#{case.version + 1:06d}#{n:02d}",
            type=event.type,
            at=event.at.isoformat(),
            actor=_plain(as_dict(event.actor)),
            data=_plain(event.data) or None,
        )
        for n, event in enumerate(events)
    ]


def _conflict_reasons(error: TransactWriteError) -> list[bool]:
    return [bool(r and r.code == "ConditionalCheckFailed") for r in error.cancellation_reasons]


class DynamoCaseRepository(CaseRepository):
    def __init__(self) -> None:
        self._connection = Connection()

    def add(self, cases: Sequence[tuple[Case, Sequence[Event]]]) -> None:
        claims: list[int] = []  # positions of the tracking-code claims among the transaction's items
        position = 0
        try:
            with TransactWrite(connection=self._connection, client_request_token=cases[0][0].id) as tx:
                for case, events in cases:
                    tx.save(_case_to_item(case), condition=_CaseItem.pk.does_not_exist())
                    tx.save(
                        _TrackingItem(_tracking_key(case.tracking_code), "TRACKING", case_id=case.id),
                        condition=_TrackingItem.pk.does_not_exist(),
                    )
                    claims.append(position + 1)
                    event_items = _event_items(case, events)
                    for item in event_items:
                        tx.save(item, condition=_EventItem.pk.does_not_exist())
                    position += 2 + len(event_items)
        except TransactWriteError as error:
            failed = _conflict_reasons(error)
            if any(failed[i] for i in claims if i < len(failed)):
                raise TrackingCodeTaken() from error
            raise
        for case, _ in cases:
            case.version = 1

    def get(self, case_id: str) -> Case | None:
        try:
            return _case_from_item(_CaseItem.get(_case_key(case_id), "CASE", consistent_read=True))
        except DoesNotExist:
            return None

    def find_by_tracking_code(self, tracking_code: str) -> Case | None:
        try:
            claim = _TrackingItem.get(_tracking_key(tracking_code), "TRACKING", consistent_read=True)
        except DoesNotExist:
            return None
        return self.get(claim.case_id)

    def timeline(self, case_id: str) -> list[Event]:
        items = _EventItem.query(_case_key(case_id), _EventItem.sk.startswith("EVENT#"), consistent_read=True)
        return [
            Event(
                type=item.type,
                at=datetime.fromisoformat(item.at),
                actor=Actor(**item.actor.as_dict()),
                data=_map(item.data) or {},
            )
            for item in items
        ]

    def save(self, case: Case, events: Sequence[Event], *, signal_due: datetime | None = None) -> None:
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(_case_to_item(case))  # the version attribute adds "version = <read version>"
                for item in _event_items(case, events):
                    tx.save(item, condition=_EventItem.pk.does_not_exist())
                if signal_due is not None:
                    tx.update(
                        _TaskItem(_case_key(case.id), "TASK"),
                        actions=[_TaskItem.signal_pending_since.set(signal_due.isoformat())],
                    )
        except TransactWriteError as error:
            if any(_conflict_reasons(error)):
                raise VersionConflict("the case was changed by someone else; reload it and try again") from error
            raise
        case.version += 1

    def task(self, case_id: str) -> Task | None:
        try:
            item = _TaskItem.get(_case_key(case_id), "TASK", consistent_read=True)
        except DoesNotExist:
            return None
        return Task(
            token=item.task_token,
            step=item.step,
            since=datetime.fromisoformat(item.since.replace("Z", "+00:00")) if item.since else None,
            signal_pending_since=datetime.fromisoformat(item.signal_pending_since)
            if item.signal_pending_since
            else None,
        )

    def signal_delivered(self, case_id: str, token: str) -> None:
        try:
            _TaskItem(_case_key(case_id), "TASK").update(
                actions=[_TaskItem.signal_pending_since.remove()],
                condition=_TaskItem.task_token == token,
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # a newer token means the workflow moved on; the mark stays for the reconciler

    def record_read(self, case_id: str, entry: AuditEntry) -> None:
        _AuditItem(
            _case_key(case_id),
            f"AUDIT#{entry.at.isoformat()}#{entry.staff_id}",
            at=entry.at.isoformat(),
            staff_id=entry.staff_id,
            staff_name=entry.staff_name,
            roles=sorted(entry.roles),
            what=entry.what,
        ).save(condition=_AuditItem.pk.does_not_exist())

    def audit_trail(self, case_id: str) -> list[AuditEntry]:
        items = _AuditItem.query(_case_key(case_id), _AuditItem.sk.startswith("AUDIT#"), consistent_read=True)
        return [
            AuditEntry(
                datetime.fromisoformat(i.at), i.staff_id, i.staff_name, frozenset(str(r) for r in i.roles or ()), i.what
            )
            for i in items
        ]

    def queue(self, wanted: QueueFilter, now: datetime, limit: int, cursor: dict[str, Any] | None) -> Page:
        """Cases by nearest deadline through the most selective index; the other filters narrow it."""
        candidates = [
            (_CaseItem.by_handler, "handler_id", wanted.handler),
            (_CaseItem.by_unit, "unit", wanted.unit),
            (_CaseItem.by_status, "status", wanted.status),
        ]
        index, used, key = next(
            ((i, attr, value) for i, attr, value in candidates if value), (_CaseItem.by_queue, "queue", "OPEN")
        )
        filters = [getattr(_CaseItem, attr) == value for _, attr, value in candidates if value and attr != used]
        if used not in ("queue", "status"):  # by status, finished cases are listed too (status=closed)
            filters.append(_CaseItem.queue == "OPEN")
        filter_condition = functools.reduce(operator.and_, filters) if filters else None
        result = index.query(
            key,
            range_key_condition=_CaseItem.next_due_at < _utc(now) if wanted.overdue else None,
            filter_condition=filter_condition,
            limit=limit,
            last_evaluated_key=cursor,
        )
        cases = [_case_from_item(item) for item in result]
        return Page(cases, result.last_evaluated_key)


class DynamoCalendarStore(CalendarStore):
    def get(self, year: int) -> YearSchedule | None:
        try:
            item = _CalendarItem.get("CALENDAR", str(year), consistent_read=True)
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
        _CalendarItem(
            "CALENDAR",
            str(schedule.year),
            holidays=sorted(d.isoformat() for d in schedule.holidays),
            adjusted_workdays=sorted(d.isoformat() for d in schedule.adjusted_workdays),
            source=schedule.source,
            updated_by=updated_by,
            updated_at=updated_at.isoformat(),
        ).save()


class DynamoAttemptLimiter(AttemptLimiter):
    """Fixed window per key: after `max_failures` within `window` the key waits for the window to end."""

    def __init__(self, max_failures: int, window: timedelta) -> None:
        self.max_failures = max_failures
        self.window = window

    def locked_for(self, key: str, now: datetime) -> int:
        try:
            item = _AttemptsItem.get(f"ATTEMPTS#{key}", "ATTEMPTS", consistent_read=True)
        except DoesNotExist:
            return 0
        remaining = int(item.window_ends - now.timestamp())
        return remaining if remaining > 0 and item.failures >= self.max_failures else 0

    def record_failure(self, key: str, now: datetime) -> None:
        item = _AttemptsItem(f"ATTEMPTS#{key}", "ATTEMPTS")
        try:
            item.update(
                actions=[_AttemptsItem.failures.add(1)],
                condition=_AttemptsItem.window_ends > int(now.timestamp()),
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            ends = now + self.window
            fresh = _AttemptsItem(
                f"ATTEMPTS#{key}", "ATTEMPTS", failures=1, window_ends=int(ends.timestamp()), expires_at=ends
            )
            try:
                # Only replace a window that has ended; a concurrent fresh window is kept.
                fresh.save(
                    condition=_AttemptsItem.pk.does_not_exist() | (_AttemptsItem.window_ends <= int(now.timestamp()))
                )
            except PutError as put_error:
                if put_error.cause_response_code != "ConditionalCheckFailedException":
                    raise
