"""Keeping each case's execution in step with its record.

DynamoDB is the source of truth. A change that moves the case to another workflow step (or moves
the running timer) is saved with a hand-off mark on the CASE item itself, in the same conditional
write, and the notices it owes; then the hand-off is delivered with the task token the execution left
on the TASK item, computed from the case *as committed* (re-read), never from the caller's copy. The
execution writes the version of the case its input came from on the TASK item as it enters each wait.

Nothing else is written to make a hand-off safe. The register's stream carries every marked write to
`hand_over` (Lambda retries it until it succeeds): a hand-off the request could not deliver (the process
died, Step Functions refused, the execution was between two waits and its token spent) is delivered
from there, and an execution that never started is started. `reconcile` runs on a schedule for what no
write announces: an execution that died (failed, timed out, aborted) is found in Step Functions' own list
of executions that ended so, and is started again if its case is still open.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.case import SYSTEM, Actor, Case, Event
from chalicelib.domain.lifecycle.context import Ctx
from chalicelib.domain.lifecycle.expiry import deadline_passed
from chalicelib.domain.lifecycle.steps import signal, step_of
from chalicelib.domain.notices import Notice, notices_for
from chalicelib.domain.policy import Policy
from chalicelib.errors import VersionConflict
from chalicelib.service.calendar import CalendarService
from chalicelib.service.evidence import EvidenceServices
from chalicelib.service.ports import CaseRepository, Inbound, Task, Workflow, WorkflowUnavailable

log = logging.getLogger(__name__)
_RETRIES = 3
#: Execution states from which a case's workflow must be started again under a new name.
_ENDED_BADLY = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
#: How far back each run lists the executions that ended badly: at least twice the schedule's period
#: (`api.jobs.RECONCILE_EVERY_MINUTES`), so a late or failed run leaves no gap; ListExecutions is also eventually
#: consistent. An execution seen by two runs is restarted once: the first restart moves its case on to the
#: next generation, and an ended execution of an older generation is no dead case.
LOOK_BACK = timedelta(minutes=15)


@dataclass(frozen=True)
class Services:
    """The ports and rules a use case works with (built once per container in `wiring`)."""

    cases: CaseRepository
    workflow: Workflow
    policy: Policy
    calendar: CalendarService
    reminder: timedelta
    task_retry: timedelta  # how long the workflow waits before retrying a failed task
    secret: bytes  # keys the access-code hashes
    max_backdate: timedelta  # how far in the past a clerk may date a receipt
    evidence: EvidenceServices | None = None  # evidence files (uploads linked at intake, downloads)

    def ctx(self, now: datetime, actor: Actor = SYSTEM, roles: frozenset[str] = frozenset()) -> Ctx:
        return Ctx(now, actor, self.policy, self.calendar.calendar(), roles, self.reminder)

    def signal(self, case: Case, now: datetime) -> dict[str, Any]:
        """The execution's next input, computed from `case` at its committed `version` (which the execution
        writes on the TASK item entering its wait)."""
        return signal(case, now, self.reminder) | {
            "retry_seconds": int(self.task_retry.total_seconds()),
            "version": case.version,
        }


class HandOverPending(Exception):
    """The execution is on its way to its next wait (no valid token yet) with an older input: the
    stream delivers the hand-off again shortly."""


def start(case: Case, services: Services, now: datetime) -> None:
    """Start a new case's execution; if Step Functions is unavailable the stream's hand-over starts it."""
    try:
        services.workflow.start(case.execution_name, services.signal(case, now))
    except WorkflowUnavailable:
        log.warning("workflow_start_failed", extra={"case_id": case.id}, exc_info=True)


def commit(
    case: Case,
    events: Sequence[Event],
    before: str,
    services: Services,
    now: datetime,
    *,
    timer_moved: bool = False,
    inbound: Inbound | None = None,
    notices: Sequence[Notice] = (),
) -> None:
    """Save a changed case with its events and the notices they owe (and `notices` besides) and, when its
    workflow must move, hand the move over. `inbound` is the message that caused the change, if any."""
    due = now if timer_moved or step_of(case) != before else None
    services.cases.save(case, events, [*notices_for(case, events), *notices], signal_due=due, inbound=inbound)
    if due is not None:
        deliver(case.id, services, now)


def deliver(
    case_id: str, services: Services, now: datetime, read: tuple[Task | None, Case] | None = None
) -> str | None:
    """Resume the execution with the case's committed step and timer: "resumed", or "arrived" when it
    already runs on this version of the case; None if it could not be done now.

    `read` is the TASK item and the case as just read from the register (the hand-over has them);
    otherwise both are read here, so the hand-off never carries a caller's older copy."""
    for _ in range(2):  # a token can time out between reading and using it: the execution then left a new one
        task, case = read or (services.cases.task(case_id), services.cases.get(case_id))
        read = None
        if case is None:
            return None
        if task is not None and task.version >= case.version:
            return "arrived"
        if task is None or task.token is None:
            return None
        try:
            if services.workflow.resume(task.token, services.signal(case, now)):
                return "resumed"
        except WorkflowUnavailable:
            log.warning("workflow_resume_failed", extra={"case_id": case_id}, exc_info=True)
            return None
    return None


def hand_over(case_id: str, version: int, services: Services, now: datetime) -> str:
    """The stream's look at a hand-off (or a start) made by the write of `version`: "arrived" when the
    execution already runs on that version or a newer one; otherwise it is delivered ("resumed"), the
    execution started ("started") or started again ("restarted"), or there is nothing to run ("ended").
    Raises `HandOverPending` (or `WorkflowUnavailable`) so that the stream tries again."""
    task = services.cases.task(case_id)
    if task is not None and task.version >= version:
        return "arrived"
    case = services.cases.get(case_id)
    if case is None:
        return "ended"
    delivered = deliver(case_id, services, now, read=(task, case))
    if delivered == "resumed":
        log.warning("workflow_handoff_repaired", extra={"case_id": case_id, "step": step_of(case)})
    return delivered or _without_token(case, version, services, now)


def _without_token(case: Case, version: int, services: Services, now: datetime) -> str:
    """No token took the hand-off: the execution never started, has ended, or is between two waits."""
    run = services.workflow.run(case.execution_name)
    if run is not None and run.status == "RUNNING":
        if run.version >= version:
            return "arrived"  # started on this version or a newer one (a restart): its wait is still to come
        raise HandOverPending(f"{case.execution_name} is between two waits")
    if step_of(case) == "done":
        return "ended"
    if run is None:
        services.workflow.start(case.execution_name, services.signal(case, now))
        log.warning("workflow_started_late", extra={"case_id": case.id, "step": step_of(case)})
        return "started"
    _restart(case, services, now, run.status)  # ended badly, or ended with its case and it was reopened since
    return "restarted"


def _finished(case_id: str) -> dict[str, Any]:
    """The input that ends the execution of a case that is no longer in the register."""
    return {"case_id": case_id, "step": "done", "timeout_seconds": 1, "retry_seconds": 1, "version": 0}


def on_deadline(case_id: str, step: str, services: Services, now: datetime) -> dict[str, Any]:
    """The execution's timer fired in `step`: apply the rules and tell it where to wait next."""
    for _ in range(_RETRIES):
        case = services.cases.get(case_id)
        if case is None:
            return _finished(case_id)
        clocks = dict(case.deadlines)
        events = deadline_passed(case, step, services.ctx(now))
        if events or case.deadlines != clocks:  # a clock archived at its end records nothing, yet changes the case
            try:
                services.cases.save(case, events, notices_for(case, events))
            except VersionConflict:
                continue  # staff changed the case at this very moment: look again
            _log_overdue(case, events)
        return services.signal(case, now)
    raise VersionConflict("the case kept changing while its deadline was being handled")


def _log_overdue(case: Case, events: Sequence[Event]) -> None:
    """One line per deadline just passed unmet (not its reminders): the deployment counts these lines as
    the `DeadlinesOverdue` metric and alarms on it (infra/stack.py)."""
    for event in events:
        if event.type == "escalated" and not event.data.get("reminder"):
            log.warning("deadline_overdue", extra={"case_id": case.id, "clock": event.data.get("clock")})


@dataclass
class Reconciliation:
    checked: int = 0
    restarted: int = 0


def reconcile(services: Services, now: datetime) -> Reconciliation:
    """Executions that failed, timed out or were aborted since the look-back began, whose case is still
    open and still runs under that execution's name (its generation): started again at the case's step."""
    report = Reconciliation()
    try:
        ended = services.workflow.ended(_ENDED_BADLY, now - LOOK_BACK)
    except WorkflowUnavailable:
        log.warning("reconcile_postponed", extra={"listing": "ended executions"}, exc_info=True)
        return report
    for run in ended:
        case = services.cases.get(run.name.split("-", 1)[0])  # case ids are base 32: no "-" in them
        if case is None or case.execution_name != run.name or step_of(case) == "done":
            continue  # no case, an older generation's execution, or one that ended with its case
        report.checked += 1
        try:
            _restart(case, services, now, run.status)
            report.restarted += 1
        except (WorkflowUnavailable, VersionConflict):
            log.warning("reconcile_postponed", extra={"case_id": case.id}, exc_info=True)
    return report


def _restart(case: Case, services: Services, now: datetime, status: str) -> None:
    """An execution that ended while its case is open is replaced by a new one (case id + generation) at
    the case's step. The restart is saved as a hand-off, so a start that does not happen is tried again."""
    log.error("workflow_restarted", extra={"case_id": case.id, "execution_status": status, "step": step_of(case)})
    case.generation += 1
    services.cases.save(case, [Event("workflow_restarted", now, SYSTEM, {"after": status})], signal_due=now)
    services.workflow.start(case.execution_name, services.signal(case, now))


def recover(services: Services, now: datetime) -> int:
    """Start every open case's workflow afresh at its current step (a local stack restored from disk,
    whose Step Functions state was not kept). Returns how many were started."""
    started = 0
    for case in services.cases.open_cases():
        case.generation += 1
        services.cases.save(case, [Event("workflow_restarted", now, SYSTEM, {"after": "restore"})], signal_due=now)
        services.workflow.start(case.execution_name, services.signal(case, now))
        started += 1
    return started
