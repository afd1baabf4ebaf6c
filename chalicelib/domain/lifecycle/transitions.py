"""From which states each action may be taken, per kind of case: one table to check against
DOMAIN.md §2–§4. The actions add only what a table cannot say (a paused case, a report whose
reporter must first be told, an appeal window still open)."""

from __future__ import annotations

from chalicelib.domain.case import Case, Kind, Status
from chalicelib.errors import InvalidState

_C, _R, _E, _S = Kind.COMPLAINT, Kind.REPORT, Kind.ENQUIRY, Kind.SUGGESTION
RECEIVED, ACCEPTED, REJECTED = Status.RECEIVED, Status.ACCEPTED, Status.REJECTED
ASSIGNED, INVESTIGATING, MEDIATING = Status.ASSIGNED, Status.INVESTIGATING, Status.MEDIATING
RESPONDED, CLOSED = Status.RESPONDED, Status.CLOSED
ON_RECEIPT = frozenset({RECEIVED})
HANDLING = frozenset({ASSIGNED, INVESTIGATING})
OPEN = frozenset({RECEIVED, ACCEPTED, ASSIGNED, INVESTIGATING, MEDIATING, RESPONDED})

#: action -> kind -> the statuses it may be taken from (a kind not listed: never).
ALLOWED: dict[str, dict[Kind, frozenset[Status]]] = {
    # 受理 / 立案: once, on receipt; enquiries and suggestions are only passed on (transfer)
    "decide": {
        _C: frozenset({RECEIVED}),
        _R: frozenset({RECEIVED}),
        _E: frozenset({RECEIVED}),
        _S: frozenset({RECEIVED}),
    },
    # 补录: what an SMS or e-mail could not say, before the decision
    "complete": {_C: frozenset({RECEIVED}), _R: frozenset({RECEIVED})},
    # 交办: after acceptance; a supervisor may reassign while it is handled
    "assign": {_C: frozenset({ACCEPTED}) | HANDLING, _R: frozenset({ACCEPTED}) | HANDLING},
    # 调查核实; a report's verification (核查) may come before the filing decision
    "findings": {_C: HANDLING | {MEDIATING}, _R: HANDLING | {RECEIVED}},
    # 鉴定/检测 stops the pausable clocks while the case is handled
    "pause": {_C: HANDLING | {MEDIATING}, _R: HANDLING},
    "resume": {_C: HANDLING | {MEDIATING}, _R: HANDLING},
    # 调解: complaints only, with both parties' consent; then an agreement or a termination
    "mediation.start": {_C: HANDLING},
    "mediation.end": {_C: frozenset({MEDIATING})},
    # 延期: any clock still running on an open case
    "extension": {kind: OPEN for kind in Kind},
    # 答复: a complaint after investigation; a report's result; an enquiry's or suggestion's answer
    "respond": {
        _C: HANDLING,
        _R: frozenset({ACCEPTED}) | HANDLING,
        _E: frozenset({RECEIVED}),
        _S: frozenset({RECEIVED}),
    },
    # 结案 after the response (an appeal's final decision is the supervisor's, see `close`)
    "close": {_C: frozenset({RESPONDED})},
    # 重新派单: after the response or closing, or during an appeal's review
    "reopen": {_C: frozenset({RESPONDED, CLOSED}) | HANDLING},
    # 告知举报人: a real-name reporter is told the filing decision
    "notify": {_R: frozenset({ACCEPTED, REJECTED})},
    # the complainant: 撤回 before closing; 回访 after the response; 申诉 after closing
    "withdraw": {kind: OPEN for kind in Kind},
    "feedback": {_C: frozenset({RESPONDED})},
    "appeal": {_C: frozenset({CLOSED})},
}


def require(case: Case, action: str) -> None:
    """Raise `InvalidState` unless the table allows `action` on this case now."""
    allowed = ALLOWED[action].get(case.kind)
    if allowed is None:
        raise InvalidState(f"a {case.kind.value} cannot be given the action {action}")
    if case.status not in allowed:
        raise InvalidState(f"a {case.kind.value} that is {case.status.value} cannot be given the action {action}")
