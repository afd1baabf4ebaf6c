"""cdk-nag (AwsSolutions) findings this deployment accepts, each on the construct it concerns, with the
reason a reviewer can check. Anything else cdk-nag finds stops the synthesis (`make synth`, `make test`)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

from chalicelib import resources
from infra.functions import API_FUNCTION
from infra.iam_allowances import MANAGED_POLICIES, RESOURCE_WILDCARDS, SCOPED_WILDCARDS
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

    for queue in (*stack.queues.values(), *stack.stream_failures.values()):
        accept(
            queue,
            "SQS3",
            "this queue is itself a dead-letter queue: the end of the outbox's or a stream mapping's retries "
            "(staff read the notices' through GET /v1/staff/outbox/dead-letters, an alarm watches each depth)",
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
        accept(role, "IAM5[Resource::*]", _no_resource_arn(*_XRAY, *stream))
    accept(stack.state_machine.role, "IAM5[Resource::*]", _no_resource_arn(*_MACHINE))
    accept(stack.roles[API_FUNCTION], _INDEXES, SCOPED_WILDCARDS["/index/*"])
    for logical in stack.buckets:
        for prefix in (resources.UPLOAD_PREFIX, resources.EVIDENCE_PREFIX):
            wildcard = f"/{prefix}*"
            accept(stack.roles[API_FUNCTION], f"IAM5[Resource::<{logical}.Arn>{wildcard}]", SCOPED_WILDCARDS[wildcard])
    if stack.access_logs_bucket is not None:
        accept(
            stack.access_logs_bucket,
            "S1",
            "this bucket receives the evidence bucket's server access logs; logging its own access into itself "
            "would log every log delivery (a loop), and only S3's log delivery and administrators reach it",
        )
    executions = f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{stack.state_machine_name}:*"
    accept(stack.roles[resources.HANDOVER_FUNCTION], f"IAM5[Resource::{executions}]", SCOPED_WILDCARDS[":execution:"])
    managed = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    accept(
        stack.api_gateway_logs_role,
        f"IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{managed}]",
        MANAGED_POLICIES[managed],
    )
    # CDK's own template check runs before the SAM transform, which is what creates the stage
    Validations.of(stack.waf_association).acknowledge(
        Acknowledgment(
            id="CloudFormation-Validate::E3005",
            reason=f"{stack.sam_stage} is the API stage the SAM "
            "transform generates from Chalice's API (tests/infra transform the template and find it)",
        )
    )
