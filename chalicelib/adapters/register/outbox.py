"""The outbox in the register: notices written in the same transaction as the events that owe them.

The register table's stream carries each new outbox item to the sender (`api/jobs.py`); the item
records whether it was sent, how often sending failed, and whether it was given up on. A notice's
secret facts (a new access code) are sealed in the item and removed once it is sent.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from chalicelib.adapters.register.items import OutboxItem, case_key
from chalicelib.adapters.sealing import Seal
from chalicelib.domain.notices import Audience, Notice
from chalicelib.service.ports import Outbox, OutboxEntry

_CASE = "CASE#"


def send_key(pk: str, sk: str) -> str:
    """`<case id>:<version>:<n>` (or `<partition>:…` for an answer to a message that came in): the same
    notice always has the same key, so a repeat is recognisable."""
    return pk.removeprefix(_CASE) + ":" + sk.removeprefix("OUTBOX#").replace("#", ":")


def _keys(key: str) -> tuple[str, str]:
    owner, version, n = key.rsplit(":", 2)
    return owner if "#" in owner else case_key(owner), f"OUTBOX#{version}#{n}"


class DynamoOutbox(Outbox):
    def __init__(self, seal: Seal) -> None:
        self._seal = seal

    def pending(self, send_key: str) -> OutboxEntry | None:
        try:
            item = OutboxItem.get(*_keys(send_key), consistent_read=True)
        except DoesNotExist:
            return None
        if item.sent_at or item.dead_at:
            return None
        message = dict(item.message)
        if item.sealed:
            message["facts"] = {**message.get("facts", {}), **self._seal.open(item.sealed)}
        return OutboxEntry(send_key, Notice(Audience(item.channel), message), int(item.attempts))

    def sent(self, send_key: str, at: datetime) -> None:
        OutboxItem(*_keys(send_key)).update(
            actions=[OutboxItem.sent_at.set(at.isoformat()), OutboxItem.sealed.remove()]
        )

    def failed(self, send_key: str, error: str, *, give_up: bool, at: datetime) -> int:
        actions: list[Action] = [OutboxItem.attempts.add(1), OutboxItem.last_error.set(error[:500])]
        if give_up:
            actions.append(OutboxItem.dead_at.set(at.isoformat()))
        item = OutboxItem(*_keys(send_key))
        item.update(actions=actions, condition=OutboxItem.pk.exists())
        return int(item.attempts)
