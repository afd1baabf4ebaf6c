"""One declaration of each resource: what the local stack creates (`local/provision.py`, from
`chalicelib/resources.py`) is in the deployment's templates, with the same keys, indexes, stream and TTL."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chalicelib import resources
from local.provision import state_machine_definition
from tests.infra.conftest import STAGES, Synthesized, stage_config

pytestmark = pytest.mark.xdist_group("infra")


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == kind}


def _by_env(declared: tuple[Any, ...], env: dict[str, str], name: str) -> Any:
    """The declaration behind a resource the local stack created, found through the stage's environment."""
    found = [d for d in declared if env[d.env_var].endswith(name)]
    assert len(found) == 1, f"the local stack created {name}, which chalicelib/resources.py does not declare"
    return found[0]


def _indexes(indexes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        i["IndexName"]: (
            i["KeySchema"],
            i["Projection"]["ProjectionType"],
            sorted(i["Projection"].get("NonKeyAttributes", [])),
        )
        for i in indexes
    }


def _local_tables(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """What the local stack made of each table, keyed by its declared logical id."""
    client = boto3.client("dynamodb")
    made = {}
    for name in client.list_tables()["TableNames"]:
        table = client.describe_table(TableName=name)["Table"]
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        made[_by_env(resources.TABLES, env, name).logical_id] = {
            "KeySchema": table["KeySchema"],
            "AttributeDefinitions": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
            "Indexes": _indexes(table.get("GlobalSecondaryIndexes", [])),
            "Stream": table.get("StreamSpecification", {}).get("StreamViewType"),
            "TTL": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None,
        }
    return made


def _deployed_table(props: dict[str, Any]) -> dict[str, Any]:
    ttl = props.get("TimeToLiveSpecification", {})
    return {
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "Indexes": _indexes(props.get("GlobalSecondaryIndexes", [])),
        "Stream": props.get("StreamSpecification", {}).get("StreamViewType"),
        "TTL": ttl.get("AttributeName") if ttl.get("Enabled") else None,
    }


def test_every_table_the_local_stack_creates_is_deployed_with_the_same_keys_indexes_stream_and_ttl(
    aws: None, stage_env: dict[str, str], synthesized: Synthesized
) -> None:
    local = _local_tables(stage_env)
    assert set(local) == {t.logical_id for t in resources.TABLES}
    for stage, template in synthesized.templates().items():
        deployed = _of_type(template, "AWS::DynamoDB::Table")
        assert set(deployed) == set(local), stage
        for logical, made in local.items():
            assert _deployed_table(deployed[logical]) == made, f"{stage} {logical}"


def test_every_deployed_table_is_encrypted_with_the_stacks_key_recoverable_and_protected(
    synthesized: Synthesized,
) -> None:
    for stage, template in synthesized.templates().items():
        keys = _of_type(template, "AWS::KMS::Key")
        assert len(keys) == 1, stage
        for logical, props in _of_type(template, "AWS::DynamoDB::Table").items():
            sse = props["SSESpecification"]
            assert sse["SSEEnabled"] and sse["SSEType"] == "KMS", (stage, logical)
            assert sse["KMSMasterKeyId"] == {"Fn::GetAtt": [next(iter(keys)), "Arn"]}, (stage, logical)
            assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
            protect = stage_config(stage).protect_data
            assert props["DeletionProtectionEnabled"] is protect, (stage, logical)
            assert template["Resources"][logical]["DeletionPolicy"] == ("Retain" if protect else "Delete")


def test_every_topic_and_queue_the_local_stack_creates_is_deployed_encrypted(
    aws: None, stage_env: dict[str, str], synthesized: Synthesized
) -> None:
    topics = {
        _by_env(resources.TOPICS, stage_env, t["TopicArn"].rsplit(":", 1)[-1]).logical_id
        for t in boto3.client("sns").list_topics()["Topics"]
    }
    queues = {
        _by_env(resources.QUEUES, stage_env, url.rsplit("/", 1)[-1]).logical_id
        for url in boto3.client("sqs").list_queues()["QueueUrls"]
    }
    assert topics == {t.logical_id for t in resources.TOPICS}
    assert queues == {q.logical_id for q in resources.QUEUES}
    for stage, template in synthesized.templates().items():
        deployed_topics = _of_type(template, "AWS::SNS::Topic")
        deployed_queues = _of_type(template, "AWS::SQS::Queue")
        for logical in topics:
            assert "KmsMasterKeyId" in deployed_topics[logical], (stage, logical)
        for logical in queues:
            assert "KmsMasterKeyId" in deployed_queues[logical], (stage, logical)


def test_the_state_machine_is_the_asl_file_the_tests_execute_its_substitutions_filled_from_the_constructs(
    aws: None, stage_env: dict[str, str], synthesized: Synthesized
) -> None:
    client = boto3.client("stepfunctions")
    local = {
        _by_env(resources.STATE_MACHINES, stage_env, m["name"]).logical_id: json.loads(
            client.describe_state_machine(stateMachineArn=m["stateMachineArn"])["definition"]
        )
        for m in client.list_state_machines()["stateMachines"]
    }
    assert set(local) == {m.logical_id for m in resources.STATE_MACHINES}
    filled_from = {
        resources.REGISTER.env_var: {"Ref": resources.REGISTER.logical_id},
        "WORKFLOW_FUNCTION_ARN": {"Fn::GetAtt": ["Workflow", "Arn"]},
    }
    for stage, template in synthesized.templates().items():
        machines = _of_type(template, "AWS::StepFunctions::StateMachine")
        for declared in resources.STATE_MACHINES:
            props = machines[declared.logical_id]
            # the deployed definition is the file, placeholders and all (an S3 asset); CloudFormation fills them in
            asset = synthesized.out / f"asset.{props['DefinitionS3Location']['Key']}"
            assert asset.read_text(encoding="utf-8") == state_machine_definition(declared.definition, {}), stage
            assert props["DefinitionSubstitutions"] == {n: filled_from[v] for n, v in declared.substitutions}
            local_values = {name: stage_env[env_var] for name, env_var in declared.substitutions}
            filled = json.loads(state_machine_definition(declared.definition, local_values))
            assert filled == local[declared.logical_id], "the local stack runs another definition"
            assert props["StateMachineType"] == "STANDARD"
            assert props["TracingConfiguration"] == {"Enabled": True}
            assert props["LoggingConfiguration"]["Level"] == "ALL"
            assert props["LoggingConfiguration"]["IncludeExecutionData"] is False


@pytest.mark.parametrize("stage", STAGES)
def test_the_stream_feeds_new_outbox_items_to_the_sender_and_handoffs_to_the_hand_over(
    synthesized: Synthesized, stage: str
) -> None:
    template = synthesized.template(stage)
    stream = {"Fn::GetAtt": [resources.REGISTER.logical_id, "StreamArn"]}
    mappings = {
        m["FunctionName"]["Ref"]: m
        for m in _of_type(template, "AWS::Lambda::EventSourceMapping").values()
        if m["EventSourceArn"] == stream
    }
    assert set(mappings) == {"SendNotices", "HandOver"}
    expected = {
        "SendNotices": (
            {"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "OUTBOX#"}]}}}},
            "OutboxStreamFailures",
        ),
        "HandOver": (
            {
                "eventName": ["INSERT", "MODIFY"],
                "dynamodb": {"Keys": {"sk": {"S": ["CASE"]}}, "NewImage": {"handoff_at": {"S": [{"exists": True}]}}},
            },
            "HandOverStreamFailures",
        ),
    }
    for function, (pattern, failures) in expected.items():
        mapping = mappings[function]
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [resources.REGISTER.logical_id, "StreamArn"]}
        assert [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]] == [pattern]
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [failures, "Arn"]}
    # the hand-over looks once the request has delivered and a new execution has entered its first wait
    assert mappings["HandOver"]["MaximumBatchingWindowInSeconds"] == 5


def test_every_bucket_the_local_stack_creates_is_deployed_private_encrypted_tls_only_and_expiring_as_declared(
    aws: None, stage_env: dict[str, str], synthesized: Synthesized
) -> None:
    s3 = boto3.client("s3")
    local = {
        _by_env(resources.BUCKETS, stage_env, b["Name"]).logical_id: b["Name"] for b in s3.list_buckets()["Buckets"]
    }
    assert set(local) == {b.logical_id for b in resources.BUCKETS}
    for declared in resources.BUCKETS:
        name = local[declared.logical_id]
        assert all(s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"].values())
        rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        assert {(r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules} == set(declared.expiring)
    for stage, template in synthesized.templates().items():
        buckets = _of_type(template, "AWS::S3::Bucket")
        policies = {
            p["Bucket"]["Ref"]: p["PolicyDocument"] for p in _of_type(template, "AWS::S3::BucketPolicy").values()
        }
        for declared in resources.BUCKETS:
            props = buckets[declared.logical_id]
            assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
                ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
            ), stage
            (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", stage
            rules = props["LifecycleConfiguration"]["Rules"]
            assert {(r["Prefix"], r["ExpirationInDays"]) for r in rules} == set(declared.expiring), stage
            assert "LoggingConfiguration" in props, stage
            denied = [s for s in policies[declared.logical_id]["Statement"] if s["Effect"] == "Deny"]
            assert any(s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false" for s in denied), stage
