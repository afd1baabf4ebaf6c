"""Least privilege: every Allow of every role in the templates names its actions one by one and the
resources it is for. A wildcard passes only when `infra/iam_allowances.py` lists it with its reason (for
every role, or for one function's)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import resources as declared
from infra.functions import logical_id
from infra.iam_allowances import (
    ACTION_WILDCARDS,
    FUNCTION_RESOURCE_WILDCARDS,
    MANAGED_POLICIES,
    RESOURCE_WILDCARDS,
    SCOPED_WILDCARDS,
)
from tests.infra.conftest import STAGES, Synthesized, options_config, stage_config

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


def _roles_of_functions(template: dict[str, Any]) -> dict[str, str]:
    """Each function's role: role logical id -> the function's Chalice name."""
    functions = {logical_id(name): name for name, _ in FUNCTION_RESOURCE_WILDCARDS}
    return {
        resource["Properties"]["Role"]["Fn::GetAtt"][0]: functions[logical]
        for logical, resource in template["Resources"].items()
        if logical in functions and "Fn::GetAtt" in resource["Properties"].get("Role", {})
    }


def wildcard_findings(template: dict[str, Any]) -> list[str]:
    """Every wildcard not justified in infra/iam_allowances.py, as `role: what`."""
    found = []
    functions = _roles_of_functions(template)
    for logical, statement in _statements(template):
        if statement["Effect"] != "Allow":
            continue
        actions = _listed(statement["Action"])
        resources = [_text(r) for r in _listed(statement["Resource"])]
        found += [f"{logical}: action {a}" for a in actions if "*" in a and a not in ACTION_WILDCARDS]
        if "*" in resources:
            function = functions.get(logical, "")
            found += [
                f"{logical}: {a} on *"
                for a in actions
                if a not in RESOURCE_WILDCARDS and (function, a) not in FUNCTION_RESOURCE_WILDCARDS
            ]
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


def test_nor_with_the_channel_options_on(synthesized_options: Synthesized) -> None:
    template = synthesized_options.template(options_config().stage)
    assert wildcard_findings(template) == []


def _allows(template: dict[str, Any], function: str) -> list[tuple[list[str], list[str]]]:
    role = template["Resources"][logical_id(function)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        (_listed(s["Action"]), [_text(r) for r in _listed(s["Resource"])])
        for logical, s in _statements(template)
        if logical == role and s["Effect"] == "Allow"
    ]


def _resources_of(template: dict[str, Any], function: str, action: str) -> list[str]:
    return sorted(r for actions, resources in _allows(template, function) if action in actions for r in resources)


@pytest.mark.parametrize("stage", STAGES)
def test_the_sender_sends_sms_from_its_number_only_mail_from_its_address_only_and_publishes_to_no_topic_of_others(
    synthesized: Synthesized, stage: str
) -> None:
    template = synthesized.template(stage)
    sender = declared.OUTBOX_FUNCTION
    origination = stage_config(stage).sms_origination
    assert _resources_of(template, sender, "sms-voice:SendTextMessage") == [
        f"arn:<ref>:sms-voice:<ref>:<ref>:phone-number/{origination}"
    ]
    identities = [f"arn:<ref>:ses:<ref>:<ref>:identity/{i}" for i in stage_config(stage).mail_identities]
    assert _resources_of(template, sender, "ses:SendRawEmail") == sorted(identities)
    assert _resources_of(template, sender, "ses:SendEmail") == sorted(identities)
    # the supervision topic only: never the inbound SMS topic, nor "*" (the SMS go through End User Messaging)
    assert [a for a in _allows(template, sender) if "sns:Publish" in a[0]] == [(["sns:Publish"], ["<ref>"])]
    (statement,) = [s for _, s in _statements(template) if s.get("Action") == "sns:Publish" and s["Effect"] == "Allow"]
    assert statement["Resource"] == {"Ref": declared.SUPERVISION_TOPIC.logical_id}
    for function in (declared.SMS_FUNCTION, declared.MAIL_FUNCTION):  # they answer through the outbox
        assert not [
            a
            for actions, _ in _allows(template, function)
            for a in actions
            if a.split(":")[0] in ("ses", "sms-voice", "sns")
        ]


def test_with_sns_sms_only_the_sender_may_publish_to_a_phone_number(synthesized_options: Synthesized) -> None:
    config = options_config()
    template = synthesized_options.template(config.stage)
    wildcards = [
        (logical, statement)
        for logical, statement in _statements(template)
        if statement["Effect"] == "Allow"
        and "sns:Publish" in _listed(statement["Action"])
        and statement["Resource"] == "*"
    ]
    assert [logical for logical, _ in wildcards] == [
        template["Resources"][logical_id(declared.OUTBOX_FUNCTION)]["Properties"]["Role"]["Fn::GetAtt"][0]
    ]
    assert _resources_of(template, declared.OUTBOX_FUNCTION, "sms-voice:SendTextMessage") == []
    identities = [f"arn:<ref>:ses:<ref>:<ref>:identity/{i}" for i in config.mail_identities]
    assert _resources_of(template, declared.OUTBOX_FUNCTION, "ses:SendRawEmail") == sorted(identities)


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


def test_a_wildcard_allowed_to_one_function_is_allowed_to_its_role_only() -> None:
    publish = {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}
    template = {
        "Resources": {
            "SendNotices": {"Type": "AWS::Serverless::Function", "Properties": {"Role": {"Fn::GetAtt": ["A", "Arn"]}}},
            "HandOver": {"Type": "AWS::Serverless::Function", "Properties": {"Role": {"Fn::GetAtt": ["B", "Arn"]}}},
            "A": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyDocument": {"Statement": [publish]}}]}},
            "B": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyDocument": {"Statement": [publish]}}]}},
        }
    }
    assert (declared.OUTBOX_FUNCTION, "sns:Publish") in FUNCTION_RESOURCE_WILDCARDS
    assert wildcard_findings(template) == ["B: sns:Publish on *"]


def test_every_allowance_has_a_reason() -> None:
    for allowances in (
        RESOURCE_WILDCARDS,
        ACTION_WILDCARDS,
        MANAGED_POLICIES,
        SCOPED_WILDCARDS,
        FUNCTION_RESOURCE_WILDCARDS,
    ):
        for what, reason in allowances.items():
            assert len(reason) > 30, what
