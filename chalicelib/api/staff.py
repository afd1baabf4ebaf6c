"""Staff endpoints: clerk intake and the working-day calendar."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.adapters.idempotency import once
from chalicelib.api import schemas, views
from chalicelib.api.auth import ADMIN, ANY_STAFF, CLERK, SUPERVISOR
from chalicelib.api.http import Call, operation
from chalicelib.api.public import IDEMPOTENCY_KEY, register_json
from chalicelib.errors import InvalidInput

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
