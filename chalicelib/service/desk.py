"""The staff desk: the work queue, a case's whole record, and every action on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.case import Actor, Case, Event, Kind
from chalicelib.domain.lifecycle.actions import STAFF_ACTIONS
from chalicelib.domain.lifecycle.authorization import (
    authorize,
    authorize_evidence,
    available_actions,
    may_see_identity,
)
from chalicelib.domain.lifecycle.steps import step_of
from chalicelib.errors import InvalidInput, NotFound, VersionConflict
from chalicelib.service import evidence
from chalicelib.service.ports import AuditEntry, Page, QueueFilter
from chalicelib.service.workflow import Services, commit

#: Actions that move the running timer without moving the case to another step.
_TIMER_MOVES = {("extension", "approve")}


@dataclass(frozen=True)
class Staff:
    actor: Actor
    roles: frozenset[str]


@dataclass(frozen=True)
class CaseRecord:
    """A case as one member of staff may see it: `identity_visible` decides the person and the full text."""

    case: Case
    timeline: list[Event]
    identity_visible: bool
    actions: tuple[str, ...]  # what this member of staff may do on it now


def load(case_id: str, services: Services) -> Case:
    case = services.cases.get(case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def record(case_id: str, staff: Staff, services: Services, now: datetime) -> CaseRecord:
    """The whole case for staff. Who complained and what they wrote in full is identity: shown only to
    those handling the case, and each such look is written to the audit trail."""
    case = load(case_id, services)
    visible = may_see_identity(case, staff.actor, staff.roles)
    if visible:
        what = "complainant identity and full text" if case.complainant else "full text"
        services.cases.record_read(
            case.id, AuditEntry(now, staff.actor.id or "", staff.actor.name or "", staff.roles, what)
        )
    actions = available_actions(case, staff.actor, staff.roles)
    return CaseRecord(case, services.cases.timeline(case.id), visible, actions)


def evidence_file(case_id: str, n: int, staff: Staff, services: Services, now: datetime) -> evidence.Download:
    """A short-lived link to the case's `n`th evidence file (from 1), for those handling the case; each
    is a look at the complainant's data, written to the audit trail before the link is made."""
    case = load(case_id, services)
    authorize_evidence(case, staff.actor, staff.roles)
    if not 1 <= n <= len(case.evidence) or services.evidence is None:
        raise NotFound(f"case {case_id} has no evidence file {n}")
    item = case.evidence[n - 1]
    what = f"evidence file {n} ({item.content_type}, sha256 {item.sha256[:12]})"
    services.cases.record_read(
        case.id, AuditEntry(now, staff.actor.id or "", staff.actor.name or "", staff.roles, what)
    )
    return evidence.download(item, now, services.evidence)


def audit_trail(
    case_id: str, services: Services, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[AuditEntry], dict[str, Any] | None]:
    """Who looked at the complainant's data, a page at a time: written on every look, read only here."""
    load(case_id, services)
    return services.cases.audit_trail(case_id, limit, cursor)


def act(
    case_id: str,
    action: str,
    command: Any,
    *,
    version: int | None,
    staff: Staff,
    services: Services,
    now: datetime,
) -> Case:
    """Apply one staff action: role, state and version checked; case, events, notices and hand-off in one go."""
    case = load(case_id, services)
    authorize(case, action, staff.actor, staff.roles)
    if version is None:
        raise InvalidInput(
            "say which version of the case this action is based on",
            code="version_required",
            fields={"version": "the case's version, in the body or an If-Match header"},
        )
    if version != case.version:
        raise VersionConflict(f"the case is at version {case.version}, not {version}; reload it and try again")
    before = step_of(case)
    events = STAFF_ACTIONS[action](case, services.ctx(now, staff.actor, staff.roles), command)
    moved = (action, getattr(command, "step", None)) in _TIMER_MOVES
    commit(case, events, before, services, now, timer_moved=moved)
    return case


def queue(wanted: QueueFilter, services: Services, now: datetime, limit: int, cursor: dict[str, Any] | None) -> Page:
    return services.cases.queue(wanted, now, limit, cursor)


def respondent_notice(case: Case) -> dict[str, Any]:
    """What is sent to the business (被投诉人): the dispute, never who raised it.

    The free text is the copy redacted at intake: the complainant's name, address, phone and e-mail
    as given, and any phone number, e-mail, ID or bank card number in whatever spelling, are removed.
    """
    if case.kind not in (Kind.COMPLAINT, Kind.REPORT) or case.respondent is None:
        raise NotFound("only a complaint or report about a business has a respondent notice")
    facts, request = case.redacted.get("facts", ""), case.redacted.get("request")
    product = case.product
    lines = [
        f"致 {case.respondent.name}：",
        f"本中心收到一件关于贵单位的{'投诉' if case.kind is Kind.COMPLAINT else '举报'}（编号 {case.id}）。",
        f"事实与理由：{facts}",
    ]
    if request:
        lines.append(f"诉求：{request}")
    if product is not None:
        lines.append(
            f"涉及商品或服务：{product.name}" + (f"（订单号 {product.order_number}）" if product.order_number else "")
        )
    if case.amount is not None:
        lines.append(f"涉及金额：{case.amount} 元")
    lines.append("依法对投诉人、举报人信息保密。请配合调查核实。")
    return {
        "case_id": case.id,
        "respondent": case.respondent.name,
        "kind": case.kind.value,
        "facts": facts,
        "request": request,
        "product": product.name if product else None,
        "amount": str(case.amount) if case.amount is not None else None,
        "text": "\n".join(lines),
    }
