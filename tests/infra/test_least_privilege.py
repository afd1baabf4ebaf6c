"""Least privilege: every Allow of every role in the templates names its actions one by one and the
resources it is for. A wildcard passes only when `infra/iam_allowances.py` lists it with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.iam_allowances import ACTION_WILDCARDS, MANAGED_POLICIES, RESOURCE_WILDCARDS, SCOPED_WILDCARDS
from tests.infra.conftest import STAGES, Synthesized

pytestmark = pytest.mark.xdist_group("infra")


def _statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical, statement
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in props["PolicyDocument"]["Statement"]:
                yield logical, statement


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _text(resource: Any) -> str:
    """A resource ARN as text, each reference shown as `<ref>`."""
    if isinstance(resource, str):
        return resource
    if isinstance(resource, dict) and "Fn::Join" in resource:
        return "".join(_text(part) for part in resource["Fn::Join"][1])
    return "<ref>"


def _managed_policy_names(template: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for logical, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            for arn in resource["Properties"].get("ManagedPolicyArns", []):
                yield logical, _text(arn).split(":policy/", 1)[-1]


def wildcard_findings(template: dict[str, Any]) -> list[str]:
    """Every wildcard not justified in infra/iam_allowances.py, as `role: what`."""
    found = []
    for logical, statement in _statements(template):
        if statement["Effect"] != "Allow":
            continue
        actions = _listed(statement["Action"])
        resources = [_text(r) for r in _listed(statement["Resource"])]
        found += [f"{logical}: action {a}" for a in actions if "*" in a and a not in ACTION_WILDCARDS]
        if "*" in resources:
            found += [f"{logical}: {a} on *" for a in actions if a not in RESOURCE_WILDCARDS]
        for resource in resources:
            if resource != "*" and "*" in resource and not any(p in resource for p in SCOPED_WILDCARDS):
                found.append(f"{logical}: resource {resource}")
    found += [
        f"{role}: managed policy {name}"
        for role, name in _managed_policy_names(template)
        if name not in MANAGED_POLICIES
    ]
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_no_role_holds_a_wildcard_that_is_not_justified(synthesized: Synthesized, stage: str) -> None:
    assert wildcard_findings(synthesized.template(stage)) == []


def test_the_check_finds_a_data_wildcard_a_star_resource_and_an_unlisted_managed_policy() -> None:
    template = {
        "Resources": {
            "Loose": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [
                        {
                            "PolicyDocument": {
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "dynamodb:*",
                                        "Resource": {"Fn::GetAtt": ["T", "Arn"]},
                                    },
                                    {
                                        "Effect": "Allow",
                                        "Action": ["sns:Publish", "xray:PutTraceSegments"],
                                        "Resource": "*",
                                    },
                                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
                                    {"Effect": "Deny", "Action": "*", "Resource": "*"},
                                ]
                            }
                        }
                    ],
                    "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                },
            }
        }
    }
    assert wildcard_findings(template) == [
        "Loose: action dynamodb:*",
        "Loose: sns:Publish on *",
        "Loose: resource arn:aws:s3:::b/*",
        "Loose: managed policy AdministratorAccess",
    ]


def test_every_allowance_has_a_reason() -> None:
    for allowances in (RESOURCE_WILDCARDS, ACTION_WILDCARDS, MANAGED_POLICIES, SCOPED_WILDCARDS):
        for what, reason in allowances.items():
            assert len(reason) > 30, what
