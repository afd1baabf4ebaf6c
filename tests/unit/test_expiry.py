"""What happens when a step's clock runs out (no AWS): escalation, reminders, expiry actions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import SYSTEM, Actor, Case, Channel, Kind, Party, Respondent, Status
from chalicelib.domain.deadlines import CHINA, start_clock
from chalicelib.domain.lifecycle import commands as cmd
from chalicelib.domain.lifecycle.actions import assign, decide, mediation, respond
from chalicelib.domain.lifecycle.context import Ctx
from chalicelib.domain.lifecycle.expiry import deadline_passed
from chalicelib.domain.lifecycle.steps import step_of
from chalicelib.domain.policy import load_policy
from chalicelib.domain.schedules import builtin_schedule, estimated_schedule

CALENDAR = WorkingCalendar(lambda y: builtin_schedule(y) or estimated_schedule(y))
T0 = datetime(2026, 3, 2, 9, tzinfo=CHINA)
STAFF = Actor("staff", "sup-1", "周主任")


def at(moment: datetime) -> Ctx:
    return Ctx(moment, STAFF, load_policy("samr"), CALENDAR, frozenset({"supervisor"}), timedelta(days=1))


def handled_case() -> Case:
    case = Case(
        "c1",
        "1",
        "h",
        Kind.COMPLAINT,
        Channel.WEB,
        Status.RECEIVED,
        T0,
        "samr",
        "f",
        Party("张三", "+8613800138000"),
        respondent=Respondent("某店"),
    )
    decide(case, at(T0), cmd.Decide(decision="accept"))
    assign(case, at(T0), cmd.Assign(unit="u", handler="h-1"))
    return case


def test_sixty_days_without_agreement_terminate_the_mediation_and_escalate() -> None:
    case = handled_case()
    mediation(
        case,
        at(T0),
        cmd.Mediation(step="start", complainant_consents=True, respondent_consents=True),
    )
    late = at(case.deadlines["mediation"].due_at + timedelta(minutes=1))
    late = replace(late, actor=SYSTEM)
    events = deadline_passed(case, "mediation", late)
    assert [(e.type, e.data.get("reason") or e.data.get("clock")) for e in events] == [
        ("mediation", "time_limit"),
        ("escalated", "mediation"),
    ]
    assert case.status is Status.INVESTIGATING and step_of(case) == "handling"


def test_a_follow_up_nobody_answers_closes_the_case_as_no_reply() -> None:
    case = handled_case()
    respond(case, at(T0), cmd.Respond(message="已处理", outcome="resolved"))
    expired = at(case.deadlines["follow_up"].due_at + timedelta(seconds=1))
    events = deadline_passed(case, "feedback", expired)
    assert [(e.type, e.data.get("outcome")) for e in events] == [("closed", "no_reply")]
    assert case.status is Status.CLOSED and step_of(case) == "appeal_window"
    # and when the appeal window ends unused, the case is done
    over = at(case.deadlines["appeal"].due_at + timedelta(seconds=1))
    assert deadline_passed(case, "appeal_window", over) == [] and step_of(case) == "done"


def test_reminders_come_once_per_interval_and_a_late_timer_changes_nothing() -> None:
    case = Case(
        "c2",
        "2",
        "h",
        Kind.COMPLAINT,
        Channel.LETTER,
        Status.RECEIVED,
        T0,
        "samr",
        "f",
        Party("李四", "+8613900139000"),
        respondent=Respondent("某店"),
    )
    decide_ctx = at(T0)
    assert deadline_passed(case, "assignment", decide_ctx) == []  # not the step the case is in
    case.deadlines["acceptance"] = start_clock(decide_ctx.policy.rule(Kind.COMPLAINT, "acceptance"), T0, CALENDAR)
    due = case.deadlines["acceptance"].due_at
    assert [e.data["reminder"] for e in deadline_passed(case, "acceptance", at(due + timedelta(hours=1)))] == [False]
    assert deadline_passed(case, "acceptance", at(due + timedelta(hours=2))) == []  # too soon for a reminder
    assert [e.data["reminder"] for e in deadline_passed(case, "acceptance", at(due + timedelta(hours=25)))] == [True]
