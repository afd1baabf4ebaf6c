"""Phone numbers and addresses in the register: opt-outs, the survey a `1`/`2` answers, and the answers
owed to messages that came in (outbox items under the message's own key, so a redelivery adds none)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.register.cases import inbound_item, outbox_item
from chalicelib.adapters.register.items import (
    OPT_OUT_SK,
    SURVEY_SK,
    ContactItem,
    InboundItem,
    OutboxItem,
    contact_key,
    inbound_key,
)
from chalicelib.adapters.sealing import Seal
from chalicelib.domain.notices import Notice
from chalicelib.service.ports import AlreadyHandled, Contacts, Inbound

#: An answer is its message's only notice.
_ANSWER_SK = "OUTBOX#000000#00"


class DynamoContacts(Contacts):
    def __init__(self, connection: Connection, seal: Seal) -> None:
        self._connection = connection
        self._seal = seal

    def _answer(self, inbound: Inbound, answer: Notice) -> OutboxItem:
        return outbox_item(inbound_key(inbound.key), _ANSWER_SK, answer, self._seal)

    def opted_out(self, address: str) -> bool:
        try:
            ContactItem.get(contact_key(address), OPT_OUT_SK, consistent_read=True)
        except DoesNotExist:
            return False
        return True

    def opt(self, address: str, out: bool, inbound: Inbound, answer: Notice) -> None:
        mark = ContactItem(contact_key(address), OPT_OUT_SK, at=inbound.at.isoformat())
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(self._answer(inbound, answer), condition=OutboxItem.pk.does_not_exist())
                if out:
                    tx.save(mark)
                else:
                    tx.delete(mark)
        except TransactWriteError as error:
            reasons = error.cancellation_reasons
            if reasons and reasons[0] and reasons[0].code == "ConditionalCheckFailed":
                raise AlreadyHandled(inbound.key) from error
            raise

    def answer(self, inbound: Inbound, answer: Notice) -> None:
        _once(self._answer(inbound, answer), inbound)

    def record(self, inbound: Inbound, outcome: str) -> None:
        _once(inbound_item(inbound, outcome), inbound)

    def await_survey(self, address: str, case_id: str, at: datetime) -> None:
        ContactItem(contact_key(address), SURVEY_SK, at=at.isoformat(), case_id=case_id).save()

    def survey_case(self, address: str) -> str | None:
        try:
            return ContactItem.get(contact_key(address), SURVEY_SK, consistent_read=True).case_id
        except DoesNotExist:
            return None


def _once(item: OutboxItem | InboundItem, inbound: Inbound) -> None:
    """Write the first trace `inbound` leaves: a second one means it was handled before."""
    try:
        item.save(condition=type(item).pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise AlreadyHandled(inbound.key) from error
        raise
