"""Shaping cases into response bodies: what each audience may see."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.api import schemas
from chalicelib.domain.calendar import WorkingCalendar, YearSchedule
from chalicelib.domain.case import FREE_TEXT, Actor, Case, Event, Evidence, identity
from chalicelib.domain.codec import from_plain, to_plain
from chalicelib.domain.deadlines import Deadline
from chalicelib.domain.lifecycle.clocks import extension_left
from chalicelib.domain.lifecycle.steps import step_of
from chalicelib.domain.lifecycle.summary import CaseSummary
from chalicelib.domain.policy import Policy
from chalicelib.domain.redaction import redact
from chalicelib.service.desk import CaseRecord
from chalicelib.service.evidence import Allowed, Download
from chalicelib.service.intake import Receipt, Submission
from chalicelib.service.ports import AuditEntry


def deadline(d: Deadline, now: datetime, calendar: WorkingCalendar) -> schemas.DeadlineOut:
    return schemas.DeadlineOut(
        due_at=d.due_at,
        due_date=d.due_date,
        basis=d.basis,
        length=d.length,
        estimated=d.estimated,
        paused=d.paused,
        overdue=d.overdue(now),
        running=d.running,
        days_left=d.days_left(now, calendar),
    )


def _case_receipt(case: Case, now: datetime, calendar: WorkingCalendar) -> schemas.CaseReceiptOut:
    return schemas.CaseReceiptOut(
        id=case.id,
        tracking_code=case.tracking_code,
        kind=case.kind,
        status=case.status,
        received_at=case.received_at,
        deadlines={name: deadline(d, now, calendar) for name, d in case.deadlines.items()},
    )


def receipt(result: Receipt, now: datetime, calendar: WorkingCalendar) -> schemas.ReceiptOut:
    first, *linked = result.cases
    return schemas.ReceiptOut(
        **_case_receipt(first, now, calendar).model_dump(),
        access_code=result.access_code,
        linked=[_case_receipt(c, now, calendar) for c in linked],
    )


def public_timeline_entry(event: Event) -> schemas.TimelineEntryOut:
    return schemas.TimelineEntryOut(at=event.at, type=event.type, **event.public_data())


def public_case(
    case: Case, timeline: list[Event], linked_codes: list[str], now: datetime, calendar: WorkingCalendar
) -> schemas.PublicCaseOut:
    """The complainant's view: no phone, no staff names, no internal notes or events."""
    return schemas.PublicCaseOut(
        tracking_code=case.tracking_code,
        kind=case.kind,
        status=case.status,
        channel=case.channel,
        received_at=case.received_at,
        respondent=case.respondent.name if case.respondent else None,
        deadlines={name: deadline(d, now, calendar) for name, d in case.deadlines.items()},
        timeline=[public_timeline_entry(e) for e in timeline if e.public],
        response=schemas.ResponseOut(
            at=datetime.fromisoformat(case.response["at"]),
            message=case.response["message"],
            outcome=case.response["outcome"],
        )
        if case.response
        else None,
        linked_tracking_codes=linked_codes,
    )


def calendar_year(schedule: YearSchedule) -> schemas.CalendarYearOut:
    return schemas.CalendarYearOut(
        year=schedule.year,
        official=schedule.official,
        holidays=sorted(schedule.holidays),
        adjusted_workdays=sorted(schedule.adjusted_workdays),
        source=schedule.source,
    )


def submission(body: schemas.SubmissionIn, clerk: Actor | None = None) -> Submission:
    """The validated body as the service's input, field for field. An anonymous reporter's identity is
    dropped here: it never reaches the service."""
    plain = body.model_dump(mode="json", exclude_none=True)
    anonymous = body.complainant.anonymous
    plain |= {"anonymous": anonymous, "complainant": None if anonymous else plain["complainant"]}
    found: Submission = from_plain(Submission, plain)
    return replace(found, clerk=clerk, received_at=getattr(body, "received_at", None))


def _staff_ref(actor: Actor | None) -> schemas.StaffRef | None:
    return schemas.StaffRef(id=actor.id, name=actor.name) if actor else None


def staff_deadline(d: Deadline, now: datetime, calendar: WorkingCalendar, left: int | None) -> schemas.StaffDeadlineOut:
    return schemas.StaffDeadlineOut(
        **deadline(d, now, calendar).model_dump(),
        started_at=d.started_at,
        extended=d.extended,
        extension_left=left,
        paused_seconds=d.paused_seconds,
        stopped_at=d.stopped_at,
        escalated_at=d.escalated_at,
    )


def _staff_event(event: Event, case: Case, visible: bool) -> schemas.StaffTimelineEntryOut:
    """What the complainant wrote later (a comment, a reason) is free text too: redacted unless visible."""
    data = event.data
    if not visible and event.actor.kind == "public":
        who = identity(case.complainant)
        data = {k: redact(v, who) if isinstance(v, str) else v for k, v in data.items()}
    return schemas.StaffTimelineEntryOut(
        at=event.at, type=event.type, actor=_staff_ref(event.actor), public=event.public, **data
    )


def staff_case(record: CaseRecord, now: datetime, calendar: WorkingCalendar, policy: Policy) -> schemas.StaffCaseOut:
    """The whole case for staff: every field of the case the response declares, by name, with the
    complainant's identity, and the free text as written, only where `record.identity_visible`;
    everyone else reads the copy redacted at intake. Fields the response does not declare (the
    access-code hash, the redacted copies) are never sent."""
    case, visible = record.case, record.identity_visible
    left = extension_left(case, policy)
    plain = to_plain(case)
    if not visible:
        plain |= {name: case.redacted.get(name) for name in FREE_TEXT if name in plain}
    plain |= {
        "version": case.version,
        "step": step_of(case),
        "complainant": plain.get("complainant") if visible else None,
        "identity_withheld": case.complainant is not None and not visible,
        "text_redacted": not visible,
        "handler": {"id": case.handler_id, "name": case.handler_name} if case.handler_id else None,
        "first_responder": _staff_ref(case.first_responder),
        "deadlines": {name: staff_deadline(d, now, calendar, left[name]) for name, d in case.deadlines.items()},
        "timeline": [_staff_event(e, case, visible) for e in record.timeline],
        "evidence": [_evidence(n, item, case, visible) for n, item in enumerate(case.evidence, start=1)],
        "actions": list(record.actions),
    }
    fields = schemas.StaffCaseOut.model_fields
    return schemas.StaffCaseOut(
        **{name: plain.get(name) for name in fields if name in plain or fields[name].is_required()}
    )


def _evidence(n: int, item: Evidence, case: Case, visible: bool) -> schemas.EvidenceOut:
    """A file's name may name the complainant ("张三的发票.jpg"): redacted unless identity is visible."""
    return schemas.EvidenceOut(
        n=n,
        filename=item.filename if visible else redact(item.filename, identity(case.complainant)),
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
        metadata_removed=item.metadata_removed,
    )


def evidence_download(got: Download) -> schemas.EvidenceDownloadOut:
    item = got.evidence
    return schemas.EvidenceDownloadOut(
        url=got.url,
        expires_at=got.expires_at,
        filename=got.filename,
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
    )


def upload(allowed: Allowed) -> schemas.UploadOut:
    return schemas.UploadOut(
        upload_id=allowed.upload.id, url=allowed.post.url, fields=allowed.post.fields, expires_at=allowed.expires_at
    )


def summary(case: CaseSummary, now: datetime) -> schemas.CaseSummaryOut:
    return schemas.CaseSummaryOut(**to_plain(case), overdue=case.overdue(now))


def audit_entry(entry: AuditEntry) -> schemas.AuditOut:
    staff = schemas.StaffRef(id=entry.staff_id, name=entry.staff_name)
    return schemas.AuditOut(at=entry.at, staff=staff, roles=sorted(entry.roles), what=entry.what)
