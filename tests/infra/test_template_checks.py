"""The templates pass cfn-lint with no error, before and after the SAM transform, and cdk-nag's AwsSolutions rules
with no finding that is not acknowledged with a reason (`infra/nag.py`); the synthesis fails otherwise. They hold
the resources docs/deploy.md counts."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from chalicelib import errors
from chalicelib.api.http import error_body
from tests.infra.conftest import PROJECT_DIR, STAGES, Synthesized, options_config

pytestmark = pytest.mark.xdist_group("infra")

#: Where the templates are checked to deploy. Not AWS China: it has no Cognito user pools (cfn-lint E3006).
LINT_REGIONS = ["us-east-1", "ap-east-1", "ap-southeast-1"]


def lint_errors(template: dict[str, Any], regions: list[str] = LINT_REGIONS) -> list[str]:
    from cfnlint.api import ManualArgs, lint  # half a second to import: only in the worker that lints

    matches = lint(json.dumps(template), config=ManualArgs(regions=regions))
    return [f"{m.rule.id} {m.message} ({m.path_string})" for m in matches if m.rule.severity == "error"]


def test_cfn_lint_finds_no_error_before_or_after_the_sam_transform(synthesized: Synthesized) -> None:
    # cfn-lint reads SAM resources by their own schema; the transformed template is what CloudFormation
    # deploys, with the API's stage, deployment, the functions' schedule and permissions made real. prod
    # here; dev has the same resources with other values, and is linted with every option added
    # (tests/infra/test_channels.py), so a third lint in three regions found nothing the two do not.
    assert lint_errors(synthesized.template("prod")) == []
    assert lint_errors(synthesized.transformed("prod")) == []


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_stage_is_throttled_logged_and_guarded_and_answers_unknown_routes_with_a_json_404(
    synthesized: Synthesized, stage: str
) -> None:
    resources = synthesized.transformed(stage)["Resources"]
    (api_stage,) = [k for k, v in resources.items() if v["Type"] == "AWS::ApiGateway::Stage"]
    props = resources[api_stage]["Properties"]
    (method,) = props["MethodSettings"]
    assert method["ThrottlingRateLimit"] > 0 and method["ThrottlingBurstLimit"] > 0
    assert method["DataTraceEnabled"] is False
    assert props["AccessLogSetting"]["DestinationArn"] and props["TracingEnabled"] is True
    association = resources["ApiFirewallAssociation"]
    assert association["DependsOn"] == [api_stage]
    body = resources["RestAPI"]["Properties"]["Body"]
    missing = body["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["statusCode"] == "404"
    answer = json.loads(missing["responseTemplates"]["application/json"])
    assert answer == error_body(errors.NotFound.code, answer["error"]["message"])


def test_cdk_nag_ran_and_every_acknowledged_finding_has_a_reason(synthesized: Synthesized) -> None:
    # a finding not acknowledged stops the synthesis (the fixture fails); cdk-nag reports only failures
    report = json.loads((synthesized.out / "validation-report.json").read_text(encoding="utf-8"))
    assert all(r["conclusion"] == "success" for r in report["pluginReports"])
    for stage in STAGES:
        acknowledged = _acknowledged(synthesized.template(stage))
        assert acknowledged, "cdk-nag wrote no acknowledgment: did it run?"
        for (_resource, rule), reason in acknowledged.items():
            assert len(reason) > 40, rule


def _acknowledged(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (logical, rule["id"]): rule["reason"]
        for logical, resource in template["Resources"].items()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }


#: What the deployment is made of, by type, as CloudFormation deploys it (after the SAM transform), and what
#: the channel options add. The tests package the app without its dependencies, so without the Lambda
#: layer `make synth` adds (one more).
RESOURCE_COUNTS = {
    "AWS::Lambda::Function": 7,
    "AWS::Lambda::EventSourceMapping": 3,  # the register's stream twice, the mail queue
    "AWS::Lambda::EventInvokeConfig": 1,  # receive_sms's retries and failure queue
    "AWS::Lambda::Permission": 3,  # API Gateway, the schedule, the SMS topic
    "AWS::SNS::Topic": 3,
    "AWS::SNS::TopicPolicy": 3,
    "AWS::SNS::Subscription": 1,
    "AWS::SQS::Queue": 6,
    "AWS::SQS::QueuePolicy": 6,
    "AWS::S3::Bucket": 3,
    "AWS::S3::BucketPolicy": 3,
    "AWS::CloudWatch::Alarm": 10,
    "AWS::Logs::LogGroup": 9,
    "AWS::IAM::Role": 9,
}
BUNDLED_ONLY = 1  # the dependencies' layer
OPTIONS_ADD = {
    "AWS::SES::EmailIdentity": 1,
    "AWS::SES::ReceiptRuleSet": 1,
    "AWS::SES::ReceiptRule": 1,
    "AWS::Cognito::UserPoolDomain": 1,
}


def _documented_counts() -> tuple[int, int]:
    """The counts docs/deploy.md gives: each stage's, and with every channel option."""
    text = (PROJECT_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    match = re.search(r"\*\*Resource counts\*\*.*?: (\d+) resources.*?hosted UI's\s+domain \((\d+)\)", text, re.S)
    assert match, "docs/deploy.md no longer says how many resources a stage has"
    return int(match[1]), int(match[2])


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_has_the_resources_docs_deploy_md_counts(synthesized: Synthesized, stage: str) -> None:
    deployed = synthesized.transformed(stage)["Resources"]
    kinds = Counter(r["Type"] for r in deployed.values())
    assert {kind: kinds[kind] for kind in RESOURCE_COUNTS} == RESOURCE_COUNTS
    assert len(deployed) + BUNDLED_ONLY == _documented_counts()[0]


def test_the_channel_options_add_what_docs_deploy_md_counts(synthesized_options: Synthesized) -> None:
    deployed = synthesized_options.transformed(options_config().stage)["Resources"]
    kinds = Counter(r["Type"] for r in deployed.values())
    assert {kind: kinds[kind] for kind in OPTIONS_ADD} == OPTIONS_ADD
    assert len(deployed) + BUNDLED_ONLY == _documented_counts()[1]
