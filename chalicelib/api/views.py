"""Shaping cases into response bodies: what each audience may see."""

from __future__ import annotations

from datetime import date, datetime

from chalicelib.api import schemas
from chalicelib.domain.calendar import YearSchedule
from chalicelib.domain.case import Actor, Case, Event, Party, Product, Respondent
from chalicelib.domain.deadlines import Deadline
from chalicelib.service.intake import Receipt, Submission


def deadline(d: Deadline, now: datetime) -> schemas.DeadlineOut:
    return schemas.DeadlineOut(
        due_at=d.due_at,
        due_date=d.due_date,
        basis=d.basis,
        length=d.length,
        estimated=d.estimated,
        paused=d.paused,
        overdue=d.overdue(now),
    )


def _case_receipt(case: Case, now: datetime) -> schemas.CaseReceiptOut:
    return schemas.CaseReceiptOut(
        id=case.id,
        tracking_code=case.tracking_code,
        kind=case.kind,
        status=case.status,
        received_at=case.received_at,
        deadlines={name: deadline(d, now) for name, d in case.deadlines.items()},
    )


def receipt(result: Receipt, now: datetime) -> schemas.ReceiptOut:
    first, *linked = result.cases
    return schemas.ReceiptOut(
        **_case_receipt(first, now).model_dump(),
        access_code=result.access_code,
        linked=[_case_receipt(c, now) for c in linked],
    )


def public_timeline_entry(event: Event) -> schemas.TimelineEntryOut:
    return schemas.TimelineEntryOut(at=event.at, type=event.type, **event.public_data())


def public_case(case: Case, timeline: list[Event], linked_codes: list[str], now: datetime) -> schemas.PublicCaseOut:
    """The complainant's view: no phone, no staff names, no internal notes or events."""
    return schemas.PublicCaseOut(
        tracking_code=case.tracking_code,
        kind=case.kind,
        status=case.status,
        channel=case.channel,
        received_at=case.received_at,
        respondent=case.respondent.name if case.respondent else None,
        deadlines={name: deadline(d, now) for name, d in case.deadlines.items()},
        timeline=[public_timeline_entry(e) for e in timeline if e.public],
        response=None,
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
    """The validated body as the service's input. An anonymous reporter's identity is dropped here."""
    person = body.complainant
    occurred: date | datetime | None = body.occurred_at
    received_at = body.received_at if isinstance(body, schemas.StaffIntakeIn) else None
    return Submission(
        kind=body.kind,
        channel=body.channel,
        facts=body.facts,
        complainant=None
        if person.anonymous or person.name is None or person.phone is None
        else Party(person.name, person.phone, person.email, person.address),
        anonymous=person.anonymous,
        respondent=Respondent(**body.respondent.model_dump()) if body.respondent else None,
        request=body.request,
        suspected_violation=body.suspected_violation,
        category=body.category,
        occurred_at=occurred.isoformat() if occurred else None,
        place=body.place,
        product=Product(**body.product.model_dump()) if body.product else None,
        amount=body.amount,
        evidence=tuple(body.evidence),
        received_at=received_at,
        clerk=clerk,
    )
