"""The register's cases in DynamoDB: key and index queries only, never a Scan.

A case, its new events and the notices they owe are written in one transaction, conditional on the
case's version. What the intake fixes (parties, facts, redacted text) sits in a DETAILS item written
once, so each change rewrites only the small CASE item (one write unit, twice in the transaction)
rather than the whole record. The tracking-code claim makes codes unique (a GSI could not) and carries the keyed
hash of the access code, so checking a code is one read whether or not the code exists. A change that
the case's execution must hear of carries its hand-off mark on the CASE item itself (`handoff_at`): the
register's stream takes it to `service.workflow.hand_over`, so the mark costs no write of its own. The
TASK item is where the execution leaves its task token (the ASL writes it) and the version it runs on.
"""

from __future__ import annotations

import functools
import json
import operator
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.register.items import (
    CASE_SK,
    DETAILS_SK,
    INBOUND_SK,
    TASK_SK,
    UPLOAD_SK,
    AuditItem,
    CaseItem,
    DetailsItem,
    EventItem,
    InboundItem,
    OutboxItem,
    RegisterItem,
    TaskItem,
    TrackingItem,
    UploadItem,
    audit_key,
    case_key,
    inbound_key,
    upload_key,
)
from chalicelib.adapters.sealing import Seal
from chalicelib.domain.case import Case, Event
from chalicelib.domain.codec import from_plain, to_plain
from chalicelib.domain.lifecycle.steps import OPEN_STATUSES, next_due, stamp, step_of
from chalicelib.domain.lifecycle.summary import CaseSummary, summarize
from chalicelib.domain.notices import Notice
from chalicelib.errors import VersionConflict
from chalicelib.service.ports import (
    AlreadyHandled,
    AuditEntry,
    CaseRepository,
    Claim,
    Inbound,
    Page,
    QueueFilter,
    Task,
    TrackingCodeTaken,
    UploadTaken,
)

#: Sorts after every real due time: cases without a running clock come last in the queue.
NO_DEADLINE = "9999-12-31T23:59:59Z"
#: The unfiltered queue's partitions: one per status an open case can have (`by_status`).
QUEUE_PARTITIONS = tuple(status.value for status in OPEN_STATUSES)
#: The case's fields the intake fixes, kept in its DETAILS item.
DETAILS = frozenset(
    {
        "access_code_hash",
        "facts",
        "complainant",
        "anonymous",
        "respondent",
        "request",
        "suspected_violation",
        "occurred_at",
        "place",
        "product",
        "amount",
        "evidence",
        "first_responder",
        "redacted",
        "language",
        "contact",
    }
)
#: How many cases' details a repository remembers having read or written (one fingerprint each).
_REMEMBERED = 4096


#: Index sort keys: one fixed format (UTC, seconds) so strings order like times.
utc = stamp


_TRACKING_SK = "TRACKING"


def _tracking_key(code: str) -> str:
    return f"TRACKING#{code}"


def _parts(case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case as stored: what changes, and its details; fields at their default left out."""
    plain = to_plain(case, defaults=False)
    plain.pop("version", None)  # the item's own attribute
    return {k: v for k, v in plain.items() if k not in DETAILS}, {k: v for k, v in plain.items() if k in DETAILS}


def _fingerprint(details: dict[str, Any]) -> int:
    return zlib.crc32(json.dumps(details, sort_keys=True, ensure_ascii=False).encode())


def _case_item(case: Case, state: dict[str, Any], handoff_at: datetime | None) -> CaseItem:
    open_ = step_of(case) != "done"
    item = CaseItem(
        case_key(case.id),
        CASE_SK,
        body=state,
        summary=_summary_attribute(case),
        handoff_at=handoff_at.isoformat() if handoff_at else None,
        q_status=case.status.value if open_ else None,
        q_unit=case.unit if open_ else None,
        q_handler=case.handler_id if open_ else None,
        next_due_at=utc(due) if (due := next_due(case)) else NO_DEADLINE,
    )
    if case.version:
        item.version = case.version
    return item


#: The summary's fields the case item holds anyway, as attributes the queue indexes project: the
#: stored summary leaves them out (the CASE item then stays within one write unit).
_SUMMARY_FROM_ATTRIBUTES = ("id", "version", "status", "unit", "handler")


def _summary_attribute(case: Case) -> dict[str, Any]:
    summary = to_plain(summarize(case, case.version + 1))
    return {k: v for k, v in summary.items() if k not in _SUMMARY_FROM_ATTRIBUTES}


def _summary(item: CaseItem) -> CaseSummary:
    """A queue entry's summary: its stored part and the projected attributes (an open case's, so
    the queue keys are set)."""
    attributes = {
        "id": item.pk.removeprefix("CASE#"),
        "version": item.version,
        "status": item.q_status,
        "unit": item.q_unit,
        "handler": item.q_handler,
    }
    summary: CaseSummary = from_plain(CaseSummary, {**item.summary, **attributes})
    return summary


def _details_item(case: Case, details: dict[str, Any]) -> DetailsItem:
    return DetailsItem(case_key(case.id), DETAILS_SK, body=details)


def _event_items(case: Case, events: Sequence[Event]) -> list[EventItem]:
    """The events of one change in one item (one write unit for a feedback and the closing it brings,
    not two); its key derives from the version being written, so a retried write cannot add duplicates."""
    if not events:
        return []
    return [EventItem(case_key(case.id), f"EVENT#{case.version + 1:06d}", body=[to_plain(e) for e in events])]


#: How long the mark of a message that came in is kept: far longer than any redelivery.
INBOUND_KEPT = timedelta(days=30)
#: Facts a notice carries that the register keeps sealed until it is sent.
SECRET_FACTS = ("access_code",)


def outbox_item(pk: str, sk: str, notice: Notice, seal: Seal) -> OutboxItem:
    facts = notice.message.get("facts", {})
    secrets = {k: facts[k] for k in SECRET_FACTS if k in facts}
    message = (
        {**notice.message, "facts": {k: v for k, v in facts.items() if k not in secrets}} if secrets else notice.message
    )
    return OutboxItem(
        pk, sk, channel=notice.audience.value, message=message, sealed=seal.close(secrets) if secrets else None
    )


def _outbox_items(version: int, notices: Sequence[Notice], seal: Seal) -> list[OutboxItem]:
    """Each notice under its case's key, numbered by the version being written (a retry adds none)."""
    return [
        outbox_item(case_key(notice.message["case_id"]), f"OUTBOX#{version + 1:06d}#{n:02d}", notice, seal)
        for n, notice in enumerate(notices)
    ]


def inbound_item(inbound: Inbound, outcome: str | None = None) -> InboundItem:
    """The mark of a message that came in; `outcome` when it caused nothing else."""
    at = inbound.at
    return InboundItem(
        inbound_key(inbound.key), INBOUND_SK, at=at.isoformat(), outcome=outcome, expires_at=at + INBOUND_KEPT
    )


def _conflicts(error: TransactWriteError) -> list[bool]:
    return [bool(r and r.code == "ConditionalCheckFailed") for r in error.cancellation_reasons]


def _why_not_added(  # noqa: PLR0917 - where each part of the transaction sits
    error: TransactWriteError,
    claims: list[int],
    position: int,
    inbound: Inbound | None,
    notices: int,
    uploads: Sequence[str],
) -> None:
    """Raise what an intake's transaction failed on: the inbound message handled before (at `position`),
    a tracking code taken (at `claims`), or an upload linked meanwhile (after the notices)."""
    failed = _conflicts(error)
    marked = int(inbound is not None)
    failed += [False] * (position + marked + notices + len(uploads) - len(failed))
    if inbound is not None and failed[position]:
        raise AlreadyHandled(inbound.key) from error
    if any(failed[i] for i in claims):
        raise TrackingCodeTaken() from error
    taken = [u for n, u in enumerate(uploads) if failed[position + marked + notices + n]]
    if taken:
        raise UploadTaken(taken[0]) from error


def _task(case_id: str, item: TaskItem) -> Task:
    return Task(case_id, item.task_token, int(item.version or 0))


class DynamoCaseRepository(CaseRepository):
    def __init__(self, connection: Connection, seal: Seal) -> None:
        self._connection = connection  # transactions: over the models' client (`register.connection`)
        self._seal = seal
        # case id -> (version, fingerprint of its details as read or written at that version): a save
        # writes the DETAILS item again only if they changed, or if this repository did not see them
        self._details: dict[str, tuple[int, int]] = {}

    def _remember(self, case_id: str, version: int, details: dict[str, Any]) -> None:
        if len(self._details) >= _REMEMBERED:
            self._details.clear()
        self._details[case_id] = (version, _fingerprint(details))

    def add(
        self,
        cases: Sequence[tuple[Case, Sequence[Event]]],
        *,
        now: datetime,
        uploads: Sequence[str] = (),
        notices: Sequence[Notice] = (),
        inbound: Inbound | None = None,
    ) -> None:
        claims: list[int] = []  # positions of the tracking-code claims among the transaction's items
        position = 0
        try:
            with TransactWrite(connection=self._connection, client_request_token=cases[0][0].id) as tx:
                for case, events in cases:
                    state, details = _parts(case)
                    tx.save(_case_item(case, state, now), condition=CaseItem.pk.does_not_exist())
                    tx.save(_details_item(case, details), condition=DetailsItem.pk.does_not_exist())
                    tx.save(
                        TrackingItem(
                            _tracking_key(case.tracking_code),
                            _TRACKING_SK,
                            case_id=case.id,
                            access_code_hash=case.access_code_hash,
                        ),
                        condition=TrackingItem.pk.does_not_exist(),
                    )
                    claims.append(position + 2)
                    event_items = _event_items(case, events)
                    for item in event_items:
                        tx.save(item, condition=EventItem.pk.does_not_exist())
                    position += 3 + len(event_items)
                if inbound is not None:  # first: its position is known whatever else fails
                    tx.save(inbound_item(inbound), condition=InboundItem.pk.does_not_exist())
                for notice in _outbox_items(0, notices, self._seal):
                    tx.save(notice, condition=OutboxItem.pk.does_not_exist())
                for upload_id in uploads:  # linked once: a second submission linking it fails here
                    tx.update(
                        UploadItem(upload_key(upload_id), UPLOAD_SK),
                        actions=[UploadItem.case_id.set(cases[0][0].id)],
                        condition=UploadItem.pk.exists() & UploadItem.case_id.does_not_exist(),
                    )
        except TransactWriteError as error:
            _why_not_added(error, claims, position, inbound, len(notices), uploads)
            raise
        for case, _ in cases:
            case.version = 1
            self._remember(case.id, case.version, _parts(case)[1])

    def get(self, case_id: str) -> Case | None:
        """The CASE and DETAILS items in one consistent query (a case stored whole before has no DETAILS)."""
        found = CaseItem._get_connection().query(
            case_key(case_id),
            range_key_condition=RegisterItem.sk.between(CASE_SK, DETAILS_SK),
            consistent_read=True,
        )
        raw = {item["sk"]["S"]: item for item in found.get("Items", [])}
        if CASE_SK not in raw:
            return None
        item = CaseItem.from_raw_data(raw[CASE_SK])
        details = DetailsItem.from_raw_data(raw[DETAILS_SK]).body if DETAILS_SK in raw else {}
        case: Case = from_plain(Case, {**details, **item.body})
        case.version = int(item.version or 0)
        self._remember(case.id, case.version, details)
        return case

    def claim(self, tracking_code: str) -> Claim | None:
        try:
            item = TrackingItem.get(_tracking_key(tracking_code), _TRACKING_SK, consistent_read=True)
        except DoesNotExist:
            return None
        return Claim(item.case_id, item.access_code_hash)

    def timeline(self, case_id: str) -> list[Event]:
        items = EventItem.query(case_key(case_id), EventItem.sk.startswith("EVENT#"), consistent_read=True)
        changes = (item.body if isinstance(item.body, list) else [item.body] for item in items)  # or one, before
        return [from_plain(Event, event) for change in changes for event in change]

    def save(
        self,
        case: Case,
        events: Sequence[Event],
        notices: Sequence[Notice] = (),
        *,
        signal_due: datetime | None = None,
        inbound: Inbound | None = None,
    ) -> None:
        state, details = _parts(case)
        fresh = self._details.get(case.id) != (case.version, _fingerprint(details))
        item = _case_item(case, state, signal_due)
        others: list[RegisterItem] = [*_event_items(case, events), *_outbox_items(case.version, notices, self._seal)]
        if fresh:
            others.insert(0, _details_item(case, details))  # in the transaction: under the case's version
        if inbound is not None:
            others.append(inbound_item(inbound))
        if others:
            self._save_together(item, others)
        else:
            self._save_alone(item)
        case.version += 1
        self._remember(case.id, case.version, details)

    def rekey(self, case: Case, events: Sequence[Event], notice: Notice) -> None:
        state, details = _parts(case)
        claim = TrackingItem(
            _tracking_key(case.tracking_code), _TRACKING_SK, case_id=case.id, access_code_hash=case.access_code_hash
        )
        others: list[RegisterItem] = [
            _details_item(case, details),
            claim,
            *_event_items(case, events),
            *_outbox_items(case.version, [notice], self._seal),
        ]
        self._save_together(_case_item(case, state, None), others)
        case.version += 1
        self._remember(case.id, case.version, details)

    @staticmethod
    def _save_alone(item: CaseItem) -> None:
        """A change that records nothing else (a clock archived at its end, a restored case's new run)
        needs no transaction, which would cost it twice: one write, conditional on the version all the same."""
        try:
            item.save()  # the version attribute adds "version = <read version>"
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise VersionConflict("the case was changed by someone else; reload it and try again") from error
            raise

    def _save_together(self, item: CaseItem, others: list[RegisterItem]) -> None:
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(item)  # the version attribute adds "version = <read version>"
                for other in others:  # its details as they are now, new events, notices: none there before
                    kept = other.sk in (DETAILS_SK, _TRACKING_SK)  # rewritten whole, under the case's version
                    tx.save(other, condition=None if kept else RegisterItem.pk.does_not_exist())
        except TransactWriteError as error:
            failed = _conflicts(error)
            if others[-1].sk == INBOUND_SK and len(failed) == len(others) + 1 and failed[-1]:
                raise AlreadyHandled(others[-1].pk) from error
            if any(failed):
                raise VersionConflict("the case was changed by someone else; reload it and try again") from error
            raise

    def task(self, case_id: str) -> Task | None:
        try:
            return _task(case_id, TaskItem.get(case_key(case_id), TASK_SK, consistent_read=True))
        except DoesNotExist:
            return None

    def record_read(self, case_id: str, entry: AuditEntry) -> None:
        AuditItem(
            audit_key(case_id),
            f"{entry.at.isoformat()}#{entry.staff_id}",
            at=entry.at.isoformat(),
            staff_id=entry.staff_id,
            staff_name=entry.staff_name,
            roles=sorted(entry.roles),
            what=entry.what,
        ).save(condition=AuditItem.pk.does_not_exist())

    def audit_trail(
        self, case_id: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[AuditEntry], dict[str, Any] | None]:
        items = AuditItem.query(audit_key(case_id), limit=limit, last_evaluated_key=cursor)
        entries = [
            AuditEntry(
                datetime.fromisoformat(i.at), i.staff_id, i.staff_name, frozenset(str(r) for r in i.roles or ()), i.what
            )
            for i in items
        ]
        return entries, items.last_evaluated_key

    def queue(self, wanted: QueueFilter, now: datetime, limit: int, cursor: dict[str, Any] | None) -> Page:
        """Open cases by nearest deadline, from the most selective index; the other filters narrow it.

        A filtered page is one query on that filter's partition. The unfiltered queue is the statuses'
        partitions of `by_status` (which so spread the writes of open cases): each is read in deadline
        order and the heads are merged, so the page keeps deadline order; the cursor remembers where
        each partition stopped."""
        candidates = [
            (CaseItem.by_handler, "q_handler", wanted.handler),
            (CaseItem.by_unit, "q_unit", wanted.unit),
            (CaseItem.by_status, "q_status", wanted.status),
        ]
        chosen = next(((i, attr, value) for i, attr, value in candidates if value), None)
        due = CaseItem.next_due_at < utc(now) if wanted.overdue else None
        if chosen is None:
            return self._merged(due, limit, cursor or {})
        index, used, key = chosen
        filters = [getattr(CaseItem, attr) == value for _, attr, value in candidates if value and attr != used]
        result = index.query(
            key,
            range_key_condition=due,
            filter_condition=functools.reduce(operator.and_, filters) if filters else None,
            limit=limit,
            last_evaluated_key=cursor,
        )
        return Page([_summary(item) for item in result], result.last_evaluated_key)

    def _merged(self, due: Any, limit: int, cursor: dict[str, Any]) -> Page:
        heads: list[tuple[str, str, CaseItem]] = []
        for status in QUEUE_PARTITIONS:
            if cursor.get(status) == "done":
                continue
            for item in CaseItem.by_status.query(
                status, range_key_condition=due, limit=limit, last_evaluated_key=cursor.get(status)
            ):
                heads.append((item.next_due_at, status, item))
        heads.sort(key=lambda head: (head[0], head[2].pk))
        taken, rest = heads[:limit], heads[limit:]
        position = dict(cursor)
        for _, status, item in taken:
            keys = {"pk": item.pk, "sk": item.sk, "q_status": status, "next_due_at": item.next_due_at}
            position[status] = {name: {"S": value} for name, value in keys.items()}
        waiting = {status for _, status, _ in rest}
        for status in QUEUE_PARTITIONS:  # a partition none of whose items wait beyond this page is finished
            if status not in waiting and len([h for h in heads if h[1] == status]) < limit:
                position[status] = "done"
        finished = all(position.get(status) == "done" for status in QUEUE_PARTITIONS)
        return Page([_summary(item) for _, _, item in taken], None if finished else position)

    def open_cases(self) -> list[Case]:
        found = []
        for status in QUEUE_PARTITIONS:
            for item in CaseItem.by_status.query(status):
                case = self.get(item.pk.removeprefix("CASE#"))
                if case is not None:
                    found.append(case)
        return found
