"""The work queue's cost does not grow with closed cases, and its merged pages keep deadline order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from pynamodb.connection.base import Connection

from chalicelib import wiring
from chalicelib.adapters.register.cases import QUEUE_PARTITIONS
from chalicelib.domain.case import Status
from chalicelib.service.ports import QueueFilter
from tests.fakes import FakeWorkflow, file_complaint


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    seen: list[str] = []
    real = Connection.dispatch

    def dispatch(connection: Connection, operation: str, kwargs: dict[str, Any]) -> Any:
        seen.append(operation)
        return real(connection, operation, kwargs)

    monkeypatch.setattr(Connection, "dispatch", dispatch)
    yield seen


def register(n: int, status: Status, unit: str, days: int) -> list[str]:
    services = replace(wiring.services(), workflow=FakeWorkflow())  # the queue reads the register alone
    ids = []
    for k in range(n):
        case = file_complaint(services, wiring.now() - timedelta(days=days + k)).cases[0]  # distinct deadlines
        changed = replace(case, status=status, unit=unit, handler_id="h-1")
        if status is Status.CLOSED:
            changed.deadlines = {}  # no appeal window: its workflow is over
        services.cases.save(changed, [])
        ids.append(case.id)
    return ids


def test_a_filtered_page_is_one_query_whatever_the_number_of_closed_cases(aws: None, queries: list[str]) -> None:
    open_ids = register(3, Status.ASSIGNED, "xuhui", days=1)
    register(40, Status.CLOSED, "xuhui", days=2)
    queries.clear()
    page = wiring.cases().queue(QueueFilter(unit="xuhui"), wiring.now(), 20, None)
    assert sorted(s.id for s in page.items) == sorted(open_ids) and page.cursor is None
    assert queries == ["Query"]
    queries.clear()
    mine = wiring.cases().queue(QueueFilter(handler="h-1", status="assigned"), wiring.now(), 20, None)
    assert len(mine.items) == 3 and queries == ["Query"]


def test_the_unfiltered_queue_merges_the_statuses_partitions_in_deadline_order(aws: None, queries: list[str]) -> None:
    # cases in three statuses whose deadlines interleave (each `register` call spaces its cases a day apart)
    register(3, Status.ASSIGNED, "minhang", days=1)
    register(2, Status.RECEIVED, "minhang", days=1)
    register(2, Status.MEDIATING, "minhang", days=1)
    register(2, Status.CLOSED, "minhang", days=1)  # closed: in no partition
    everything = wiring.cases().queue(QueueFilter(), wiring.now(), 50, None).items
    assert len(everything) == 7 and {s.status.value for s in everything} == {"assigned", "received", "mediating"}
    order = [s.next_due_at for s in everything]
    assert order == sorted(order)  # type: ignore[type-var]
    paged: list[str] = []
    cursor = None
    for _ in range(10):
        queries.clear()
        page = wiring.cases().queue(QueueFilter(), wiring.now(), 3, cursor)
        assert len(queries) <= len(QUEUE_PARTITIONS)  # one query per status an open case can have, at most
        paged += [s.id for s in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert paged == [s.id for s in everything]
