"""Sending SMS and e-mail through AWS, chosen by configuration (`SMS_PROVIDER`): End User Messaging (the
service whose two-way numbers deliver the inbound SMS), SNS's direct SMS, and SES. A domestic SMS
provider is one more `SmsGateway`; nothing else changes."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws
from chalicelib.service.ports import MailGateway, SendFailed, SmsGateway


class EndUserMessagingSms(SmsGateway):
    """`pinpoint-sms-voice-v2 SendTextMessage` from the centre's two-way number (or pool), so replies
    come back to the number whose inbound messages reach the app."""

    def __init__(self, origination: str, configuration_set: str | None = None) -> None:
        self._origination = origination
        self._configuration_set = configuration_set

    def send(self, to: str, text: str, reference: str) -> str:
        extra = {"ConfigurationSetName": self._configuration_set} if self._configuration_set else {}
        try:
            sent = aws.client("pinpoint-sms-voice-v2").send_text_message(
                DestinationPhoneNumber=to,
                OriginationIdentity=self._origination,
                MessageBody=text,
                MessageType="TRANSACTIONAL",
                Context={"notice": reference},
                **extra,
            )
        except (ClientError, BotoCoreError) as error:
            raise SendFailed(f"End User Messaging: {error}") from error
        return str(sent["MessageId"])


class SnsSms(SmsGateway):
    """SNS `Publish` to a phone number: transactional, with the sender id or origination number if set."""

    def __init__(self, sender_id: str | None = None, origination: str | None = None) -> None:
        self._attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if sender_id:
            self._attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
        if origination:
            self._attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String", "StringValue": origination}

    def send(self, to: str, text: str, reference: str) -> str:
        try:
            sent = aws.client("sns").publish(PhoneNumber=to, Message=text, MessageAttributes=self._attributes)
        except (ClientError, BotoCoreError) as error:
            raise SendFailed(f"SNS SMS: {error}") from error
        return str(sent["MessageId"])


class SesMail(MailGateway):
    """SES v2 raw mail from the centre's verified identity; text parts quoted-printable (7-bit safe)."""

    def __init__(self, sender: str) -> None:
        self._sender = sender

    def send(self, to: str, subject: str, text: str, reference: str, headers: dict[str, str]) -> str:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self._sender, to, subject
        mail["Date"] = formatdate(localtime=False)
        own = headers.get("Message-ID") or make_msgid(reference.replace(":", "."), self._sender.rpartition("@")[2])
        mail["Message-ID"] = own
        mail["Auto-Submitted"] = headers.get("Auto-Submitted", "auto-generated")  # RFC 3834: never answered
        for name, value in headers.items():
            if name not in ("Auto-Submitted", "Subject", "Message-ID"):
                mail[name] = value
        mail.set_content(text, cte="quoted-printable")
        try:
            sent = aws.client("sesv2").send_email(Content={"Raw": {"Data": mail.as_bytes()}})
        except (ClientError, BotoCoreError) as error:
            raise SendFailed(f"SES: {error}") from error
        return str(sent["MessageId"])
