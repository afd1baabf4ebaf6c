"""The templates pass cfn-lint (after the SAM transform) with no error, and cdk-nag's AwsSolutions rules
with no finding that is not acknowledged with a reason (`infra/nag.py`); the synthesis fails otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from tests.infra.conftest import STAGES, Synthesized

pytestmark = pytest.mark.xdist_group("infra")

#: Where the templates are checked to deploy. Not AWS China: it has no Cognito user pools (cfn-lint E3006).
LINT_REGIONS = ["us-east-1", "ap-east-1", "ap-southeast-1"]


@pytest.mark.parametrize("stage", STAGES)
def test_cfn_lint_finds_no_error(synthesized: Synthesized, stage: str) -> None:
    text = (synthesized.out / f"{stage}.template.json").read_text(encoding="utf-8")
    matches = lint(text, config=ManualArgs(regions=LINT_REGIONS))
    errors = [f"{m.rule.id} {m.message} ({m.path_string})" for m in matches if m.rule.severity == "error"]
    assert errors == []


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
