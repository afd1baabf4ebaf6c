"""What people outside the case are told when something happens to it (the outbox's content).

A notice names the case and facts of the process, never contact data: the sender looks up how to
reach people. The channels issue adds the complainant's SMS and e-mail; they go the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.case import Case, Event


class Audience(StrEnum):
    SUPERVISION = "supervision"  # escalations and reminders (督办)
    COMPLAINANT = "complainant"  # what the complainant must be told


#: Fields of an event that may travel in a notice.
_SAFE_FIELDS = ("clock", "due_date", "reminder", "escalate_to", "about")


@dataclass(frozen=True)
class Notice:
    audience: Audience
    message: dict[str, Any]


def notices_for(case: Case, events: Sequence[Event]) -> list[Notice]:
    """The notices a change of the case owes, in the order of its events."""
    found = []
    for event in events:
        message = {"case_id": case.id, "kind": case.kind.value, "event": event.type}
        message |= {k: v for k, v in event.data.items() if k in _SAFE_FIELDS}
        if event.type == "escalated":
            found.append(Notice(Audience.SUPERVISION, message))
        elif event.type == "notified" and event.data.get("about") == "extension":
            found.append(Notice(Audience.COMPLAINANT, message))
    return found
