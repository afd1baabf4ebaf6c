"""The complainant's side: open a case with tracking code and access code, follow it, act on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.domain.case import PUBLIC, Case, Event
from chalicelib.domain.codes import access_code_matches, normalise_tracking_code
from chalicelib.errors import NotFound, Throttled, VersionConflict
from chalicelib.service.ports import AttemptLimiter, CaseRepository

#: One answer for an unknown code and a wrong access code, so neither can be told from the other.
NOT_FOUND = "no case matches this tracking code and access code"
_RETRIES = 3

#: A complainant's action: changes the case and returns the events to record.
Change = Callable[[Case], list[Event]]


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
    change: Change,
    *,
    now: datetime,
    repository: CaseRepository,
    limiter: AttemptLimiter,
) -> Case:
    """Apply a complainant's action, re-reading and retrying when staff changed the case meanwhile."""
    case = open_case(tracking_code, access_code, now=now, repository=repository, limiter=limiter)
    conflicts = 0
    while True:
        events = change(case)
        try:
            repository.save(case, events)
            return case
        except VersionConflict:
            conflicts += 1
            if conflicts == _RETRIES:
                raise
        fresh = repository.get(case.id)
        if fresh is None:
            raise NotFound(NOT_FOUND)
        case = fresh


def withdraw(reason: str | None, now: datetime) -> Change:
    return lambda case: [case.withdraw(now, PUBLIC, reason)]


def feedback(satisfied: bool, comment: str | None, now: datetime) -> Change:
    return lambda case: case.give_feedback(now, PUBLIC, satisfied, comment)


def appeal(reason: str, now: datetime) -> Change:
    return lambda case: [case.appeal(now, PUBLIC, reason)]
