"""The complainant's side: open a case with tracking code and access code, follow it, act on it.

Guessing is bounded twice: per client (source address) and per tracking code. Each try is taken
from both budgets *before* the code is checked, with an atomic conditional counter, so however many
tries arrive at once no more than the budget are checked; a right code gives its tries back (all but
a window's first, so the owner's looks cost at most one try per window). An
unknown tracking code and a wrong access code do the same work (two budget updates, one read, one
HMAC) and get the same answer, so neither timing nor wording tells whether a code exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.case import PUBLIC, Case, Event
from chalicelib.domain.codes import access_code_matches, hash_access_code, new_access_code, normalise_tracking_code
from chalicelib.domain.lifecycle.actions import PUBLIC_ACTIONS
from chalicelib.domain.lifecycle.steps import step_of
from chalicelib.domain.notices import milestone
from chalicelib.errors import NotFound, Throttled, VersionConflict
from chalicelib.service.ports import AttemptBudget
from chalicelib.service.workflow import Services, commit

#: One answer for an unknown code and a wrong access code, so neither can be told from the other.
NOT_FOUND = "no case matches this tracking code and access code"
_RETRIES = 3
#: New access codes a tracking code may be sent per day: enough for a person, too few to flood their phone.
RECOVERIES_PER_DAY = 3


@dataclass(frozen=True)
class Budgets:
    per_client: AttemptBudget
    per_code: AttemptBudget
    recovery: AttemptBudget  # new access codes asked for, per tracking code


def open_case(
    tracking_code: str, access_code: str | None, *, client: str, now: datetime, services: Services, budgets: Budgets
) -> Case:
    code = normalise_tracking_code(tracking_code)
    if code is None:  # not a code this service ever gives out (its check digit is wrong): nothing to guess
        raise NotFound(NOT_FOUND)
    taken = []
    for budget, key in ((budgets.per_client, client), (budgets.per_code, code)):
        spent = budget.spend(key, now)
        if spent.wait:
            raise Throttled("too many wrong codes; try again later", retry_after_seconds=spent.wait)
        taken.append((budget, key, spent.tries))
    claim = services.cases.claim(code)
    stored = claim.access_code_hash if claim else None
    if not access_code_matches(access_code or "", code, stored, services.secret) or claim is None:
        raise NotFound(NOT_FOUND)
    for budget, key, tries in taken:
        # The window's first try is kept: giving it back would free a try nobody has missed, for a
        # write unit. So the owner's looks cost at most one try per window, whatever their number.
        if tries > 1:
            budget.refund(key)
    case = services.cases.get(claim.case_id)
    if case is None:
        raise NotFound(NOT_FOUND)
    return case


def act(
    tracking_code: str,
    access_code: str | None,
    action: str,
    command: Any,
    *,
    client: str,
    now: datetime,
    services: Services,
    budgets: Budgets,
) -> Case:
    """Apply a complainant's action, re-reading and retrying when staff changed the case meanwhile."""
    case = open_case(tracking_code, access_code, client=client, now=now, services=services, budgets=budgets)
    conflicts = 0
    while True:
        before = step_of(case)
        events = PUBLIC_ACTIONS[action](case, services.ctx(now, PUBLIC), command)
        try:
            commit(case, events, before, services, now)
            return case
        except VersionConflict:
            conflicts += 1
            if conflicts == _RETRIES:
                raise
        reloaded = services.cases.get(case.id)
        if reloaded is None:
            raise NotFound(NOT_FOUND)
        case = reloaded


def recover(tracking_code: str, *, client: str, now: datetime, services: Services, budgets: Budgets) -> None:
    """A complainant who lost the access code asks for a new one: it goes to the phone or e-mail on file
    (never in the answer, which is the same whether or not the code exists), the old one stops working,
    and the tracking code's lockout from guessing is lifted, since only the owner receives the new code.
    Each ask costs a try of the client's and of the code's recovery budgets."""
    code = normalise_tracking_code(tracking_code)
    for budget, key in ((budgets.per_client, client), (budgets.recovery, code or "invalid")):
        spent = budget.spend(key, now)
        if spent.wait:
            raise Throttled("too many requests for a new access code; try again later", retry_after_seconds=spent.wait)
    claim = services.cases.claim(code) if code else None
    case = services.cases.get(claim.case_id) if claim else None
    if case is None or case.contact is None:
        return
    access_code = new_access_code()
    case.access_code_hash = hash_access_code(access_code, case.tracking_code, services.secret)
    event = Event("access_code_renewed", now, PUBLIC, {"sent_by": case.contact})
    services.cases.rekey(case, [event], milestone(case, "access_code", access_code=access_code))
    budgets.per_code.reset(case.tracking_code)
