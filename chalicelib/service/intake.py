"""Intake (登记): a submission becomes one case, or two linked cases when it holds both a complaint and a report."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import (
    Actor,
    Case,
    Channel,
    Event,
    Evidence,
    Kind,
    Party,
    Product,
    Respondent,
    Status,
    redacted_texts,
)
from chalicelib.domain.codes import hash_access_code, new_access_code, new_case_id, new_tracking_code
from chalicelib.domain.deadlines import CHINA, local_day, start_clock
from chalicelib.domain.evidence import MAX_FILES
from chalicelib.domain.messages import DEFAULT_LANGUAGE
from chalicelib.domain.notices import received
from chalicelib.domain.policy import Policy
from chalicelib.domain.schedules import FIRST_YEAR
from chalicelib.errors import InvalidInput
from chalicelib.service import evidence
from chalicelib.service.ports import Inbound, TrackingCodeTaken, UploadTaken
from chalicelib.service.workflow import Services, start

log = logging.getLogger(__name__)

#: A clerk's clock may run a little ahead of ours; beyond this a receipt time is in the future.
CLOCK_SKEW = timedelta(minutes=5)
_DRAWS = 3


@dataclass(frozen=True)
class Submission:
    """A submission whose shape is already checked; intake applies the rules that need the whole of it."""

    kind: Kind
    channel: Channel
    facts: str
    complainant: Party | None
    anonymous: bool = False
    respondent: Respondent | None = None
    request: str | None = None
    suspected_violation: str | None = None
    category: str | None = None
    occurred_at: str | None = None
    place: str | None = None
    product: Product | None = None
    amount: Decimal | None = None
    evidence: tuple[str, ...] = ()  # upload ids (`POST /v1/uploads`)
    kept: tuple[Evidence, ...] = ()  # files already checked and kept (an e-mail's attachments)
    received_at: datetime | None = None
    clerk: Actor | None = None
    language: str = DEFAULT_LANGUAGE  # of the notices
    notify_by: str | None = None  # "sms", "email" or "none"; by default the channel it came by, else SMS
    incomplete: tuple[str, ...] = ()  # what an SMS or e-mail could not say: a clerk completes it
    inbound: Inbound | None = None  # the message it came in: registered once however often delivered


@dataclass(frozen=True)
class Receipt:
    """What the submitter is told: the registered cases (the first is the one submitted) and the access code."""

    cases: list[Case]
    access_code: str


def _dates(submission: Submission, now: datetime, max_backdate: timedelta) -> dict[str, str]:
    """Times a person gives must be possible: not in the future, receipt not before what the calendar knows."""
    problems: dict[str, str] = {}
    received = submission.received_at
    if received is not None and received > now + CLOCK_SKEW:
        problems["received_at"] = "the time of receipt cannot be in the future"
    elif received is not None and (received < now - max_backdate or received.astimezone(CHINA).year < FIRST_YEAR):
        problems["received_at"] = f"the time of receipt can be at most {max_backdate.days} days ago"
    if submission.occurred_at and submission.occurred_at[:10] > local_day(now + CLOCK_SKEW).isoformat():
        problems["occurred_at"] = "cannot be in the future"
    product = submission.product
    if product and product.purchase_date and product.purchase_date > local_day(now + CLOCK_SKEW):
        problems["product.purchase_date"] = "cannot be in the future"
    return problems


def _parties(submission: Submission) -> dict[str, str]:
    problems: dict[str, str] = {}
    if submission.anonymous and submission.kind is not Kind.REPORT:
        problems["complainant.anonymous"] = "only a report may be anonymous"
    if not submission.anonymous and submission.complainant is None:
        problems["complainant"] = "name and phone are required unless the report is anonymous"
    if submission.notify_by == "email" and not (submission.complainant and submission.complainant.email):
        problems["notify_by"] = "notices by e-mail need the complainant's e-mail address"
    if submission.clerk is not None and submission.channel is Channel.WEB:
        problems["channel"] = "staff intake records a phone, letter, walk-in or other non-web channel"
    return problems


def check(submission: Submission, now: datetime, max_backdate: timedelta) -> None:
    problems = _dates(submission, now, max_backdate) | _parties(submission)
    if submission.kind in (Kind.COMPLAINT, Kind.REPORT) and submission.respondent is None:
        problems["respondent"] = f"a {submission.kind.value} needs the business it is about"
    if submission.kind is Kind.COMPLAINT and not submission.request:
        problems["request"] = "a complaint needs a specific request (refund, exchange, compensation …)"
    if submission.channel in (Channel.SMS, Channel.EMAIL) and submission.clerk is None:
        for missing in submission.incomplete:  # a clerk completes it; the acceptance clock runs meanwhile
            problems.pop(missing, None)
    if submission.suspected_violation and submission.kind not in (Kind.COMPLAINT, Kind.REPORT):
        problems["suspected_violation"] = "only a complaint or a report can report a violation"
    if len(submission.evidence) > MAX_FILES:
        problems["evidence"] = f"at most {MAX_FILES} files"
    if problems:
        raise InvalidInput("the submission is incomplete or inconsistent", fields=problems)


def contact_of(submission: Submission) -> str | None:
    """How the complainant hears of milestones: as asked, else by the channel they wrote in by, else by SMS
    to the phone given; an anonymous reporter is never contacted."""
    person = submission.complainant
    if submission.anonymous or person is None or submission.notify_by == "none":
        return None
    if submission.notify_by:
        return submission.notify_by
    if submission.channel is Channel.EMAIL and person.email:
        return "email"
    return "sms" if person.phone else ("email" if person.email else None)


def register(submission: Submission, *, now: datetime, services: Services) -> Receipt:
    """Register a submission, computing every clock that starts at receipt, in one transaction,
    then start each case's execution. The evidence it links is checked and kept first: a refused file
    refuses the submission before anything of the case is written. The uploads are linked in the same
    transaction; should it fail on an outage (it may have committed) the kept copies stay."""
    check(submission, now, services.max_backdate)
    files = services.evidence
    if submission.evidence and files is None:
        raise RuntimeError("evidence needs the evidence services")
    accepted = (
        evidence.accept(submission.evidence, anonymous=submission.anonymous, now=now, evidence=files)
        if files
        else evidence.NOTHING
    )
    if submission.kept:
        accepted = replace(accepted, evidence=accepted.evidence + submission.kept)
    try:
        receipt = _register(submission, accepted, now, services)
    except UploadTaken as taken:  # nothing was written: the kept copies go, the case is refused whole
        if files:
            evidence.discard(accepted, files)
        where = f"evidence.{submission.evidence.index(taken.upload_id)}"
        raise InvalidInput(
            f"upload {taken.upload_id} was linked to another case meanwhile",
            code="upload_used",
            fields={where: "already linked"},
        ) from None
    if files:
        evidence.linked(accepted, files)
    return receipt


def _register(submission: Submission, accepted: evidence.Accepted, now: datetime, services: Services) -> Receipt:
    access_code = new_access_code()
    calendar = services.calendar.calendar()
    uploads = [upload.id for upload in accepted.uploads]
    for attempt in range(_DRAWS):
        cases = _cases_for(submission, accepted.evidence, now, calendar, services.policy)
        for case in cases:
            case.access_code_hash = hash_access_code(access_code, case.tracking_code, services.secret)
        try:
            events = [(case, _first_events(case, cases, submission, now)) for case in cases]
            notices = [received(case, access_code) for case in cases if case.contact]
            services.cases.add(events, now=now, uploads=uploads, notices=notices, inbound=submission.inbound)
        except TrackingCodeTaken:
            log.warning("tracking_code_collision", extra={"attempt": attempt + 1})
            continue
        for case in cases:
            start(case, services, now)
        return Receipt(cases, access_code)
    raise RuntimeError("could not draw a free tracking code")


def _cases_for(
    submission: Submission, kept: tuple[Evidence, ...], now: datetime, calendar: WorkingCalendar, policy: Policy
) -> list[Case]:
    received_at = (submission.received_at or now).astimezone(CHINA)
    kinds = [submission.kind]
    if submission.kind is Kind.COMPLAINT and submission.suspected_violation:
        kinds.append(Kind.REPORT)  # SAMR art. 7: each part is handled by its own procedure
    ids = [new_case_id(now) for _ in kinds]
    cases = []
    for kind, case_id in zip(kinds, ids, strict=True):
        cases.append(
            Case(
                id=case_id,
                tracking_code=new_tracking_code(),
                access_code_hash="",  # keyed per tracking code, below
                kind=kind,
                channel=submission.channel,
                status=Status.RECEIVED,
                received_at=received_at,
                policy=policy.name,
                facts=submission.facts,
                complainant=None if submission.anonymous else submission.complainant,
                anonymous=submission.anonymous,
                respondent=submission.respondent,
                request=submission.request if kind is Kind.COMPLAINT else None,
                suspected_violation=submission.suspected_violation,
                category=submission.category,
                occurred_at=submission.occurred_at,
                place=submission.place,
                product=submission.product,
                amount=submission.amount,
                evidence=kept,  # a split submission's two cases share its files
                first_responder=submission.clerk,
                language=submission.language,
                contact=contact_of(submission),
                incomplete=tuple(m for m in submission.incomplete if kind is Kind.COMPLAINT or m != "request"),
                linked_case_ids=tuple(i for i in ids if i != case_id),
                redacted=redacted_texts(submission, submission.complainant),
                deadlines={
                    rule.name: start_clock(rule, received_at, calendar)
                    for rule in policy.clocks_starting(kind, "received", submission.category)
                    if not (rule.real_name_only and submission.anonymous)
                },
            )
        )
    return cases


def _first_events(case: Case, cases: list[Case], submission: Submission, now: datetime) -> list[Event]:
    actor = submission.clerk or Actor("public")
    data: dict[str, object] = {"channel": case.channel.value, "kind": case.kind.value}
    linked = [c for c in cases if c.id != case.id]
    if linked:
        data["linked_tracking_code"] = linked[0].tracking_code
        data["note"] = "submission split into a complaint and a report (SAMR art. 7)"
    if submission.clerk is not None:
        data["recorded_at"] = now.isoformat()
    return [Event("received", case.received_at, actor, data)]
