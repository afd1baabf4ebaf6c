"""cdk-nag (AwsSolutions) findings this deployment accepts, each on the construct it concerns, with the
reason a reviewer can check. Anything else cdk-nag finds stops the synthesis (`make synth`, `make test`)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

from chalicelib import resources
from infra.functions import API_FUNCTION
from infra.iam_allowances import FUNCTION_RESOURCE_WILDCARDS, MANAGED_POLICIES, RESOURCE_WILDCARDS, SCOPED_WILDCARDS
from infra.stack import ComplaintsStack


def _no_resource_arn(*actions: str) -> str:
    """Why a role may use `Resource: "*"`: the actions it allows on it take no narrower resource."""
    by_reason: dict[str, list[str]] = {}
    for action in actions:
        by_reason.setdefault(RESOURCE_WILDCARDS[action], []).append(action)
    return "; ".join(f"{', '.join(names)}: {reason}" for reason, names in by_reason.items())


_XRAY = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
_MACHINE = (
    *_XRAY,
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
_INDEXES = "IAM5[Resource::<RegisterTable.Arn>/index/*]"


def suppress(stack: ComplaintsStack) -> None:
    def accept(construct: IConstruct, rule: str, reason: str) -> None:
        Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions-{rule}", reason=reason))

    for queue in stack.failure_queues:
        accept(
            queue,
            "SQS3",
            "this queue is itself a dead-letter queue: the end of the outbox's, a stream mapping's, the mail "
            "queue's or an inbound SMS's retries (staff read the notices' through GET "
            "/v1/staff/outbox/dead-letters, an alarm watches each depth)",
        )
    accept(
        stack.app_secret,
        "SMG4",
        "APP_SECRET keys the HMAC of every stored access code: rotating it would make "
        "every complainant's code unusable, so it is rotated only by a planned re-keying (docs/deploy.md)",
    )
    for function, role in stack.roles.items():
        streams = (resources.OUTBOX_FUNCTION, resources.HANDOVER_FUNCTION)
        stream = ("dynamodb:ListStreams",) if function in streams else ()
        reason = _no_resource_arn(*_XRAY, *stream)
        if function == resources.OUTBOX_FUNCTION and stack.config.sms_provider == "sns":
            reason += f"; sns:Publish: {FUNCTION_RESOURCE_WILDCARDS[(function, 'sns:Publish')]}"
        accept(role, "IAM5[Resource::*]", reason)
    accept(stack.state_machine.role, "IAM5[Resource::*]", _no_resource_arn(*_MACHINE))
    accept(stack.roles[API_FUNCTION], _INDEXES, SCOPED_WILDCARDS["/index/*"])
    scoped = {
        API_FUNCTION: [
            (resources.EVIDENCE_BUCKET, resources.UPLOAD_PREFIX),
            (resources.EVIDENCE_BUCKET, resources.EVIDENCE_PREFIX),
        ],
        resources.MAIL_FUNCTION: [
            (resources.MAIL_BUCKET, resources.MAIL_PREFIX),
            (resources.EVIDENCE_BUCKET, resources.EVIDENCE_PREFIX),
        ],
    }
    for function, prefixes in scoped.items():
        for bucket, prefix in prefixes:
            wildcard = f"/{prefix}*"
            rule = f"IAM5[Resource::<{bucket.logical_id}.Arn>{wildcard}]"
            accept(stack.roles[function], rule, SCOPED_WILDCARDS[wildcard])
    if stack.access_logs_bucket is not None:
        accept(
            stack.access_logs_bucket,
            "S1",
            "this bucket receives the evidence and mail buckets' server access logs; logging its own access into "
            "itself would log every log delivery (a loop), and only S3's log delivery and administrators reach it",
        )
    executions = f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{stack.state_machine_name}:*"
    accept(stack.roles[resources.HANDOVER_FUNCTION], f"IAM5[Resource::{executions}]", SCOPED_WILDCARDS[":execution:"])
    managed = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    accept(
        stack.api_gateway_logs_role,
        f"IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{managed}]",
        MANAGED_POLICIES[managed],
    )
    # CDK's own template check runs before the SAM transform, which makes Chalice's functions Lambda functions
    Validations.of(stack.sms_subscription).acknowledge(
        Acknowledgment(
            id="CloudFormation-Validate::W3694",
            reason="the endpoint is the receive_sms function, an AWS::Serverless::Function until the SAM transform "
            "makes it the AWS::Lambda::Function the subscription invokes (tests/infra transform and lint it)",
        )
    )
    # ... and creates the API's stage
    Validations.of(stack.waf_association).acknowledge(
        Acknowledgment(
            id="CloudFormation-Validate::E3005",
            reason=f"{stack.sam_stage} is the API stage the SAM "
            "transform generates from Chalice's API (tests/infra transform the template and find it)",
        )
    )
