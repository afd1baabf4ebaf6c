"""Create every resource of `chalicelib/resources.py` in the AWS endpoint at hand (moto, locally)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from chalicelib.resources import BUCKETS, QUEUES, STATE_MACHINES, TABLES, TOPICS, Bucket
from local.stage import PROJECT_DIR

#: moto does not check roles; in AWS the deployment creates the state machine's role.
LOCAL_ROLE = "arn:aws:iam::123456789012:role/complaints-workflow"


def state_machine_definition(definition: str, substitutions: Mapping[str, str]) -> str:
    """The ASL file with its `${Name}` placeholders filled in, as a deployment does."""
    text = (PROJECT_DIR / definition).read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    return text


def provision(env: Mapping[str, str], endpoint_url: str | None = None) -> list[str]:
    """Create the tables, topics and state machines named by `env` (the stage's environment)."""
    created = []
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint_url)
    existing = set(dynamodb.list_tables()["TableNames"])
    for table in TABLES:
        name = env[table.env_var]
        if name in existing:
            continue
        dynamodb.create_table(**table.create_table_args(name))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
            )
        created.append(name)
    sns = boto3.client("sns", endpoint_url=endpoint_url)
    for topic in TOPICS:
        created.append(sns.create_topic(Name=env[topic.env_var].rsplit(":", 1)[-1])["TopicArn"])
    sqs = boto3.client("sqs", endpoint_url=endpoint_url)
    for queue in QUEUES:
        created.append(sqs.create_queue(QueueName=env[queue.env_var].rsplit("/", 1)[-1])["QueueUrl"])
    s3 = boto3.client("s3", endpoint_url=endpoint_url)
    existing_buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in BUCKETS:
        name = env[bucket.env_var]
        if name not in existing_buckets:
            _create_bucket(s3, name, bucket)
            created.append(name)
    stepfunctions = boto3.client("stepfunctions", endpoint_url=endpoint_url)
    for machine in STATE_MACHINES:
        arn = env[machine.env_var]
        try:
            stepfunctions.describe_state_machine(stateMachineArn=arn)
            continue
        except stepfunctions.exceptions.StateMachineDoesNotExist:
            pass
        definition = state_machine_definition(machine.definition, {k: env[v] for k, v in machine.substitutions})
        stepfunctions.create_state_machine(
            name=arn.rsplit(":", 1)[-1], definition=definition, roleArn=LOCAL_ROLE, type="STANDARD"
        )
        created.append(arn)
    return created


def _create_bucket(s3: Any, name: str, declared: Bucket) -> None:
    """Private as in AWS: public access blocked, encrypted, its declared prefixes expiring."""
    region = s3.meta.region_name
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **where)
    block = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    if declared.expiring:
        rules = [
            {
                "ID": f"expire-{prefix.strip('/')}",
                "Filter": {"Prefix": prefix},
                "Status": "Enabled",
                "Expiration": {"Days": days},
            }
            for prefix, days in declared.expiring
        ]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
