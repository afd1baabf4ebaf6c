"""Public endpoints: upload evidence, submit, track, and act on one's own case with the access code."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import wiring
from chalicelib.adapters.idempotency import once
from chalicelib.api import schemas, views
from chalicelib.api.http import Call, HeaderParam, operation
from chalicelib.domain.case import Actor, Case
from chalicelib.observability import count_received
from chalicelib.service import evidence, intake, tracking

bp = Blueprint(__name__)

IDEMPOTENCY_KEY = HeaderParam("Idempotency-Key", "a retry with the same key and body returns the first answer")
ACCESS_CODE = HeaderParam("X-Access-Code", "the access code given at submission", required=True)
TAG = "Public"


def register_json(body: dict[str, Any], clerk: dict[str, str] | None = None) -> dict[str, Any]:
    """Register a validated body and answer with the receipt, as JSON (what idempotency stores)."""
    model = schemas.StaffIntakeIn if clerk else schemas.SubmissionIn
    now = wiring.now()
    actor = Actor("staff", clerk["id"], clerk["name"]) if clerk else None
    result = intake.register(
        views.submission(model.model_validate(body, strict=False), actor), now=now, services=wiring.services()
    )
    for case in result.cases:
        count_received(case.channel.value, case.kind.value)
    return views.receipt(result, now, wiring.calendar().calendar()).model_dump(mode="json")


@operation(
    bp,
    "POST",
    "/v1/complaints",
    summary="Submit a complaint, report, enquiry or suggestion",
    tag=TAG,
    body=schemas.SubmissionIn,
    response=schemas.ReceiptOut,
    status=201,
    headers=(IDEMPOTENCY_KEY,),
    errors_=(409,),
)
def submit(call: Call) -> schemas.ReceiptOut:
    body = call.body.model_dump(mode="json", exclude_unset=True)
    return schemas.ReceiptOut.model_validate(
        once("public", call.header("Idempotency-Key"), body, register_json, bp.lambda_context)
    )


@operation(
    bp,
    "POST",
    "/v1/uploads",
    summary="Ask to upload an evidence file: a signed form that takes this one file for a few minutes",
    tag=TAG,
    body=schemas.UploadIn,
    response=schemas.UploadOut,
    status=201,
    errors_=(429,),
)
def upload(call: Call) -> schemas.UploadOut:
    body: schemas.UploadIn = call.body
    allowed = evidence.allow(
        body.filename, body.content_type, body.size, client=call.client, now=wiring.now(), evidence=wiring.evidence()
    )
    return views.upload(allowed)


def _public_view(case: Case) -> schemas.PublicCaseOut:
    repository = wiring.cases()
    linked = [c.tracking_code for c in (repository.get(i) for i in case.linked_case_ids) if c]
    return views.public_case(case, repository.timeline(case.id), linked, wiring.now(), wiring.calendar().calendar())


@operation(
    bp,
    "GET",
    "/v1/complaints/{tracking_code}",
    summary="Follow a case: status, deadlines and public timeline",
    tag=TAG,
    response=schemas.PublicCaseOut,
    headers=(ACCESS_CODE,),
    errors_=(404, 429),
)
def track(call: Call, tracking_code: str) -> schemas.PublicCaseOut:
    case = tracking.open_case(
        tracking_code,
        call.header("X-Access-Code"),
        client=call.client,
        now=wiring.now(),
        services=wiring.services(),
        budgets=wiring.budgets(),
    )
    return _public_view(case)


def _act(call: Call, tracking_code: str, action: str) -> schemas.PublicCaseOut:
    case = tracking.act(
        tracking_code,
        call.header("X-Access-Code"),
        action,
        call.body,
        client=call.client,
        now=wiring.now(),
        services=wiring.services(),
        budgets=wiring.budgets(),
    )
    return _public_view(case)


@operation(
    bp,
    "POST",
    "/v1/complaints/{tracking_code}/access-code",
    summary="Ask for a new access code: sent to the phone or e-mail on file; the old one stops working",
    tag=TAG,
    response=schemas.AccessCodeRequestedOut,
    status=202,
    errors_=(429,),
)
def new_access_code(call: Call, tracking_code: str) -> schemas.AccessCodeRequestedOut:
    tracking.recover(
        tracking_code, client=call.client, now=wiring.now(), services=wiring.services(), budgets=wiring.budgets()
    )
    return schemas.AccessCodeRequestedOut.model_validate({})


@operation(
    bp,
    "POST",
    "/v1/complaints/{tracking_code}/withdraw",
    summary="Withdraw a case before it is closed (撤回)",
    tag=TAG,
    body=schemas.WithdrawIn,
    response=schemas.PublicCaseOut,
    headers=(ACCESS_CODE,),
    errors_=(404, 409, 429),
)
def withdraw(call: Call, tracking_code: str) -> schemas.PublicCaseOut:
    return _act(call, tracking_code, "withdraw")


@operation(
    bp,
    "POST",
    "/v1/complaints/{tracking_code}/feedback",
    summary="Say whether the response resolved the case (回访)",
    tag=TAG,
    body=schemas.FeedbackIn,
    response=schemas.PublicCaseOut,
    headers=(ACCESS_CODE,),
    errors_=(404, 409, 429),
)
def feedback(call: Call, tracking_code: str) -> schemas.PublicCaseOut:
    return _act(call, tracking_code, "feedback")


@operation(
    bp,
    "POST",
    "/v1/complaints/{tracking_code}/appeal",
    summary="Object to the handling of a closed case (申诉)",
    tag=TAG,
    body=schemas.AppealIn,
    response=schemas.PublicCaseOut,
    headers=(ACCESS_CODE,),
    errors_=(404, 409, 429),
)
def appeal(call: Call, tracking_code: str) -> schemas.PublicCaseOut:
    return _act(call, tracking_code, "appeal")
