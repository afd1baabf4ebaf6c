"""Create every resource of `chalicelib/resources.py` in the AWS endpoint at hand (moto, locally)."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import boto3

from chalicelib.resources import (
    BUCKETS,
    MAIL_BUCKET,
    MAIL_PREFIX,
    MAIL_QUEUE,
    QUEUES,
    SMS_INBOUND_TOPIC,
    STATE_MACHINES,
    TABLES,
    TOPICS,
    Bucket,
)
from local.stage import PROJECT_DIR

#: moto does not check roles; in AWS the deployment creates the state machine's role.
LOCAL_ROLE = "arn:aws:iam::123456789012:role/complaints-workflow"


def state_machine_definition(definition: str, substitutions: Mapping[str, str]) -> str:
    """The ASL file with its `${Name}` placeholders filled in, as a deployment does."""
    text = (PROJECT_DIR / definition).read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    return text


@cache
def _client(service: str, endpoint_url: str | None, region: str | None) -> Any:
    """One client per service and endpoint for the process: the tests provision a fresh moto for each test,
    and building botocore clients was most of that (moto's mock intercepts clients made before it started)."""
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region)


def _clients(endpoint_url: str | None) -> Callable[[str], Any]:
    region = os.environ.get("AWS_DEFAULT_REGION")
    return lambda service: _client(service, endpoint_url, region)


def provision(env: Mapping[str, str], endpoint_url: str | None = None) -> list[str]:
    """Create the tables, topics and state machines named by `env` (the stage's environment)."""
    created = []
    client = _clients(endpoint_url)
    dynamodb = client("dynamodb")
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
    sns = client("sns")
    for topic in TOPICS:
        created.append(sns.create_topic(Name=env[topic.env_var].rsplit(":", 1)[-1])["TopicArn"])
    sqs = client("sqs")
    for queue in QUEUES:
        created.append(sqs.create_queue(QueueName=env[queue.env_var].rsplit("/", 1)[-1])["QueueUrl"])
    s3 = client("s3")
    existing_buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in BUCKETS:
        name = env[bucket.env_var]
        if name not in existing_buckets:
            _create_bucket(s3, name, bucket)
            created.append(name)
    stepfunctions = client("stepfunctions")
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
    _channels(env, client)
    return created


def _channels(env: Mapping[str, str], client: Callable[[str], Any]) -> None:
    """Wire the channels as the deployment does: the inbound SMS topic to `receive_sms`, the mail bucket's
    new objects to the mail queue and on to `receive_mail` (whose invocations `lambda_bridge` runs in this
    process), and the sender's SES identity."""
    sns = client("sns")
    sns.subscribe(
        TopicArn=env[SMS_INBOUND_TOPIC.env_var], Protocol="lambda", Endpoint=env["SMS_FUNCTION_ARN"]
    )  # subscribing twice is harmless
    sqs = client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=_queue_url(sqs, env[MAIL_QUEUE.env_var]), AttributeNames=["QueueArn"])
    queue_arn = queue["Attributes"]["QueueArn"]
    lambdas = client("lambda")
    name = env["MAIL_FUNCTION_ARN"].rsplit(":", 1)[-1]
    if not lambdas.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
        role = client("iam").create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("app.py", "")  # never run: lambda_bridge routes its invocations to the app
        lambdas.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler="app.receive_mail",
            Code={"ZipFile": package.getvalue()},
        )
        lambdas.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=name, BatchSize=1)
    rule = {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}
    rule["Filter"] = {"Key": {"FilterRules": [{"Name": "prefix", "Value": MAIL_PREFIX}]}}
    s3 = client("s3")
    s3.put_bucket_notification_configuration(
        Bucket=env[MAIL_BUCKET.env_var], NotificationConfiguration={"QueueConfigurations": [rule]}
    )
    ses = client("ses")
    ses.verify_email_identity(EmailAddress=env.get("MAIL_FROM", "centre@complaints.local"))


def _queue_url(sqs: Any, configured: str) -> str:
    """The queue's URL at this endpoint (the stage names it as AWS would)."""
    return str(sqs.get_queue_url(QueueName=configured.rsplit("/", 1)[-1])["QueueUrl"])


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
    if declared.browser_uploads:  # as the deployment allows: the signed policy, not the origin, decides
        rule = {"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 3600}
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [rule]})
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
