"""Keeping executions in step, on the in-memory ports: committed state only, bugs surface, every
hand-off reaches its execution through the stream, failed executions come back under a new name, and no
notice is lost."""

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
from chalicelib.service.workflow import LOOK_BACK, HandOverPending, deliver, hand_over, reconcile, start
from tests.fakes import FakeCases, FakeWorkflow, file_complaint, services

NOW = datetime(2026, 11, 23, 10, tzinfo=CHINA)
SUPERVISOR = Staff(Actor("staff", "sup-1", "周主任"), frozenset({"supervisor"}))


def test_a_handoff_carries_what_was_committed_not_the_callers_stale_copy() -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    case = file_complaint(ports, NOW).cases[0]
    cases.wait_in(case.id, "token-1", version=1)
    # GIVEN two actions interleave: A accepts, B assigns, and only then A's hand-off goes out
    stale = cases.get(case.id)
    act(case.id, "decide", cmd.Decide(decision="accept"), version=1, staff=SUPERVISOR, services=ports, now=NOW)
    cases.wait_in(case.id, "token-2", version=2)
    act(case.id, "assign", cmd.Assign(unit="u1", handler="h-1"), version=2, staff=SUPERVISOR, services=ports, now=NOW)
    cases.wait_in(case.id, "token-3", version=2)  # as if B's resume had not arrived
    workflow.resumed.clear()
    assert stale is not None and stale.status.value == "received"
    # WHEN A's delayed hand-off is delivered
    deliver(stale.id, ports, NOW)
    # THEN the workflow is told the committed step (handling) and version, never A's view (assignment)
    assert [(signal["step"], signal["version"]) for _, signal in workflow.resumed] == [("handling", 3)]


def test_only_aws_errors_are_tolerated_around_starting_an_execution_a_bug_surfaces() -> None:
    class Broken(FakeWorkflow):
        def start(self, name: str, signal: dict[str, Any]) -> None:
            raise KeyError("a bug")

    class Unreachable(FakeWorkflow):
        def start(self, name: str, signal: dict[str, Any]) -> None:
            raise WorkflowUnavailable("throttled")

    case = file_complaint(services(), NOW).cases[0]
    start(case, services(workflow=Unreachable()), NOW)  # logged; the stream's hand-over starts it later
    with pytest.raises(KeyError):
        start(case, services(workflow=Broken()), NOW)


def _waiting(ports: Any, cases: FakeCases, n: int, since: datetime) -> str:
    """A case whose execution started and entered its first wait."""
    case = file_complaint(ports, since).cases[0]
    cases.wait_in(case.id, f"t{n}", version=1)
    return case.id


def test_a_handoff_costs_no_write_of_its_own_and_one_that_arrived_costs_one_read() -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    case_id = _waiting(ports, cases, 0, NOW)
    act(case_id, "decide", cmd.Decide(decision="accept"), version=1, staff=SUPERVISOR, services=ports, now=NOW)
    # the intake's start and the decision are the stream's records: written with the case, nothing else
    assert cases.stream == [(case_id, 1), (case_id, 2)]
    assert cases.calls.count("save") == 1
    cases.wait_in(case_id, "t1", version=2)  # the decision's resume arrived
    cases.calls.clear()
    assert [hand_over(c, v, ports, NOW) for c, v in cases.stream] == ["arrived", "arrived"]
    assert cases.calls == ["task", "task"]


def test_a_handoff_the_request_could_not_deliver_is_delivered_from_the_stream() -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    case_id = _waiting(ports, cases, 0, NOW)
    # GIVEN the execution was on its way to its wait when the decision was made: its token was spent
    workflow.spent.add("t0")
    act(case_id, "decide", cmd.Decide(decision="accept"), version=1, staff=SUPERVISOR, services=ports, now=NOW)
    assert workflow.resumed == []
    # WHILE it has not entered its next wait, the hand-over is tried again later (the stream retries)
    with pytest.raises(HandOverPending):
        hand_over(case_id, 2, ports, NOW)
    # WHEN it waits, on the input it computed before the decision (version 1)
    cases.wait_in(case_id, "t1", version=1)
    # THEN the stream's hand-over resumes it with the committed case
    assert hand_over(case_id, 2, ports, NOW) == "resumed"
    assert [(signal["step"], signal["version"]) for _, signal in workflow.resumed] == [("assignment", 2)]


def test_an_execution_whose_start_failed_is_started_from_the_stream_once() -> None:
    class Unreachable(FakeWorkflow):
        def start(self, name: str, signal: dict[str, Any]) -> None:
            raise WorkflowUnavailable("throttled")

    cases, workflow = FakeCases(), FakeWorkflow()
    case = file_complaint(services(cases, Unreachable()), NOW).cases[0]
    ports = services(cases, workflow)
    assert hand_over(case.id, 1, ports, NOW) == "started"
    assert workflow.started == [(case.id, ports.signal(case, NOW))]
    assert hand_over(case.id, 1, ports, NOW) == "arrived"  # the stream's retry starts nothing twice


def test_a_failed_execution_is_found_in_the_listing_and_restarted_under_a_new_name_at_its_step() -> None:
    cases, workflow = FakeCases(), FakeWorkflow()
    ports = services(cases, workflow)
    case_id = _waiting(ports, cases, 0, NOW - timedelta(hours=3))
    workflow.end(case_id, "FAILED", NOW - timedelta(minutes=2))
    workflow.spent.add("t0")  # a dead execution's token leads nowhere
    report = reconcile(ports, NOW)
    assert report.restarted == 1 and report.checked == 1
    name, signal = workflow.started[-1]
    assert name == f"{case_id}-1" and signal["step"] == "acceptance" and signal["version"] == 2
    restarted = cases.get(case_id)
    assert restarted is not None and restarted.generation == 1
    assert cases.timeline(case_id)[-1].type == "workflow_restarted"
    # the restart is a hand-off: its stream record finds the new execution started on it
    assert cases.stream[-1] == (case_id, 2) and hand_over(case_id, 2, ports, NOW) == "arrived"
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
    workflow.spent.add("t0")
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
    # the old token leads nowhere; the reopening's stream record starts a new generation
    assert hand_over(case_id, reopened.version, ports, NOW) == "restarted"
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
    started = len(workflow.started)
    report = reconcile(ports, NOW)
    assert report.restarted == 0 and len(workflow.started) == started
    assert hand_over(closed, 2, ports, NOW) == "ended"  # nor does its rejection's hand-off start anything


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
