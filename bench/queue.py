"""Reads that must not grow with history (`make bench` prints them):

- a filtered work-queue page for a unit with 5,000 closed cases against one with 100 (closed cases
  leave the queue indexes, so both pages cost the same queries and the same time);
- a supervisor's look at a case with 2,000 audit entries against one with 10 (the audit is written on
  every look and never read back on that path).

Both run in-process under moto, with the test stage's settings, timed alternately in one table.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bench.hardening import ItemsRead, _moto
from bench.timing import paired_medians_ms

OPEN_PER_UNIT = 5


def _seed_unit(unit: str, closed: int) -> None:
    """`OPEN_PER_UNIT` running cases and `closed` finished ones, all in `unit`, written as the register writes them."""
    from chalicelib import wiring
    from chalicelib.adapters.register.cases import _case_item, _parts
    from chalicelib.adapters.register.items import CaseItem
    from chalicelib.domain.case import Status
    from chalicelib.domain.lifecycle.steps import step_of
    from tests.fakes import file_complaint

    services = wiring.services()
    receipt = file_complaint(services, wiring.now() - timedelta(hours=1))
    template = services.cases.get(receipt.cases[0].id)
    assert template is not None
    running = replace(template, status=Status.ASSIGNED, unit=unit, handler_id=f"{unit}-h")
    finished = replace(running, status=Status.CLOSED, deadlines={})
    assert step_of(running) != "done" and step_of(finished) == "done"
    with CaseItem.batch_write() as batch:
        for n in range(OPEN_PER_UNIT + closed):
            case = replace(running if n < OPEN_PER_UNIT else finished, id=uuid.uuid4().hex)
            batch.save(_case_item(case, _parts(case)[0], None))


def queue_page_figures(rounds: int, closed: tuple[int, int] = (100, 5_000)) -> dict[str, float]:
    """Time and queries of `?unit=…&limit=20` (and `?handler=…`) for a unit with few and many closed cases."""
    from chalice.test import Client

    from app import app
    from tests.workflow.conftest import SUPERVISOR

    few, many = closed
    with (
        _moto(POWERTOOLS_LOG_LEVEL="WARNING"),
        Client(app, stage_name="test") as client,
        contextlib.redirect_stdout(io.StringIO()),
    ):
        _seed_unit("few", few)
        _seed_unit("many", many)

        def page(query: str) -> Any:
            def get() -> None:
                answer = client.http.get(f"/v1/staff/cases?{query}&limit=20", headers=SUPERVISOR)
                assert answer.status_code == 200, answer.body
                assert len(answer.json_body["items"]) == OPEN_PER_UNIT, answer.json_body

            return get

        figures: dict[str, float] = {}
        for name, query in (("unit", "unit={}"), ("handler", "handler={}-h")):
            few_page, many_page = page(query.format("few")), page(query.format("many"))
            for warm in (few_page, many_page):
                warm()
            meter = ItemsRead()
            with meter.counting():
                many_page()
            figures[f"{name}_queries"] = meter.requests
            figures[f"{name}_items_read"] = meter.items
            timed = paired_medians_ms((f"{name}_many_ms", many_page), (f"{name}_few_ms", few_page), rounds)
            figures |= timed
    return figures


def case_read_figures(rounds: int, entries: tuple[int, int] = (10, 2_000)) -> dict[str, float]:
    """A supervisor's audited GET of a case whose audit trail is short against one whose trail is long."""
    from chalice.test import Client

    from app import app
    from chalicelib import wiring
    from chalicelib.service.ports import AuditEntry
    from tests.fakes import file_complaint
    from tests.workflow.conftest import SUPERVISOR

    short, long = entries
    with (
        _moto(POWERTOOLS_LOG_LEVEL="WARNING"),
        Client(app, stage_name="test") as client,
        contextlib.redirect_stdout(io.StringIO()),
    ):
        services = wiring.services()
        ids = []
        for count in (short, long):
            case_id = file_complaint(services, wiring.now() - timedelta(hours=1)).cases[0].id
            started = wiring.now() - timedelta(days=1)
            for n in range(count):
                at = started + timedelta(milliseconds=n)
                services.cases.record_read(case_id, AuditEntry(at, "sup-0", "督办", frozenset({"supervisor"}), "case"))
            ids.append(case_id)

        def look(case_id: str) -> Any:
            def get() -> None:
                assert client.http.get(f"/v1/staff/cases/{case_id}", headers=SUPERVISOR).status_code == 200

            return get

        short_look, long_look = look(ids[0]), look(ids[1])
        for warm in (short_look, long_look):
            warm()
        meter = ItemsRead()
        with meter.counting():
            long_look()
        figures = {"items_read": meter.items, "read_requests": meter.requests}
        return figures | paired_medians_ms(("long_trail_ms", long_look), ("short_trail_ms", short_look), rounds)
