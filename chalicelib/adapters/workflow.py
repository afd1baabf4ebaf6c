"""The case workflow on AWS Step Functions, and the SNS topics people are told through."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.domain.case import Case, Event
from chalicelib.service.ports import Notifier, Workflow

#: A token that timed out, or whose task already ended: the workflow moved on without this hand-off.
STALE_TOKEN = {"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"}


class StepFunctionsWorkflow(Workflow):
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn
        self._client = boto3.client("stepfunctions")

    def _execution_arn(self, case_id: str) -> str:
        return self._arn.replace(":stateMachine:", ":execution:") + f":{case_id}"

    def start(self, case_id: str, signal: dict[str, Any]) -> None:
        try:
            self._client.start_execution(stateMachineArn=self._arn, name=case_id, input=json.dumps(signal))
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise

    def resume(self, token: str, signal: dict[str, Any]) -> bool:
        try:
            self._client.send_task_success(taskToken=token, output=json.dumps(signal))
        except ClientError as error:
            if error.response["Error"]["Code"] in STALE_TOKEN:
                return False
            raise
        return True

    def status(self, case_id: str) -> str | None:
        try:
            return str(self._client.describe_execution(executionArn=self._execution_arn(case_id))["status"])
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return None
            raise


class SnsNotifier(Notifier):
    def __init__(self, supervision_topic_arn: str, notices_topic_arn: str) -> None:
        self._supervision = supervision_topic_arn
        self._notices = notices_topic_arn
        self._client = boto3.client("sns")

    def _publish(self, topic: str, case: Case, event: Event) -> None:
        message = {"case_id": case.id, "kind": case.kind.value, "event": event.type, **_safe(event.data)}
        self._client.publish(
            TopicArn=topic,
            Message=json.dumps(message, ensure_ascii=False),
            # subscribers filter on these: leadership hears only what is escalated to it
            MessageAttributes={
                "event": {"DataType": "String", "StringValue": event.type},
                "escalate_to": {"DataType": "String", "StringValue": str(event.data.get("escalate_to", "none"))},
            },
        )

    def supervisors(self, case: Case, event: Event) -> None:
        self._publish(self._supervision, case, event)

    def complainant(self, case: Case, event: Event) -> None:
        self._publish(self._notices, case, event)


def _safe(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in ("clock", "due_date", "reminder", "escalate_to", "about")}
