"""Request and response bodies. The OpenAPI description is generated from these models."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.domain.case import Channel, Kind, Status
from chalicelib.domain.deadlines import Basis
from chalicelib.domain.evidence import ALLOWED, MAX_BYTES, MAX_FILES
from chalicelib.domain.lifecycle import commands as cmd
from chalicelib.domain.values import Money, Text100, Text200, Text300, Text2000, Text5000

#: phonenumbers' own pattern of a valid mainland mobile number (its metadata for CN; a test keeps the two equal).
CN_MOBILE = r"1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}"
_PLAIN_MOBILE = re.compile(rf"(?:\+86|0086)?(?P<national>{CN_MOBILE})", re.ASCII)  # full-width digits go to it


def _phone(value: str) -> str:
    """Any number a Chinese caller would give (mobile or landline, with or without +86), kept as E.164.

    A mobile number written plainly (most of them) is checked against phonenumbers' pattern without
    loading phonenumbers (~15 ms of import and metadata on a cold start); anything else goes to it.
    """
    plain = _PLAIN_MOBILE.fullmatch(value)
    if plain:
        return f"+86{plain['national']}"
    import phonenumbers  # loaded by the first request with another kind of number, not at cold start

    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_phone)]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
UploadId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Category = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]{1,64}$")]


#: Every model's validator and serializer is built on its first use, not at import: a cold start builds
#: the few its first requests need instead of all ~60 (~50 ms); the OpenAPI description builds the rest.
LAZY = ConfigDict(defer_build=True)


class Body(BaseModel):
    """Every request body: unknown fields are refused, types are not coerced."""

    model_config = LAZY | ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    model_config = LAZY | ConfigDict(extra="forbid")


# ---- requests -----------------------------------------------------------------------------------


class ComplainantIn(Body):
    name: Text100 | None = None
    phone: Phone | None = None
    email: Email | None = None
    address: Text300 | None = None
    anonymous: bool = Field(False, description="allowed for reports only; nothing identifying is then stored")

    @model_validator(mode="after")
    def _identified_unless_anonymous(self) -> ComplainantIn:
        if not self.anonymous and (self.name is None or self.phone is None):
            raise ValueError("name and phone are required unless the report is anonymous")
        return self


class RespondentIn(Body):
    name: Text200
    address: Text300 | None = None
    region_code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = Field(
        None, description="six-digit administrative division code of where the business is"
    )


class ProductIn(Body):
    name: Text200
    brand: Text100 | None = None
    model: Text100 | None = None
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    price: Money | None = None
    purchase_date: date | None = None
    order_number: Text100 | None = None


class SubmissionIn(Body):
    kind: Kind
    channel: Channel = Channel.WEB
    complainant: ComplainantIn
    respondent: RespondentIn | None = Field(None, description="required for complaints and reports")
    facts: Text5000 = Field(description="what happened, when and where")
    request: Text2000 | None = Field(None, description="what the complainant asks for; required for complaints")
    suspected_violation: Text2000 | None = Field(
        None, description="a complaint that also reports a violation is split into a complaint and a linked report"
    )
    category: Category | None = None
    occurred_at: AwareDatetime | date | None = None
    place: Text300 | None = None
    product: ProductIn | None = None
    amount: Money | None = Field(None, description="amount in dispute, CNY")
    evidence: Annotated[list[UploadId], Field(max_length=MAX_FILES)] = Field(
        [], description=f"up to {MAX_FILES} upload ids from POST /v1/uploads, each uploaded and not yet linked"
    )
    language: Literal["zh-CN", "en"] = Field("zh-CN", description="of the complainant's notices")
    notify_by: Literal["sms", "email", "none"] | None = Field(
        None, description="how the complainant hears of each milestone; by default SMS to the phone given"
    )


class AccessCodeRequestedOut(Out):
    message: str = Field(
        "if this tracking code is ours and its complainant can be reached, a new access code is on its way "
        "to the phone or e-mail on file; the old one no longer works",
        description="the same whether or not the code exists",
    )


class StaffIntakeIn(SubmissionIn):
    channel: Channel = Field(description="how it came in: phone, letter, walk_in, fax, transfer …; never web")
    received_at: AwareDatetime = Field(description="when the centre received it: now or in the past")


class WithdrawIn(cmd.Withdraw, Body):
    pass


class FeedbackIn(cmd.Feedback, Body):
    pass


class AppealIn(cmd.Appeal, Body):
    pass


#: A file's name as its uploader knows it: no path, no control characters (it names the download).
FileName = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f\x7f]+$")]


class UploadIn(Body):
    filename: FileName
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="one of " + ", ".join(ALLOWED)
    )
    size: Annotated[int, Field(ge=0)] = Field(description=f"the file's size in bytes, at most {MAX_BYTES}")


class CalendarYearIn(Body):
    holidays: Annotated[list[date], Field(max_length=80)]
    adjusted_workdays: Annotated[list[date], Field(max_length=20)]
    source: Text300 | None = Field(None, description="the notice it comes from, e.g. 国办发明电〔2026〕x号")


# ---- responses ----------------------------------------------------------------------------------


class DeadlineOut(Out):
    due_at: datetime
    due_date: date
    basis: Basis
    length: int
    estimated: bool = Field(description="true when the calendar had to guess a year's holidays")
    paused: bool
    overdue: bool
    running: bool = Field(description="false once what it times is done (its clock stopped)")
    days_left: int | None = Field(
        description="days from today (China) to `due_date` in the deadline's own unit, working or calendar days "
        "(`basis`): 0 on the day, negative once past; null in hours or once the clock stopped"
    )


class CaseReceiptOut(Out):
    id: str
    tracking_code: str
    kind: Kind
    status: Status
    received_at: datetime
    deadlines: dict[str, DeadlineOut]


class ReceiptOut(CaseReceiptOut):
    access_code: str = Field(description="shown once; needed with the tracking code to follow the case")
    linked: list[CaseReceiptOut] = Field(description="the other part of a split submission, same access code")


class TimelineEntryOut(BaseModel):
    model_config = LAZY | ConfigDict(extra="allow")

    at: datetime
    type: str


class ResponseOut(Out):
    at: datetime
    message: str
    outcome: str


class PublicCaseOut(Out):
    tracking_code: str
    kind: Kind
    status: Status
    channel: Channel
    received_at: datetime
    respondent: str | None
    deadlines: dict[str, DeadlineOut]
    timeline: list[TimelineEntryOut]
    response: ResponseOut | None
    linked_tracking_codes: list[str]


class CalendarYearOut(Out):
    year: int
    official: bool
    holidays: list[date]
    adjusted_workdays: list[date]
    source: str


class UploadOut(Out):
    upload_id: str = Field(description="what a submission's `evidence` lists once the file is uploaded")
    url: str = Field(description="where to POST the file: a multipart form of `fields`, then the file as `file`")
    fields: dict[str, str] = Field(description="the signed form fields, sent as they are, before the file")
    expires_at: datetime = Field(description="the form is refused after this; link the upload within a day")


class ServiceOut(Out):
    service: str
    policy: str
    docs: str


class LocalTokenIn(Body):
    sub: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    name: str = Field(min_length=1, max_length=64)
    roles: list[Literal["clerk", "handler", "supervisor", "admin"]] = Field(min_length=1, max_length=4)


class LocalTokenOut(Out):
    token: str = Field(description="an HS256 staff token for eight hours")


class SignInOut(Out):
    """How the staff console signs in: a token minted on the local stack, or Cognito's hosted UI."""

    method: Literal["local", "cognito"]
    authorize_url: str | None = Field(None, description="Cognito's /oauth2/authorize (authorization code, PKCE)")
    token_url: str | None = Field(None, description="Cognito's /oauth2/token")
    logout_url: str | None = Field(None, description="Cognito's /logout")
    client_id: str | None = None


class ErrorDetail(Out):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorOut(Out):
    error: ErrorDetail


# ---- staff desk ---------------------------------------------------------------------------------

Version = Annotated[int, Field(ge=1, description="the case version this action is based on (or an If-Match header)")]


class ActionIn(Body):
    version: Version | None = None


class CompleteIn(cmd.Complete, ActionIn):
    pass


class DecideIn(cmd.Decide, ActionIn):
    pass


class AssignIn(cmd.Assign, ActionIn):
    pass


class FindingsIn(cmd.Findings, ActionIn):
    pass


class PauseIn(cmd.Pause, ActionIn):
    pass


class ResumeIn(cmd.Resume, ActionIn):
    pass


class MediationIn(cmd.Mediation, ActionIn):
    pass


class ExtensionIn(cmd.Extension, ActionIn):
    pass


class RespondIn(cmd.Respond, ActionIn):
    pass


class CloseIn(cmd.Close, ActionIn):
    pass


class ReopenIn(cmd.Reopen, ActionIn):
    pass


class NotifyIn(cmd.Notify, ActionIn):
    pass


class StaffDeadlineOut(DeadlineOut):
    started_at: datetime
    extended: int
    extension_left: int | None = Field(
        description="how much more the policy lets the clock be extended, in its unit; null: no limit"
    )
    paused_seconds: int
    stopped_at: datetime | None
    escalated_at: datetime | None


class PersonOut(Out):
    name: str
    phone: str
    email: str | None = None
    address: str | None = None


class StaffRef(Out):
    id: str | None
    name: str | None


class StaffTimelineEntryOut(BaseModel):
    model_config = LAZY | ConfigDict(extra="allow")

    at: datetime
    type: str
    actor: StaffRef | None
    public: bool


class AuditOut(Out):
    at: datetime
    staff: StaffRef
    roles: list[str]
    what: str


class EvidenceOut(Out):
    n: int = Field(description="its number: GET /v1/staff/cases/{case_id}/evidence/{n} downloads it")
    filename: str
    content_type: str = Field(description="what its bytes are, whatever the uploader declared")
    size: int
    sha256: str = Field(description="of the file as kept")
    metadata_removed: bool = Field(description="true when EXIF/XMP metadata (GPS position …) was removed")


class EvidenceDownloadOut(Out):
    url: str = Field(description="downloads the file as an attachment until `expires_at`")
    expires_at: datetime
    filename: str
    content_type: str
    size: int
    sha256: str


class StaffCaseOut(Out):
    id: str
    tracking_code: str
    version: int
    kind: Kind
    channel: Channel
    status: Status
    step: str = Field(description="where the case's workflow waits")
    received_at: datetime
    policy: str
    category: str | None
    severity: str | None
    anonymous: bool
    complainant: PersonOut | None
    identity_withheld: bool = Field(description="true when this staff member may not see who complained")
    respondent: dict[str, str] | None
    facts: str
    request: str | None
    suspected_violation: str | None
    occurred_at: str | None
    place: str | None
    text_redacted: bool = Field(description="true when the free text is the copy with identity removed")
    product: dict[str, Any] | None
    amount: Decimal | None
    evidence: list[EvidenceOut]
    first_responder: StaffRef | None
    unit: str | None
    handler: StaffRef | None
    linked_case_ids: list[str]
    deadlines: dict[str, StaffDeadlineOut]
    paused: dict[str, Any] | None
    mediation: dict[str, Any] | None
    pending_extension: dict[str, Any] | None
    response: dict[str, Any] | None
    under_review: bool
    language: str = Field(description="of the complainant's notices (zh-CN or en)")
    contact: Literal["sms", "email"] | None = Field(description="how the complainant hears of milestones; none: nobody")
    incomplete: list[str] = Field(description="what a clerk must still record (`complete`) before the case is decided")
    actions: list[str] = Field(description="the staff actions the caller may take on the case in its state now")
    timeline: list[StaffTimelineEntryOut]


class CaseSummaryOut(Out):
    id: str
    tracking_code: str
    version: int
    kind: Kind
    status: Status
    step: str
    received_at: datetime
    overdue: bool
    category: str | None = None
    respondent: str | None = None
    unit: str | None = None
    handler: str | None = None
    next_due_at: datetime | None = None
    incomplete: bool = Field(False, description="registered from an SMS or e-mail; a clerk must complete it")
    escalated_clock: str | None = Field(None, description="the clock of the latest escalation (督办) still running")
    escalated_at: datetime | None = Field(None, description="when that escalation was sent")


class QueueQuery(Body):
    """The work queue's query string."""

    model_config = ConfigDict(extra="forbid", strict=False)

    status: Status | None = None
    unit: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] | None = None
    handler: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    overdue: bool = False
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None


class QueueOut(Out):
    items: list[CaseSummaryOut]
    next_cursor: str | None


class RespondentNoticeOut(Out):
    case_id: str
    respondent: str
    kind: Kind
    facts: str | None
    request: str | None
    product: str | None
    amount: str | None
    text: str


class DeadLetterOut(Out):
    send_key: str
    audience: str
    message: dict[str, Any]
    attempts: int
    error: str


class DeadLettersOut(Out):
    items: list[DeadLetterOut]


class AuditQuery(Body):
    """The audit trail's query string."""

    model_config = ConfigDict(extra="forbid", strict=False)

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None


class AuditPageOut(Out):
    items: list[AuditOut]
    next_cursor: str | None
