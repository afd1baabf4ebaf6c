"""The case workflow on AWS Step Functions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws
from chalicelib.service.ports import Ended, Run, Workflow, WorkflowUnavailable

#: A token that timed out, or whose task already ended: the workflow moved on without this hand-off.
STALE_TOKEN = {"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class StepFunctionsWorkflow(Workflow):
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn

    def _execution_arn(self, name: str) -> str:
        return self._arn.replace(":stateMachine:", ":execution:") + f":{name}"

    def start(self, name: str, signal: dict[str, Any]) -> None:
        try:
            aws.client("stepfunctions").start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(signal))
        except ClientError as error:
            if _code(error) != "ExecutionAlreadyExists":
                raise WorkflowUnavailable(f"StartExecution {name}: {_code(error)}") from error
        except BotoCoreError as error:
            raise WorkflowUnavailable(f"StartExecution {name}: {error}") from error

    def resume(self, token: str, signal: dict[str, Any]) -> bool:
        try:
            aws.client("stepfunctions").send_task_success(taskToken=token, output=json.dumps(signal))
        except ClientError as error:
            if _code(error) in STALE_TOKEN:
                return False
            raise WorkflowUnavailable(f"SendTaskSuccess: {_code(error)}") from error
        except BotoCoreError as error:
            raise WorkflowUnavailable(f"SendTaskSuccess: {error}") from error
        return True

    def run(self, name: str) -> Run | None:
        try:
            found = aws.client("stepfunctions").describe_execution(executionArn=self._execution_arn(name))
        except ClientError as error:
            if _code(error) == "ExecutionDoesNotExist":
                return None
            raise WorkflowUnavailable(f"DescribeExecution {name}: {_code(error)}") from error
        except BotoCoreError as error:
            raise WorkflowUnavailable(f"DescribeExecution {name}: {error}") from error
        return Run(str(found["status"]), int(json.loads(found.get("input") or "{}").get("version", 0)))

    def ended(self, statuses: frozenset[str], since: datetime) -> list[Ended]:
        """ListExecutions by status, every page: it orders by *start* time, newest first, so an execution
        started long ago (a case's runs for weeks) that stopped just now comes after recent ones that
        stopped long ago, and no page can be the last to hold one stopped since `since`. Only the
        executions that ended badly are listed (few: Step Functions keeps them 90 days)."""
        found: list[Ended] = []
        try:
            pages = aws.client("stepfunctions").get_paginator("list_executions")
            for status in sorted(statuses):
                for page in pages.paginate(stateMachineArn=self._arn, statusFilter=status):
                    found += [
                        Ended(run["name"], status, run["stopDate"])
                        for run in page["executions"]
                        if run.get("stopDate") and run["stopDate"] >= since
                    ]
        except ClientError as error:
            raise WorkflowUnavailable(f"ListExecutions: {_code(error)}") from error
        except BotoCoreError as error:
            raise WorkflowUnavailable(f"ListExecutions: {error}") from error
        return sorted(found, key=lambda run: run.at, reverse=True)
