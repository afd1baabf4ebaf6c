"""What each action is told, as typed commands: validated once, where the request comes in, so the
actions only apply the rules of the case's state. The API's bodies are these commands plus the
case version (`api/schemas.py`), so a field is declared once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo

from chalicelib.domain.lifecycle.reasons import MediationEnd, RejectReason
from chalicelib.domain.values import Money, Text100, Text200, Text300, Text500, Text1000, Text2000, Text5000

StaffId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
UnitId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


def needed_when(field: str, *values: Any, why: str) -> AfterValidator:
    """A field that must be given when another one has one of `values` (declare it with validate_default)."""

    def check(value: Any, info: ValidationInfo) -> Any:
        if value in (None, False) and info.data.get(field) in values:
            raise ValueError(why)
        return value

    return AfterValidator(check)


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built on first use, not at cold start


class Decide(Command):
    decision: Literal["accept", "reject", "transfer"]
    reason_code: Annotated[
        RejectReason | None, needed_when("decision", "reject", why="a rejection gives its reason code")
    ] = Field(None, validate_default=True)
    transfer_to: Annotated[
        Text300 | None, needed_when("decision", "transfer", why="a transfer names the competent body")
    ] = Field(None, validate_default=True, description="the competent body a case outside the remit goes to")
    severity: Literal["major", "general", "minor"] | None = None
    note: Text2000 | None = None


class Assign(Command):
    unit: UnitId
    handler: StaffId = Field(description="the handler's staff id")
    handler_name: Text100 | None = None


class Complete(Command):
    """What an SMS or e-mail could not say, recorded by a clerk who called the complainant back."""

    respondent: Text200 | None = Field(None, description="the business complained about or reported")
    respondent_address: Text300 | None = None
    request: Text2000 | None = Field(None, description="what the complainant asks for (a complaint)")
    complainant_name: Text100 | None = None


class Findings(Command):
    text: Text5000


class Pause(Command):
    reason: Literal["appraisal", "testing"]
    note: Text1000 | None = None


class Resume(Command):
    note: Text1000 | None = None


class Mediation(Command):
    step: Literal["start", "agreement", "terminate"]
    complainant_consents: Annotated[
        bool | None, needed_when("step", "start", why="mediation needs both parties' consent")
    ] = Field(None, validate_default=True)
    respondent_consents: Annotated[
        bool | None, needed_when("step", "start", why="mediation needs both parties' consent")
    ] = Field(None, validate_default=True)
    time: datetime | None = None
    place: Text300 | None = None
    mediator: Text100 | None = None
    terms: Annotated[Text5000 | None, needed_when("step", "agreement", why="an agreement records its terms")] = Field(
        None, validate_default=True
    )
    reason: Annotated[MediationEnd | None, needed_when("step", "terminate", why="a termination gives its reason")] = (
        Field(None, validate_default=True)
    )
    note: Text1000 | None = None


class Extension(Command):
    step: Literal["request", "approve", "refuse"]
    clock: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")] = Field(
        description="the clock to extend; on approve or refuse, the one the request was for"
    )
    working_days: Annotated[
        Annotated[int, Field(ge=1, le=60)] | None, needed_when("step", "request", why="say how much longer")
    ] = Field(
        None,
        validate_default=True,
        description="how much longer, in the clock's own unit (working days, days or hours)",
    )
    reason: Annotated[Text2000 | None, needed_when("step", "request", why="an extension request gives its reasons")] = (
        Field(None, validate_default=True)
    )


class Respond(Command):
    message: Text5000
    outcome: Literal["resolved", "partly_resolved", "not_resolved"]
    compensation_amount: Money | None = None


class Close(Command):
    note: Text1000 | None = None


class Reopen(Command):
    reason: Text1000


class Notify(Command):
    channel: Literal["sms", "phone", "email", "letter"] | None = None


class Withdraw(Command):
    reason: Text500 | None = None


class Feedback(Command):
    satisfied: bool
    comment: Text1000 | None = None


class Appeal(Command):
    reason: Text2000
