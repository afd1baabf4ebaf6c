"""Each policy profile's clocks, driven through the lifecycle rules (no AWS)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Actor, Case, Channel, Kind, Party, Respondent, Status
from chalicelib.domain.deadlines import CHINA, Basis, start_clock
from chalicelib.domain.lifecycle import commands as cmd
from chalicelib.domain.lifecycle.actions import assign, decide, findings
from chalicelib.domain.lifecycle.context import Ctx
from chalicelib.domain.lifecycle.steps import step_of, timer
from chalicelib.domain.policy import load_policy
from chalicelib.domain.schedules import builtin_schedule, estimated_schedule

CALENDAR = WorkingCalendar(lambda y: builtin_schedule(y) or estimated_schedule(y))
RECEIVED = datetime(2026, 9, 28, 9, 30, tzinfo=CHINA)  # Monday before the National Day week
SUPERVISOR = Actor("staff", "sup-1", "周主任")


def new_case(profile: str, category: str | None = None) -> tuple[Case, Ctx]:
    policy = load_policy(profile)
    case = Case(
        "c1",
        "1",
        "h",
        Kind.COMPLAINT,
        Channel.PHONE,
        Status.RECEIVED,
        RECEIVED,
        profile,
        "f",
        Party("张三", "+8613800138000"),
        respondent=Respondent("某航空公司"),
        category=category,
    )
    case.deadlines = {
        r.name: start_clock(r, RECEIVED, CALENDAR) for r in policy.clocks_starting(Kind.COMPLAINT, "received", category)
    }
    return case, Ctx(RECEIVED + timedelta(hours=2), SUPERVISOR, policy, CALENDAR, frozenset({"supervisor"}))


def test_samr_acceptance_then_sixty_calendar_days_of_mediation_from_acceptance() -> None:
    case, ctx = new_case("samr")
    assert case.deadlines["acceptance"].due_date == date(2026, 10, 13)  # 29, 30 Sep; 8, 9, 10(Sat), 12, 13 Oct
    decide(case, ctx, cmd.Decide(decision="accept"))
    mediation = case.deadlines["mediation"]
    assert (mediation.basis, mediation.length) == (Basis.CALENDAR_DAYS, 60)
    assert mediation.due_date == date(2026, 11, 27)
    assert case.deadlines["acceptance"].stopped_at == ctx.now


def test_samr_quality_disputes_are_mediated_within_thirty_days() -> None:
    case, ctx = new_case("samr", category="quality")
    decide(case, ctx, cmd.Decide(decision="accept"))
    assert case.deadlines["mediation"].length == 30


@pytest.mark.parametrize(
    ("severity", "due"),
    [
        ("major", datetime(2026, 9, 29, 9, 30, tzinfo=CHINA)),  # 24 hours from receipt
        ("general", datetime(2026, 10, 8, 23, 59, 59, tzinfo=CHINA)),  # 3 working days: 29, 30 Sep, 8 Oct
        ("minor", datetime(2026, 10, 10, 23, 59, 59, tzinfo=CHINA)),  # 5: … 9 Oct and Saturday 10 Oct (worked)
    ],
)
def test_enterprise_replies_by_severity_counted_from_receipt(severity: str, due: datetime) -> None:
    case, ctx = new_case("enterprise")
    assert case.deadlines["acceptance"].due_at == RECEIVED + timedelta(hours=24)
    assert case.deadlines["preliminary_reply"].due_at == RECEIVED + timedelta(hours=48)
    decide(case, ctx, cmd.Decide(decision="accept", severity=severity))
    assert case.deadlines["reply"].due_at == due


def test_airline_reply_investigation_and_verification() -> None:
    case, ctx = new_case("airline")
    # 10 working days from first contact: 29, 30 Sep; 8, 9, 10 (Sat, worked), 12–16 Oct
    assert case.deadlines["reply"].due_date == date(2026, 10, 16)
    decide(case, ctx, cmd.Decide(decision="accept"))
    assign(case, ctx, cmd.Assign(unit="ground-services", handler="h-1"))
    assert case.deadlines["investigation"].length == 5
    assert step_of(case) == "handling"
    findings(case, ctx, cmd.Findings(text="行李延误属实"))
    assert case.deadlines["investigation"].stopped_at == ctx.now
    assert (case.deadlines["verification"].length, case.deadlines["verification"].basis) == (3, Basis.WORKING_DAYS)


def test_the_workflow_waits_for_the_nearest_clock_of_its_step() -> None:
    case, ctx = new_case("enterprise")
    # in acceptance only the 24-hour first review guards the step: two hours are gone
    assert timer(case, ctx.now, timedelta(days=1)) == 22 * 3600
    decide(case, ctx, cmd.Decide(decision="accept", severity="major"))
    assign(case, ctx, cmd.Assign(unit="cs", handler="h-1"))
    # handling: the 48-hour preliminary reply and the 24-hour major reply; the nearer one wins
    assert timer(case, ctx.now, timedelta(days=1)) == 22 * 3600


def test_every_profile_loads_and_adding_one_is_adding_data() -> None:
    from chalicelib.domain.policy import PROFILE_DIR

    assert {p.stem for p in PROFILE_DIR.glob("*.json")} >= {"samr", "enterprise", "airline"}
    for path in PROFILE_DIR.glob("*.json"):
        assert load_policy(path.stem).name == path.stem


def test_who_is_escalated_to_is_part_of_the_profile() -> None:
    from chalicelib.domain.lifecycle.expiry import deadline_passed

    case, ctx = new_case("enterprise")
    decide(case, ctx, cmd.Decide(decision="accept", severity="major"))
    assign(case, ctx, cmd.Assign(unit="cs", handler="h-1"))
    late = Ctx(case.deadlines["reply"].due_at + timedelta(minutes=5), SUPERVISOR, ctx.policy, CALENDAR)
    events = deadline_passed(case, "handling", late)
    assert {e.data["clock"]: e.data["escalate_to"] for e in events} == {"reply": "leadership"}
