"""Keeping each case's execution in step with its record.

DynamoDB is the source of truth. A change that moves the case to another workflow step (or moves
the running timer) is saved together with a "hand-off due" mark on the case's TASK item and the
notices it owes; then the hand-off is delivered with the task token the execution left there,
computed from the case *as committed* (re-read), never from the caller's copy. The execution confirms
it in the write that leaves its next token (the mark and the look go), unless a newer change's mark is
there. `reconcile` runs on a schedule: a hand-off that is lost (the process died, the token had just timed
out) or an execution that never started still has its look in the sparse `by_check` index, the only
cases it reads; an execution that died (failed, timed out, aborted) is found in Step Functions' own list
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
from chalicelib.domain.notices import notices_for
from chalicelib.domain.policy import Policy
from chalicelib.errors import VersionConflict
from chalicelib.service.calendar import CalendarService
from chalicelib.service.ports import CaseRepository, Task, Workflow, WorkflowUnavailable

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
    grace: timedelta  # how long a hand-off may take before the reconciliation steps in
    task_retry: timedelta  # how long the workflow waits before retrying a failed task
    secret: bytes  # keys the access-code hashes
    max_backdate: timedelta  # how far in the past a clerk may date a receipt

    def ctx(self, now: datetime, actor: Actor = SYSTEM, roles: frozenset[str] = frozenset()) -> Ctx:
        return Ctx(now, actor, self.policy, self.calendar.calendar(), roles, self.reminder)

    def signal(self, case: Case, now: datetime, handed: datetime | None = None) -> dict[str, Any]:
        """The execution's next input. Entering its wait, it leaves its token on the TASK item and, in the same
        write, confirms the hand-off `handed` (the mark of the change this signal carries; none: no hand-off,
        or a start): the mark and the reconciliation's look go, unless a newer change is still to be handed over."""
        return signal(case, now, self.reminder) | {
            "retry_seconds": int(self.task_retry.total_seconds()),
            "handed": handed.isoformat() if handed else "",
        }


def start(case: Case, services: Services, now: datetime) -> None:
    """Start a new case's execution; if Step Functions is unavailable the reconciliation starts it."""
    try:
        services.workflow.start(case.execution_name, services.signal(case, now))
    except WorkflowUnavailable:
        log.warning("workflow_start_failed", extra={"case_id": case.id}, exc_info=True)


def commit(
    case: Case, events: Sequence[Event], before: str, services: Services, now: datetime, *, timer_moved: bool = False
) -> None:
    """Save a changed case with its events and notices and, when its workflow must move, hand the move over."""
    due = now if timer_moved or step_of(case) != before else None
    services.cases.save(case, events, notices_for(case, events), signal_due=due)
    if due is not None:
        deliver(case.id, services, now)


def deliver(case_id: str, services: Services, now: datetime, read: tuple[Task, Case] | None = None) -> bool:
    """Resume the execution with the case's committed step and timer; False if it could not be done now.

    `read` is the TASK item and the case as just read from the register (the reconciliation has them);
    otherwise both are read here, so the hand-off never carries a caller's older copy. The execution itself
    confirms the hand-off (the mark read with the token) when it enters its next wait: no write here."""
    for _ in range(2):  # a token can time out between reading and using it: the execution then left a new one
        task, case = read or (services.cases.task(case_id), services.cases.get(case_id))
        read = None
        if task is None or task.token is None or case is None:
            return False
        try:
            if services.workflow.resume(task.token, services.signal(case, now, handed=task.signal_pending_since)):
                return True
        except WorkflowUnavailable:
            log.warning("workflow_resume_failed", extra={"case_id": case_id}, exc_info=True)
            return False
    return False


def _finished(case_id: str) -> dict[str, Any]:
    """The input that ends the execution of a case that is no longer in the register."""
    return {"case_id": case_id, "step": "done", "timeout_seconds": 1, "retry_seconds": 1, "handed": ""}


def catch_up(case_id: str, services: Services, now: datetime) -> dict[str, Any]:
    """The execution met a newer change's mark entering its wait: that change's hand-off may have found no
    token to resume (the execution was between waits). It takes the committed case itself: the mark is read
    first and the case after it, so the case holds that change, and the next wait confirms the mark."""
    task, case = services.cases.task(case_id), services.cases.get(case_id)
    if case is None:
        return _finished(case_id)
    return services.signal(case, now, handed=task.signal_pending_since if task else None)


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
    started: int = 0
    resumed: int = 0
    restarted: int = 0
    diverged: int = 0


def reconcile(services: Services, now: datetime) -> Reconciliation:
    """Look at every case with a hand-off (or a start) not confirmed within the grace, then at every
    execution that ended badly lately: start, resume or restart, or report what cannot be repaired."""
    report = Reconciliation()
    for task in services.cases.due_checks(now - services.grace):
        report.checked += 1
        case = services.cases.get(task.case_id)
        if case is None:
            services.cases.check_done(task.case_id)
            continue
        try:
            _reconcile_one(case, task, services, now, report)
        except WorkflowUnavailable:
            log.warning("reconcile_postponed", extra={"case_id": case.id}, exc_info=True)
    _restart_the_dead(services, now, report)
    return report


def _reconcile_one(case: Case, task: Task, services: Services, now: datetime, report: Reconciliation) -> None:
    """What follows leaves the look in place (it is confirmed by the execution's next wait, or looked at
    again by the next run) unless nothing is on its way to the execution."""
    mark, since, open_ = task.signal_pending_since, task.since, step_of(case) != "done"
    if mark and since and since > mark and task.step == step_of(case) and task.token:
        # the execution re-entered its wait after the change: it already runs on the committed case
        services.cases.signal_delivered(case.id, task.token)
        return
    status = services.workflow.status(case.execution_name)
    if status is None and open_:  # what it starts with was read after any mark: it hands that over
        services.workflow.start(case.execution_name, services.signal(case, now, handed=mark))
        report.started += 1
    elif (status in _ENDED_BADLY or status == "SUCCEEDED") and open_:
        # ended badly, or ended with its case and the case was reopened since: a new generation takes over
        _restart(case, services, now, status)
        report.restarted += 1
    elif status == "RUNNING" and (task.step != step_of(case) or mark is not None):
        if deliver(case.id, services, now, read=(task, case)):
            report.resumed += 1
            log.warning("workflow_handoff_repaired", extra={"case_id": case.id, "step": step_of(case)})
        elif task.token is None or task.since is None or now - task.since >= services.grace:
            report.diverged += 1  # logged by every run until it is repaired
            where = {"case_id": case.id, "execution_status": status, "step": step_of(case)}
            log.error("workflow_diverged", extra=where)
    else:  # it waits where the case is, or it has ended with its case
        services.cases.check_done(case.id)


def _restart_the_dead(services: Services, now: datetime, report: Reconciliation) -> None:
    """Executions that failed, timed out or were aborted since the look-back began, whose case is still
    open and still runs under that execution's name (its generation): started again at the case's step."""
    try:
        ended = services.workflow.ended(_ENDED_BADLY, now - LOOK_BACK)
    except WorkflowUnavailable:
        log.warning("reconcile_postponed", extra={"listing": "ended executions"}, exc_info=True)
        return
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


def _restart(case: Case, services: Services, now: datetime, status: str) -> None:
    """An execution that ended while its case is open is replaced by a new one (case id + generation) at
    the case's step.
    The restart is saved as a hand-off due now, so a start that does not arrive is looked at again."""
    log.error("workflow_restarted", extra={"case_id": case.id, "execution_status": status, "step": step_of(case)})
    case.generation += 1
    services.cases.save(case, [Event("workflow_restarted", now, SYSTEM, {"after": status})], signal_due=now)
    services.workflow.start(case.execution_name, services.signal(case, now, handed=now))


def recover(services: Services, now: datetime) -> int:
    """Start every open case's workflow afresh at its current step (a local stack restored from disk,
    whose Step Functions state was not kept). Returns how many were started."""
    started = 0
    for case in services.cases.open_cases():
        case.generation += 1
        services.cases.save(case, [Event("workflow_restarted", now, SYSTEM, {"after": "restore"})], signal_due=now)
        services.workflow.start(case.execution_name, services.signal(case, now, handed=now))
        started += 1
    return started
