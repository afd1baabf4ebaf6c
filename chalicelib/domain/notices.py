"""What people outside the case are told when something happens to it (the outbox's content).

A notice names the case and facts of the process (`messages.FACTS`), never contact data: the sender
looks up how to reach the complainant when it sends, and honours an opt-out made since. The one
exception is the answer to what someone sent in (`reply`): it goes back where the message came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.case import Case, Event, Kind
from chalicelib.domain.deadlines import local_day
from chalicelib.domain.lifecycle.steps import next_due, running


class Audience(StrEnum):
    SUPERVISION = "supervision"  # escalations and reminders (督办)
    COMPLAINANT = "complainant"  # the milestones of their case, in the channel and language on file
    SENDER = "sender"  # the answer to an SMS or e-mail, to where it came from


#: Fields of an event that may travel in a supervision notice.
_SAFE_FIELDS = ("clock", "due_date", "reminder", "escalate_to", "about")


@dataclass(frozen=True)
class Notice:
    audience: Audience
    message: dict[str, Any]


def notices_for(case: Case, events: Sequence[Event]) -> list[Notice]:
    """The notices a change of the case owes, in the order of its events."""
    found = []
    for event in events:
        if event.type == "escalated":
            message = {"case_id": case.id, "kind": case.kind.value, "event": event.type}
            message |= {k: v for k, v in event.data.items() if k in _SAFE_FIELDS}
            found.append(Notice(Audience.SUPERVISION, message))
        elif case.contact and (milestone := _milestone(case, event)):
            found.append(milestone)
    return found


def milestone(case: Case, name: str, **facts: Any) -> Notice:
    """A milestone of `case` for its complainant; the sender fills in the words (and the survey's link)."""
    facts = {"tracking_code": case.tracking_code, "kind": case.kind.value, **facts}
    return Notice(Audience.COMPLAINANT, {"case_id": case.id, "milestone": name, "facts": facts})


def received(case: Case, access_code: str) -> Notice:
    """The receipt, with both codes (the access code is sealed in the outbox and dropped once sent)."""
    name = "received_incomplete" if case.incomplete else "received"
    facts: dict[str, Any] = {"access_code": access_code}
    if not case.incomplete:
        facts["due_date"] = _due(case)
    return milestone(case, name, **facts)


def reply(
    to: str, channel: str, language: str, name: str, *, headers: dict[str, str] | None = None, **facts: Any
) -> Notice:
    """The answer to a message that came in from `to` by `channel` ("sms" or "email"); an e-mail answer's
    `headers` thread it to the mail it answers."""
    message = {"to": to, "channel": channel, "language": language, "reply": name, "facts": facts}
    return Notice(Audience.SENDER, message | ({"headers": headers} if headers else {}))


def _due(case: Case) -> str | None:
    due = next_due(case)
    return local_day(due).isoformat() if due else None


def _milestone(case: Case, event: Event) -> Notice | None:  # noqa: PLR0911 - one answer per event type
    data = event.data
    if event.type == "accepted":
        return milestone(case, "accepted", due_date=_due(case)) if _due(case) else None
    if event.type == "rejected":
        return milestone(case, "rejected", reason=data["reason_code"])
    if event.type == "transferred":
        return milestone(case, "transferred", transfer_to=data["transfer_to"])
    if event.type == "notified" and data.get("about") == "extension":
        return milestone(case, "extended", due_date=data["due_date"])
    if event.type == "mediation" and data.get("step") == "start" and {"time", "place", "mediator"} <= set(data):
        at = data["time"][:16].replace("T", " ")
        return milestone(
            case, "mediation_scheduled", mediation_at=at, mediation_place=data["place"], mediator=data["mediator"]
        )
    if event.type == "responded":
        name = "responded" if case.kind is Kind.COMPLAINT else "answered"
        return milestone(case, name, outcome=data["outcome"])
    if event.type == "reminded" and data.get("about") == "survey":
        return milestone(case, "survey_reminder", due_date=data["due_date"])
    if event.type == "closed" and data.get("outcome") == "appeal_decided":
        return milestone(case, "appeal_decided")
    if event.type == "closed" and case.kind is Kind.COMPLAINT and running(case, "appeal"):
        return milestone(case, "closed", due_date=case.deadlines["appeal"].due_date.isoformat())
    return None
