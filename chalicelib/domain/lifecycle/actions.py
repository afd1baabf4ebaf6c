"""Every action staff and complainants take: each checks what the transition table cannot (raising
`InvalidState`), changes the case, and returns the timeline events to record. Commands arrive
validated (`commands.py`); which states allow which action is `transitions.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalicelib.domain.case import Case, Event, Kind, Respondent, Status, redacted_texts
from chalicelib.domain.lifecycle import commands as cmd
from chalicelib.domain.lifecycle.clocks import clock_event, extension_left, restart_handling_clocks, rules_of, stop_all
from chalicelib.domain.lifecycle.context import Ctx
from chalicelib.domain.lifecycle.steps import running, step_of
from chalicelib.domain.lifecycle.transitions import require
from chalicelib.domain.roles import SUPERVISOR
from chalicelib.errors import Forbidden, InvalidState

#: What an action needs of the case beyond the state table, when it depends on the case alone (not on the
#: command): the action refuses with the message, and a console does not offer it (`available_actions`).
GUARDS: dict[str, tuple[Callable[[Case], bool], str]] = {
    "complete": (lambda case: bool(case.incomplete), "the case lacks nothing a clerk must complete"),
    "pause": (lambda case: not case.paused, "the case is already paused"),
    "mediation": (lambda case: not case.paused, "the case is paused; resume it before it can be mediated"),
    "respond": (lambda case: not case.paused, "the case is paused; resume it before it can be answered"),
    "resume": (lambda case: bool(case.paused), "the case is not paused"),
    "reopen": (
        lambda case: case.under_review or case.status not in (Status.INVESTIGATING, Status.ASSIGNED),
        "the case is already being handled",
    ),
    "notify": (
        lambda case: step_of(case) == "notify_reporter",
        "there is no decision waiting to be told to a real-name reporter",
    ),
}


def guard(case: Case, action: str) -> None:
    """Raise `InvalidState` unless the case is as `action` needs it (`GUARDS`)."""
    holds, refusal = GUARDS[action]
    if not holds(case):
        raise InvalidState(refusal)


def offered(case: Case, action: str) -> bool:
    """Whether the case is as `action` needs it (the state table aside)."""
    return action not in GUARDS or GUARDS[action][0](case)


def _with_note(data: dict[str, Any], note: str | None) -> dict[str, Any]:
    return data | ({"note": note} if note else {})


def decide(case: Case, ctx: Ctx, body: cmd.Decide) -> list[Event]:
    """Acceptance (受理) of a complaint, the filing decision (立案) on a report; an enquiry or
    suggestion outside the remit is passed on (transfer)."""
    require(case, "decide")
    decision = body.decision
    if case.incomplete and decision == "accept":
        raise InvalidState(f"complete the case first: it lacks {', '.join(case.incomplete)}")
    if case.kind in (Kind.ENQUIRY, Kind.SUGGESTION) and decision != "transfer":
        raise InvalidState(f"a {case.kind.value} is answered (respond) or passed on (transfer), not {decision}ed")
    data = _with_note({}, body.note)
    if decision == "accept":
        case.status = Status.ACCEPTED
        case.severity = body.severity or "general"
        data["severity"] = case.severity
        event = "accepted"
    elif decision == "reject":
        assert body.reason_code is not None  # the command requires it
        case.status, data["reason_code"], event = Status.REJECTED, body.reason_code.value, "rejected"
    else:
        case.status, data["transfer_to"], event = Status.TRANSFERRED, body.transfer_to, "transferred"
    clock_event(case, "decided", ctx)
    if case.status is Status.ACCEPTED:
        clock_event(case, "accepted", ctx)
    if case.status is Status.TRANSFERRED or (case.status is Status.REJECTED and case.kind is Kind.COMPLAINT):
        stop_all(case, ctx.now)
    return [Event(event, ctx.now, ctx.actor, data)]


def assign(case: Case, ctx: Ctx, body: cmd.Assign) -> list[Event]:
    """Hand the case to a handling unit and a named handler (交办); a supervisor may also reassign."""
    require(case, "assign")
    if case.kind is Kind.REPORT and step_of(case) == "notify_reporter":
        raise InvalidState("tell the real-name reporter of the decision before assigning the report")
    first = case.status is Status.ACCEPTED
    case.unit, case.handler_id = body.unit, body.handler
    case.handler_name = body.handler_name or body.handler
    if first:
        case.status = Status.ASSIGNED
        clock_event(case, "assigned", ctx)
    return [Event("assigned", ctx.now, ctx.actor, {"unit": case.unit, "handler": case.handler_id})]


def complete(case: Case, ctx: Ctx, body: cmd.Complete) -> list[Event]:
    """Complete a case registered from an SMS or e-mail (补录): the business, the request, the name."""
    require(case, "complete")
    guard(case, "complete")
    recorded = []
    if body.respondent:
        case.respondent = Respondent(body.respondent, body.respondent_address)
        recorded.append("respondent")
    if body.request and case.kind is Kind.COMPLAINT:
        case.request = body.request
        recorded.append("request")
    if body.complainant_name and case.complainant:
        case.complainant = replace(case.complainant, name=body.complainant_name)
        recorded.append("complainant_name")
    if not recorded:
        raise InvalidState(f"record what the case lacks: {', '.join(case.incomplete)}")
    case.incomplete = tuple(m for m in case.incomplete if m not in recorded)
    case.redacted = redacted_texts(case, case.complainant)
    return [Event("completed", ctx.now, ctx.actor, {"recorded": recorded, "missing": list(case.incomplete)})]


def findings(case: Case, ctx: Ctx, body: cmd.Findings) -> list[Event]:
    """Investigation findings (调查核实), or a report's verification (核查) before the filing decision."""
    require(case, "findings")
    if case.status is Status.ASSIGNED:
        case.status = Status.INVESTIGATING
    clock_event(case, "findings", ctx)
    return [Event("findings", ctx.now, ctx.actor, {"text": body.text})]


def pause(case: Case, ctx: Ctx, body: cmd.Pause) -> list[Event]:
    """Appraisal or testing (鉴定/检测) stops the pausable clocks until `resume`."""
    require(case, "pause")
    guard(case, "pause")
    case.paused = {"reason": body.reason, "since": ctx.now.isoformat(), "resume_to": step_of(case)}
    rules = rules_of(case, ctx.policy)
    for name, deadline in case.deadlines.items():
        if deadline.running and rules.get(name, None) is not None and rules[name].pausable:
            case.deadlines[name] = deadline.pause(ctx.now)
    return [Event("paused", ctx.now, ctx.actor, _with_note({"pause_reason": body.reason}, body.note))]


def resume(case: Case, ctx: Ctx, body: cmd.Resume) -> list[Event]:
    """Appraisal or testing is over: the paused clocks run again, their due times moved by the pause."""
    guard(case, "resume")
    require(case, "resume")
    case.paused = None
    moved = {}
    for name, deadline in case.deadlines.items():
        if deadline.paused:
            case.deadlines[name] = deadline.resume(ctx.now, ctx.calendar)
            moved[name] = case.deadlines[name].due_date.isoformat()
    data: dict[str, Any] = _with_note({"due_dates": moved}, body.note)
    if len(moved) == 1:
        data["clock"], data["due_date"] = next(iter(moved.items()))
    return [Event("resumed", ctx.now, ctx.actor, data)]


def mediation(case: Case, ctx: Ctx, body: cmd.Mediation) -> list[Event]:
    """Mediation (调解): only with both parties' consent; ends in an agreement or is terminated."""
    guard(case, "mediation")
    step = body.step
    if step == "start":
        require(case, "mediation.start")
        case.status = Status.MEDIATING
        given = {"time": body.time.isoformat() if body.time else None, "place": body.place, "mediator": body.mediator}
        arrangements = {k: v for k, v in given.items() if v}
        case.mediation = {"started_at": ctx.now.isoformat(), **arrangements}
        return [Event("mediation", ctx.now, ctx.actor, {"step": "start", **arrangements})]
    require(case, "mediation.end")
    if step == "agreement":
        case.status = Status.INVESTIGATING
        case.mediation = {**(case.mediation or {}), "outcome": "agreement", "terms": body.terms}
        data = {"step": "agreement", "outcome": "agreement", "terms": body.terms}
        return [Event("mediation", ctx.now, ctx.actor, data)]
    assert body.reason is not None  # the command requires it
    return end_mediation(case, ctx, body.reason.value, body.note)


def end_mediation(case: Case, ctx: Ctx, reason: str, note: str | None) -> list[Event]:
    case.status = Status.INVESTIGATING
    case.mediation = {**(case.mediation or {}), "outcome": "terminated", "reason": reason}
    data = {"step": "terminate", "outcome": "terminated", "reason": reason} | ({"note": note} if note else {})
    return [Event("mediation", ctx.now, ctx.actor, data)]


def extension(case: Case, ctx: Ctx, body: cmd.Extension) -> list[Event]:
    """Extension (延期): the handler asks with reasons, a supervisor approves or refuses."""
    require(case, "extension")
    step = body.step
    if step == "request":
        return _request_extension(case, ctx, body)
    if not case.pending_extension:
        raise InvalidState("no extension has been requested")
    if SUPERVISOR not in ctx.roles:
        raise Forbidden("only a supervisor decides on an extension")
    if case.pending_extension.get("by") == ctx.actor.id:
        raise Forbidden("an extension is decided by a supervisor other than the one who asked for it")
    if body.clock != case.pending_extension["clock"]:
        raise InvalidState(f"the extension waiting for a decision is for the {case.pending_extension['clock']} clock")
    request, case.pending_extension = case.pending_extension, None
    if step == "refuse":
        return [Event("extension_refused", ctx.now, ctx.actor, {"clock": request["clock"], "reason": body.reason})]
    clock = request["clock"]
    if not running(case, clock):
        raise InvalidState(f"the {clock} clock is no longer running")
    case.deadlines[clock] = case.deadlines[clock].extend(int(request["length"]), ctx.calendar)
    due = case.deadlines[clock].due_date.isoformat()
    return [
        Event("extended", ctx.now, ctx.actor, {"clock": clock, "due_date": due, "length": request["length"]}),
        Event("notified", ctx.now, ctx.actor, {"about": "extension", "clock": clock, "due_date": due}),
    ]


def _request_extension(case: Case, ctx: Ctx, body: cmd.Extension) -> list[Event]:
    clock, length = body.clock, body.working_days or 0
    if not running(case, clock):
        raise InvalidState(f"there is no running clock {clock!r} to extend")
    if case.pending_extension:
        raise InvalidState("an extension request is already waiting for a supervisor")
    allowed = extension_left(case, ctx.policy)[clock]
    if allowed is not None and length > allowed:
        source = rules_of(case, ctx.policy)[clock].source
        raise InvalidState(f"the {clock} clock may be extended by at most {allowed} more ({source})")
    case.pending_extension = {"clock": clock, "length": length, "reason": body.reason, "by": ctx.actor.id}
    return [Event("extension_requested", ctx.now, ctx.actor, {"clock": clock, "length": length, "reason": body.reason})]


def respond(case: Case, ctx: Ctx, body: cmd.Respond) -> list[Event]:
    """The answer to the complainant (答复), with the outcome and reasons."""
    guard(case, "respond")
    require(case, "respond")
    if step_of(case) == "notify_reporter":
        raise InvalidState("tell the real-name reporter of the filing decision first")
    amount = body.compensation_amount
    case.response = {
        "at": ctx.now.isoformat(),
        "message": body.message,
        "outcome": body.outcome,
        "compensation_amount": str(amount) if amount is not None else None,
    }
    events = [Event("responded", ctx.now, ctx.actor, {"outcome": body.outcome, "message": body.message})]
    clock_event(case, "responded", ctx)
    case.under_review = False
    if case.kind is Kind.COMPLAINT:
        case.status = Status.RESPONDED
    else:
        case.status = Status.CLOSED
        events.append(Event("closed", ctx.now, ctx.actor, {"outcome": body.outcome}))
    return events


def close(case: Case, ctx: Ctx, body: cmd.Close) -> list[Event]:
    """Closing (结案): after the response, or the supervisor's final decision on an appeal."""
    if case.under_review:
        if SUPERVISOR not in ctx.roles:
            raise Forbidden("the final decision on an appeal is a supervisor's")
        case.under_review = False
        stop_all(case, ctx.now)
        case.status = Status.CLOSED
        return [Event("closed", ctx.now, ctx.actor, _with_note({"outcome": "appeal_decided"}, body.note))]
    require(case, "close")
    case.status = Status.CLOSED
    clock_event(case, "feedback", ctx)
    clock_event(case, "closed", ctx)
    return [Event("closed", ctx.now, ctx.actor, _with_note({"outcome": "closed_by_staff"}, body.note))]


def reopen(case: Case, ctx: Ctx, body: cmd.Reopen) -> list[Event]:
    """Re-dispatch (重新派单) for another round of handling."""
    require(case, "reopen")
    guard(case, "reopen")
    return _reopen(case, ctx, body.reason)


def _reopen(case: Case, ctx: Ctx, reason: str) -> list[Event]:
    case.under_review = False
    stop_all(case, ctx.now)
    case.status = Status.ASSIGNED if case.handler_id else Status.ACCEPTED
    case.response = None
    restart_handling_clocks(case, ctx)
    return [Event("reopened", ctx.now, ctx.actor, {"reason": reason})]


def notify_reporter(case: Case, ctx: Ctx, body: cmd.Notify) -> list[Event]:
    """A real-name reporter is told the filing decision (within 5 working days of it)."""
    require(case, "notify")
    guard(case, "notify")
    case.notified_reporter = True
    clock_event(case, "notified", ctx)
    data = {"about": "filing_decision", "channel": body.channel or "sms"}
    if case.status is Status.REJECTED:
        stop_all(case, ctx.now)
    return [Event("notified", ctx.now, ctx.actor, data)]


# ---- the complainant's actions ------------------------------------------------------------------


def withdraw(case: Case, ctx: Ctx, body: cmd.Withdraw) -> list[Event]:
    """The complainant withdraws (撤回): allowed at any time before the case is finished."""
    require(case, "withdraw")
    case.status = Status.WITHDRAWN
    case.paused = None
    stop_all(case, ctx.now)
    return [Event("withdrawn", ctx.now, ctx.actor, {"reason": body.reason} if body.reason else {})]


def feedback(case: Case, ctx: Ctx, body: cmd.Feedback) -> list[Event]:
    """Follow-up (回访): satisfied closes the case, not satisfied sends it back to handling."""
    require(case, "feedback")
    satisfied = body.satisfied
    case.satisfied = satisfied
    data: dict[str, Any] = {"satisfied": satisfied} | ({"comment": body.comment} if body.comment else {})
    events = [Event("feedback", ctx.now, ctx.actor, data)]
    clock_event(case, "feedback", ctx)
    if satisfied:
        case.status = Status.CLOSED
        clock_event(case, "closed", ctx)
        events.append(Event("closed", ctx.now, ctx.actor, {"outcome": "satisfied"}))
    else:
        events += _reopen(case, ctx, "complainant not satisfied")
    return events


def appeal(case: Case, ctx: Ctx, body: cmd.Appeal) -> list[Event]:
    """The complainant objects to the handling opinion (申诉) within the window: a supervisor reviews."""
    require(case, "appeal")
    if step_of(case) != "appeal_window":
        raise InvalidState("this case cannot be appealed (not closed, or the appeal period is over)")
    clock_event(case, "appealed", ctx)
    case.status = Status.INVESTIGATING
    case.under_review = True
    return [Event("reopened", ctx.now, ctx.actor, {"reason": body.reason, "kind": "appeal"})]


Action = Callable[[Case, Ctx, Any], list[Event]]

#: The staff's actions by name (`POST /v1/staff/cases/{id}/<name>`); who may take each is `authorization.py`.
STAFF_ACTIONS: dict[str, Action] = {
    "complete": complete,
    "decide": decide,
    "assign": assign,
    "findings": findings,
    "pause": pause,
    "resume": resume,
    "mediation": mediation,
    "extension": extension,
    "respond": respond,
    "close": close,
    "reopen": reopen,
    "notify": notify_reporter,
}
PUBLIC_ACTIONS: dict[str, Action] = {"withdraw": withdraw, "feedback": feedback, "appeal": appeal}
