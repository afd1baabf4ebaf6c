"""Writes `infra/statemachine/case_lifecycle.asl.json` from the workflow's steps (the deployable file).

    python -m local.asl          # rewrite the file
    python -m local.asl --check  # exit 1 if the file is not what this would write (a test runs it)

The ten `Await…` states differ only in their step, so they are generated rather than copied: a new
step is one line in `WAITS`. The written file is what deploys and what the tests execute, unchanged.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chalicelib.domain.lifecycle.steps import STEPS
from chalicelib.resources import CASE_WORKFLOW
from local.stage import PROJECT_DIR

#: step -> (state name, what people do there)
WAITS: dict[str, tuple[str, str]] = {
    "acceptance": ("AwaitAcceptanceDecision", "受理: accept, reject with a reason code, or transfer"),
    "assignment": ("AwaitAssignment", "交办: a supervisor hands the case to a unit and a handler"),
    "handling": ("AwaitHandling", "调查核实: investigation until the response (or mediation, a pause)"),
    "mediation": (
        "AwaitMediationOutcome",
        "调解: agreement or termination; 60 days from acceptance, paused for appraisal",
    ),
    "paused": ("AwaitResumption", "鉴定/检测: appraisal or testing; the pausable clocks stand still"),
    "feedback": ("AwaitFeedback", "回访: satisfied closes, not satisfied reopens, silence closes as no reply"),
    "appeal_window": ("AwaitAppealWindow", "申诉期: a closed case may still be appealed"),
    "review": ("AwaitAppealReview", "申诉复核: a supervisor's final decision"),
    "notify_reporter": ("AwaitReporterNotice", "告知举报人: a real-name reporter is told the filing decision"),
    "answer": ("AwaitAnswer", "咨询/建议: answered or passed on"),
}
LAMBDA_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "States.TaskFailed",
]


#: Entering a wait, the execution leaves its token and the version of the case its input was computed
#: from: a hand-off of that version or an older one has arrived (`service.workflow.hand_over` reads it).
WAIT_HERE = "SET task_token = :token, step = :step, since = :since, version = :version"


def _task_key() -> dict[str, Any]:
    return {"pk": {"S.$": "States.Format('CASE#{}', $.case_id)"}, "sk": {"S": "TASK"}}


def _await(step: str, comment: str) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Comment": comment,
        "Resource": "arn:aws:states:::aws-sdk:dynamodb:updateItem.waitForTaskToken",
        "Parameters": {
            "TableName": "${RegisterTable}",
            "Key": _task_key(),
            "UpdateExpression": WAIT_HERE,
            "ExpressionAttributeValues": {
                ":token": {"S.$": "$$.Task.Token"},
                ":step": {"S": step},
                ":since": {"S.$": "$$.State.EnteredTime"},
                ":version": {"N.$": "States.Format('{}', $.version)"},
            },
        },
        "TimeoutSecondsPath": "$.timeout_seconds",
        "Catch": [
            {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timed_out", "Next": "DeadlinePassed"},
        ],
        "Next": "Route",
    }


def _lambda_task(action: str, comment: str, on_failure: str) -> dict[str, Any]:
    """A call of the workflow function: it reads the register and returns the execution's next input."""
    return {
        "Type": "Task",
        "Comment": comment,
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {
            "FunctionName": "${WorkflowFunctionArn}",
            "Payload": {"action": action, "case_id.$": "$.case_id", "step.$": "$.step"},
        },
        "ResultSelector": {
            "case_id.$": "$.Payload.case_id",
            "step.$": "$.Payload.step",
            "timeout_seconds.$": "$.Payload.timeout_seconds",
            "retry_seconds.$": "$.Payload.retry_seconds",
            "version.$": "$.Payload.version",
        },
        # two quick retries for a passing fault; past them the Catch below waits longer and tries again
        "Retry": [{"ErrorEquals": LAMBDA_ERRORS, "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.task_error", "Next": on_failure}],
        "Next": "Route",
    }


def definition() -> dict[str, Any]:
    choices = [{"Variable": "$.step", "StringEquals": step, "Next": WAITS[step][0]} for step in WAITS]
    choices.append({"Variable": "$.step", "StringEquals": "done", "Next": "CaseFinished"})
    states: dict[str, Any] = {
        "Route": {
            "Type": "Choice",
            "Comment": "Python decides the step (lifecycle.steps.step_of); the workflow only waits there.",
            "Choices": choices,
            "Default": "UnknownStep",
        }
    }
    states |= {name: _await(step, comment) for step, (name, comment) in WAITS.items()}
    states["DeadlinePassed"] = _lambda_task(
        "deadline_passed",
        "The step's deadline (or its supervision reminder) came: mark overdue, escalate, or act on expiry.",
        "WaitBeforeRetry",
    )
    states["WaitBeforeRetry"] = {
        "Type": "Wait",
        "Comment": "The task kept failing: the case keeps its timers; wait, then try again (never end the case).",
        "SecondsPath": "$.retry_seconds",
        "Next": "DeadlinePassed",
    }
    states["CaseFinished"] = {
        "Type": "Succeed",
        "Comment": "Closed, withdrawn, rejected or transferred: the record is archived.",
    }
    states["UnknownStep"] = {"Type": "Fail", "Error": "Complaint.UnknownStep", "CausePath": "$.step"}
    assert set(WAITS) | {"done"} == set(STEPS), "every step of the rules needs its wait here"
    return {
        "Comment": "One case from receipt to closing (投诉举报处理). Each Await* state waits for people with a task "
        "token left on the case's TASK item, and a timer from TimeoutSecondsPath; the app resumes it with the "
        "next step. Generated by `python -m local.asl`.",
        "StartAt": "Route",
        "States": states,
    }


def rendered() -> str:
    return json.dumps(definition(), ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    path = PROJECT_DIR / CASE_WORKFLOW.definition
    if parser.parse_args().check:
        return 0 if path.read_text(encoding="utf-8") == rendered() else 1
    path.write_text(rendered(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
