"""Which clocks an event starts, stops or restarts, by the policy profile in force."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.case import Case
from chalicelib.domain.deadlines import ClockRule, start_clock
from chalicelib.domain.lifecycle.context import Ctx
from chalicelib.domain.policy import Policy


def rules_of(case: Case, policy: Policy) -> dict[str, ClockRule]:
    return {r.name: r for r in policy.rules(case.kind, case.category, case.severity)}


def extension_left(case: Case, policy: Policy) -> dict[str, int | None]:
    """How much more each of the case's clocks may be extended (in its unit) by the policy; None: no limit."""
    rules = rules_of(case, policy)
    left: dict[str, int | None] = {}
    for name, deadline in case.deadlines.items():
        rule = rules.get(name)
        limit = rule.max_extension if rule else None
        left[name] = None if limit is None else max(limit - deadline.extended, 0)
    return left


def clock_event(case: Case, event: str, ctx: Ctx) -> None:
    """Stop the clocks `event` stops, then start (or restart) the clocks it starts."""
    rules = rules_of(case, ctx.policy)
    for name, deadline in list(case.deadlines.items()):
        rule = rules.get(name)
        if deadline.running and rule is not None and event in rule.stops:
            case.deadlines[name] = deadline.stop(ctx.now)
    for rule in rules.values():
        if rule.starts != event or (rule.real_name_only and case.anonymous):
            continue
        anchor = case.received_at if rule.anchor == "received" else ctx.now
        case.deadlines[rule.name] = start_clock(rule, anchor, ctx.calendar)


def restart_handling_clocks(case: Case, ctx: Ctx) -> None:
    """Re-dispatched work (重新派单) gets its handling clocks afresh, counted from now."""
    for rule in rules_of(case, ctx.policy).values():
        if "handling" in rule.steps and rule.name in case.deadlines and not case.deadlines[rule.name].running:
            case.deadlines[rule.name] = start_clock(rule, ctx.now, ctx.calendar)


def stop_all(case: Case, at: datetime) -> None:
    for name, deadline in case.deadlines.items():
        if deadline.running:
            case.deadlines[name] = deadline.stop(at)
