"""Notices on their way to people: supervision's to its topic, a complainant's milestones by SMS or
e-mail in their language, and the answers to what people sent in back where it came from.

Who the complainant is and how to reach them is read from the case when the notice is sent, never
carried in the notice; an SMS opt-out made since is honoured (the confirmation of the opt-out itself
is the one text sent after it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.messages import book, placeholders, render
from chalicelib.domain.notices import Audience, Notice
from chalicelib.service.ports import CaseRepository, Contacts, MailGateway, NoticeSender, SmsGateway

log = logging.getLogger(__name__)
#: Milestones after which a `1` or `2` from the complainant's phone answers the survey.
_SURVEYS = frozenset({"responded", "survey_reminder"})


@dataclass(frozen=True)
class Gateways:
    sms: SmsGateway
    mail: MailGateway


class ChannelSender(NoticeSender):
    def __init__(
        self,
        *,
        cases: CaseRepository,
        contacts: Contacts,
        gateways: Gateways,
        supervision: NoticeSender,
        survey_link: str,
        clock: Any,
    ) -> None:
        self._cases, self._contacts, self._gateways = cases, contacts, gateways
        self._supervision, self._link, self._clock = supervision, survey_link, clock

    def send(self, notice: Notice, send_key: str) -> None:
        if notice.audience is Audience.SUPERVISION:
            self._supervision.send(notice, send_key)
        elif notice.audience is Audience.COMPLAINANT:
            self._to_complainant(notice.message, send_key)
        else:
            message = notice.message
            name = message["reply"]
            self._deliver(
                message["channel"],
                message["to"],
                message["language"],
                name,
                message["facts"],
                send_key,
                message.get("headers", {}),
                opt_out_applies=name not in ("opted_out", "opted_in"),
            )

    def _to_complainant(self, message: dict[str, Any], send_key: str) -> None:
        case = self._cases.get(message["case_id"])
        person = case.complainant if case else None
        if case is None or person is None or case.contact is None:
            log.info("notice_without_contact", extra={"send_key": send_key})
            return
        address = person.phone if case.contact == "sms" else person.email
        if not address:
            return
        name = message["milestone"]
        sent = self._deliver(case.contact, address, case.language, name, message["facts"], send_key, {})
        if sent and case.contact == "sms" and name in _SURVEYS:
            self._contacts.await_survey(address, case.id, self._clock())

    def _deliver(  # noqa: PLR0917 - one message, as the notice holds it
        self,
        channel: str,
        to: str,
        language: str,
        name: str,
        facts: dict[str, Any],
        send_key: str,
        headers: dict[str, str],
        *,
        opt_out_applies: bool = True,
    ) -> bool:
        if channel == "sms" and opt_out_applies and self._contacts.opted_out(to):
            log.info("notice_opted_out", extra={"send_key": send_key, "milestone": name})
            return False
        if "link" in placeholders(book(language)[name]["text"]):
            facts = {**facts, "link": self._link}
        text = render(name, language, **facts)
        if channel == "sms":
            self._gateways.sms.send(to, text.text, send_key)
        else:
            subject = headers.get("Subject", text.subject)
            self._gateways.mail.send(to, subject, text.text, send_key, headers)
        return True
