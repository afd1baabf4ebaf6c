"""The channels as deployed: End User Messaging's two-way SMS may publish to the inbound SMS topic, which
invokes `receive_sms`; SES may store mail under the mail bucket's `inbound/`, whose new objects reach
`receive_mail` through the mail queue; what either function keeps failing on ends in a failure queue with
an alarm; the services that write into the encrypted topic, queue and bucket may use the stack's key for
that and nothing else. With a recipient configured, the stack adds the SES receipt rule set."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import resources
from infra.functions import FUNCTIONS, MAIL_RECEIVES, SMS_RETRIES, logical_id
from tests.infra.conftest import STAGES, Synthesized, options_config, stage_config
from tests.infra.test_template_checks import lint_errors

pytestmark = pytest.mark.xdist_group("infra")

SMS = logical_id(resources.SMS_FUNCTION)
MAIL = logical_id(resources.MAIL_FUNCTION)


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == kind}


def _text(value: Any) -> str:
    """An ARN or name as text, each reference shown as `<ref>`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_text(part) for part in value["Fn::Join"][1])
    return "<ref>"


def _policy_of(template: dict[str, Any], kind: str, key: str, target: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of the resource policies (`kind`) that apply to `target` (their `key` lists it)."""
    return [
        statement
        for props in _of_type(template, kind).values()
        if target in (props[key] if isinstance(props[key], list) else [props[key]])
        for statement in props["PolicyDocument"]["Statement"]
    ]


def _allowed_to(statements: list[dict[str, Any]], service: str) -> list[dict[str, Any]]:
    return [s for s in statements if s["Effect"] == "Allow" and s.get("Principal") == {"Service": service}]


def _key_policy(template: dict[str, Any]) -> list[dict[str, Any]]:
    (key,) = _of_type(template, "AWS::KMS::Key").values()
    statements: list[dict[str, Any]] = key["KeyPolicy"]["Statement"]
    return statements


def _mail_bucket_arn(template: dict[str, Any]) -> str:
    name = _text(template["Resources"][resources.MAIL_BUCKET.logical_id]["Properties"]["BucketName"])
    return f"arn:<ref>:s3:::{name}"


@pytest.mark.parametrize("stage", STAGES)
def test_two_way_sms_publishes_to_the_topic_and_the_topic_invokes_receive_sms(
    synthesized: Synthesized, stage: str
) -> None:
    template = synthesized.template(stage)
    topic = {"Ref": resources.SMS_INBOUND_TOPIC.logical_id}
    (subscription,) = _of_type(template, "AWS::SNS::Subscription").values()
    assert subscription == {"TopicArn": topic, "Protocol": "lambda", "Endpoint": {"Fn::GetAtt": [SMS, "Arn"]}}
    permissions = [
        p for p in _of_type(template, "AWS::Lambda::Permission").values() if p["Principal"] == "sns.amazonaws.com"
    ]
    assert permissions == [
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [SMS, "Arn"]},
            "Principal": "sns.amazonaws.com",
            "SourceArn": topic,
        }
    ]
    (publish,) = _allowed_to(_policy_of(template, "AWS::SNS::TopicPolicy", "Topics", topic), "sms-voice.amazonaws.com")
    assert publish["Action"] == "sns:Publish" and publish["Resource"] == topic
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert _text(publish["Condition"]["ArnLike"]["aws:SourceArn"]) == "arn:<ref>:sms-voice:<ref>:<ref>:*"
    # the topic is encrypted with the stack's key: End User Messaging may use it, from this account only
    (key_use,) = _allowed_to(_key_policy(template), "sms-voice.amazonaws.com")
    assert key_use["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    # the supervision topic is no one's but the app's
    supervision = {"Ref": resources.SUPERVISION_TOPIC.logical_id}
    assert not [
        s for s in _policy_of(template, "AWS::SNS::TopicPolicy", "Topics", supervision) if s["Effect"] == "Allow"
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_an_sms_receive_sms_keeps_failing_on_goes_to_an_alarmed_failure_queue(
    synthesized: Synthesized, stage: str
) -> None:
    template = synthesized.template(stage)
    (invoke,) = _of_type(template, "AWS::Lambda::EventInvokeConfig").values()
    assert invoke["FunctionName"] == {"Ref": SMS} and invoke["MaximumRetryAttempts"] == SMS_RETRIES
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["InboundSmsFailures", "Arn"]}
    assert "InboundSmsFailures" in _alarmed_queues(template)


@pytest.mark.parametrize("stage", STAGES)
def test_ses_stores_mail_under_inbound_and_s3_tells_the_mail_queue(synthesized: Synthesized, stage: str) -> None:
    template = synthesized.template(stage)
    bucket_ref = {"Ref": resources.MAIL_BUCKET.logical_id}
    bucket = template["Resources"][resources.MAIL_BUCKET.logical_id]
    queue = {"Fn::GetAtt": [resources.MAIL_QUEUE.logical_id, "Arn"]}
    (notification,) = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert notification == {
        "Event": "s3:ObjectCreated:*",
        "Queue": queue,
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": resources.MAIL_PREFIX}]}},
    }
    # SES may put objects under inbound/ only, for this account's receipt rules
    (ses,) = _allowed_to(_policy_of(template, "AWS::S3::BucketPolicy", "Bucket", bucket_ref), "ses.amazonaws.com")
    assert ses["Action"] == "s3:PutObject"
    assert ses["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [resources.MAIL_BUCKET.logical_id, "Arn"]}, "/inbound/*"]]
    }
    assert ses["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    # the mail queue takes S3's messages from this bucket only; S3 checks that policy when the notification
    # is set, so the bucket waits for it
    queue_ref = {"Ref": resources.MAIL_QUEUE.logical_id}
    (s3,) = _allowed_to(_policy_of(template, "AWS::SQS::QueuePolicy", "Queues", queue_ref), "s3.amazonaws.com")
    assert s3["Action"] == "sqs:SendMessage" and s3["Resource"] == queue
    assert _text(s3["Condition"]["ArnLike"]["aws:SourceArn"]) == _mail_bucket_arn(template)
    (queue_policy,) = [
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::SQS::QueuePolicy" and queue_ref in v["Properties"]["Queues"]
    ]
    assert queue_policy in bucket["DependsOn"]
    # the key: S3 for its messages to the encrypted queue, SES for the bucket's data key of this bucket only
    (s3_key,) = _allowed_to(_key_policy(template), "s3.amazonaws.com")
    assert _text(s3_key["Condition"]["ArnLike"]["aws:SourceArn"]) == _mail_bucket_arn(template)
    (ses_key,) = _allowed_to(_key_policy(template), "ses.amazonaws.com")
    context = ses_key["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"]
    assert _text(context) == _mail_bucket_arn(template)
    # a browser never posts to it
    assert "CorsConfiguration" not in bucket["Properties"]
    assert "CorsConfiguration" in template["Resources"][resources.EVIDENCE_BUCKET.logical_id]["Properties"]


@pytest.mark.parametrize("stage", STAGES)
def test_the_mail_queue_feeds_receive_mail_and_hands_what_fails_to_an_alarmed_failure_queue(
    synthesized: Synthesized, stage: str
) -> None:
    template = synthesized.template(stage)
    queue = {"Fn::GetAtt": [resources.MAIL_QUEUE.logical_id, "Arn"]}
    (mapping,) = [
        m for m in _of_type(template, "AWS::Lambda::EventSourceMapping").values() if m["EventSourceArn"] == queue
    ]
    assert mapping["FunctionName"] == {"Ref": MAIL} and mapping["BatchSize"] == 1
    props = template["Resources"][resources.MAIL_QUEUE.logical_id]["Properties"]
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [resources.MAIL_FAILURES.logical_id, "Arn"]},
        "maxReceiveCount": MAIL_RECEIVES,
    }
    timeout = {f.name: f.timeout_seconds for f in FUNCTIONS}[resources.MAIL_FUNCTION]
    assert props["VisibilityTimeout"] >= 6 * timeout  # Lambda's advice for a queue it polls
    alarmed = _alarmed_queues(template)
    assert resources.MAIL_FAILURES.logical_id in alarmed
    assert resources.MAIL_QUEUE.logical_id not in alarmed  # mail waiting there is mail arriving


def _alarmed_queues(template: dict[str, Any]) -> set[str]:
    return {
        dimension["Value"]["Fn::GetAtt"][0]
        for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values()
        if alarm.get("Namespace") == "AWS/SQS" and alarm["AlarmActions"]
        for dimension in alarm["Dimensions"]
    }


@pytest.mark.parametrize("stage", STAGES)
def test_every_failure_queue_has_an_alarm(synthesized: Synthesized, stage: str) -> None:
    assert _alarmed_queues(synthesized.template(stage)) == {
        resources.DEAD_LETTER_QUEUE.logical_id,
        resources.MAIL_FAILURES.logical_id,
        "OutboxStreamFailures",
        "HandOverStreamFailures",
        "InboundSmsFailures",
    }


@pytest.mark.parametrize("stage", STAGES)
def test_without_a_recipient_no_receipt_rule_is_made(synthesized: Synthesized, stage: str) -> None:
    assert not stage_config(stage).inbound_mail_recipient
    template = synthesized.template(stage)
    assert not [k for k, v in template["Resources"].items() if v["Type"].startswith("AWS::SES::Receipt")]


def test_with_a_recipient_ses_stores_its_mail_under_inbound_once_the_bucket_allows_it(
    synthesized_options: Synthesized,
) -> None:
    config = options_config()
    template = synthesized_options.template(config.stage)
    (rule_set,) = _of_type(template, "AWS::SES::ReceiptRuleSet")
    (logical,) = _of_type(template, "AWS::SES::ReceiptRule")
    rule = template["Resources"][logical]
    assert rule["Properties"]["RuleSetName"] == {"Ref": rule_set}
    props = rule["Properties"]["Rule"]
    assert props["Recipients"] == [config.inbound_mail_recipient]
    assert props["Enabled"] and props["ScanEnabled"] and props["TlsPolicy"] == "Require"
    assert props["Actions"] == [
        {
            "S3Action": {
                "BucketName": {"Ref": resources.MAIL_BUCKET.logical_id},
                "ObjectKeyPrefix": resources.MAIL_PREFIX,
            }
        }
    ]
    # SES writes a test object when the rule is made
    (bucket_policy,) = [
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::S3::BucketPolicy"
        and v["Properties"]["Bucket"] == {"Ref": resources.MAIL_BUCKET.logical_id}
    ]
    assert bucket_policy in rule["DependsOn"]
    (identity,) = _of_type(template, "AWS::SES::EmailIdentity").values()
    assert identity["EmailIdentity"] == config.email_identity


def test_the_stage_with_every_option_passes_cfn_lint_where_ses_receives_mail(synthesized_options: Synthesized) -> None:
    stage = options_config().stage
    regions = ["us-east-1"]  # SES receives mail in a few regions only
    assert lint_errors(synthesized_options.template(stage), regions) == []
    assert lint_errors(synthesized_options.transformed(stage), regions) == []


@pytest.mark.parametrize("stage", STAGES)
def test_the_functions_get_the_channels_of_their_stage(synthesized: Synthesized, stage: str) -> None:
    config = stage_config(stage)
    expected = {
        "SMS_PROVIDER": config.sms_provider,
        "SMS_ORIGINATION": config.sms_origination,
        "MAIL_FROM": config.mail_from,
        "PUBLIC_SITE_URL": config.public_site_url,
        resources.MAIL_BUCKET.env_var: {"Ref": resources.MAIL_BUCKET.logical_id},
    }
    functions = _of_type(synthesized.template(stage), "AWS::Serverless::Function")
    for name, props in functions.items():
        env = props["Environment"]["Variables"]
        assert {k: env.get(k) for k in expected} == expected, name
        assert not [k for k in env if k.startswith("NOTICE")], name  # NOTICES_TOPIC_ARN and co. are gone


def test_the_options_reach_the_functions(synthesized_options: Synthesized) -> None:
    config = options_config()
    functions = _of_type(synthesized_options.template(config.stage), "AWS::Serverless::Function")
    for props in functions.values():
        env = props["Environment"]["Variables"]
        assert (env["SMS_PROVIDER"], env["SMS_ORIGINATION"], env["SMS_SENDER_ID"]) == (
            "sns",
            config.sms_origination,
            config.sms_sender_id,
        )
        assert json.dumps(env["MAIL_FROM"]) == json.dumps(config.mail_from)
