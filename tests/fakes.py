"""In-memory twins of the ports, for service tests that need no AWS (as the model codebases do).

They keep the ports' promises that matter to the services: versions are checked, events are
appended once, a write marked as a hand-off is carried by the stream. Every call is logged, so a test
can compare the work two paths do.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.calendar import YearSchedule
from chalicelib.domain.case import Case, Channel, Event, Kind, Party, Respondent
from chalicelib.domain.lifecycle.steps import next_due, step_of
from chalicelib.domain.lifecycle.summary import summarize
from chalicelib.domain.notices import Notice
from chalicelib.domain.policy import load_policy
from chalicelib.errors import VersionConflict
from chalicelib.service.calendar import CalendarService
from chalicelib.service.evidence import EvidenceServices
from chalicelib.service.intake import Receipt, Submission, register
from chalicelib.service.ports import (
    AlreadyHandled,
    AttemptBudget,
    AuditEntry,
    CalendarStore,
    CaseRepository,
    Claim,
    Ended,
    EvidenceStore,
    Inbound,
    Page,
    PresignedPost,
    QueueFilter,
    Run,
    Spent,
    StoredObject,
    Task,
    TrackingCodeTaken,
    Upload,
    Uploads,
    UploadTaken,
    Workflow,
)
from chalicelib.service.workflow import Services


@dataclass
class FakeCases(CaseRepository):
    cases: dict[str, Case] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    outbox: list[Notice] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)
    stream: list[tuple[str, int]] = field(default_factory=list)  # the writes marked as hand-offs: case id, version
    audit: dict[str, list[AuditEntry]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    linked: dict[str, str] = field(default_factory=dict)  # upload id -> the case that linked it
    handled: set[str] = field(default_factory=set)  # inbound messages marked

    def _mark(self, inbound: Inbound | None) -> None:
        if inbound is not None:
            if inbound.key in self.handled:
                raise AlreadyHandled(inbound.key)
            self.handled.add(inbound.key)

    def add(
        self,
        cases: Sequence[tuple[Case, Sequence[Event]]],
        *,
        now: datetime,
        uploads: Sequence[str] = (),
        notices: Sequence[Notice] = (),
        inbound: Inbound | None = None,
    ) -> None:
        self.calls.append("add")
        if inbound is not None and inbound.key in self.handled:
            raise AlreadyHandled(inbound.key)
        if any(case.tracking_code in self.claims for case, _ in cases):
            raise TrackingCodeTaken()
        for upload_id in uploads:
            if upload_id in self.linked:
                raise UploadTaken(upload_id)
        self.linked |= dict.fromkeys(uploads, cases[0][0].id)
        self._mark(inbound)
        self.outbox += notices
        for case, events in cases:
            case.version = 1
            self.cases[case.id] = copy.deepcopy(case)
            self.claims[case.tracking_code] = Claim(case.id, case.access_code_hash)
            self.events[case.id] = list(events)
            self.stream.append((case.id, case.version))

    def get(self, case_id: str) -> Case | None:
        self.calls.append("get")
        found = self.cases.get(case_id)
        return copy.deepcopy(found) if found else None

    def claim(self, tracking_code: str) -> Claim | None:
        self.calls.append("claim")
        return self.claims.get(tracking_code)

    def timeline(self, case_id: str) -> list[Event]:
        self.calls.append("timeline")
        return list(self.events.get(case_id, []))

    def save(
        self,
        case: Case,
        events: Sequence[Event],
        notices: Sequence[Notice] = (),
        *,
        signal_due: datetime | None = None,
        inbound: Inbound | None = None,
    ) -> None:
        self.calls.append("save")
        if self.cases[case.id].version != case.version:
            raise VersionConflict("changed meanwhile")
        self._mark(inbound)
        case.version += 1
        self.cases[case.id] = copy.deepcopy(case)
        self.events[case.id] += events
        self.outbox += notices
        if signal_due is not None:
            self.stream.append((case.id, case.version))

    def rekey(self, case: Case, events: Sequence[Event], notice: Notice) -> None:
        self.save(case, events, [notice])
        self.claims[case.tracking_code] = Claim(case.id, case.access_code_hash)

    def task(self, case_id: str) -> Task | None:
        self.calls.append("task")
        return self.tasks.get(case_id)

    def record_read(self, case_id: str, entry: AuditEntry) -> None:
        self.audit.setdefault(case_id, []).append(entry)

    def audit_trail(
        self, case_id: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[AuditEntry], dict[str, Any] | None]:
        return list(self.audit.get(case_id, []))[:limit], None

    def queue(self, wanted: QueueFilter, now: datetime, limit: int, cursor: dict[str, Any] | None) -> Page:
        open_ = sorted(self.open_cases(), key=lambda c: next_due(c) or datetime.max.replace(tzinfo=now.tzinfo))
        return Page([summarize(c, c.version) for c in open_[:limit]], None)

    def open_cases(self) -> list[Case]:
        return [copy.deepcopy(c) for c in self.cases.values() if step_of(c) != "done"]

    def wait_in(self, case_id: str, token: str, version: int) -> None:
        """What the state machine does when it enters a wait: leave its token and the version of the case its
        input was computed from on the TASK item (`local/asl.py`)."""
        self.tasks[case_id] = Task(case_id, token, version)


@dataclass
class FakeWorkflow(Workflow):
    started: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    resumed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)  # of the case each execution was started with
    stopped: dict[str, datetime] = field(default_factory=dict)  # when each execution ended
    spent: set[str] = field(default_factory=set)  # tokens a resume has used: a second use fails

    def start(self, name: str, signal: dict[str, Any]) -> None:
        self.started.append((name, signal))
        self.statuses.setdefault(name, "RUNNING")
        self.versions.setdefault(name, signal["version"])

    def resume(self, token: str, signal: dict[str, Any]) -> bool:
        if token in self.spent:
            return False
        self.spent.add(token)
        self.resumed.append((token, signal))
        return True

    def run(self, name: str) -> Run | None:
        return Run(self.statuses[name], self.versions[name]) if name in self.statuses else None

    def end(self, name: str, status: str, at: datetime) -> None:
        self.statuses[name], self.stopped[name] = status, at

    def ended(self, statuses: frozenset[str], since: datetime) -> list[Ended]:
        runs = [Ended(name, self.statuses[name], at) for name, at in self.stopped.items() if at >= since]
        return sorted((run for run in runs if run.status in statuses), key=lambda run: run.at, reverse=True)


@dataclass
class FakeBudget(AttemptBudget):
    limit: int
    spent: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def spend(self, key: str, now: datetime) -> Spent:
        self.calls.append("spend")
        if self.spent.get(key, 0) >= self.limit:
            return Spent(60)
        self.spent[key] = self.spent.get(key, 0) + 1
        return Spent(0, self.spent[key])

    def refund(self, key: str) -> None:
        self.calls.append("refund")
        self.spent[key] -= 1

    def reset(self, key: str) -> None:
        self.calls.append("reset")
        self.spent.pop(key, None)


@dataclass
class FakeUploads(Uploads):
    uploads: dict[str, Upload] = field(default_factory=dict)

    def add(self, upload: Upload) -> None:
        self.uploads[upload.id] = upload

    def get(self, upload_id: str) -> Upload | None:
        return self.uploads.get(upload_id)


@dataclass
class FakeEvidenceStore(EvidenceStore):
    """A bucket in a dict: an object's ETag is its digest."""

    objects: dict[str, bytes] = field(default_factory=dict)

    def presign_post(self, key: str, content_type: str, max_size: int, expires_in: int) -> PresignedPost:
        return PresignedPost("https://bucket.example/", {"key": key, "Content-Type": content_type})

    def head(self, key: str) -> StoredObject | None:
        data = self.objects.get(key)
        return None if data is None else StoredObject(len(data), hashlib.md5(data).hexdigest())

    def read(self, key: str, etag: str) -> bytes | None:
        stored = self.head(key)
        return self.objects[key] if stored and stored.etag == etag else None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = data

    def copy(self, source: str, etag: str, key: str, content_type: str) -> bool:
        data = self.read(source, etag)
        if data is not None:
            self.objects[key] = data
        return data is not None

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def presign_get(self, key: str, filename: str, content_type: str, expires_in: int) -> str:
        return f"https://bucket.example/{key}?signed"


def evidence_services(store: FakeEvidenceStore | None = None, uploads: FakeUploads | None = None) -> EvidenceServices:
    return EvidenceServices(
        uploads=uploads or FakeUploads(),
        store=store or FakeEvidenceStore(),
        budget=FakeBudget(100),
        upload_seconds=900,
        keep=timedelta(days=1),
        download_seconds=60,
    )


class NoStoredCalendar(CalendarStore):
    def get(self, year: int) -> YearSchedule | None:
        return None

    def put(self, schedule: YearSchedule, *, updated_by: str, updated_at: datetime) -> None:
        raise NotImplementedError


def services(
    cases: FakeCases | None = None, workflow: FakeWorkflow | None = None, evidence: EvidenceServices | None = None
) -> Services:
    return Services(
        cases=cases or FakeCases(),
        workflow=workflow or FakeWorkflow(),
        policy=load_policy("samr"),
        calendar=CalendarService(NoStoredCalendar(), 60),
        reminder=timedelta(days=1),
        task_retry=timedelta(seconds=60),
        secret=b"test-secret-of-the-fake-services!",
        max_backdate=timedelta(days=90),
        evidence=evidence,
    )


ZHANG = Party("张三", "+8613800138000", "zhang.san@example.com", "上海市黄浦区中山东一路1号")


def file_complaint(services: Services, now: datetime, **changes: Any) -> Receipt:
    """A case factory: a complete web complaint, registered through intake as the API would."""
    fields: dict[str, Any] = {
        "kind": Kind.COMPLAINT,
        "channel": Channel.WEB,
        "facts": "2026年11月1日在该超市购买的牛奶已过保质期。",
        "complainant": ZHANG,
        "respondent": Respondent("某某超市有限公司"),
        "request": "退货并赔偿",
    }
    return register(Submission(**(fields | changes)), now=now, services=services)
