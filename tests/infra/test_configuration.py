"""What each deployed function is given: every setting the fail-fast `chalicelib/settings.py` requires,
from the constructs of the same stack; no secret in the template; its own size and its own role."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import resources
from chalicelib.domain.roles import ROLES
from chalicelib.settings import Settings
from infra.functions import FUNCTIONS, logical_id
from tests.infra.conftest import STAGES, Synthesized, options_config, stage_config

pytestmark = pytest.mark.xdist_group("infra")


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def _logical_of(template: dict[str, Any], kind: str) -> str:
    (found,) = [k for k, v in template["Resources"].items() if v["Type"] == kind]
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_starts_its_settings_are_all_given(synthesized: Synthesized, stage: str) -> None:
    for name, props in _functions(synthesized.template(stage)).items():
        env = props["Environment"]["Variables"]
        # CloudFormation fills the references in; that each is there is what the cold start checks
        settings = Settings.from_env({k: v if isinstance(v, str) else f"<{k}>" for k, v in env.items()})
        assert settings.stage == stage and not settings.local, name
        assert settings.staff_auth == "cognito", name


@pytest.mark.parametrize("stage", STAGES)
def test_each_setting_names_the_resource_of_its_own_stack(synthesized: Synthesized, stage: str) -> None:
    template = synthesized.template(stage)
    machine = template["Resources"][resources.CASE_WORKFLOW.logical_id]["Properties"]
    expected: dict[str, Any] = {t.env_var: {"Ref": t.logical_id} for t in (*resources.TABLES, *resources.TOPICS)}
    expected |= {q.env_var: {"Ref": q.logical_id} for q in resources.QUEUES}  # a queue's Ref is its URL
    expected |= {b.env_var: {"Ref": b.logical_id} for b in resources.BUCKETS}  # a bucket's Ref is its name
    expected["COGNITO_USER_POOL_ID"] = {"Ref": _logical_of(template, "AWS::Cognito::UserPool")}
    expected["COGNITO_APP_CLIENT_ID"] = {"Ref": _logical_of(template, "AWS::Cognito::UserPoolClient")}
    expected["COGNITO_REGION"] = {"Ref": "AWS::Region"}
    for name, props in _functions(template).items():
        env = props["Environment"]["Variables"]
        for variable, reference in expected.items():
            assert env[variable] == reference, (name, variable)
        arn = env[resources.CASE_WORKFLOW.env_var]["Fn::Join"][1]
        assert arn[-1] == f":stateMachine:{machine['StateMachineName']}", name


@pytest.mark.parametrize("stage", STAGES)
def test_no_secret_is_written_into_the_template(synthesized: Synthesized, stage: str) -> None:
    for name, props in _functions(synthesized.template(stage)).items():
        env = props["Environment"]["Variables"]
        assert "STAFF_JWT_SECRET" not in env, name
        secret = env["APP_SECRET"]
        # a reference CloudFormation resolves at deploy time from Secrets Manager, not a value
        text = "".join(part if isinstance(part, str) else "<ref>" for part in secret["Fn::Join"][1])
        assert text.startswith("{{resolve:secretsmanager:") and text.endswith("}}"), name


@pytest.mark.parametrize("stage", STAGES)
def test_each_function_has_its_measured_size_and_a_role_of_its_own(synthesized: Synthesized, stage: str) -> None:
    functions = _functions(synthesized.template(stage))
    assert set(functions) == {logical_id(f.name) for f in FUNCTIONS}
    roles = set()
    for function in FUNCTIONS:
        props = functions[logical_id(function.name)]
        assert (props["MemorySize"], props["Timeout"]) == (function.memory_mb, function.timeout_seconds)
        assert props["Tracing"] == "Active"
        roles.add(props["Role"]["Fn::GetAtt"][0])
    assert len(roles) == len(FUNCTIONS)


@pytest.mark.parametrize("stage", STAGES)
def test_the_staff_groups_are_the_apps_roles(synthesized: Synthesized, stage: str) -> None:
    template = synthesized.template(stage)
    groups = {
        v["Properties"]["GroupName"]
        for v in template["Resources"].values()
        if v["Type"] == "AWS::Cognito::UserPoolGroup"
    }
    assert groups == set(ROLES)
    pool = template["Resources"][_logical_of(template, "AWS::Cognito::UserPool")]["Properties"]
    assert pool["MfaConfiguration"] == "ON"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


@pytest.mark.parametrize("stage", STAGES)
def test_the_console_signs_in_with_the_code_grant_and_returns_to_staff(synthesized: Synthesized, stage: str) -> None:
    resources_ = synthesized.template(stage)["Resources"].values()
    (client,) = [r["Properties"] for r in resources_ if r["Type"] == "AWS::Cognito::UserPoolClient"]
    console = stage_config(stage).public_site_url.rstrip("/") + "/staff/"
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["CallbackURLs"] == client["LogoutURLs"] == [console]
    assert client["GenerateSecret"] is False  # a browser keeps no secret: PKCE instead


def test_with_a_hosted_ui_the_functions_name_its_domain(synthesized_options: Synthesized) -> None:
    config = options_config()
    for props in _functions(synthesized_options.template(config.stage)).values():
        domain = props["Environment"]["Variables"]["COGNITO_DOMAIN"]
        assert domain == {
            "Fn::Join": ["", [f"{config.auth_domain_prefix}.auth.", {"Ref": "AWS::Region"}, ".amazoncognito.com"]]
        }
