"""Staff endpoints: clerk intake, the work queue, the case record and its actions, the calendar."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.adapters.idempotency import once
from chalicelib.api import schemas, views
from chalicelib.api.auth import ANY_STAFF, Principal
from chalicelib.api.http import Call, HeaderParam, operation
from chalicelib.api.public import IDEMPOTENCY_KEY, register_json
from chalicelib.domain.lifecycle.actions import STAFF_ACTIONS
from chalicelib.domain.lifecycle.authorization import ACTION_ROLES, EVIDENCE_ROLES, available_actions
from chalicelib.domain.roles import ADMIN, CLERK, HANDLER, SUPERVISOR
from chalicelib.errors import InvalidInput, MalformedRequest
from chalicelib.service import desk
from chalicelib.service.ports import QueueFilter
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
TAG = "Staff"
MIN_YEAR, MAX_YEAR = 2000, 2100


@operation(
    bp,
    "POST",
    "/v1/staff/intake",
    summary="Register a phone, letter, walk-in or transferred case; the clerk is its first responder (首问负责人)",
    tag=TAG,
    body=schemas.StaffIntakeIn,
    response=schemas.ReceiptOut,
    status=201,
    roles=frozenset({CLERK, SUPERVISOR}),
    headers=(IDEMPOTENCY_KEY,),
    errors_=(409,),
)
def intake(call: Call) -> schemas.ReceiptOut:
    clerk = {"id": call.staff.id, "name": call.staff.name}
    body = call.body.model_dump(mode="json", exclude_unset=True)
    answer = once(
        f"staff:{call.staff.id}",
        call.header("Idempotency-Key"),
        body,
        lambda b: register_json(b, clerk=clerk),
        bp.lambda_context,
    )
    return schemas.ReceiptOut.model_validate(answer)


def _year(raw: str) -> int:
    if not raw.isdigit() or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise InvalidInput("unknown year", fields={"year": f"a year from {MIN_YEAR} to {MAX_YEAR}"})
    return int(raw)


@operation(
    bp,
    "GET",
    "/v1/staff/calendar/{year}",
    summary="The holidays and adjusted working days of a year, and whether they are official",
    tag=TAG,
    response=schemas.CalendarYearOut,
    roles=ANY_STAFF,
    errors_=(422,),
)
def get_calendar(call: Call, year: str) -> schemas.CalendarYearOut:
    return views.calendar_year(wiring.calendar().schedule_for(_year(year)))


@operation(
    bp,
    "PUT",
    "/v1/staff/calendar/{year}",
    summary="Store the official schedule of a year; it governs every deadline computed in that year from now on",
    tag=TAG,
    body=schemas.CalendarYearIn,
    response=schemas.CalendarYearOut,
    roles=frozenset({ADMIN}),
)
def put_calendar(call: Call, year: str) -> schemas.CalendarYearOut:
    body: schemas.CalendarYearIn = call.body
    schedule = wiring.calendar().store(
        _year(year),
        body.holidays,
        body.adjusted_workdays,
        source=body.source or f"stored by {call.staff.name}",
        updated_by=call.staff.id,
        now=wiring.now(),
    )
    return views.calendar_year(schedule)


# ---- the desk ---------------------------------------------------------------------------------

IF_MATCH = HeaderParam("If-Match", "the case version the action is based on (instead of the `version` field)")
CASE_TAG = "Staff desk"


def _staff(principal: Principal) -> desk.Staff:
    return desk.Staff(principal.actor, principal.roles)


def _case_view(record: desk.CaseRecord, now: datetime) -> schemas.StaffCaseOut:
    return views.staff_case(record, now, wiring.calendar().calendar(), wiring.policy())


def _cursor_signature(payload: bytes) -> str:
    key = hmac.new(get_settings().app_secret, b"queue-cursor", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(hmac.new(key, payload, hashlib.sha256).digest()[:16]).decode().rstrip("=")


def _encode_cursor(value: dict[str, Any] | None) -> str | None:
    """A page's position, signed: a cursor this service did not give out is refused, never queried."""
    if not value:
        return None
    payload = base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()
    return f"{payload}.{_cursor_signature(payload.encode())}"


def _cursor(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    payload, _, signature = raw.partition(".")
    invalid = MalformedRequest("the cursor is not one this service gave out", code="invalid_cursor")
    if not hmac.compare_digest(signature.encode(), _cursor_signature(payload.encode()).encode()):
        raise invalid
    try:
        value = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(value, dict):
        raise invalid
    return value


@operation(
    bp,
    "GET",
    "/v1/staff/cases",
    summary="The work queue: running cases, nearest deadline first, by status, unit, handler or overdue",
    tag=CASE_TAG,
    response=schemas.QueueOut,
    roles=ANY_STAFF,
    query=schemas.QueueQuery,
    errors_=(400,),
)
def work_queue(call: Call) -> schemas.QueueOut:
    query: schemas.QueueQuery = call.query
    wanted = QueueFilter(
        status=query.status.value if query.status else None,
        unit=query.unit,
        handler=query.handler,
        overdue=query.overdue,
    )
    now = wiring.now()
    page = desk.queue(wanted, wiring.services(), now, query.limit, _cursor(query.cursor))
    return schemas.QueueOut(items=[views.summary(c, now) for c in page.items], next_cursor=_encode_cursor(page.cursor))


@operation(
    bp,
    "GET",
    "/v1/staff/cases/{case_id}",
    summary="The whole case: version, timeline, deadlines; the complainant's identity only for those handling it",
    tag=CASE_TAG,
    response=schemas.StaffCaseOut,
    roles=ANY_STAFF,
    errors_=(404,),
)
def case_record(call: Call, case_id: str) -> schemas.StaffCaseOut:
    now = wiring.now()
    return _case_view(desk.record(case_id, _staff(call.staff), wiring.services(), now), now)


@operation(
    bp,
    "GET",
    "/v1/staff/cases/{case_id}/audit",
    summary="Who looked at the complainant's identity or full text, oldest first, a page at a time",
    tag=CASE_TAG,
    response=schemas.AuditPageOut,
    roles=frozenset({SUPERVISOR, ADMIN}),
    query=schemas.AuditQuery,
    errors_=(400, 404),
)
def audit_trail(call: Call, case_id: str) -> schemas.AuditPageOut:
    query: schemas.AuditQuery = call.query
    entries, cursor = desk.audit_trail(case_id, wiring.services(), query.limit, _cursor(query.cursor))
    return schemas.AuditPageOut(items=[views.audit_entry(e) for e in entries], next_cursor=_encode_cursor(cursor))


@operation(
    bp,
    "GET",
    "/v1/staff/cases/{case_id}/respondent-notice",
    summary="What is sent to the business: the dispute without the complainant's identity",
    tag=CASE_TAG,
    response=schemas.RespondentNoticeOut,
    roles=frozenset({CLERK, HANDLER, SUPERVISOR}),
    errors_=(404,),
)
def respondent_notice(call: Call, case_id: str) -> schemas.RespondentNoticeOut:
    return schemas.RespondentNoticeOut(**desk.respondent_notice(desk.load(case_id, wiring.services())))


@operation(
    bp,
    "GET",
    "/v1/staff/cases/{case_id}/evidence/{n}",
    summary="Download an evidence file (numbered from 1): a short-lived signed link; each download is audited",
    tag=CASE_TAG,
    response=schemas.EvidenceDownloadOut,
    roles=EVIDENCE_ROLES,
    errors_=(404,),
)
def evidence_file(call: Call, case_id: str, n: str) -> schemas.EvidenceDownloadOut:
    number = int(n) if n.isascii() and n.isdigit() and len(n) < 4 else 0
    return views.evidence_download(
        desk.evidence_file(case_id, number, _staff(call.staff), wiring.services(), wiring.now())
    )


ACTION_BODIES: dict[str, type[schemas.ActionIn]] = {
    "complete": schemas.CompleteIn,
    "decide": schemas.DecideIn,
    "assign": schemas.AssignIn,
    "findings": schemas.FindingsIn,
    "pause": schemas.PauseIn,
    "resume": schemas.ResumeIn,
    "mediation": schemas.MediationIn,
    "extension": schemas.ExtensionIn,
    "respond": schemas.RespondIn,
    "close": schemas.CloseIn,
    "reopen": schemas.ReopenIn,
    "notify": schemas.NotifyIn,
}


def _version(call: Call, body: schemas.ActionIn) -> int | None:
    header = call.header("If-Match")
    if header is None:
        return body.version
    digits = header.removeprefix("W/").strip('" ')
    if not digits.isdigit():
        raise InvalidInput("If-Match carries the case version", fields={"If-Match": "a version number"})
    if body.version is not None and body.version != int(digits):
        raise InvalidInput(
            "If-Match and the body's version disagree: say one version",
            code="version_mismatch",
            fields={"If-Match": "differs from version", "version": "differs from If-Match"},
        )
    return int(digits)


def _action_view(action: str) -> Callable[..., schemas.StaffCaseOut]:
    def view(call: Call, case_id: str) -> schemas.StaffCaseOut:
        command: schemas.ActionIn = call.body  # the action's typed command, plus the version it is based on
        fields = command.model_dump(mode="json", exclude_none=True, exclude={"version"})
        version = _version(call, command)
        staff = _staff(call.staff)

        def perform(_: dict[str, Any]) -> dict[str, Any]:
            now = wiring.now()
            case = desk.act(case_id, action, command, version=version, staff=staff, services=wiring.services(), now=now)
            actions = available_actions(case, staff.actor, staff.roles)
            record = desk.CaseRecord(case, wiring.cases().timeline(case.id), False, actions)
            return _case_view(record, now).model_dump(mode="json")

        scope = f"staff:{staff.actor.id}:{case_id}:{action}"
        answer = once(scope, call.header("Idempotency-Key"), {"version": version, **fields}, perform, bp.lambda_context)
        return schemas.StaffCaseOut.model_validate(answer)

    view.__name__ = f"case_{action}"
    return view


for _action, _body in ACTION_BODIES.items():
    operation(
        bp,
        "POST",
        f"/v1/staff/cases/{{case_id}}/{_action}",
        summary=f"{_action}: {(STAFF_ACTIONS[_action].__doc__ or '').strip().splitlines()[0]}",
        tag=CASE_TAG,
        body=_body,
        response=schemas.StaffCaseOut,
        roles=ACTION_ROLES[_action],
        headers=(IF_MATCH, IDEMPOTENCY_KEY),
        errors_=(404, 409),
    )(_action_view(_action))


@operation(
    bp,
    "GET",
    "/v1/staff/outbox/dead-letters",
    summary="Notices that could not be sent after every retry (the dead-letter queue), newest up to 10",
    tag=CASE_TAG,
    response=schemas.DeadLettersOut,
    roles=frozenset({SUPERVISOR, ADMIN}),
)
def dead_letters(call: Call) -> schemas.DeadLettersOut:
    letters = wiring.postbox().dead_letters.peek(10)
    return schemas.DeadLettersOut(items=[schemas.DeadLetterOut.model_validate(item) for item in letters])
