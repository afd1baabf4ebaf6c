"""The workflow's view of a case: the step its execution waits in, and for how long."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.case import Case, Kind, Status
from chalicelib.domain.deadlines import Deadline

#: Workflow steps: where the case's execution waits for people. "done" ends the execution.
STEPS = (
    "acceptance",
    "assignment",
    "handling",
    "mediation",
    "paused",
    "feedback",
    "appeal_window",
    "review",
    "notify_reporter",
    "answer",
    "done",
)
#: Withdrawn and transferred cases are done whatever else holds; every other status may be open.
_ENDED = (Status.WITHDRAWN, Status.TRANSFERRED)
OPEN_STATUSES = tuple(status for status in Status if status not in _ENDED)
#: A step with no running clock is still looked at now and then (a stalled case is chased).
STALL_FACTOR = 7


def step_of(case: Case) -> str:
    """Where the case's workflow waits now."""
    if case.status in _ENDED:
        return "done"
    if case.paused:
        return "paused"
    if case.kind in (Kind.ENQUIRY, Kind.SUGGESTION):
        return "answer" if case.status is Status.RECEIVED else "done"
    if case.status is Status.RECEIVED:
        return "acceptance"
    if case.kind is Kind.REPORT:
        return _report_step(case)
    return {
        Status.ACCEPTED: "assignment",
        Status.ASSIGNED: "review" if case.under_review else "handling",
        Status.INVESTIGATING: "review" if case.under_review else "handling",
        Status.MEDIATING: "mediation",
        Status.RESPONDED: "feedback",
        Status.CLOSED: "appeal_window" if running(case, "appeal") else "done",
        Status.REJECTED: "done",
    }[case.status]


def _report_step(case: Case) -> str:
    if case.status in (Status.ACCEPTED, Status.REJECTED) and not case.anonymous and not case.notified_reporter:
        return "notify_reporter"
    if case.status in (Status.ACCEPTED, Status.ASSIGNED, Status.INVESTIGATING):
        return "handling"
    return "done"


def running(case: Case, clock: str) -> bool:
    deadline = case.deadlines.get(clock)
    return deadline is not None and deadline.running


def guarding(case: Case, step: str) -> list[Deadline]:
    """The running, unpaused clocks that bound how long the case may wait in `step`."""
    return [d for d in case.deadlines.values() if d.running and not d.paused and step in d.steps]


def next_due(case: Case) -> datetime | None:
    """The nearest due time among running clocks (the work queue's order)."""
    dues = [d.due_at for d in case.deadlines.values() if d.running and not d.paused]
    return min(dues) if dues else None


def timer(case: Case, now: datetime, reminder: timedelta) -> int:
    """Seconds the workflow waits in the current step before `deadline_passed` looks again."""
    targets = []
    for deadline in guarding(case, step_of(case)):
        if deadline.escalated_at is None:
            targets.append(deadline.due_at)
            if deadline.remind_at is not None:  # the complainant's reminder, still to be sent
                targets.append(deadline.remind_at)
        else:
            targets.append((deadline.reminded_at or deadline.escalated_at) + reminder)
    wake = min(targets) if targets else now + reminder * STALL_FACTOR
    return max(1, math.ceil((wake - now).total_seconds()))


def stamp(moment: datetime) -> str:
    """A moment as the register orders its looks: UTC, whole seconds, one fixed format (strings sort like times).

    >>> stamp(datetime(2026, 11, 23, 9, 0, 1, 500, tzinfo=UTC))
    '2026-11-23T09:00:01Z'
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signal(case: Case, now: datetime, reminder: timedelta) -> dict[str, Any]:
    """The workflow's next input: where to wait and for how long (the ASL routes on `step`)."""
    return {"case_id": case.id, "step": step_of(case), "timeout_seconds": timer(case, now, reminder)}
