"""Every AWS resource the app uses, declared once.

The local stack provisions moto from these declarations and the AWS deployment (`infra/`) builds
its CloudFormation from them, so the two cannot drift. The app finds each resource through the
environment variable named here; `.chalice/config.json` sets it per stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Key:
    name: str
    type: str = "S"


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: Key
    sort_key: Key | None = None
    projection: tuple[str, ...] | None = None  # None: every attribute; otherwise the keys and these

    def projection_args(self) -> dict[str, Any]:
        if self.projection is None:
            return {"ProjectionType": "ALL"}
        if not self.projection:
            return {"ProjectionType": "KEYS_ONLY"}
        return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(self.projection)}


@dataclass(frozen=True)
class Table:
    logical_id: str
    env_var: str
    partition_key: Key
    sort_key: Key | None = None
    ttl_attribute: str | None = None
    indexes: tuple[Index, ...] = field(default=())
    stream: str | None = None  # StreamViewType of the table's stream, if its changes are consumed

    def create_table_args(self, table_name: str) -> dict[str, Any]:
        """Arguments of DynamoDB `CreateTable` for this table (on-demand billing)."""
        keys = [self.partition_key] + [k for k in (self.sort_key,) if k]
        for index in self.indexes:
            keys += [index.partition_key] + [k for k in (index.sort_key,) if k]
        attributes = {k.name: k.type for k in keys}
        args: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
        }
        if self.indexes:
            args["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition_key, index.sort_key),
                    "Projection": index.projection_args(),
                }
                for index in self.indexes
            ]
        if self.stream:
            args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream}
        return args


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


#: What the work queue's indexes carry besides their keys: the case's summary (its stored part and the
#: attributes it is completed from: version, status, unit, handler), which the other filters also read.
_QUEUE_FIELDS = ("summary", "version", "q_status", "q_unit", "q_handler")


def _queue_index(name: str, partition: str) -> Index:
    """A work-queue index: sparse (only open cases carry its key), ordered by the nearest deadline."""
    projection = tuple(f for f in _QUEUE_FIELDS if f != partition)
    return Index(name, Key(partition), Key("next_due_at"), projection=projection)


#: The register: cases (登记), their timelines, outgoing notices (the outbox), audit trails, workflow
#: task tokens, tracking-code claims, calendar years and attempt budgets. The work queue reads sparse
#: indexes that hold open cases only (a closed case leaves them), each entry the case's summary; the
#: unfiltered queue merges the statuses' partitions of `by_status`, so no single partition takes every
#: case's writes. Its stream carries new outbox items to the sender and hand-offs to the workflow.
REGISTER = Table(
    logical_id="RegisterTable",
    env_var="REGISTER_TABLE",
    partition_key=Key("pk"),
    sort_key=Key("sk"),
    ttl_attribute="expires_at",
    indexes=(
        _queue_index("by_status", "q_status"),
        _queue_index("by_unit", "q_unit"),
        _queue_index("by_handler", "q_handler"),
    ),
    stream="NEW_IMAGE",
)

#: Powertools idempotency records of intake requests (its default attribute names).
IDEMPOTENCY = Table(
    logical_id="IdempotencyTable",
    env_var="IDEMPOTENCY_TABLE",
    partition_key=Key("id"),
    ttl_attribute="expiration",
)

TABLES = (REGISTER, IDEMPOTENCY)


@dataclass(frozen=True)
class Topic:
    logical_id: str
    env_var: str
    purpose: str


#: Supervisors hear of escalations and reminders (督办).
SUPERVISION_TOPIC = Topic("SupervisionTopic", "SUPERVISION_TOPIC_ARN", "escalations and supervision reminders")
#: Where AWS End User Messaging's two-way SMS publishes the messages sent to the centre's number; the
#: `receive_sms` function is subscribed to it.
SMS_INBOUND_TOPIC = Topic("SmsInboundTopic", "SMS_INBOUND_TOPIC_ARN", "SMS sent to the centre's two-way number")
TOPICS = (SUPERVISION_TOPIC, SMS_INBOUND_TOPIC)


@dataclass(frozen=True)
class Queue:
    logical_id: str
    env_var: str  # holds the queue's URL
    purpose: str


#: Notices that could not be sent after every retry: staff see them (GET /v1/staff/outbox/dead-letters).
DEAD_LETTER_QUEUE = Queue("NoticesDeadLetterQueue", "DEAD_LETTER_QUEUE_URL", "notices that could not be sent")
#: The mail bucket's new objects (S3 event notifications), for the `receive_mail` function; one that keeps
#: failing goes on to the next queue, alarmed.
MAIL_QUEUE = Queue("InboundMailQueue", "MAIL_INBOUND_QUEUE_URL", "inbound e-mail objects to register")
MAIL_FAILURES = Queue("InboundMailFailures", "MAIL_FAILURES_QUEUE_URL", "inbound e-mail that could not be handled")
QUEUES = (DEAD_LETTER_QUEUE, MAIL_QUEUE, MAIL_FAILURES)


@dataclass(frozen=True)
class Bucket:
    logical_id: str
    env_var: str  # holds the bucket's name
    purpose: str
    expiring: tuple[tuple[str, int], ...] = ()  # (key prefix, days): objects under it are deleted after that
    browser_uploads: bool = False  # browsers POST files to it from the site (signed forms): CORS allows POST


#: Where clients upload evidence files (signed S3 POST) and where the app keeps them once a submission
#: links them (`service/evidence.py`); unlinked uploads are deleted after a day. Private, encrypted.
UPLOAD_PREFIX = "uploads/"
EVIDENCE_PREFIX = "evidence/"
UNLINKED_UPLOAD_DAYS = 1
EVIDENCE_BUCKET = Bucket(
    "EvidenceBucket",
    "EVIDENCE_BUCKET",
    "evidence files: uploads waiting for their submission, and the files kept with the cases",
    expiring=((UPLOAD_PREFIX, UNLINKED_UPLOAD_DAYS),),
    browser_uploads=True,
)
#: Raw inbound e-mail, as SES receipt rules store it (under `inbound/`); kept a while as received.
MAIL_PREFIX = "inbound/"
MAIL_KEPT_DAYS = 90
MAIL_BUCKET = Bucket(
    "MailBucket",
    "MAIL_INBOUND_BUCKET",
    "e-mail to the centre as received (SES receipt), each registered or answered by `receive_mail`",
    expiring=((MAIL_PREFIX, MAIL_KEPT_DAYS),),
)
BUCKETS = (EVIDENCE_BUCKET, MAIL_BUCKET)


@dataclass(frozen=True)
class StateMachine:
    logical_id: str
    env_var: str
    definition: str  # path of the ASL file, relative to the project
    substitutions: tuple[tuple[str, str], ...]  # ${Name} in the ASL -> env var holding its value


#: One Standard execution per case, from receipt to closing; it owns the case's deadline timers.
CASE_WORKFLOW = StateMachine(
    logical_id="CaseWorkflow",
    env_var="CASE_WORKFLOW_ARN",
    definition="infra/statemachine/case_lifecycle.asl.json",
    substitutions=(("RegisterTable", REGISTER.env_var), ("WorkflowFunctionArn", "WORKFLOW_FUNCTION_ARN")),
)
STATE_MACHINES = (CASE_WORKFLOW,)

#: The Lambda function (the Chalice app's `workflow` handler) that the state machine's tasks invoke.
WORKFLOW_FUNCTION = "workflow"
#: The Lambda function that sends the outbox's notices, fed by the register table's stream.
OUTBOX_FUNCTION = "send_notices"
#: The Lambda function that makes sure each hand-off reaches the case's execution, fed by the same stream.
HANDOVER_FUNCTION = "hand_over"
#: The Lambda function subscribed to the inbound SMS topic.
SMS_FUNCTION = "receive_sms"
#: The Lambda function fed by the inbound mail queue.
MAIL_FUNCTION = "receive_mail"
