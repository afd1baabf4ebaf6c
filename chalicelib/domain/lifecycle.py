"""The lifecycle of a case: every action staff and complainants take, the clocks each one starts,
stops, pauses or moves, and the workflow step the case is in afterwards (DOMAIN.md §2–§6).

Each action checks the case's state (raising `InvalidState`), changes the case and returns the
timeline events to record. The workflow (Step Functions) only waits: where it waits and for how
long is `step_of()` and `timer()` here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Actor, Case, Event, Kind, Status
from chalicelib.domain.deadlines import ClockRule, Deadline, start_clock
from chalicelib.domain.policy import Policy
from chalicelib.errors import Forbidden, InvalidInput, InvalidState

CLERK, HANDLER, SUPERVISOR, ADMIN = "clerk", "handler", "supervisor", "admin"


class RejectReason(StrEnum):
    """Why a complaint is not accepted (DOMAIN.md §2); outside the remit is a transfer instead."""

    NOT_CONSUMER_DISPUTE = "not_consumer_dispute"
    PAST_GUARANTEE = "past_guarantee"
    ALREADY_MEDIATED = "already_mediated"
    HANDLED_ELSEWHERE = "handled_elsewhere"
    TIME_BARRED = "time_barred"
    NO_HARM_SHOWN = "no_harm_shown"
    DISCLOSED_DEFECT_OR_MISUSE = "disclosed_defect_or_misuse"
    RESPONDENT_UNKNOWN = "respondent_unknown"
    UNLAWFUL = "unlawful"


class MediationEnd(StrEnum):
    """Why mediation is terminated (终止调解)."""

    COMPLAINANT_WITHDREW = "complainant_withdrew"
    PARTY_REFUSED = "party_refused"
    PARTY_ABSENT = "party_absent"
    WENT_TO_COURT_OR_ARBITRATION = "went_to_court_or_arbitration"
    SETTLED_PRIVATELY = "settled_privately"
    TIME_LIMIT = "time_limit"


REJECT_REASONS = frozenset(r.value for r in RejectReason)
MEDIATION_END_REASONS = frozenset(r.value for r in MediationEnd)
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
#: A step with no running clock is still looked at now and then (a stalled case is chased).
STALL_FACTOR = 7


@dataclass(frozen=True)
class Ctx:
    """What every action needs besides the case: when, who, and the rules in force."""

    now: datetime
    actor: Actor
    policy: Policy
    calendar: WorkingCalendar
    roles: frozenset[str] = frozenset()
    reminder: timedelta = timedelta(days=1)


# ---- clocks ---------------------------------------------------------------------------------


def _rules(case: Case, policy: Policy) -> dict[str, ClockRule]:
    return {r.name: r for r in policy.rules(case.kind, case.category, case.severity)}


def clock_event(case: Case, event: str, ctx: Ctx) -> None:
    """Stop the clocks `event` stops, then start (or restart) the clocks it starts."""
    rules = _rules(case, ctx.policy)
    for name, deadline in list(case.deadlines.items()):
        rule = rules.get(name)
        if deadline.running and rule is not None and event in rule.stops:
            case.deadlines[name] = deadline.stop(ctx.now)
    for rule in rules.values():
        if rule.starts != event or (rule.real_name_only and case.anonymous):
            continue
        anchor = case.received_at if rule.anchor == "received" else ctx.now
        case.deadlines[rule.name] = start_clock(rule, anchor, ctx.calendar)


def _restart_handling_clocks(case: Case, ctx: Ctx) -> None:
    """Re-dispatched work (重新派单) gets its handling clocks afresh, counted from now."""
    for rule in _rules(case, ctx.policy).values():
        if "handling" in rule.steps and rule.name in case.deadlines and not case.deadlines[rule.name].running:
            case.deadlines[rule.name] = start_clock(rule, ctx.now, ctx.calendar)


def _stop_all(case: Case, at: datetime) -> None:
    for name, deadline in case.deadlines.items():
        if deadline.running:
            case.deadlines[name] = deadline.stop(at)


# ---- the workflow's view ---------------------------------------------------------------------


def step_of(case: Case) -> str:
    """Where the case's workflow waits now."""
    if case.status in (Status.WITHDRAWN, Status.TRANSFERRED):
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
        Status.CLOSED: "appeal_window" if _running(case, "appeal") else "done",
        Status.REJECTED: "done",
    }[case.status]


def _report_step(case: Case) -> str:
    if case.status in (Status.ACCEPTED, Status.REJECTED) and not case.anonymous and not case.notified_reporter:
        return "notify_reporter"
    if case.status in (Status.ACCEPTED, Status.ASSIGNED, Status.INVESTIGATING):
        return "handling"
    return "done"


def _running(case: Case, clock: str) -> bool:
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
        else:
            targets.append((deadline.reminded_at or deadline.escalated_at) + reminder)
    wake = min(targets) if targets else now + reminder * STALL_FACTOR
    return max(1, math.ceil((wake - now).total_seconds()))


def signal(case: Case, now: datetime, reminder: timedelta) -> dict[str, Any]:
    """The workflow's next input: where to wait and for how long (the ASL routes on `step`)."""
    return {"case_id": case.id, "step": step_of(case), "timeout_seconds": timer(case, now, reminder)}


def deadline_passed(case: Case, step: str, ctx: Ctx) -> list[Event]:
    """The workflow's timer fired while waiting in `step`: escalate, remind, or act on expiry.

    A timer can fire after people moved the case on (a hand-off still on its way): then nothing
    happens here and the workflow simply catches up with `step_of(case)`.
    """
    if step != step_of(case):
        return []
    events: list[Event] = []
    for deadline in guarding(case, step):
        if deadline.due_at > ctx.now:
            continue
        rule = _rules(case, ctx.policy).get(deadline.clock)
        expiry = rule.on_expiry if rule else "escalate"
        if step == "mediation" and deadline.clock in ("mediation", "reply"):
            events += _end_mediation(case, ctx, "time_limit", None)
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


# ---- actions --------------------------------------------------------------------------------


def _require(case: Case, allowed: set[Status], action: str) -> None:
    if case.status not in allowed:
        raise InvalidState(f"a case that is {case.status.value} cannot be {action}")


def _require_kind(case: Case, kinds: set[Kind], action: str) -> None:
    if case.kind not in kinds:
        raise InvalidState(f"a {case.kind.value} cannot be {action}")


def _not_paused(case: Case, action: str) -> None:
    if case.paused:
        raise InvalidState(f"the case is paused for {case.paused['reason']}; resume it before it can be {action}")


def decide(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Acceptance (受理) of a complaint, the filing decision (立案) on a report; an enquiry or
    suggestion outside the remit is passed on (transfer)."""
    _require(case, {Status.RECEIVED}, "decided on again")
    decision = body["decision"]
    if case.kind in (Kind.ENQUIRY, Kind.SUGGESTION) and decision != "transfer":
        raise InvalidState(f"a {case.kind.value} is answered (respond) or passed on (transfer), not {decision}ed")
    data: dict[str, Any] = {}
    if body.get("note"):
        data["note"] = body["note"]
    if decision == "accept":
        case.status = Status.ACCEPTED
        case.severity = body.get("severity") or "general"
        data["severity"] = case.severity
        event = "accepted"
    elif decision == "reject":
        if body.get("reason_code") not in REJECT_REASONS:
            raise InvalidInput(
                "a rejection needs a reason code", fields={"reason_code": "one of " + ", ".join(sorted(REJECT_REASONS))}
            )
        case.status, data["reason_code"], event = Status.REJECTED, body["reason_code"], "rejected"
    else:
        if not body.get("transfer_to"):
            raise InvalidInput("a transfer names the competent body", fields={"transfer_to": "required"})
        case.status, data["transfer_to"], event = Status.TRANSFERRED, body["transfer_to"], "transferred"
    clock_event(case, "decided", ctx)
    if case.status is Status.ACCEPTED:
        clock_event(case, "accepted", ctx)
    if case.status is Status.TRANSFERRED or (case.status is Status.REJECTED and case.kind is Kind.COMPLAINT):
        _stop_all(case, ctx.now)
    return [Event(event, ctx.now, ctx.actor, data)]


def assign(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Hand the case to a handling unit and a named handler (交办); a supervisor may also reassign."""
    _require_kind(case, {Kind.COMPLAINT, Kind.REPORT}, "assigned")
    _require(case, {Status.ACCEPTED, Status.ASSIGNED, Status.INVESTIGATING}, "assigned")
    if case.kind is Kind.REPORT and step_of(case) == "notify_reporter":
        raise InvalidState("tell the real-name reporter of the decision before assigning the report")
    first = case.status is Status.ACCEPTED
    case.unit, case.handler_id = body["unit"], body["handler"]
    case.handler_name = body.get("handler_name") or body["handler"]
    if first:
        case.status = Status.ASSIGNED
        clock_event(case, "assigned", ctx)
    return [Event("assigned", ctx.now, ctx.actor, {"unit": case.unit, "handler": case.handler_id})]


def findings(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Investigation findings (调查核实), or a report's verification (核查) before the filing decision."""
    if not (case.kind is Kind.REPORT and case.status is Status.RECEIVED):
        _require(case, {Status.ASSIGNED, Status.INVESTIGATING, Status.MEDIATING}, "given findings")
    if case.status is Status.ASSIGNED:
        case.status = Status.INVESTIGATING
    clock_event(case, "findings", ctx)
    return [Event("findings", ctx.now, ctx.actor, {"text": body["text"]})]


def pause(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Appraisal or testing (鉴定/检测) stops the pausable clocks until `resume`."""
    _require(case, {Status.ASSIGNED, Status.INVESTIGATING, Status.MEDIATING}, "paused")
    if case.paused:
        raise InvalidState("the case is already paused")
    case.paused = {"reason": body["reason"], "since": ctx.now.isoformat(), "resume_to": step_of(case)}
    rules = _rules(case, ctx.policy)
    for name, deadline in case.deadlines.items():
        if deadline.running and rules.get(name, None) is not None and rules[name].pausable:
            case.deadlines[name] = deadline.pause(ctx.now)
    data = {"pause_reason": body["reason"]} | ({"note": body["note"]} if body.get("note") else {})
    return [Event("paused", ctx.now, ctx.actor, data)]


def resume(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Appraisal or testing is over: the paused clocks run again, their due times moved by the pause."""
    if not case.paused:
        raise InvalidState("the case is not paused")
    case.paused = None
    moved = {}
    for name, deadline in case.deadlines.items():
        if deadline.paused:
            case.deadlines[name] = deadline.resume(ctx.now)
            moved[name] = case.deadlines[name].due_date.isoformat()
    data: dict[str, Any] = {"due_dates": moved}
    if len(moved) == 1:
        data["clock"], data["due_date"] = next(iter(moved.items()))
    return [Event("resumed", ctx.now, ctx.actor, data)]


def mediation(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Mediation (调解): only with both parties' consent; ends in an agreement or is terminated."""
    _require_kind(case, {Kind.COMPLAINT}, "mediated")
    _not_paused(case, "mediated")
    step = body["step"]
    if step == "start":
        _require(case, {Status.ASSIGNED, Status.INVESTIGATING}, "taken to mediation")
        if not (body.get("complainant_consents") and body.get("respondent_consents")):
            raise InvalidInput(
                "mediation needs both parties' consent",
                fields={"complainant_consents": "must be true", "respondent_consents": "must be true"},
            )
        case.status = Status.MEDIATING
        arrangements = {k: body[k] for k in ("time", "place", "mediator") if body.get(k)}
        case.mediation = {"started_at": ctx.now.isoformat(), **arrangements}
        return [Event("mediation", ctx.now, ctx.actor, {"step": "start", **arrangements})]
    _require(case, {Status.MEDIATING}, "given a mediation outcome")
    if step == "agreement":
        if not body.get("terms"):
            raise InvalidInput("an agreement records its terms", fields={"terms": "required"})
        case.status = Status.INVESTIGATING
        case.mediation = {**(case.mediation or {}), "outcome": "agreement", "terms": body["terms"]}
        return [
            Event(
                "mediation", ctx.now, ctx.actor, {"step": "agreement", "outcome": "agreement", "terms": body["terms"]}
            )
        ]
    if body.get("reason") not in MEDIATION_END_REASONS:
        raise InvalidInput(
            "a termination gives its reason", fields={"reason": "one of " + ", ".join(sorted(MEDIATION_END_REASONS))}
        )
    return _end_mediation(case, ctx, body["reason"], body.get("note"))


def _end_mediation(case: Case, ctx: Ctx, reason: str, note: str | None) -> list[Event]:
    case.status = Status.INVESTIGATING
    case.mediation = {**(case.mediation or {}), "outcome": "terminated", "reason": reason}
    data = {"step": "terminate", "outcome": "terminated", "reason": reason} | ({"note": note} if note else {})
    return [Event("mediation", ctx.now, ctx.actor, data)]


def extension(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Extension (延期): the handler asks with reasons, a supervisor approves or refuses."""
    step = body["step"]
    if step == "request":
        return _request_extension(case, ctx, body)
    if not case.pending_extension:
        raise InvalidState("no extension has been requested")
    if SUPERVISOR not in ctx.roles:
        raise Forbidden("only a supervisor decides on an extension")
    request, case.pending_extension = case.pending_extension, None
    if step == "refuse":
        return [
            Event("extension_refused", ctx.now, ctx.actor, {"clock": request["clock"], "reason": body.get("reason")})
        ]
    clock = request["clock"]
    if not _running(case, clock):
        raise InvalidState(f"the {clock} clock is no longer running")
    case.deadlines[clock] = case.deadlines[clock].extend(int(request["length"]), ctx.calendar)
    due = case.deadlines[clock].due_date.isoformat()
    return [
        Event("extended", ctx.now, ctx.actor, {"clock": clock, "due_date": due, "length": request["length"]}),
        Event("notified", ctx.now, ctx.actor, {"about": "extension", "clock": clock, "due_date": due}),
    ]


def _request_extension(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    clock, length = body.get("clock"), body.get("working_days")
    if not clock or not _running(case, clock):
        raise InvalidState(f"there is no running clock {clock!r} to extend")
    if not length or length < 1:
        raise InvalidInput("say how much longer is needed", fields={"working_days": "a positive number"})
    if not body.get("reason"):
        raise InvalidInput("an extension request gives its reasons", fields={"reason": "required"})
    if case.pending_extension:
        raise InvalidState("an extension request is already waiting for a supervisor")
    rule = _rules(case, ctx.policy)[clock]
    if rule.max_extension is not None and case.deadlines[clock].extended + length > rule.max_extension:
        allowed = rule.max_extension - case.deadlines[clock].extended
        raise InvalidState(f"the {clock} clock may be extended by at most {allowed} more ({rule.source})")
    case.pending_extension = {"clock": clock, "length": length, "reason": body["reason"], "by": ctx.actor.id}
    return [
        Event("extension_requested", ctx.now, ctx.actor, {"clock": clock, "length": length, "reason": body["reason"]})
    ]


def respond(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """The answer to the complainant (答复), with the outcome and reasons."""
    _not_paused(case, "answered")
    if case.kind in (Kind.ENQUIRY, Kind.SUGGESTION):
        _require(case, {Status.RECEIVED}, "answered")
    elif case.kind is Kind.REPORT:
        _require(case, {Status.ACCEPTED, Status.ASSIGNED, Status.INVESTIGATING}, "given a result")
        if step_of(case) == "notify_reporter":
            raise InvalidState("tell the real-name reporter of the filing decision first")
    else:
        _require(case, {Status.ASSIGNED, Status.INVESTIGATING}, "answered")
    amount = body.get("compensation_amount")
    case.response = {
        "at": ctx.now.isoformat(),
        "message": body["message"],
        "outcome": body["outcome"],
        "compensation_amount": str(amount) if amount is not None else None,
    }
    events = [Event("responded", ctx.now, ctx.actor, {"outcome": body["outcome"], "message": body["message"]})]
    clock_event(case, "responded", ctx)
    case.under_review = False
    if case.kind is Kind.COMPLAINT:
        case.status = Status.RESPONDED
    else:
        case.status = Status.CLOSED
        events.append(Event("closed", ctx.now, ctx.actor, {"outcome": body["outcome"]}))
    return events


def close(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Closing (结案): after the response, or the supervisor's final decision on an appeal."""
    if case.under_review:
        if SUPERVISOR not in ctx.roles:
            raise Forbidden("the final decision on an appeal is a supervisor's")
        case.under_review = False
        _stop_all(case, ctx.now)
        case.status = Status.CLOSED
        return [Event("closed", ctx.now, ctx.actor, {"outcome": "appeal_decided", "note": body.get("note")})]
    _require(case, {Status.RESPONDED}, "closed before it is answered")
    case.status = Status.CLOSED
    clock_event(case, "feedback", ctx)
    clock_event(case, "closed", ctx)
    return [Event("closed", ctx.now, ctx.actor, {"outcome": "closed_by_staff", "note": body.get("note")})]


def reopen(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Re-dispatch (重新派单) for another round of handling."""
    _require_kind(case, {Kind.COMPLAINT}, "reopened")
    _require(case, {Status.RESPONDED, Status.CLOSED, Status.INVESTIGATING, Status.ASSIGNED}, "reopened")
    if case.status in (Status.INVESTIGATING, Status.ASSIGNED) and not case.under_review:
        raise InvalidState("the case is already being handled")
    return _reopen(case, ctx, body["reason"])


def _reopen(case: Case, ctx: Ctx, reason: str) -> list[Event]:
    case.under_review = False
    _stop_all(case, ctx.now)
    case.status = Status.ASSIGNED if case.handler_id else Status.ACCEPTED
    case.response = None
    _restart_handling_clocks(case, ctx)
    return [Event("reopened", ctx.now, ctx.actor, {"reason": reason})]


def notify_reporter(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """A real-name reporter is told the filing decision (within 5 working days of it)."""
    if step_of(case) != "notify_reporter":
        raise InvalidState("there is no decision waiting to be told to a real-name reporter")
    case.notified_reporter = True
    clock_event(case, "notified", ctx)
    data = {"about": "filing_decision", "channel": body.get("channel") or "sms"}
    if case.status is Status.REJECTED:
        _stop_all(case, ctx.now)
    return [Event("notified", ctx.now, ctx.actor, data)]


# ---- the complainant's actions ------------------------------------------------------------------


def withdraw(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """The complainant withdraws (撤回): allowed at any time before the case is finished."""
    if step_of(case) == "done" or case.status is Status.CLOSED:
        raise InvalidState(f"a case that is {case.status.value} cannot be withdrawn")
    case.status = Status.WITHDRAWN
    case.paused = None
    _stop_all(case, ctx.now)
    return [Event("withdrawn", ctx.now, ctx.actor, {"reason": body["reason"]} if body.get("reason") else {})]


def feedback(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """Follow-up (回访): satisfied closes the case, not satisfied sends it back to handling."""
    _require(case, {Status.RESPONDED}, "given feedback before it has been answered")
    satisfied = bool(body["satisfied"])
    case.satisfied = satisfied
    data: dict[str, Any] = {"satisfied": satisfied} | ({"comment": body["comment"]} if body.get("comment") else {})
    events = [Event("feedback", ctx.now, ctx.actor, data)]
    clock_event(case, "feedback", ctx)
    if satisfied:
        case.status = Status.CLOSED
        clock_event(case, "closed", ctx)
        events.append(Event("closed", ctx.now, ctx.actor, {"outcome": "satisfied"}))
    else:
        events += _reopen(case, ctx, "complainant not satisfied")
    return events


def appeal(case: Case, ctx: Ctx, body: dict[str, Any]) -> list[Event]:
    """The complainant objects to the handling opinion (申诉) within the window: a supervisor reviews."""
    if step_of(case) != "appeal_window":
        raise InvalidState("this case cannot be appealed (not closed, or the appeal period is over)")
    clock_event(case, "appealed", ctx)
    case.status = Status.INVESTIGATING
    case.under_review = True
    return [Event("reopened", ctx.now, ctx.actor, {"reason": body["reason"], "kind": "appeal"})]


Action = Callable[[Case, Ctx, dict[str, Any]], list[Event]]

#: Every staff action, the roles that may take it, and whether a handler must be the assigned one.
STAFF_ACTIONS: dict[str, tuple[Action, frozenset[str]]] = {
    "decide": (decide, frozenset({CLERK, SUPERVISOR})),
    "assign": (assign, frozenset({SUPERVISOR})),
    "findings": (findings, frozenset({HANDLER, SUPERVISOR})),
    "pause": (pause, frozenset({HANDLER, SUPERVISOR})),
    "resume": (resume, frozenset({HANDLER, SUPERVISOR})),
    "mediation": (mediation, frozenset({HANDLER, SUPERVISOR})),
    "extension": (extension, frozenset({HANDLER, SUPERVISOR})),
    "respond": (respond, frozenset({CLERK, HANDLER, SUPERVISOR})),
    "close": (close, frozenset({HANDLER, SUPERVISOR})),
    "reopen": (reopen, frozenset({SUPERVISOR})),
    "notify": (notify_reporter, frozenset({HANDLER, SUPERVISOR})),
}
PUBLIC_ACTIONS: dict[str, Action] = {"withdraw": withdraw, "feedback": feedback, "appeal": appeal}


def authorize(case: Case, action: str, actor: Actor, roles: frozenset[str]) -> None:
    """Raise `Forbidden` unless one of `roles` may take `action` on this case.

    A handler acts only on cases assigned to them; a clerk answers enquiries and suggestions only.
    """
    allowed = STAFF_ACTIONS[action][1]
    usable = roles & allowed
    if SUPERVISOR in usable:
        return
    if HANDLER in usable and case.handler_id == actor.id:
        return
    if CLERK in usable and (action == "decide" or case.kind in (Kind.ENQUIRY, Kind.SUGGESTION)):
        return
    if HANDLER in usable and case.kind in (Kind.ENQUIRY, Kind.SUGGESTION) and action == "respond":
        return
    if not usable:
        raise Forbidden(f"{action} needs one of the roles: {', '.join(sorted(allowed))}")
    raise Forbidden(f"this case is not assigned to you; {action} is for its handler or a supervisor")
