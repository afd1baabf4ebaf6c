"""Who may do what: the roles each staff action needs, and who may see who complained (保密)."""

from __future__ import annotations

from chalicelib.domain.case import Actor, Case, Kind, Status
from chalicelib.domain.lifecycle.actions import offered
from chalicelib.domain.lifecycle.transitions import require
from chalicelib.domain.roles import CLERK, HANDLER, SUPERVISOR
from chalicelib.errors import Forbidden, InvalidState

#: Every staff action and the roles that may take it; a handler only on cases assigned to them.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "complete": frozenset({CLERK, SUPERVISOR}),
    "decide": frozenset({CLERK, SUPERVISOR}),
    "assign": frozenset({SUPERVISOR}),
    "findings": frozenset({HANDLER, SUPERVISOR}),
    "pause": frozenset({HANDLER, SUPERVISOR}),
    "resume": frozenset({HANDLER, SUPERVISOR}),
    "mediation": frozenset({HANDLER, SUPERVISOR}),
    "extension": frozenset({HANDLER, SUPERVISOR}),
    "respond": frozenset({CLERK, HANDLER, SUPERVISOR}),
    "close": frozenset({HANDLER, SUPERVISOR}),
    "reopen": frozenset({SUPERVISOR}),
    "notify": frozenset({HANDLER, SUPERVISOR}),
}


def authorize(case: Case, action: str, actor: Actor, roles: frozenset[str]) -> None:
    """Raise `Forbidden` unless one of `roles` may take `action` on this case.

    A handler acts only on cases assigned to them; a clerk answers enquiries and suggestions only.
    """
    allowed = ACTION_ROLES[action]
    usable = roles & allowed
    if SUPERVISOR in usable:
        return
    if HANDLER in usable and case.handler_id == actor.id:
        return
    if CLERK in usable and (action in ("decide", "complete") or case.kind in (Kind.ENQUIRY, Kind.SUGGESTION)):
        return
    if HANDLER in usable and case.kind in (Kind.ENQUIRY, Kind.SUGGESTION) and action == "respond":
        return
    if not usable:
        raise Forbidden(f"{action} needs one of the roles: {', '.join(sorted(allowed))}")
    raise Forbidden(f"this case is not assigned to you; {action} is for its handler or a supervisor")


def available_actions(case: Case, actor: Actor, roles: frozenset[str]) -> tuple[str, ...]:
    """The staff actions this member of staff may take on the case in its state now (what a console offers):
    those the state table, the action's own needs of the case (`GUARDS`) and the roles allow; an action may
    still refuse for what depends on its command (which clock, which decision)."""
    found = []
    for action in ACTION_ROLES:
        try:
            if action == "mediation":  # starts or ends one, by the case's state
                require(case, "mediation.end" if case.status is Status.MEDIATING else "mediation.start")
            else:
                require(case, action)
            authorize(case, action, actor, roles)
            if not offered(case, action):
                continue
        except (InvalidState, Forbidden):
            continue
        found.append(action)
    return tuple(found)


def may_see_identity(case: Case, actor: Actor, roles: frozenset[str]) -> bool:
    """Confidentiality (保密): only those handling the case see who complained, or what they wrote in full (its
    handler, a supervisor, its first-responder clerk, any clerk while the register entry is incomplete)."""
    if SUPERVISOR in roles:
        return True
    if HANDLER in roles and case.handler_id == actor.id:
        return True
    if CLERK in roles and case.incomplete:
        return True  # an SMS or e-mail lacking what intake records: a clerk calls the complainant back to complete it
    first = case.first_responder
    return CLERK in roles and first is not None and first.id == actor.id


#: The roles that may download evidence at all; of them, only those who may see who complained do (the
#: files are the complainant's: receipts with their name, photos, recordings of their voice).
EVIDENCE_ROLES = frozenset({CLERK, HANDLER, SUPERVISOR})


def authorize_evidence(case: Case, actor: Actor, roles: frozenset[str]) -> None:
    """Raise `Forbidden` unless this member of staff handles the case: its handler, a supervisor or its
    first-responder clerk (as for the complainant's identity)."""
    if not may_see_identity(case, actor, roles & EVIDENCE_ROLES):
        raise Forbidden("evidence is for the case's handler, a supervisor or its first-responder clerk")
