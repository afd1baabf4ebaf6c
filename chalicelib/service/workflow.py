"""Keeping each case's execution in step with its record.

DynamoDB is the source of truth. A change that moves the case to another workflow step (or moves
the running timer) is saved together with a "hand-off due" mark on the case's TASK item; then the
hand-off is delivered with the task token the execution left there. A hand-off that is lost (the
process died, the token had just timed out) is found and repaired by `reconcile`, which runs on a
schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.case import SYSTEM, Case, Event
from chalicelib.domain.lifecycle import Ctx, deadline_passed, signal, step_of
from chalicelib.domain.policy import Policy
from chalicelib.errors import VersionConflict
from chalicelib.service.calendar import CalendarService
from chalicelib.service.ports import CaseRepository, Notifier, QueueFilter, Workflow

log = logging.getLogger(__name__)
_RETRIES = 3


@dataclass(frozen=True)
class Services:
    """The ports and rules a use case works with (built once per container in `wiring`)."""

    cases: CaseRepository
    workflow: Workflow
    notifier: Notifier
    policy: Policy
    calendar: CalendarService
    reminder: timedelta

    def ctx(self, now: datetime, actor: Any = SYSTEM, roles: frozenset[str] = frozenset()) -> Ctx:
        return Ctx(now, actor, self.policy, self.calendar.calendar(), roles, self.reminder)

    def signal(self, case: Case, now: datetime) -> dict[str, Any]:
        return signal(case, now, self.reminder)


def start(case: Case, services: Services, now: datetime) -> None:
    """Start a new case's execution; if this fails the reconciliation starts it."""
    try:
        services.workflow.start(case.id, services.signal(case, now))
    except Exception:
        log.exception("workflow_start_failed", extra={"case_id": case.id})


def commit(
    case: Case, events: Sequence[Event], before: str, services: Services, now: datetime, *, timer_moved: bool = False
) -> None:
    """Save a changed case with its events and, when its workflow must move, hand the move over."""
    due = now if timer_moved or step_of(case) != before else None
    services.cases.save(case, events, signal_due=due)
    announce(case, events, services)
    if due is not None:
        deliver(case, services, now)


def announce(case: Case, events: Sequence[Event], services: Services) -> None:
    for event in events:
        if event.type == "escalated":
            services.notifier.supervisors(case, event)
        elif event.type == "notified" and event.data.get("about") == "extension":
            services.notifier.complainant(case, event)


def deliver(case: Case, services: Services, now: datetime) -> bool:
    """Resume the execution with the case's current step and timer; False if it could not be done now."""
    for _ in range(2):  # a token can time out between reading and using it: the execution then left a new one
        task = services.cases.task(case.id)
        if task is None or task.token is None:
            return False
        try:
            resumed = services.workflow.resume(task.token, services.signal(case, now))
        except Exception:
            log.exception("workflow_resume_failed", extra={"case_id": case.id})
            return False
        if resumed:
            services.cases.signal_delivered(case.id, task.token)
            return True
    return False


def on_deadline(case_id: str, step: str, services: Services, now: datetime) -> dict[str, Any]:
    """The execution's timer fired in `step`: apply the rules and tell it where to wait next."""
    for _ in range(_RETRIES):
        case = services.cases.get(case_id)
        if case is None:
            return {"case_id": case_id, "step": "done", "timeout_seconds": 1}
        events = deadline_passed(case, step, services.ctx(now))
        if events:
            try:
                services.cases.save(case, events)
            except VersionConflict:
                continue  # staff changed the case at this very moment: look again
            announce(case, events, services)
        return services.signal(case, now)
    raise VersionConflict("the case kept changing while its deadline was being handled")


@dataclass
class Reconciliation:
    checked: int = 0
    started: int = 0
    resumed: int = 0
    diverged: int = 0


def reconcile(services: Services, now: datetime, grace: timedelta) -> Reconciliation:
    """Compare every running case with its execution; start, resume or report what disagrees."""
    report = Reconciliation()
    cursor: dict[str, Any] | None = None
    while True:
        page = services.cases.queue(QueueFilter(), now, limit=100, cursor=cursor)
        for case in page.cases:
            report.checked += 1
            _reconcile_one(case, services, now, grace, report)
        if not page.cursor:
            return report
        cursor = page.cursor


def _reconcile_one(case: Case, services: Services, now: datetime, grace: timedelta, report: Reconciliation) -> None:
    task = services.cases.task(case.id)
    if task is None or task.token is None:
        if now - case.received_at < grace:
            return  # the execution has not reached its first wait yet
        status = services.workflow.status(case.id)
        if status is None:
            services.workflow.start(case.id, services.signal(case, now))
            report.started += 1
        elif status != "RUNNING":
            _diverged(case, status, report)
        return
    mark = task.signal_pending_since
    if mark is not None and task.since is not None and task.since > mark:
        services.cases.signal_delivered(case.id, task.token)  # the execution re-entered since: it is current
        mark = None
    behind = task.step != step_of(case) and (task.since is None or now - task.since >= grace)
    lost = mark is not None and now - mark >= grace
    if not (behind or lost):
        return
    if deliver(case, services, now):
        report.resumed += 1
        log.warning("workflow_handoff_repaired", extra={"case_id": case.id, "step": step_of(case)})
        return
    status = services.workflow.status(case.id)
    if status != "RUNNING":
        _diverged(case, status, report)


def _diverged(case: Case, status: str | None, report: Reconciliation) -> None:
    report.diverged += 1
    log.error(
        "workflow_diverged: the case is open but its execution is not running",
        extra={"case_id": case.id, "execution_status": status, "step": step_of(case)},
    )
