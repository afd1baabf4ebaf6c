"""Keeping executions in step, on the in-memory ports: committed state only, bugs surface, only what
is due is read, failed executions come back under a new name, and no notice is lost."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.api.jobs import RECONCILE_EVERY_MINUTES
from chalicelib.domain.case import Actor, Status
from chalicelib.domain.deadlines import CHINA
from chalicelib.domain.lifecycle import commands as cmd
from chalicelib.domain.lifecycle.steps import step_of
from chalicelib.domain.notices import Audience, Notice
from chalicelib.service import outbox
from chalicelib.service.desk import Staff, act
from chalicelib.service.ports import (
    DeadLetters,
    NoticeSender,
    Outbox,
    OutboxEntry,
    SendFailed,
    WorkflowUnavailable,
)
from chalicelib.service.workflow import LOOK_BACK, deliver, reconcile, start
from tests.fakes import FakeCases, FakeWorkflow, file_complaint, services

NOW = datetime(2026, 11, 23, 10, tzinfo=CHINA)
SUPERVISOR = Staff(Actor("staff", "sup-1", "周主任"), frozenset({"supervisor"}))


def test_a_handoff_carries_what_was_committed_not_the_callers_stale_copy() -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    case = file_complaint(ports, NOW).cases[0]
    cases.wait_in(case.id, "token-1", "acceptance", NOW)
    # GIVEN two actions interleave: A accepts, B assigns, and only then A's hand-off goes out
    stale = cases.get(case.id)
    act(case.id, "decide", cmd.Decide(decision="accept"), version=1, staff=SUPERVISOR, services=ports, now=NOW)
    cases.wait_in(case.id, "token-2", "assignment", NOW)
    act(case.id, "assign", cmd.Assign(unit="u1", handler="h-1"), version=2, staff=SUPERVISOR, services=ports, now=NOW)
    workflow.resumed.clear()
    assert stale is not None and stale.status.value == "received"
    # WHEN A's delayed hand-off is delivered
    deliver(stale.id, ports, NOW)
    # THEN the workflow is told the committed step (handling), never A's view (assignment)
    assert [signal["step"] for _, signal in workflow.resumed] == ["handling"]


def test_only_aws_errors_are_tolerated_around_starting_an_execution_a_bug_surfaces() -> None:
    class Broken(FakeWorkflow):
        def start(self, name: str, signal: dict[str, Any]) -> None:
            raise KeyError("a bug")

    class Unreachable(FakeWorkflow):
        def start(self, name: str, signal: dict[str, Any]) -> None:
            raise WorkflowUnavailable("throttled")

    case = file_complaint(services(), NOW).cases[0]
    start(case, services(workflow=Unreachable()), NOW)  # logged; the reconciliation starts it later
    with pytest.raises(KeyError):
        start(case, services(workflow=Broken()), NOW)


def _waiting(ports: Any, cases: FakeCases, n: int, since: datetime) -> str:
    """A case whose execution started and confirmed its first wait: it has no look left."""
    case = file_complaint(ports, since).cases[0]
    cases.wait_in(case.id, f"t{n}", "acceptance", since)
    return case.id


def test_reconciliation_reads_only_the_cases_with_an_unconfirmed_handoff() -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    waiting = [_waiting(ports, cases, n, NOW - timedelta(minutes=10)) for n in range(200)]
    assert cases.checks == {}  # a confirmed wait leaves no look behind: no timer look per case
    for case_id in waiting[:3]:  # three hand-offs were never confirmed
        cases.checks[case_id] = NOW - timedelta(minutes=5)
    cases.calls.clear()
    report = reconcile(ports, NOW)
    assert report.checked == 3
    assert cases.calls.count("get") == 3


def test_the_execution_confirms_a_handoff_only_with_the_newest_mark() -> None:
    cases = FakeCases()
    ports = services(cases)
    case_id = _waiting(ports, cases, 0, NOW)
    act(case_id, "decide", cmd.Decide(decision="accept"), version=1, staff=SUPERVISOR, services=ports, now=NOW)
    assert cases.checks == {case_id: NOW}  # the change's transaction puts its look in
    older = NOW - timedelta(seconds=1)
    cases.wait_in(case_id, "t1", "assignment", NOW, handed=older)  # an older hand-off's wait: the look stays
    assert cases.checks == {case_id: NOW}
    cases.wait_in(case_id, "t2", "assignment", NOW, handed=NOW)
    assert cases.checks == {} and cases.tasks[case_id].signal_pending_since is None


def test_a_failed_execution_is_found_in_the_listing_and_restarted_under_a_new_name_at_its_step() -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    case_id = _waiting(ports, cases, 0, NOW - timedelta(hours=3))  # no look due: only the listing finds it
    workflow.end(case_id, "FAILED", NOW - timedelta(minutes=2))
    report = reconcile(ports, NOW)
    assert report.restarted == 1 and report.checked == 1
    name, signal = workflow.started[-1]
    assert name == f"{case_id}-1" and signal["step"] == "acceptance"
    restarted = cases.get(case_id)
    assert restarted is not None and restarted.generation == 1
    assert cases.timeline(case_id)[-1].type == "workflow_restarted"
    # the restart is a hand-off due now: a start that does not arrive is looked at again; its wait confirms it
    assert cases.checks == {case_id: NOW} and signal["handed"] == NOW.isoformat()
    cases.wait_in(case_id, "t1", "acceptance", NOW, handed=NOW)
    assert cases.checks == {}
    # the next run sees the same failed execution again (its look-back spans two runs): it is no dead case now
    assert reconcile(ports, NOW + timedelta(minutes=5)).restarted == 0
    assert len(workflow.started) == 2  # the intake's start and the one restart


def test_a_case_reopened_after_its_execution_ended_with_it_gets_a_new_execution() -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    case_id = _waiting(ports, cases, 0, NOW - timedelta(days=40))
    closed = cases.cases[case_id]
    closed.status, closed.deadlines = Status.CLOSED, {}  # closed, its appeal window over: the execution ended
    workflow.end(case_id, "SUCCEEDED", NOW - timedelta(days=1))
    reopened = act(
        case_id,
        "reopen",
        cmd.Reopen(reason="督办：重新办理"),
        version=closed.version,
        staff=SUPERVISOR,
        services=ports,
        now=NOW,
    )
    assert step_of(reopened) != "done"
    # the old token leads nowhere; the reconciliation finds the hand-off unconfirmed and starts a new generation
    report = reconcile(ports, NOW + timedelta(minutes=5))
    assert report.restarted == 1
    name, signal = workflow.started[-1]
    assert name == f"{case_id}-1" and signal["step"] == step_of(reopened)


@pytest.mark.parametrize("status", ["TIMED_OUT", "ABORTED"])
def test_timed_out_and_aborted_executions_are_restarted_too(status: str) -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    case_id = _waiting(ports, cases, 0, NOW - timedelta(days=2))
    workflow.end(case_id, status, NOW - timedelta(minutes=1))
    assert reconcile(ports, NOW).restarted == 1
    assert workflow.started[-1][0] == f"{case_id}-1"


def test_what_ended_before_the_look_back_an_older_generation_or_a_closed_case_is_not_restarted() -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    long_ago, older, closed = (_waiting(ports, cases, n, NOW - timedelta(days=1)) for n in range(3))
    workflow.end(long_ago, "FAILED", NOW - LOOK_BACK - timedelta(seconds=1))  # an earlier run's business
    case = cases.cases[older]
    case.generation = 1  # restarted before: its first execution's failure is history
    workflow.end(older, "FAILED", NOW - timedelta(minutes=1))
    act(
        closed,
        "decide",
        cmd.Decide(decision="reject", reason_code="handled_elsewhere"),
        version=1,
        staff=SUPERVISOR,
        services=ports,
        now=NOW - timedelta(hours=1),
    )
    workflow.end(closed, "ABORTED", NOW - timedelta(minutes=1))
    cases.checks.clear()
    started = len(workflow.started)
    report = reconcile(ports, NOW)
    assert report.restarted == 0 and len(workflow.started) == started


def test_the_look_back_spans_at_least_two_runs_of_the_schedule() -> None:
    assert timedelta(minutes=2 * RECONCILE_EVERY_MINUTES) <= LOOK_BACK


class MemoryOutbox(Outbox):
    def __init__(self, notice: Notice) -> None:
        self.entry = OutboxEntry("c:000002:00", notice, 0)
        self.state = "pending"

    def pending(self, send_key: str) -> OutboxEntry | None:
        return self.entry if self.state == "pending" else None

    def sent(self, send_key: str, at: datetime) -> None:
        self.state = "sent"

    def failed(self, send_key: str, error: str, *, give_up: bool, at: datetime) -> int:
        self.entry = OutboxEntry(send_key, self.entry.notice, self.entry.attempts + 1)
        self.state = "dead" if give_up else "pending"
        return self.entry.attempts


class FlakySender(NoticeSender):
    def __init__(self, failures: int) -> None:
        self.failures, self.delivered = failures, 0

    def send(self, notice: Notice, send_key: str) -> None:
        if self.failures:
            self.failures -= 1
            raise SendFailed("SNS throttled")
        self.delivered += 1


class Letters(DeadLetters):
    def __init__(self) -> None:
        self.items: list[str] = []

    def put(self, entry: OutboxEntry, error: str) -> None:
        self.items.append(entry.send_key)

    def peek(self, limit: int) -> list[dict[str, Any]]:
        return [{"send_key": k} for k in self.items]


NOTICE = Notice(Audience.SUPERVISION, {"case_id": "c", "event": "escalated"})


def test_a_notice_that_fails_is_retried_and_sent_once() -> None:
    box = outbox.Postbox(MemoryOutbox(NOTICE), FlakySender(failures=2), Letters())
    for _ in range(2):
        with pytest.raises(SendFailed):  # the stream delivers it again
            outbox.send("c:000002:00", box, NOW)
    assert outbox.send("c:000002:00", box, NOW) == "sent"
    assert outbox.send("c:000002:00", box, NOW) == "skipped"  # a redelivered record sends nothing twice
    assert box.sender.delivered == 1  # type: ignore[attr-defined]


def test_a_notice_that_keeps_failing_ends_in_the_dead_letter_queue() -> None:
    letters = Letters()
    box = outbox.Postbox(MemoryOutbox(NOTICE), FlakySender(failures=99), letters)
    results = []
    for _ in range(outbox.MAX_ATTEMPTS):
        try:
            results.append(outbox.send("c:000002:00", box, NOW))
        except SendFailed:
            results.append("retry")
    assert results == ["retry"] * (outbox.MAX_ATTEMPTS - 1) + ["dead"]
    assert letters.peek(10) == [{"send_key": "c:000002:00"}]
    assert outbox.send("c:000002:00", box, NOW) == "skipped"
