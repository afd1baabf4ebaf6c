"""What people send the centre by SMS and e-mail (API.md, "Channels"): each message is handled once
however often it is delivered (its mark is written with what it caused), and answered through the
outbox, never directly, so an answer is neither lost nor sent twice.

SMS commands are `messages.commands`. A complaint or report by SMS or e-mail lacks what a form asks
(the business, the request): it is registered all the same, flagged for a clerk to complete, and the
acceptance clock runs. Status is told only to the number that filed the case; any other number gets
the answer an unknown code gets. Mail sent automatically (auto-replies, bounces, lists) is recorded and
never answered, so two robots cannot answer each other forever.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.case import PUBLIC, Channel, Kind, Party, Status
from chalicelib.domain.deadlines import local_day
from chalicelib.domain.lifecycle.actions import feedback
from chalicelib.domain.lifecycle.commands import Feedback
from chalicelib.domain.lifecycle.steps import next_due, step_of
from chalicelib.domain.mail import InboundMail, reply_headers
from chalicelib.domain.mail import parse as parse_mail
from chalicelib.domain.messages.commands import File, Help, OptIn, OptOut, Survey, parse
from chalicelib.domain.messages.commands import Status as StatusCommand
from chalicelib.domain.notices import Notice, milestone, reply
from chalicelib.errors import InvalidInput, InvalidState, VersionConflict
from chalicelib.service import evidence, intake
from chalicelib.service.ports import AlreadyHandled, AttemptBudget, Contacts, Inbound, MailStore
from chalicelib.service.workflow import Services, commit

log = logging.getLogger(__name__)
#: What a message cannot say that a clerk completes, per kind.
MISSING = {Kind.COMPLAINT: ("respondent", "request"), Kind.REPORT: ("respondent",)}
#: Facts are at most this long (the form's limit).
_FACTS = 5000
#: Defects after which what the parser found is not the mail that was written (parts without their bounds).
_UNREADABLE = frozenset(
    {"NoBoundaryInMultipartDefect", "StartBoundaryNotFoundDefect", "MultipartInvariantViolationDefect"}
)
#: What is read of a mail too large to register: its headers, to answer it.
_HEADERS = 64 * 1024
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Sms:
    id: str  # inboundMessageId
    sender: str  # originationNumber, E.164
    body: str


@dataclass(frozen=True)
class Inbox:
    services: Services
    contacts: Contacts
    status_budget: AttemptBudget  # status looks per number per window
    mail_domain: str  # of the centre's address (answers' Message-IDs)


def _language(text: str) -> str:
    return "zh-CN" if _CJK.search(text) or not text.strip()[:1].isalpha() else "en"


def receive_sms(sms: Sms, *, now: datetime, inbox: Inbox) -> str:
    """Handle one inbound SMS: "filed", "answered", "surveyed" or "repeat" (delivered before)."""
    inbound = Inbound(f"sms#{sms.id}", now)
    command, language = parse(sms.body), _language(sms.body)
    try:
        if isinstance(command, File):
            return _file_sms(sms, command, inbound, now, inbox)
        if isinstance(command, Survey):
            return _survey(sms, command, inbound, now, inbox)
        if isinstance(command, (OptOut, OptIn)):
            out = isinstance(command, OptOut)
            answer = reply(sms.sender, "sms", language, "opted_out" if out else "opted_in")
            inbox.contacts.opt(sms.sender, out, inbound, answer)
            return "answered"
        if isinstance(command, StatusCommand):
            inbox.contacts.answer(inbound, _status(sms.sender, command.tracking_code, language, now, inbox))
            return "answered"
        assert isinstance(command, Help)
        inbox.contacts.answer(inbound, reply(sms.sender, "sms", language, "help"))
        return "answered"
    except AlreadyHandled:
        log.info("inbound_repeat", extra={"inbound": inbound.key})
        return "repeat"


def _file_sms(sms: Sms, command: File, inbound: Inbound, now: datetime, inbox: Inbox) -> str:
    submission = intake.Submission(
        kind=command.kind,
        channel=Channel.SMS,
        facts=command.text[:_FACTS],
        complainant=Party(name="", phone=sms.sender),
        language=_language(sms.body),
        incomplete=MISSING.get(command.kind, ()),
        inbound=inbound,
    )
    intake.register(submission, now=now, services=inbox.services)
    return "filed"


def _status(sender: str, code: str | None, language: str, now: datetime, inbox: Inbox) -> Notice:
    """The case's status for the number that filed it; anyone else learns nothing, not even that it exists."""
    unknown = reply(sender, "sms", language, "unknown_code")
    if code is None or inbox.status_budget.spend(f"sms:{sender}", now).wait:
        return unknown
    claim = inbox.services.cases.claim(code)
    case = inbox.services.cases.get(claim.case_id) if claim else None
    if case is None or case.complainant is None or case.complainant.phone != sender:
        return unknown
    due = next_due(case) if step_of(case) != "done" else None
    facts: dict[str, Any] = {"tracking_code": case.tracking_code, "kind": case.kind.value, "status": case.status.value}
    if due is None:
        return reply(sender, "sms", case.language, "status_final", **facts)
    return reply(sender, "sms", case.language, "status", **facts, due_date=local_day(due).isoformat())


def _survey(sms: Sms, command: Survey, inbound: Inbound, now: datetime, inbox: Inbox) -> str:
    """A `1` or `2` answers the survey of the case last put to this number, if it still waits for one."""
    services = inbox.services
    case_id = inbox.contacts.survey_case(sms.sender)
    for _ in range(3):
        case = services.cases.get(case_id) if case_id else None
        person = case.complainant if case else None
        if case is None or person is None or person.phone != sms.sender or case.status is not Status.RESPONDED:
            language = case.language if case else _language(command.reason or "")
            inbox.contacts.answer(inbound, reply(sms.sender, "sms", language, "no_survey"))
            return "answered"
        before = step_of(case)
        comment = command.reason[:1000] or None
        try:
            events = feedback(case, services.ctx(now, PUBLIC), Feedback(satisfied=command.satisfied, comment=comment))
        except InvalidState:
            continue
        thanks = [] if command.satisfied else [milestone(case, "survey_thanks")]  # satisfied: "closed" says it
        try:
            commit(case, events, before, services, now, inbound=inbound, notices=thanks)
        except VersionConflict:
            continue
        return "surveyed"
    raise VersionConflict("the case kept changing; the message is delivered again")


def receive_mail(key: str, size: int, *, store: MailStore, max_bytes: int, now: datetime, inbox: Inbox) -> str:
    """Handle one inbound e-mail: "filed", "answered" (refused, with the reason), "ignored" (automatic,
    never answered) or "repeat"."""
    inbound = Inbound(f"email#{key}", now)
    raw = store.read(key, _HEADERS if size > max_bytes else max_bytes)  # too large: enough to answer it
    if raw is None:
        log.warning("mail_gone", extra={"key": key})
        return "ignored"
    mail = parse_mail(raw)
    try:
        if mail.automatic or mail.spam_or_virus or not mail.sender:
            inbox.contacts.record(inbound, "automatic" if mail.sender else "no_sender")
            return "ignored"
        problem = _mail_problem(mail, size, max_bytes)
        if problem:
            language = _language(mail.subject + mail.text)
            headers = reply_headers(mail, inbox.mail_domain)
            answer = reply(mail.sender, "email", language, "mail_refused", headers=headers, problem=problem)
            inbox.contacts.answer(inbound, answer)
            return "answered"
        return _file_mail(mail, inbound, now, inbox)
    except AlreadyHandled:
        return "repeat"


def _mail_problem(mail: InboundMail, size: int, max_bytes: int) -> str | None:
    if size > max_bytes:
        return "too_large"
    if (not mail.text and not mail.attachments) or _UNREADABLE & set(mail.defects):
        return "unreadable"
    if not mail.text:
        return "no_text"
    return None


def _file_mail(mail: InboundMail, inbound: Inbound, now: datetime, inbox: Inbox) -> str:
    command = parse(mail.subject)
    kind = command.kind if isinstance(command, File) else Kind.COMPLAINT
    facts = "\n\n".join(part for part in (mail.subject, mail.text) if part)[:_FACTS]
    files = inbox.services.evidence
    kept = []
    for attachment in mail.attachments[:10]:
        item = evidence.keep_file(attachment.filename, attachment.data, now=now, evidence=files) if files else None
        if item is None:
            log.info("mail_attachment_refused", extra={"type": attachment.content_type})
        else:
            kept.append(item)
    submission = intake.Submission(
        kind=kind,
        channel=Channel.EMAIL,
        facts=facts,
        complainant=Party(name=mail.sender_name[:100], phone="", email=mail.sender),
        language=_language(facts),
        incomplete=MISSING.get(kind, ()),
        inbound=inbound,
        kept=tuple(kept),
    )
    try:
        intake.register(submission, now=now, services=inbox.services)
    except InvalidInput:
        log.warning("mail_not_registered", exc_info=True)
        raise
    return "filed"
