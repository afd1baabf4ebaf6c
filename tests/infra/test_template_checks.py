"""The templates pass cfn-lint with no error, before and after the SAM transform, and cdk-nag's AwsSolutions rules
with no finding that is not acknowledged with a reason (`infra/nag.py`); the synthesis fails otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from chalicelib import errors
from chalicelib.api.http import error_body
from tests.infra.conftest import STAGES, Synthesized

pytestmark = pytest.mark.xdist_group("infra")

#: Where the templates are checked to deploy. Not AWS China: it has no Cognito user pools (cfn-lint E3006).
LINT_REGIONS = ["us-east-1", "ap-east-1", "ap-southeast-1"]


def _lint_errors(template: dict[str, Any]) -> list[str]:
    matches = lint(json.dumps(template), config=ManualArgs(regions=LINT_REGIONS))
    return [f"{m.rule.id} {m.message} ({m.path_string})" for m in matches if m.rule.severity == "error"]


@pytest.mark.parametrize("stage", STAGES)
def test_cfn_lint_finds_no_error_before_or_after_the_sam_transform(synthesized: Synthesized, stage: str) -> None:
    # cfn-lint reads SAM resources by their own schema; the transformed template is what CloudFormation
    # deploys, with the API's stage, deployment, the functions' schedule and permissions made real
    assert _lint_errors(synthesized.template(stage)) == []
    assert _lint_errors(synthesized.transformed(stage)) == []


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
