"""Sending the outbox: each notice at least once, a repeat recognisable by its send key, and a notice
that keeps failing given up on into the dead-letter queue, where staff see it.

The sender is fed by the register table's stream; a failure raises, so the stream delivers the
record again (with backoff) until the attempts run out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from chalicelib.service.ports import DeadLetters, NoticeSender, Outbox, OutboxEntry, SendFailed

log = logging.getLogger(__name__)
#: Tries before a notice is given up on and dead-lettered.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Postbox:
    outbox: Outbox
    sender: NoticeSender
    dead_letters: DeadLetters


def send(send_key: str, postbox: Postbox, now: datetime) -> str:
    """Send one notice: "sent", "skipped" (already sent or given up on) or "dead"; raises to be retried."""
    entry = postbox.outbox.pending(send_key)
    if entry is None:
        return "skipped"
    try:
        postbox.sender.send(entry.notice, send_key)
    except SendFailed as error:
        give_up = entry.attempts + 1 >= MAX_ATTEMPTS
        postbox.outbox.failed(send_key, str(error), give_up=give_up, at=now)
        if not give_up:
            raise
        postbox.dead_letters.put(OutboxEntry(send_key, entry.notice, entry.attempts + 1), str(error))
        log.error("notice_dead_lettered", extra={"send_key": send_key, "attempts": entry.attempts + 1})
        return "dead"
    postbox.outbox.sent(send_key, now)
    return "sent"
