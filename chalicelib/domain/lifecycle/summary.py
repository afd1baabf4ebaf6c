"""A case as the work queue lists it: small, kept beside the case on every change, so a page of the
queue is read from the queue's index alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.case import Case, Kind, Status
from chalicelib.domain.lifecycle.steps import next_due, step_of


@dataclass(frozen=True)
class CaseSummary:
    id: str
    tracking_code: str
    version: int
    kind: Kind
    status: Status
    step: str
    received_at: datetime
    next_due_at: datetime | None = None
    category: str | None = None
    respondent: str | None = None
    unit: str | None = None
    handler: str | None = None
    incomplete: bool = False  # registered from an SMS or e-mail: a clerk must complete it
    # the latest escalation (督办) of a clock still running: which, and when (the supervision view lists them)
    escalated_clock: str | None = None
    escalated_at: datetime | None = None

    def overdue(self, now: datetime) -> bool:
        return self.next_due_at is not None and self.next_due_at < now


def summarize(case: Case, version: int) -> CaseSummary:
    """The summary of `case` as it is written at `version`."""
    escalated = [(d.escalated_at, name) for name, d in case.deadlines.items() if d.running and d.escalated_at]
    latest_at, latest_clock = max(escalated) if escalated else (None, None)
    return CaseSummary(
        id=case.id,
        tracking_code=case.tracking_code,
        version=version,
        kind=case.kind,
        status=case.status,
        step=step_of(case),
        received_at=case.received_at,
        next_due_at=next_due(case),
        category=case.category,
        respondent=case.respondent.name if case.respondent else None,
        unit=case.unit,
        handler=case.handler_id,
        incomplete=bool(case.incomplete),
        escalated_clock=latest_clock,
        escalated_at=latest_at,
    )
