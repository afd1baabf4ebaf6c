"""The IAM wildcards the deployment cannot do without, each with its reason.

`tests/infra` reads every policy statement of the synthesized templates and fails on an action with a
`*` in it, a `Resource: "*"`, or an AWS managed policy that is not listed here. A new entry needs a
reason a reviewer can check against AWS's Service Authorization Reference.
"""

from __future__ import annotations

from chalicelib.resources import OUTBOX_FUNCTION

_XRAY = "X-Ray takes no resource ARN: traces of the functions and the state machine (tracing is on)"
_VENDED_LOGS = (
    "Step Functions delivers its execution log through CloudWatch Logs' vended log delivery, whose actions "
    'take no resource ARN (AWS documents Resource "*" for them)'
)

#: Actions allowed on `Resource: "*"` because they accept no narrower resource.
RESOURCE_WILDCARDS: dict[str, str] = {
    "xray:PutTraceSegments": _XRAY,
    "xray:PutTelemetryRecords": _XRAY,
    "xray:GetSamplingRules": _XRAY,
    "xray:GetSamplingTargets": _XRAY,
    "dynamodb:ListStreams": (
        "Lambda's event source mapping lists the register table's streams; ListStreams takes no resource ARN "
        "(the stream itself is read under its own ARN)"
    ),
    "logs:CreateLogDelivery": _VENDED_LOGS,
    "logs:GetLogDelivery": _VENDED_LOGS,
    "logs:UpdateLogDelivery": _VENDED_LOGS,
    "logs:DeleteLogDelivery": _VENDED_LOGS,
    "logs:ListLogDeliveries": _VENDED_LOGS,
    "logs:PutResourcePolicy": _VENDED_LOGS,
    "logs:DescribeResourcePolicies": _VENDED_LOGS,
    "logs:DescribeLogGroups": _VENDED_LOGS,
}

#: Actions allowed on `Resource: "*"` to one function's role only, because that use of them names no
#: resource although the action can (any other role, and any other use, names its resource).
FUNCTION_RESOURCE_WILDCARDS: dict[tuple[str, str], str] = {
    (OUTBOX_FUNCTION, "sns:Publish"): (
        "SNS's direct SMS (a stage with sms_provider sns): a Publish to a phone number names no topic, and IAM "
        'authorizes it on Resource "*" only; the sender publishes to no topic but the supervision topic, which '
        "its role names. A stage with End User Messaging (the default) has no such statement"
    ),
}

#: Actions with a wildcard in their name (`service:*`, `service:Get*`): none is needed.
ACTION_WILDCARDS: dict[str, str] = {}

#: AWS managed policies attached to a role, by name.
MANAGED_POLICIES: dict[str, str] = {
    "service-role/AmazonAPIGatewayPushToCloudWatchLogs": (
        "API Gateway's account-wide logging role (access and execution logs of the stage); AWS maintains the "
        "policy as API Gateway's logging needs change, and only apigateway.amazonaws.com can assume the role"
    ),
}

#: ARN patterns that end in a wildcard below a known resource (not `*` alone), with why.
SCOPED_WILDCARDS: dict[str, str] = {
    "/index/*": "the register table's own indexes (the work queue and the reconciliation query them)",
    ":execution:": "executions of the case workflow only: their names (case id + generation) are made at run time",
    "/uploads/*": (
        "evidence uploads under one prefix of the evidence bucket: each key is a new random id made per upload, "
        "and the API signs the client's POST of it (so needs PutObject there), reads it and deletes it"
    ),
    "/evidence/*": (
        "the evidence files kept under one prefix of the evidence bucket, each key a new random id: the API "
        "writes each once, signs the staff's downloads (GetObject) and deletes a copy of a refused submission; "
        "receive_mail keeps an e-mail's attachments there the same way"
    ),
    "/inbound/*": (
        "the e-mail SES stores under one prefix of the mail bucket, each key SES's message id: receive_mail "
        "reads (GetObject) the one each S3 notification names"
    ),
}
