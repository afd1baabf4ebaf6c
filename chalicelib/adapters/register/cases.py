"""The register's cases in DynamoDB: key and index queries only, never a Scan.

A case, its new events and the notices they owe are written in one transaction, conditional on the
case's version; the tracking-code claim makes codes unique (a GSI could not) and carries the keyed
hash of the access code, so checking a code is one read whether or not the code exists. The TASK
item is where the case's execution leaves its task token (the ASL writes it) and where the app marks
a hand-off as due, in the same transaction as the change that needs it; its sparse, sharded
`by_check` index holds only the cases the reconciliation must look at, and when.
"""

from __future__ import annotations

import functools
import operator
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.register.items import (
    CASE_SK,
    TASK_SK,
    AuditItem,
    CaseItem,
    EventItem,
    OutboxItem,
    RegisterItem,
    TaskItem,
    TrackingItem,
    case_key,
)
from chalicelib.domain.case import Case, Event
from chalicelib.domain.codec import from_plain, to_plain
from chalicelib.domain.lifecycle.steps import next_due, step_of
from chalicelib.domain.notices import Notice
from chalicelib.errors import VersionConflict
from chalicelib.service.ports import (
    AuditEntry,
    CaseRepository,
    Claim,
    Page,
    QueueFilter,
    Task,
    TrackingCodeTaken,
)

#: Sorts after every real due time: cases without a running clock come last in the queue.
NO_DEADLINE = "9999-12-31T23:59:59Z"
#: Partitions of the `by_check` index: spreads the writes of many cases over several partitions.
CHECK_SHARDS = 8
OPEN = "OPEN"


def utc(moment: datetime) -> str:
    """Index sort keys: one fixed format (UTC, seconds) so strings order like times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_shard(case_id: str) -> str:
    return f"CHECK#{zlib.crc32(case_id.encode()) % CHECK_SHARDS}"


def _tracking_key(code: str) -> str:
    return f"TRACKING#{code}"


def _case_item(case: Case) -> CaseItem:
    open_ = step_of(case) != "done"
    item = CaseItem(
        case_key(case.id),
        CASE_SK,
        body=to_plain(case) | {"version": None},
        queue=OPEN if open_ else None,
        status=case.status.value,
        unit=case.unit,
        handler_id=case.handler_id,
        next_due_at=utc(due) if (due := next_due(case)) else NO_DEADLINE,
    )
    if case.version:
        item.version = case.version
    return item


def _case_from(item: CaseItem) -> Case:
    case: Case = from_plain(Case, item.body)
    case.version = int(item.version or 0)
    return case


def _event_items(case: Case, events: Sequence[Event]) -> list[EventItem]:
    """Event keys derive from the version being written, so a retried write cannot add duplicates."""
    return [
        EventItem(case_key(case.id), f"EVENT#{case.version + 1:06d}#{n:02d}", body=to_plain(event))
        for n, event in enumerate(events)
    ]


def _outbox_items(case: Case, notices: Sequence[Notice]) -> list[OutboxItem]:
    return [
        OutboxItem(
            case_key(case.id),
            f"OUTBOX#{case.version + 1:06d}#{n:02d}",
            channel=notice.audience.value,
            message=notice.message,
        )
        for n, notice in enumerate(notices)
    ]


def _conflicts(error: TransactWriteError) -> list[bool]:
    return [bool(r and r.code == "ConditionalCheckFailed") for r in error.cancellation_reasons]


def _moment(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None


def _task(case_id: str, item: TaskItem) -> Task:
    return Task(case_id, item.task_token, item.step, _moment(item.since), _moment(item.signal_pending_since))


class DynamoCaseRepository(CaseRepository):
    def __init__(self, client_settings: dict[str, Any]) -> None:
        self._connection = Connection(**client_settings)  # transactions: the same time limits as the models

    def add(self, cases: Sequence[tuple[Case, Sequence[Event]]], *, check_at: datetime) -> None:
        claims: list[int] = []  # positions of the tracking-code claims among the transaction's items
        position = 0
        try:
            with TransactWrite(connection=self._connection, client_request_token=cases[0][0].id) as tx:
                for case, events in cases:
                    tx.save(_case_item(case), condition=CaseItem.pk.does_not_exist())
                    tx.save(
                        TrackingItem(
                            _tracking_key(case.tracking_code),
                            "TRACKING",
                            case_id=case.id,
                            access_code_hash=case.access_code_hash,
                        ),
                        condition=TrackingItem.pk.does_not_exist(),
                    )
                    tx.save(
                        TaskItem(case_key(case.id), TASK_SK, check_shard=_check_shard(case.id), check_at=utc(check_at))
                    )
                    claims.append(position + 1)
                    event_items = _event_items(case, events)
                    for item in event_items:
                        tx.save(item, condition=EventItem.pk.does_not_exist())
                    position += 3 + len(event_items)
        except TransactWriteError as error:
            failed = _conflicts(error)
            if any(failed[i] for i in claims if i < len(failed)):
                raise TrackingCodeTaken() from error
            raise
        for case, _ in cases:
            case.version = 1

    def get(self, case_id: str) -> Case | None:
        try:
            return _case_from(CaseItem.get(case_key(case_id), CASE_SK, consistent_read=True))
        except DoesNotExist:
            return None

    def claim(self, tracking_code: str) -> Claim | None:
        try:
            item = TrackingItem.get(_tracking_key(tracking_code), "TRACKING", consistent_read=True)
        except DoesNotExist:
            return None
        return Claim(item.case_id, item.access_code_hash)

    def timeline(self, case_id: str) -> list[Event]:
        items = EventItem.query(case_key(case_id), EventItem.sk.startswith("EVENT#"), consistent_read=True)
        return [from_plain(Event, item.body) for item in items]

    def save(
        self,
        case: Case,
        events: Sequence[Event],
        notices: Sequence[Notice] = (),
        *,
        signal_due: datetime | None = None,
    ) -> None:
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(_case_item(case))  # the version attribute adds "version = <read version>"
                for item in [*_event_items(case, events), *_outbox_items(case, notices)]:
                    tx.save(item, condition=RegisterItem.pk.does_not_exist())
                if signal_due is not None:
                    tx.update(
                        TaskItem(case_key(case.id), TASK_SK),
                        actions=[
                            TaskItem.signal_pending_since.set(signal_due.isoformat()),
                            TaskItem.check_shard.set(_check_shard(case.id)),
                            TaskItem.check_at.set(utc(signal_due)),
                        ],
                    )
        except TransactWriteError as error:
            if any(_conflicts(error)):
                raise VersionConflict("the case was changed by someone else; reload it and try again") from error
            raise
        case.version += 1

    def task(self, case_id: str) -> Task | None:
        try:
            return _task(case_id, TaskItem.get(case_key(case_id), TASK_SK, consistent_read=True))
        except DoesNotExist:
            return None

    def signal_delivered(self, case_id: str, token: str, check_at: datetime | None) -> None:
        try:
            TaskItem(case_key(case_id), TASK_SK).update(
                actions=[TaskItem.signal_pending_since.remove(), *_check_actions(case_id, check_at)],
                condition=TaskItem.task_token == token,
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise  # a newer token means the workflow moved on; the mark stays for the reconciler

    def due_checks(self, now: datetime) -> list[Task]:
        found = []
        for shard in range(CHECK_SHARDS):
            for item in TaskItem.by_check.query(f"CHECK#{shard}", TaskItem.check_at <= utc(now)):
                found.append(_task(item.pk.removeprefix("CASE#"), item))
        return found

    def check_later(self, case_id: str, at: datetime | None) -> None:
        TaskItem(case_key(case_id), TASK_SK).update(actions=_check_actions(case_id, at))

    def record_read(self, case_id: str, entry: AuditEntry) -> None:
        AuditItem(
            case_key(case_id),
            f"AUDIT#{entry.at.isoformat()}#{entry.staff_id}",
            at=entry.at.isoformat(),
            staff_id=entry.staff_id,
            staff_name=entry.staff_name,
            roles=sorted(entry.roles),
            what=entry.what,
        ).save(condition=AuditItem.pk.does_not_exist())

    def audit_trail(self, case_id: str) -> list[AuditEntry]:
        items = AuditItem.query(case_key(case_id), AuditItem.sk.startswith("AUDIT#"), consistent_read=True)
        return [
            AuditEntry(
                datetime.fromisoformat(i.at), i.staff_id, i.staff_name, frozenset(str(r) for r in i.roles or ()), i.what
            )
            for i in items
        ]

    def queue(self, wanted: QueueFilter, now: datetime, limit: int, cursor: dict[str, Any] | None) -> Page:
        """Cases by nearest deadline through the most selective index; the other filters narrow it."""
        candidates = [
            (CaseItem.by_handler, "handler_id", wanted.handler),
            (CaseItem.by_unit, "unit", wanted.unit),
            (CaseItem.by_status, "status", wanted.status),
        ]
        index, used, key = next(
            ((i, attr, value) for i, attr, value in candidates if value), (CaseItem.by_queue, "queue", OPEN)
        )
        filters = [getattr(CaseItem, attr) == value for _, attr, value in candidates if value and attr != used]
        if used not in ("queue", "status"):  # by status, finished cases are listed too (status=closed)
            filters.append(CaseItem.queue == OPEN)
        result = index.query(
            key,
            range_key_condition=CaseItem.next_due_at < utc(now) if wanted.overdue else None,
            filter_condition=functools.reduce(operator.and_, filters) if filters else None,
            limit=limit,
            last_evaluated_key=cursor,
        )
        return Page([_case_from(item) for item in result], result.last_evaluated_key)

    def open_cases(self) -> list[Case]:
        return [_case_from(item) for item in CaseItem.by_queue.query(OPEN)]


def _check_actions(case_id: str, at: datetime | None) -> list[Any]:
    if at is None:
        return [TaskItem.check_shard.remove(), TaskItem.check_at.remove()]
    return [TaskItem.check_shard.set(_check_shard(case_id)), TaskItem.check_at.set(utc(at))]
