"""The complainant's transitions on a case (no AWS)."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import PUBLIC, Case, Channel, Kind, Party, Status
from chalicelib.domain.deadlines import CHINA
from chalicelib.domain.lifecycle import commands as cmd
from chalicelib.domain.lifecycle.actions import appeal, feedback, withdraw
from chalicelib.domain.lifecycle.context import Ctx
from chalicelib.domain.lifecycle.steps import step_of
from chalicelib.domain.policy import load_policy
from chalicelib.domain.schedules import builtin_schedule, estimated_schedule
from chalicelib.errors import InvalidState

NOW = datetime(2026, 11, 23, 10, tzinfo=CHINA)
CTX = Ctx(NOW, PUBLIC, load_policy("samr"), WorkingCalendar(lambda y: builtin_schedule(y) or estimated_schedule(y)))


def case(status: Status) -> Case:
    return Case("c1", "123", "h", Kind.COMPLAINT, Channel.WEB, status, NOW, "samr", "f", Party("张三", "+86"))


def test_satisfied_feedback_closes_and_opens_the_appeal_window() -> None:
    happy = case(Status.RESPONDED)
    assert [e.type for e in feedback(happy, CTX, cmd.Feedback(satisfied=True))] == [
        "feedback",
        "closed",
    ]
    assert happy.status is Status.CLOSED and happy.satisfied is True
    assert step_of(happy) == "appeal_window"


def test_unsatisfied_feedback_reopens_for_handling() -> None:
    unhappy = case(Status.RESPONDED)
    events = feedback(unhappy, CTX, cmd.Feedback(satisfied=False, comment="没有退款"))
    assert [e.type for e in events] == ["feedback", "reopened"]
    assert unhappy.status is Status.ACCEPTED  # nobody was assigned yet: back to assignment


def test_an_appeal_reopens_only_a_case_in_its_appeal_window() -> None:
    closed = case(Status.RESPONDED)
    feedback(closed, CTX, cmd.Feedback(satisfied=True))
    assert appeal(closed, CTX, cmd.Appeal(reason="调解不公"))[0].type == "reopened"
    assert step_of(closed) == "review"
    with pytest.raises(InvalidState):
        appeal(case(Status.RECEIVED), CTX, cmd.Appeal(reason="x"))


@pytest.mark.parametrize("final", [Status.CLOSED, Status.WITHDRAWN, Status.REJECTED, Status.TRANSFERRED])
def test_a_finished_case_cannot_be_withdrawn(final: Status) -> None:
    with pytest.raises(InvalidState):
        withdraw(case(final), CTX, cmd.Withdraw())


def test_an_enquiry_is_answered_or_passed_on_but_never_accepted() -> None:
    from chalicelib.domain.lifecycle.actions import decide

    enquiry = Case("e1", "9", "h", Kind.ENQUIRY, Channel.PHONE, Status.RECEIVED, NOW, "samr", "f", Party("赵", "+86"))
    with pytest.raises(InvalidState):
        decide(enquiry, CTX, cmd.Decide(decision="accept"))
    passed_on = decide(enquiry, CTX, cmd.Decide(decision="transfer", transfer_to="区教育局"))
    assert passed_on[0].type == "transferred" and step_of(enquiry) == "done"


def test_the_transition_table_covers_every_action_and_keeps_the_domains_rules() -> None:
    from chalicelib.domain.lifecycle.actions import PUBLIC_ACTIONS, STAFF_ACTIONS
    from chalicelib.domain.lifecycle.transitions import ALLOWED

    named = {name.split(".")[0] for name in ALLOWED}
    assert named == set(STAFF_ACTIONS) | set(PUBLIC_ACTIONS)
    # mediation, follow-up and appeal are a complaint's; only a report's reporter is notified
    for action in ("mediation.start", "mediation.end", "feedback", "appeal", "reopen", "close"):
        assert set(ALLOWED[action]) == {Kind.COMPLAINT}, action
    assert set(ALLOWED["notify"]) == {Kind.REPORT}
    # nothing is done to a finished case but an appeal (of a closed complaint) or reopening it
    finished = {Status.WITHDRAWN, Status.TRANSFERRED}
    assert all(not (statuses & finished) for by_kind in ALLOWED.values() for statuses in by_kind.values())
