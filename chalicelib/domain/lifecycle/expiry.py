"""What happens when a clock runs out: escalation, reminders (督办), or the rule's own action."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chalicelib.domain.case import Case, Event, Status
from chalicelib.domain.deadlines import ClockRule, Deadline
from chalicelib.domain.lifecycle.actions import end_mediation
from chalicelib.domain.lifecycle.clocks import clock_event, rules_of
from chalicelib.domain.lifecycle.context import Ctx
from chalicelib.domain.lifecycle.steps import guarding, step_of
from chalicelib.domain.roles import SUPERVISOR


def deadline_passed(case: Case, step: str, ctx: Ctx) -> list[Event]:
    """The workflow's timer fired while waiting in `step`: remind the complainant, escalate, chase, or act on expiry.

    A timer can fire after people moved the case on (a hand-off still on its way): then nothing
    happens here and the workflow simply catches up with `step_of(case)`.
    """
    if step != step_of(case):
        return []
    events = _remind_complainant(case, step, ctx)
    for deadline in guarding(case, step):
        if deadline.due_at > ctx.now:
            continue
        rule = rules_of(case, ctx.policy).get(deadline.clock)
        expiry = rule.on_expiry if rule else "escalate"
        if step == "mediation" and deadline.clock in ("mediation", "reply"):
            events += end_mediation(case, ctx, "time_limit", None)
        if expiry == "close_without_reply":
            case.deadlines[deadline.clock] = deadline.stop(ctx.now)
            case.status = Status.CLOSED
            clock_event(case, "closed", ctx)
            events.append(Event("closed", ctx.now, ctx.actor, {"outcome": "no_reply"}))
        elif expiry == "archive":
            case.deadlines[deadline.clock] = deadline.stop(ctx.now)
        elif deadline.escalated_at is None:
            case.deadlines[deadline.clock] = replace(deadline, escalated_at=ctx.now)
            events.append(_escalation(deadline, rule, ctx, reminder=False))
        elif (deadline.reminded_at or deadline.escalated_at) + ctx.reminder <= ctx.now + timedelta(seconds=1):
            case.deadlines[deadline.clock] = replace(deadline, reminded_at=ctx.now)
            events.append(_escalation(deadline, rule, ctx, reminder=True))
    return events


def _remind_complainant(case: Case, step: str, ctx: Ctx) -> list[Event]:
    """The complainant's one reminder before a clock runs out (e.g. to answer the follow-up survey).

    A reminder whose time has come is consumed whether or not it is sent, so it never comes twice; a
    clock already past due sends none (its expiry is what happens now).
    """
    events = []
    for deadline in guarding(case, step):
        if deadline.remind_at is None or deadline.remind_at > ctx.now:
            continue
        case.deadlines[deadline.clock] = replace(deadline, remind_at=None)
        if deadline.due_at > ctx.now:
            data = {"clock": deadline.clock, "due_date": deadline.due_date.isoformat(), "about": "survey"}
            events.append(Event("reminded", ctx.now, ctx.actor, data))
    return events


def _escalation(deadline: Deadline, rule: ClockRule | None, ctx: Ctx, *, reminder: bool) -> Event:
    return Event(
        "escalated",
        ctx.now,
        ctx.actor,
        {
            "clock": deadline.clock,
            "due_date": deadline.due_date.isoformat(),
            "escalate_to": rule.escalate_to if rule else SUPERVISOR,
            "reminder": reminder,  # 督办: a daily chase until the step is done
        },
    )
