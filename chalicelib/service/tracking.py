"""The complainant's side: open a case with tracking code and access code, follow it, act on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.case import PUBLIC, Case
from chalicelib.domain.codes import access_code_matches, normalise_tracking_code
from chalicelib.domain.lifecycle import PUBLIC_ACTIONS, step_of
from chalicelib.errors import NotFound, Throttled, VersionConflict
from chalicelib.service.desk import load
from chalicelib.service.ports import AttemptLimiter, CaseRepository
from chalicelib.service.workflow import Services, commit

#: One answer for an unknown code and a wrong access code, so neither can be told from the other.
NOT_FOUND = "no case matches this tracking code and access code"
_RETRIES = 3


def open_case(
    tracking_code: str, access_code: str | None, *, now: datetime, repository: CaseRepository, limiter: AttemptLimiter
) -> Case:
    code = normalise_tracking_code(tracking_code)
    if code is None:
        raise NotFound(NOT_FOUND)
    wait = limiter.locked_for(code, now)
    if wait:
        raise Throttled("too many wrong codes for this tracking code; try again later", retry_after_seconds=wait)
    case = repository.find_by_tracking_code(code)
    if case is None or not access_code or not access_code_matches(access_code, case.access_code_hash):
        limiter.record_failure(code, now)
        raise NotFound(NOT_FOUND)
    return case


def act(
    tracking_code: str,
    access_code: str | None,
    action: str,
    body: dict[str, Any],
    *,
    now: datetime,
    services: Services,
    limiter: AttemptLimiter,
) -> Case:
    """Apply a complainant's action, re-reading and retrying when staff changed the case meanwhile."""
    case = open_case(tracking_code, access_code, now=now, repository=services.cases, limiter=limiter)
    conflicts = 0
    while True:
        before = step_of(case)
        events = PUBLIC_ACTIONS[action](case, services.ctx(now, PUBLIC), body)
        try:
            commit(case, events, before, services, now)
            return case
        except VersionConflict:
            conflicts += 1
            if conflicts == _RETRIES:
                raise
        case = load(case.id, services)
