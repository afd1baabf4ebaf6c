"""Where supervision's notices go (an SNS topic), and a dead-letter queue (SQS) for notices given up on."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws
from chalicelib.domain.notices import Notice
from chalicelib.service.ports import DeadLetters, NoticeSender, OutboxEntry, SendFailed


class SnsNoticeSender(NoticeSender):
    """Supervision's notices (escalations, 督办 reminders) on its topic, for subscribers to filter."""

    def __init__(self, topic: str) -> None:
        self._topic = topic

    def send(self, notice: Notice, send_key: str) -> None:
        try:
            self._publish(notice, send_key)
        except (ClientError, BotoCoreError) as error:
            raise SendFailed(f"SNS publish: {error}") from error

    def _publish(self, notice: Notice, send_key: str) -> None:
        aws.client("sns").publish(
            TopicArn=self._topic,
            Message=json.dumps(notice.message, ensure_ascii=False),
            # subscribers filter on these; `send_key` lets them drop a repeat of a notice already handled
            MessageAttributes={
                "event": {"DataType": "String", "StringValue": str(notice.message.get("event", ""))},
                "escalate_to": {"DataType": "String", "StringValue": str(notice.message.get("escalate_to", "none"))},
                "send_key": {"DataType": "String", "StringValue": send_key},
            },
        )


class SqsDeadLetters(DeadLetters):
    def __init__(self, queue_url: str) -> None:
        self._url = queue_url

    def put(self, entry: OutboxEntry, error: str) -> None:
        body = {
            "send_key": entry.send_key,
            "audience": entry.notice.audience.value,
            "message": entry.notice.message,
            "attempts": entry.attempts,
            "error": error[:500],
        }
        aws.client("sqs").send_message(QueueUrl=self._url, MessageBody=json.dumps(body, ensure_ascii=False))

    def peek(self, limit: int) -> list[dict[str, Any]]:
        """Look without taking: a zero visibility timeout leaves every message where it was."""
        found = aws.client("sqs").receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=min(limit, 10), VisibilityTimeout=0, WaitTimeSeconds=0
        )
        return [json.loads(m["Body"]) for m in found.get("Messages", [])]
