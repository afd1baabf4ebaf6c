"""The complainant's transitions on a case (no AWS)."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.domain.case import PUBLIC, Case, Channel, Kind, Party, Status
from chalicelib.domain.deadlines import CHINA
from chalicelib.errors import InvalidState

NOW = datetime(2026, 11, 23, 10, tzinfo=CHINA)


def case(status: Status) -> Case:
    return Case("c1", "123", "h", Kind.COMPLAINT, Channel.WEB, status, NOW, "samr", "f", Party("张三", "+86"))


def test_satisfied_feedback_closes_and_unsatisfied_reopens() -> None:
    happy = case(Status.RESPONDED)
    assert [e.type for e in happy.give_feedback(NOW, PUBLIC, True, None)] == ["feedback", "closed"]
    assert happy.status is Status.CLOSED and happy.satisfied is True
    unhappy = case(Status.RESPONDED)
    events = unhappy.give_feedback(NOW, PUBLIC, False, "没有退款")
    assert [e.type for e in events] == ["feedback", "reopened"]
    assert unhappy.status is Status.INVESTIGATING


def test_an_appeal_reopens_only_a_closed_case() -> None:
    closed = case(Status.CLOSED)
    assert closed.appeal(NOW, PUBLIC, "调解不公").type == "reopened"
    with pytest.raises(InvalidState):
        case(Status.RECEIVED).appeal(NOW, PUBLIC, "x")


@pytest.mark.parametrize("final", [Status.CLOSED, Status.WITHDRAWN, Status.REJECTED, Status.TRANSFERRED])
def test_a_finished_case_cannot_be_withdrawn(final: Status) -> None:
    with pytest.raises(InvalidState):
        case(final).withdraw(NOW, PUBLIC, None)
