"""Each function's role allows what its code calls. Each function is run here (in-process, under moto)
through the paths it serves; every AWS call it makes is recorded and must be allowed by that function's
role in the template, on the right table (or its indexes). A call a role lacks is a function that fails
in AWS with AccessDenied while every other test passes.

The functions run with the channels the deployed stages configure (`infra/cdk.json`: SMS through End User
Messaging, which moto does not serve, so its calls are recorded and answered here as AWS answers them)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import boto3
import botocore.client
import botocore.signers
import pytest
from chalice.test import Client

from chalicelib import resources, wiring
from infra.functions import API_FUNCTION, RECONCILE_FUNCTION, logical_id
from tests.conftest import COMPLAINT, TINY_JPEG, post, staff_headers, upload
from tests.infra.conftest import Synthesized, stage_config

pytestmark = pytest.mark.xdist_group("infra")

#: (IAM action, table logical id or None, on an index) for one call.
Need = tuple[str, str | None, bool]
_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_IAM_SERVICE = {
    "dynamodb": "dynamodb",
    "stepfunctions": "states",
    "sns": "sns",
    "sqs": "sqs",
    "lambda": "lambda",
    "s3": "s3",
    "sesv2": "ses",
    "pinpoint-sms-voice-v2": "sms-voice",
}
#: S3 operations whose IAM action has another name (a HEAD is a GetObject to IAM; a copy is a PutObject of
#: the copy and a GetObject of its source, which reading it needed already).
_S3_ACTIONS = {"HeadObject": "GetObject", "CopyObject": "PutObject"}
#: Services moto does not serve, answered here as AWS answers the calls the app makes.
_ANSWERS: dict[tuple[str, str], Callable[[], dict[str, Any]]] = {
    ("pinpoint-sms-voice-v2", "SendTextMessage"): lambda: {"MessageId": str(uuid.uuid4())},
}


class Recorder:
    """Every AWS call made on the test's own thread (an execution's threads are moto's, not a function's)."""

    def __init__(self, tables: dict[str, str]) -> None:
        self.tables = tables  # table name -> logical id
        self.needs: set[Need] = set()
        self.active = False
        self._thread = threading.get_ident()

    def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        if not self.active or threading.get_ident() != self._thread:
            return
        if service == "s3":
            self.needs.add((f"s3:{_S3_ACTIONS.get(operation, operation)}", None, False))
        elif service == "sesv2" and operation == "SendEmail" and "Raw" in params.get("Content", {}):
            self.needs.add(("ses:SendRawEmail", None, False))  # IAM authorizes a raw v2 send as SendRawEmail
        elif service != "dynamodb":
            self.needs.add((f"{_IAM_SERVICE[service]}:{operation}", None, False))
        elif operation == "TransactWriteItems":  # IAM checks each item's own action
            for item in params["TransactItems"]:
                ((kind, write),) = item.items()
                self.needs.add((f"dynamodb:{_ITEM_ACTIONS[kind]}", self.tables[write["TableName"]], False))
        elif operation in ("BatchGetItem", "BatchWriteItem"):
            for table in params["RequestItems"]:
                self.needs.add((f"dynamodb:{operation}", self.tables[table], False))
        else:
            table = self.tables[params["TableName"]]
            self.needs.add((f"dynamodb:{operation}", table, "IndexName" in params))

    @contextmanager
    def calls_of(self) -> Iterator[set[Need]]:
        self.needs, self.active = set(), True
        try:
            yield self.needs
        finally:
            self.active = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The test's own calls, amid a function's run."""
        active, self.active = self.active, False
        try:
            yield
        finally:
            self.active = active


@pytest.fixture
def deployed_channels(stage_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """SMS as the deployed stages send them (the test stage's default is SNS)."""
    config = stage_config("dev")
    monkeypatch.setenv("SMS_PROVIDER", config.sms_provider)
    monkeypatch.setenv("SMS_ORIGINATION", config.sms_origination)
    wiring.reset()


@pytest.fixture
def recorder(aws: None, stage_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Recorder:
    tables = {stage_env[t.env_var]: t.logical_id for t in resources.TABLES}
    recording = Recorder(tables)
    call = botocore.client.BaseClient._make_api_call

    def recorded(client: Any, operation: str, params: dict[str, Any]) -> Any:
        service = client.meta.service_model.service_name
        recording.record(service, operation, params)
        if (service, operation) in _ANSWERS:
            return _ANSWERS[service, operation]()
        return call(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    # a signed link or form is no call, but whoever uses it acts with the signer's rights: S3 checks the
    # signer's role when the file is downloaded (GetObject) or uploaded (PutObject)
    presign_url = botocore.signers.RequestSigner.generate_presigned_url
    presign_post = botocore.signers.S3PostPresigner.generate_presigned_post

    def signed_url(signer: Any, request_dict: Any, operation_name: str, *args: Any, **kwargs: Any) -> Any:
        recording.record("s3", operation_name, {})
        return presign_url(signer, request_dict, operation_name, *args, **kwargs)

    def signed_post(signer: Any, *args: Any, **kwargs: Any) -> Any:
        recording.record("s3", "PutObject", {})
        return presign_post(signer, *args, **kwargs)

    monkeypatch.setattr(botocore.signers.RequestSigner, "generate_presigned_url", signed_url)
    monkeypatch.setattr(botocore.signers.S3PostPresigner, "generate_presigned_post", signed_post)
    return recording


def _allowed(template: dict[str, Any], function: str) -> list[tuple[list[str], list[Any]]]:
    role = template["Resources"][logical_id(function)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        (
            s["Action"] if isinstance(s["Action"], list) else [s["Action"]],
            s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]],
        )
        for policy in template["Resources"][role]["Properties"]["Policies"]
        for s in policy["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]


def _covers(resource: Any, table: str, index: bool) -> bool:
    if index:
        return resource == {"Fn::Join": ["", [{"Fn::GetAtt": [table, "Arn"]}, "/index/*"]]}
    return resource == {"Fn::GetAtt": [table, "Arn"]}


def missing(template: dict[str, Any], function: str, needs: set[Need]) -> list[Need]:
    allowed = _allowed(template, function)
    return sorted(
        need
        for need in needs
        if not any(
            need[0] in actions and (need[1] is None or any(_covers(r, need[1], need[2]) for r in resources_))
            for actions, resources_ in allowed
        )
    )


def _run_the_api(client: Client) -> tuple[str, str]:
    """Uploads, intake, tracking, the desk and the staff's reads: every kind of call the API function makes."""
    evidence = [upload(client, TINY_JPEG)]
    refused = upload(client, b"<html></html>")  # its clean copy is never made: the submission is refused
    post(client, "/v1/complaints", {**COMPLAINT, "evidence": [refused]})
    submitted = post(client, "/v1/complaints", {**COMPLAINT, "evidence": evidence}, **{"Idempotency-Key": "roles-1"})
    submitted = submitted.json_body
    code, access = submitted["tracking_code"], submitted["access_code"]
    client.http.get(f"/v1/complaints/{code}", headers={"X-Access-Code": access})
    client.http.get(f"/v1/complaints/{code}", headers={"X-Access-Code": "00000000"})
    supervisor = staff_headers("supervisor")
    case_id = submitted["id"]
    case = client.http.get(f"/v1/staff/cases/{case_id}", headers=supervisor).json_body
    client.http.get("/v1/staff/cases", headers=supervisor)
    client.http.get("/v1/staff/cases?overdue=true", headers=supervisor)
    client.http.get(f"/v1/staff/cases/{case_id}/audit", headers=supervisor)
    client.http.get(f"/v1/staff/cases/{case_id}/evidence/1", headers=supervisor)
    post(client, f"/v1/staff/cases/{case_id}/decide", {"decision": "accept", "version": case["version"]}, **supervisor)
    client.http.get("/v1/staff/outbox/dead-letters", headers=supervisor)
    client.http.get("/v1/staff/calendar/2026", headers=staff_headers("clerk"))
    calendar = {"holidays": ["2031-01-01"], "adjusted_workdays": []}
    client.http.put(
        "/v1/staff/calendar/2031",
        headers={"Content-Type": "application/json", **staff_headers("admin")},
        body=json.dumps(calendar),
    )
    return str(case_id), str(code)


def _sms_records(tracking_code: str) -> list[dict[str, Any]]:
    """Inbound SMS as the topic delivers them: a complaint filed, a status asked, a survey answer with no
    survey waiting, an opt-out (each an answer into the outbox)."""
    texts = [
        ("+8613800138001", "投诉 某超市卖过期牛奶"),
        ("+8613800138000", f"查询 {tracking_code}"),
        ("+8613800138000", "2 不满意"),
        ("+8613800138002", "TD"),
    ]
    return [
        {
            "Sns": {
                "Message": json.dumps(
                    {"inboundMessageId": f"sms-{n}", "originationNumber": sender, "messageBody": text}
                )
            }
        }
        for n, (sender, text) in enumerate(texts)
    ]


def _mail_records(env: dict[str, str]) -> list[dict[str, Any]]:
    """A mail with a photo attached as SES stores it, and the mail queue's message of it (S3's notification).
    The bucket's own notification is taken off first: moto would hand the mail to the function itself."""
    s3 = boto3.client("s3")
    bucket = env[resources.MAIL_BUCKET.env_var]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "张三 <zhang.san@example.com>", "ts@example.gov.cn", "投诉 过期牛奶"
    mail["Message-ID"] = "<m1@example.com>"
    mail.set_content("11月1日买的牛奶已经过期。")
    mail.add_attachment(TINY_JPEG, maintype="image", subtype="jpeg", filename="receipt.jpg")
    raw = b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n" + mail.as_bytes()
    key = f"{resources.MAIL_PREFIX}m1"
    s3.put_object(Bucket=bucket, Key=key, Body=raw)
    notice = {"Records": [{"s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": len(raw)}}}]}
    return [{"body": json.dumps(notice)}]


def _outbox_records(env: dict[str, str]) -> list[dict[str, Any]]:
    """Stream records of the register's outbox items, as the event source mapping delivers them."""
    items = boto3.client("dynamodb").scan(TableName=env[resources.REGISTER.env_var])["Items"]
    keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items if i["sk"]["S"].startswith("OUTBOX#")]
    keys = keys or [{"pk": {"S": "CASE#none"}, "sk": {"S": "OUTBOX#000001#00"}}]
    return [{"eventName": "INSERT", "dynamodb": {"Keys": k}} for k in keys]


def _handoff_records(env: dict[str, str], case_id: str) -> list[dict[str, Any]]:
    """The stream record of the case's last hand-off, its execution stopped since: the hand-over reads the
    case, tries the token it finds, looks the execution up and starts the case's workflow again."""
    sfn = boto3.client("stepfunctions")
    for run in sfn.list_executions(stateMachineArn=env["CASE_WORKFLOW_ARN"])["executions"]:
        if run["name"].startswith(case_id) and run["status"] == "RUNNING":
            sfn.stop_execution(executionArn=run["executionArn"])
    key = {"pk": {"S": f"CASE#{case_id}"}, "sk": {"S": "CASE"}}
    image = boto3.client("dynamodb").get_item(TableName=env[resources.REGISTER.env_var], Key=key)["Item"]
    return [{"eventName": "MODIFY", "dynamodb": {"Keys": key, "NewImage": image}}]


def test_each_function_is_allowed_every_call_its_code_makes(
    deployed_channels: None, client: Client, recorder: Recorder, stage_env: dict[str, str], synthesized: Synthesized
) -> None:
    runs: dict[str, Callable[[], Any]] = {}
    with recorder.calls_of() as api:
        case_id, tracking_code = _run_the_api(client)
    runs[resources.WORKFLOW_FUNCTION] = lambda: client.lambda_.invoke(
        resources.WORKFLOW_FUNCTION, {"action": "deadline_passed", "case_id": case_id, "step": "acceptance"}
    )
    sms = _sms_records(tracking_code)
    runs[resources.SMS_FUNCTION] = lambda: client.lambda_.invoke(resources.SMS_FUNCTION, {"Records": sms})
    mail = _mail_records(stage_env)
    runs[resources.MAIL_FUNCTION] = lambda: client.lambda_.invoke(resources.MAIL_FUNCTION, {"Records": mail})

    def send_notices() -> Any:
        """The notices of everything above (answers to the SMS and the mail among them), as the stream brings
        them."""
        with recorder.paused():
            records = _outbox_records(stage_env)
        return client.lambda_.invoke(resources.OUTBOX_FUNCTION, {"Records": records})

    runs[resources.OUTBOX_FUNCTION] = send_notices
    handoffs = _handoff_records(stage_env, case_id)
    runs[resources.HANDOVER_FUNCTION] = lambda: client.lambda_.invoke(
        resources.HANDOVER_FUNCTION, {"Records": handoffs}
    )
    runs[RECONCILE_FUNCTION] = lambda: client.lambda_.invoke(
        RECONCILE_FUNCTION, client.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
    )
    made = {API_FUNCTION: api}
    answers = {}
    for function, run in runs.items():
        with recorder.calls_of() as calls:
            answers[function] = run().payload
        made[function] = calls
    assert api and all(made.values()), "a function made no AWS call: the recording missed it"
    # every path ran: the inbound messages were handled, and the sender sent SMS and mail
    assert answers[resources.SMS_FUNCTION] == {"filed": 1, "answered": 3}, answers
    assert answers[resources.MAIL_FUNCTION] == {"filed": 1}, answers
    sent = {need[0] for need in made[resources.OUTBOX_FUNCTION]}
    assert {"sms-voice:SendTextMessage", "ses:SendRawEmail"} <= sent, sent
    lacking = {
        (stage, function): missing(template, function, calls)
        for stage, template in synthesized.templates().items()
        for function, calls in made.items()
    }
    assert {k: v for k, v in lacking.items() if v} == {}, "these roles lack what their function calls"


def test_the_check_finds_a_call_a_role_does_not_allow() -> None:
    template = {
        "Resources": {
            "APIHandler": {"Properties": {"Role": {"Fn::GetAtt": ["R", "Arn"]}}},
            "R": {
                "Properties": {
                    "Policies": [
                        {
                            "PolicyDocument": {
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "dynamodb:GetItem",
                                        "Resource": {"Fn::GetAtt": ["T", "Arn"]},
                                    }
                                ]
                            }
                        }
                    ]
                }
            },
        }
    }
    needs: set[Need] = {
        ("dynamodb:GetItem", "T", False),
        ("dynamodb:Query", "T", True),
        ("dynamodb:GetItem", "U", False),
    }
    assert missing(template, API_FUNCTION, needs) == [("dynamodb:GetItem", "U", False), ("dynamodb:Query", "T", True)]
