"""One deployment of the complaint centre (a stage: dev, prod) as one CloudFormation stack.

Where each part comes from, so that nothing is declared twice:

- functions, routes, the schedule: the Chalice app (`app.py`, `chalicelib/api/`), packaged by
  `chalice.cdk.Chalice`; their memory and timeouts: `infra/functions.py`;
- tables (keys, indexes, stream, TTL), topics, queues, buckets, the state machine and its substitutions,
  and how the channels are wired (the SMS topic to `receive_sms`, the mail bucket's `inbound/` through the
  mail queue to `receive_mail`): `chalicelib/resources.py`, as the local stack provisions them (and wires
  them, `local/provision.py`); the ASL: `infra/statemachine/`;
- the staff groups: `chalicelib/domain/roles.py`; the error shape of gateway answers: `chalicelib/api/http.py`;
- what differs per stage: the CDK context (`infra/cdk.json`, `infra/stages.py`);
- the wildcards IAM cannot do without, with their reasons: `infra/iam_allowances.py`; the cdk-nag
  findings accepted, with theirs: `infra/nag.py`.
"""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path
from typing import Any

from aws_cdk import (
    Annotations,
    ArnFormat,
    Aws,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_wafv2 as wafv2
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib import errors, resources
from chalicelib.api.http import error_body
from chalicelib.domain.roles import ROLES
from chalicelib.service.outbox import MAX_ATTEMPTS
from infra.functions import (
    API_FUNCTION,
    FUNCTIONS,
    MAIL_RECEIVES,
    OVERDUE_LOG_MESSAGE,
    OVERDUE_METRIC,
    RECONCILE_FUNCTION,
    SMS_RETRIES,
    logical_id,
)
from infra.stages import PROJECT_DIR, StageConfig

CHALICE_CONFIG = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text(encoding="utf-8"))
APP_NAME: str = CHALICE_CONFIG["app_name"]
#: Where the app's EMF metrics go (`POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_SERVICE_NAME` in .chalice).
METRICS_NAMESPACE: str = CHALICE_CONFIG["environment_variables"]["POWERTOOLS_METRICS_NAMESPACE"]
SERVICE_NAME: str = CHALICE_CONFIG["environment_variables"]["POWERTOOLS_SERVICE_NAME"]
#: Chalice's logical ids of its API, and of the API's stage (SAM names it after `api_gateway_stage`).
REST_API = "RestAPI"
#: The register's items `send_notices` takes from the stream (chalicelib/api/jobs.py skips the rest).
OUTBOX_SORT_KEY_PREFIX = "OUTBOX#"
#: ... and those `hand_over` takes: CASE items written with a hand-off mark (chalicelib/adapters/register/stream.py).
CASE_SORT_KEY = "CASE"
HANDOFF_ATTRIBUTE = "handoff_at"
#: Lambda's retries of a hand-off batch (each retry is at once; `bisect_batch_on_function_error` halves it).
HANDOVER_RETRIES = 50
#: How long the hand-over's mapping gathers records before it calls the function (`_register_streams`).
HANDOVER_WINDOW_SECONDS = 5
#: Public endpoints the WAF rate rule guards (tracking-code guesses, floods of submissions and uploads).
PUBLIC_PATHS = ("/v1/complaints", "/v1/uploads")
#: Each queue a failure ends in (alarmed, cdk-nag's SQS3 acknowledged: they are the dead-letter queues),
#: and the queue that redrives into it after `MAIL_RECEIVES` deliveries.
FAILURE_QUEUES = (resources.DEAD_LETTER_QUEUE.logical_id, resources.MAIL_FAILURES.logical_id)
REDRIVES = {resources.MAIL_QUEUE.logical_id: resources.MAIL_FAILURES.logical_id}


class ComplaintsStack(Stack):
    """Everything one stage runs. The construct id is the Chalice stage (`chalice.cdk` reads it)."""

    def __init__(self, scope: Construct, config: StageConfig, *, bundle: bool = True, **kwargs: Any) -> None:
        super().__init__(scope, config.stage, stack_name=f"{APP_NAME}-{config.stage}", **kwargs)
        self.config = config
        self.retain = RemovalPolicy.RETAIN if config.protect_data else RemovalPolicy.DESTROY
        self.retention = _RETENTION[config.log_retention_days]
        self.api_stage: str = CHALICE_CONFIG["stages"][config.stage]["api_gateway_stage"]
        #: the logical id SAM gives the API's stage (it exists only after the SAM transform)
        self.sam_stage = f"{REST_API}{self.api_stage}Stage"
        self.key = self._data_key()
        self.tables = {t.logical_id: self._table(t) for t in resources.TABLES}
        self.topics = {t.logical_id: self._topic(t) for t in resources.TOPICS}
        self.queues: dict[str, sqs.Queue] = {}
        self.queue_purposes: dict[str, str] = {}
        # a redrive's target first (sorted: False before True), so the queue that redrives into it can name it
        for declared in sorted(resources.QUEUES, key=lambda q: q.logical_id in REDRIVES):
            self.queues[declared.logical_id] = self._queue(declared.logical_id, declared.purpose)
        self.access_logs_bucket = self._access_logs_bucket() if resources.BUCKETS else None
        self.buckets = {b.logical_id: self._bucket(b) for b in resources.BUCKETS}
        #: the failure queues of the deployment's own wiring (not the app's), by the function they fail from
        self.function_failures = {
            resources.OUTBOX_FUNCTION: self._queue("OutboxStreamFailures", "stream batches the sender could not take"),
            resources.HANDOVER_FUNCTION: self._queue(
                "HandOverStreamFailures", "hand-offs that did not reach their execution"
            ),
            resources.SMS_FUNCTION: self._queue("InboundSmsFailures", "inbound SMS that could not be handled"),
        }
        self.failure_queues = [
            *(self.queues[logical] for logical in FAILURE_QUEUES),
            *self.function_failures.values(),
        ]
        self.user_pool, self.staff_client = self._staff_pool()
        self.app_secret = self._app_secret()
        self.function_names = {f.name: f"{APP_NAME}-{config.stage}-{f.name.replace('_', '-')}" for f in FUNCTIONS}
        self.state_machine_name = f"{APP_NAME}-case-{config.stage}"
        self.log_groups = {name: self._function_logs(name) for name in self.function_names}
        self.roles = {f.name: self._function_role(f.name) for f in FUNCTIONS}
        self.chalice = self._chalice_app(bundle)
        self.state_machine = self._state_machine()
        self._register_streams()
        self._inbound_sms()
        self._inbound_mail()
        self._api()
        self.alarm_topic = self._alarm_topic()
        self._alarms()
        self._notice_identities()
        if config.example_values:
            Annotations.of(self).add_warning_v2(
                "complaints:example-values",
                f"{', '.join(config.example_values)} of stage {config.stage} are the examples of infra/cdk.json: "
                "no SMS or e-mail is sent with them (docs/deploy.md, 'The channels')",
            )
        CfnOutput(self, "StaffUserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "StaffAppClientId", value=self.staff_client.user_pool_client_id)
        CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)
        # what End User Messaging's two-way SMS and an SES receipt rule of one's own are pointed at (docs/deploy.md)
        CfnOutput(self, "SmsInboundTopicArn", value=self.topics[resources.SMS_INBOUND_TOPIC.logical_id].topic_arn)
        CfnOutput(self, "MailBucketName", value=self.buckets[resources.MAIL_BUCKET.logical_id].bucket_name)

    # --- data -----------------------------------------------------------------------------------

    def _data_key(self) -> kms.Key:
        """Personal data at rest: the tables (and their stream), the topics, the queues and the buckets."""
        key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{APP_NAME}-{self.config.stage}-data",
            description="Complaints: personal data at rest (tables, stream, messages, mail, evidence, dead letters)",
            enable_key_rotation=True,
            removal_policy=self.retain,
        )
        account = {"aws:SourceAccount": Aws.ACCOUNT_ID}
        # in a key policy "*" is this key. The services that write into the encrypted topics, queues and
        # buckets use it only if its policy lets them:
        for sid, service, conditions in (
            # CloudWatch alarms publish to the alarm topic
            ("CloudWatchAlarmsPublishToEncryptedTopic", "cloudwatch", {"StringEquals": account}),
            # End User Messaging's two-way SMS publishes what the centre's number receives to the SMS topic
            (
                "TwoWaySmsPublishesToEncryptedTopic",
                "sms-voice",
                {"StringEquals": account, "ArnLike": {"aws:SourceArn": self._arn("sms-voice", "*")}},
            ),
            # S3 tells the mail queue of each new mail
            (
                "MailBucketNotifiesEncryptedQueue",
                "s3",
                {"StringEquals": account, "ArnLike": {"aws:SourceArn": self.mail_bucket_arn}},
            ),
            # SES stores the mail it receives in the mail bucket, encrypted by the bucket's default (this key);
            # S3 asks KMS for the bucket's data key in SES's name, for that bucket only
            (
                "SesStoresMailInEncryptedBucket",
                "ses",
                {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": self.mail_bucket_arn}},
            ),
        ):
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(f"{service}.amazonaws.com")],
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=["*"],
                    conditions=conditions,
                )
            )
        return key

    def _arn(self, service: str, resource: str) -> str:
        """An ARN of this account and region, built without a reference to what it names."""
        return f"arn:{Aws.PARTITION}:{service}:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"

    @property
    def mail_bucket_name(self) -> str:
        """Named, not generated: the key's and the mail queue's policies name the bucket that may use them,
        and the bucket refers to both (its encryption, its notification), so a reference would be a cycle.
        Unique per account and region (bucket names are global)."""
        return f"{APP_NAME}-{self.config.stage}-mail-{Aws.ACCOUNT_ID}-{Aws.REGION}"

    @property
    def mail_bucket_arn(self) -> str:
        return f"arn:{Aws.PARTITION}:s3:::{self.mail_bucket_name}"

    def _table(self, declared: resources.Table) -> dynamodb.Table:
        def key(k: resources.Key) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=k.name, type=dynamodb.AttributeType(_ATTRIBUTE_TYPES[k.type]))

        table = dynamodb.Table(
            self,
            declared.logical_id,
            partition_key=key(declared.partition_key),
            sort_key=key(declared.sort_key) if declared.sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=self.config.protect_data,
            removal_policy=self.retain,
            time_to_live_attribute=declared.ttl_attribute,
            stream=dynamodb.StreamViewType(declared.stream) if declared.stream else None,
        )
        for index in declared.indexes:
            projection = index.projection_args()
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=key(index.partition_key),
                sort_key=key(index.sort_key) if index.sort_key else None,
                projection_type=dynamodb.ProjectionType(projection["ProjectionType"]),
                non_key_attributes=projection.get("NonKeyAttributes"),
            )
        _logical(table, declared.logical_id)
        return table

    def _topic(self, declared: resources.Topic) -> sns.Topic:
        topic = sns.Topic(
            self, declared.logical_id, display_name=declared.purpose[:100], master_key=self.key, enforce_ssl=True
        )
        _logical(topic, declared.logical_id)
        return topic

    def _queue(self, name: str, purpose: str) -> sqs.Queue:
        """Encrypted, TLS only, messages kept 14 days (the most SQS keeps: staff have two weeks to act on a
        failure). A queue a function polls (`REDRIVES`) hides a message it took for six times the function's
        timeout, and passes it to its failure queue after `MAIL_RECEIVES` deliveries."""
        redrive = None
        visibility = None
        if name in REDRIVES:
            redrive = sqs.DeadLetterQueue(max_receive_count=MAIL_RECEIVES, queue=self.queues[REDRIVES[name]])
            timeout = {f.name: f.timeout_seconds for f in FUNCTIONS}[resources.MAIL_FUNCTION]
            visibility = Duration.seconds(6 * timeout)
        queue = sqs.Queue(
            self,
            name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            dead_letter_queue=redrive,
            visibility_timeout=visibility,
        )
        _logical(queue, name)
        self.queue_purposes[name] = purpose
        return queue

    def _bucket(self, declared: resources.Bucket) -> s3.Bucket:
        """Private (every public access blocked, no ACLs), encrypted with the data key, TLS only, its
        access logged; what its declaration says expires does. Clients upload evidence with a signed POST
        policy from a browser, so the evidence bucket takes cross-origin POSTs: the policy, not the origin,
        decides what is stored. The mail bucket is written by SES only (`_inbound_mail`)."""
        mail = declared.logical_id == resources.MAIL_BUCKET.logical_id
        bucket = s3.Bucket(
            self,
            declared.logical_id,
            bucket_name=self.mail_bucket_name if mail else None,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,  # one data key per bucket and hour, not a KMS call per object
            enforce_ssl=True,
            minimum_tls_version=1.2,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix=f"{declared.logical_id}/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=f"expire-{prefix.strip('/')}",
                    prefix=prefix,
                    expiration=Duration.days(days),
                    abort_incomplete_multipart_upload_after=Duration.days(days),
                )
                for prefix, days in declared.expiring
            ],
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST], allowed_origins=["*"], allowed_headers=["*"], max_age=3600
                )
            ]
            if declared.browser_uploads
            else None,
            removal_policy=self.retain,
        )
        _logical(bucket, declared.logical_id)
        return bucket

    def _access_logs_bucket(self) -> s3.Bucket:
        """Who read or wrote which evidence file, as S3 sees it (beside the app's own audit trail)."""
        return s3.Bucket(
            self,
            "AccessLogsBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,  # log delivery by bucket policy (cdk.json)
            encryption=s3.BucketEncryption.S3_MANAGED,  # server access logs cannot go to a KMS-encrypted bucket
            enforce_ssl=True,
            minimum_tls_version=1.2,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-logs", expiration=Duration.days(self.config.log_retention_days))
            ],
            removal_policy=self.retain,
        )

    def _app_secret(self) -> secretsmanager.Secret:
        """`APP_SECRET` (keys the access-code hashes, signs cursors, seals stored replies): generated here,
        never in the repository; CloudFormation resolves it into the functions' environment at deploy."""
        return secretsmanager.Secret(
            self,
            "AppSecret",
            description="Complaints APP_SECRET: HMAC key of access codes; rotating it invalidates every code",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=self.retain,
        )

    # --- staff ----------------------------------------------------------------------------------

    def _staff_pool(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        """Staff sign in here; the app verifies the ID token and reads the roles from `cognito:groups`
        (chalicelib/api/auth.py: CognitoVerifier), so the groups are the app's roles, one for one."""
        pool = cognito.UserPool(
            self,
            "StaffPool",
            self_sign_up_enabled=False,  # an administrator creates each member of staff (docs/deploy.md)
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
                fullname=cognito.StandardAttribute(required=False, mutable=True),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=self.config.protect_data,
            removal_policy=self.retain,
        )
        for role in sorted(ROLES):
            cognito.CfnUserPoolGroup(
                self, f"Group{role.title()}", user_pool_id=pool.user_pool_id, group_name=role, description=role
            )
        # the console (/staff/ on the public site's origin) signs in through the hosted UI: authorization
        # code with PKCE, a public client (no secret in a browser)
        console = f"{self.config.public_site_url.rstrip('/')}/staff/"
        client = pool.add_client(
            "StaffClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[console],
                logout_urls=[console],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            generate_secret=False,
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
        if self.config.auth_domain_prefix:
            pool.add_domain(
                "StaffDomain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=self.config.auth_domain_prefix)
            )
        return pool, client

    # --- functions ------------------------------------------------------------------------------

    def _function_logs(self, function: str) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            f"{logical_id(function)}Logs",
            log_group_name=f"/aws/lambda/{self.function_names[function]}",
            retention=self.retention,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _function_role(self, function: str) -> iam.Role:
        """Each function its own role, allowed what its code calls and nothing else."""
        statements = [
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_groups[function].log_group_arn],
            ),
            iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]),
            *self._access(function),
        ]
        return iam.Role(
            self,
            f"{logical_id(function)}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{APP_NAME} {self.config.stage}: {function}",
            inline_policies={"access": iam.PolicyDocument(statements=statements)},
        )

    def _access(self, function: str) -> list[iam.PolicyStatement]:
        """What each function's code calls (chalicelib/adapters/), by function. tests/infra run each function
        and fail on a call its role does not allow here."""
        register = self.tables[resources.REGISTER.logical_id]
        idempotency = self.tables[resources.IDEMPOTENCY.logical_id]
        dead_letters = self.queues[resources.DEAD_LETTER_QUEUE.logical_id]
        machine_arn = self.state_machine_arn
        executions = machine_arn.replace(":stateMachine:", ":execution:") + ":*"
        register_items = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        read_write_key = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        by_function: dict[str, list[iam.PolicyStatement]] = {
            API_FUNCTION: [
                # cases, claims, audit, calendar, budgets (transactions are checked item by item)
                _allow([*register_items, "dynamodb:Query"], register.table_arn, f"{register.table_arn}/index/*"),
                _allow(
                    ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                    idempotency.table_arn,
                ),  # powertools idempotency
                _allow(["states:StartExecution", "states:SendTaskSuccess"], machine_arn),
                _allow(["sqs:ReceiveMessage"], dead_letters.queue_arn),  # staff look at dead letters
                _allow(read_write_key, self.key.key_arn),
                *self._evidence_access(),
            ],
            resources.WORKFLOW_FUNCTION: [
                _allow([*register_items, "dynamodb:Query"], register.table_arn),  # a case is read by its partition
                _allow(read_write_key, self.key.key_arn),
            ],
            resources.OUTBOX_FUNCTION: [
                _allow(["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"], register.table_arn),
                _allow(
                    ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                    register.table_stream_arn or "",
                ),
                _allow(["dynamodb:ListStreams"], "*"),
                _allow(["sns:Publish"], self.topics[resources.SUPERVISION_TOPIC.logical_id].topic_arn),
                *self._channel_access(),
                _allow(
                    ["sqs:SendMessage"],
                    dead_letters.queue_arn,
                    self.function_failures[resources.OUTBOX_FUNCTION].queue_arn,
                ),
                _allow(read_write_key, self.key.key_arn),
            ],
            resources.HANDOVER_FUNCTION: [
                _allow([*register_items, "dynamodb:Query"], register.table_arn),  # the TASK item, the case
                _allow(
                    ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                    register.table_stream_arn or "",
                ),
                _allow(["dynamodb:ListStreams"], "*"),
                # resume the execution, or start it (again) when it never started or ended badly
                _allow(["states:StartExecution", "states:SendTaskSuccess"], machine_arn),
                _allow(["states:DescribeExecution"], executions),
                _allow(["sqs:SendMessage"], self.function_failures[resources.HANDOVER_FUNCTION].queue_arn),
                _allow(read_write_key, self.key.key_arn),
            ],
            resources.SMS_FUNCTION: [
                # cases, contacts, marks of the messages handled, answers into the outbox, status budgets
                _allow([*register_items, "dynamodb:Query"], register.table_arn),
                _allow(["states:StartExecution", "states:SendTaskSuccess"], machine_arn),  # a case filed, a survey
                # Lambda's asynchronous invocation hands an SMS it gave up on to the failure queue, as the function
                _allow(["sqs:SendMessage"], self.function_failures[resources.SMS_FUNCTION].queue_arn),
                _allow(read_write_key, self.key.key_arn),
            ],
            resources.MAIL_FUNCTION: [
                _allow([*register_items, "dynamodb:Query"], register.table_arn),
                _allow(["states:StartExecution"], machine_arn),  # a case filed
                # the mail queue, polled by the function's event source mapping in the function's name
                _allow(
                    ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    self.queues[resources.MAIL_QUEUE.logical_id].queue_arn,
                ),
                *self._mail_access(),
                _allow(read_write_key, self.key.key_arn),
            ],
            RECONCILE_FUNCTION: [
                _allow([*register_items, "dynamodb:Query"], register.table_arn),  # the cases of dead executions
                # ListExecutions: the executions that ended badly (a dead case's is restarted)
                _allow(["states:StartExecution", "states:ListExecutions"], machine_arn),
                _allow(read_write_key, self.key.key_arn),
            ],
        }
        return by_function[function]

    def _channel_access(self) -> list[iam.PolicyStatement]:
        """The sender's SMS and e-mail: End User Messaging from the stage's origination identity only (or SNS's
        direct SMS, which names no resource: only where the stage chose it), and SES from `mail_from` only,
        under whichever of its identities is verified. v2 SendEmail of raw content is authorized as
        SendRawEmail."""
        config = self.config
        if config.sms_provider == "end_user_messaging":
            origination = config.sms_origination
            if not origination.startswith("arn:"):
                kind = "phone-number" if origination.startswith("phone-") else "pool"
                origination = self._arn("sms-voice", f"{kind}/{origination}")
            sms = _allow(["sms-voice:SendTextMessage"], origination)
        else:
            sms = _allow(["sns:Publish"], "*")
        identities = [self._arn("ses", f"identity/{identity}") for identity in config.mail_identities]
        return [sms, _allow(["ses:SendEmail", "ses:SendRawEmail"], *identities)]

    def _mail_access(self) -> list[iam.PolicyStatement]:
        """`receive_mail` reads the mail SES stored under `inbound/` (one ranged GET), keeps its attachments
        under the evidence bucket's `evidence/`, and deletes those again if the case is not registered."""
        mail = self.buckets[resources.MAIL_BUCKET.logical_id]
        evidence = self.buckets[resources.EVIDENCE_BUCKET.logical_id]
        return [
            _allow(["s3:GetObject"], mail.arn_for_objects(f"{resources.MAIL_PREFIX}*")),
            _allow(["s3:PutObject", "s3:DeleteObject"], evidence.arn_for_objects(f"{resources.EVIDENCE_PREFIX}*")),
        ]

    def _evidence_access(self) -> list[iam.PolicyStatement]:
        """The API signs the clients' uploads (PutObject under `uploads/`) and the staff's downloads (GetObject
        under `evidence/`); it reads an upload, writes its clean copy, and deletes what is no longer needed."""
        bucket = self.buckets[resources.EVIDENCE_BUCKET.logical_id]
        uploads = bucket.arn_for_objects(f"{resources.UPLOAD_PREFIX}*")
        kept = bucket.arn_for_objects(f"{resources.EVIDENCE_PREFIX}*")
        return [
            _allow(["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], uploads, kept),
            # without it S3 answers a missing upload with 403, not 404 (HeadObject): "not uploaded" is a 4xx
            _allow(["s3:ListBucket"], bucket.bucket_arn),
        ]

    @property
    def state_machine_arn(self) -> str:
        """Built from its name, not referenced: the workflow function it invokes would otherwise depend on it
        through the environment every function shares, and the state machine on that function."""
        return self.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _environment(self) -> dict[str, str]:
        """Every setting `chalicelib/settings.py` requires outside the local stages, from the constructs."""
        env = {
            "APP_STAGE": self.config.stage,
            "STAFF_AUTH": "cognito",
            "COGNITO_REGION": Aws.REGION,
            "COGNITO_USER_POOL_ID": self.user_pool.user_pool_id,
            "COGNITO_APP_CLIENT_ID": self.staff_client.user_pool_client_id,
            "APP_SECRET": self.app_secret.secret_value.unsafe_unwrap(),  # a {{resolve:...}} reference
            "POLICY_PROFILE": self.config.policy_profile,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        }
        env |= {t.env_var: self.tables[t.logical_id].table_name for t in resources.TABLES}
        env |= {t.env_var: self.topics[t.logical_id].topic_arn for t in resources.TOPICS}
        env |= {q.env_var: self.queues[q.logical_id].queue_url for q in resources.QUEUES}
        env |= {b.env_var: self.buckets[b.logical_id].bucket_name for b in resources.BUCKETS}
        env |= {m.env_var: self.state_machine_arn for m in resources.STATE_MACHINES}
        # the channels (infra/cdk.json): how SMS are sent and from where, whom mail comes from, where links go
        env |= {
            "SMS_PROVIDER": self.config.sms_provider,
            "MAIL_FROM": self.config.mail_from,
            "PUBLIC_SITE_URL": self.config.public_site_url,
        }
        if self.config.auth_domain_prefix:  # the hosted UI the console signs in at (GET /v1/staff/sign-in)
            env["COGNITO_DOMAIN"] = f"{self.config.auth_domain_prefix}.auth.{Aws.REGION}.amazoncognito.com"
        if self.config.sms_origination:
            env["SMS_ORIGINATION"] = self.config.sms_origination
        if self.config.sms_sender_id:
            env["SMS_SENDER_ID"] = self.config.sms_sender_id
        return env

    def _chalice_app(self, bundle: bool) -> Chalice:
        stage_config = {
            "api_gateway_endpoint_type": "REGIONAL",
            "automatic_layer": True,  # dependencies in a layer: a code change re-zips only the app
            "xray": True,
            "manage_iam_role": False,
            "iam_role_arn": self.roles[API_FUNCTION].role_arn,  # each function's own is set below
            "environment_variables": self._environment(),
        }
        source = PROJECT_DIR if bundle else _code_only_copy()
        app = Chalice(self, "ChaliceApp", source_dir=str(source), stage_config=stage_config)
        _check_sized(importlib.import_module("app").app)  # the module Chalice just loaded to package it
        for function in FUNCTIONS:
            cfn = app.get_resource(logical_id(function.name))
            cfn.add_property_override("FunctionName", self.function_names[function.name])
            cfn.add_property_override("Role", self.roles[function.name].role_arn)
            cfn.add_property_override("MemorySize", function.memory_mb)
            cfn.add_property_override("Timeout", function.timeout_seconds)
            cfn.add_property_override("Description", function.purpose)
            cfn.node.add_dependency(self.log_groups[function.name])
        return app

    # --- workflow -------------------------------------------------------------------------------

    def _state_machine(self) -> sfn.StateMachine:
        declared = resources.CASE_WORKFLOW
        values = {
            resources.REGISTER.env_var: self.tables[resources.REGISTER.logical_id].table_name,
            "WORKFLOW_FUNCTION_ARN": self.chalice.get_function(logical_id(resources.WORKFLOW_FUNCTION)).function_arn,
        }
        log_group = logs.LogGroup(
            self,
            "CaseWorkflowLogs",
            log_group_name=f"/aws/vendedlogs/states/{self.state_machine_name}",
            retention=self.retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        machine = sfn.StateMachine(
            self,
            declared.logical_id,
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(str(PROJECT_DIR / declared.definition)),
            definition_substitutions={name: values[env_var] for name, env_var in declared.substitutions},
            tracing_enabled=True,
            # every event, without the case data it carries (ids and steps only reach the log)
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        # the Await… states leave their task token on the case's TASK item (aws-sdk:dynamodb:updateItem)
        machine.add_to_role_policy(
            _allow(["dynamodb:UpdateItem"], self.tables[resources.REGISTER.logical_id].table_arn)
        )
        machine.add_to_role_policy(_allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], self.key.key_arn))
        machine.add_to_role_policy(_allow(["lambda:InvokeFunction"], values["WORKFLOW_FUNCTION_ARN"]))
        _logical(machine, declared.logical_id)
        return machine

    def _register_streams(self) -> None:
        """The register's stream feeds two functions, each through its own mapping and filter. `send_notices`
        takes new outbox items; it counts its own attempts and dead-letters a notice after `MAX_ATTEMPTS`, so
        the stream retries longer than that. `hand_over` takes the CASE writes marked as hand-offs; a hand-off
        waits for an execution between two waits (seconds), so it is retried for up to an hour. It looks
        a few seconds late on purpose (`HANDOVER_WINDOW_SECONDS`): by then the request has delivered nearly
        every hand-off and a new execution has entered its first wait, so the look is one read ("arrived")
        rather than a DescribeExecution, whose quota is small. A batch a function still cannot take lands in
        its failure queue (alarmed) instead of blocking the shard."""
        outbox_items = {
            "eventName": ["INSERT"],
            "dynamodb": {"Keys": {"sk": {"S": [{"prefix": OUTBOX_SORT_KEY_PREFIX}]}}},
        }
        handoffs = {
            "eventName": ["INSERT", "MODIFY"],
            "dynamodb": {
                "Keys": {"sk": {"S": [CASE_SORT_KEY]}},
                "NewImage": {HANDOFF_ATTRIBUTE: {"S": [{"exists": True}]}},
            },
        }
        self._stream_mapping(
            "OutboxStream", resources.OUTBOX_FUNCTION, outbox_items, retries=2 * MAX_ATTEMPTS, max_age=24 * 3600
        )
        self._stream_mapping(
            "HandOverStream",
            resources.HANDOVER_FUNCTION,
            handoffs,
            retries=HANDOVER_RETRIES,
            max_age=3600,
            window=HANDOVER_WINDOW_SECONDS,
        )

    def _stream_mapping(
        self, name: str, function: str, pattern: dict[str, Any], *, retries: int, max_age: int, window: int = 0
    ) -> None:
        mapping = lambda_.CfnEventSourceMapping(
            self,
            name,
            function_name=self.chalice.get_resource(logical_id(function)).ref,
            event_source_arn=self.tables[resources.REGISTER.logical_id].table_stream_arn,
            starting_position="TRIM_HORIZON",
            batch_size=10,
            bisect_batch_on_function_error=True,
            maximum_batching_window_in_seconds=window,
            maximum_retry_attempts=retries,
            maximum_record_age_in_seconds=max_age,
            destination_config=lambda_.CfnEventSourceMapping.DestinationConfigProperty(
                on_failure=lambda_.CfnEventSourceMapping.OnFailureProperty(
                    destination=self.function_failures[function].queue_arn
                )
            ),
            filter_criteria=lambda_.CfnEventSourceMapping.FilterCriteriaProperty(
                filters=[lambda_.CfnEventSourceMapping.FilterProperty(pattern=json.dumps(pattern))]
            ),
        )
        mapping.node.add_dependency(self.roles[function])

    # --- the channels ---------------------------------------------------------------------------

    def _inbound_sms(self) -> None:
        """End User Messaging's two-way SMS publishes what the centre's number receives to the SMS topic (set on
        the number: docs/deploy.md), which invokes `receive_sms`. The topic lets only End User Messaging of
        this account publish (besides its owner); the function is invoked asynchronously, and an SMS it still
        fails on after Lambda's retries goes to `InboundSmsFailures` (alarmed)."""
        topic = self.topics[resources.SMS_INBOUND_TOPIC.logical_id]
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="TwoWaySmsPublishes",
                principals=[iam.ServicePrincipal("sms-voice.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": self._arn("sms-voice", "*")},
                },
            )
        )
        function = self.chalice.get_resource(logical_id(resources.SMS_FUNCTION))
        function_arn = self.chalice.get_function(logical_id(resources.SMS_FUNCTION)).function_arn
        permission = lambda_.CfnPermission(
            self,
            "SmsTopicInvokesReceiveSms",
            action="lambda:InvokeFunction",
            function_name=function_arn,
            principal="sns.amazonaws.com",
            source_arn=topic.topic_arn,
        )
        self.sms_subscription = subscription = sns.CfnSubscription(
            self, "SmsTopicToReceiveSms", topic_arn=topic.topic_arn, protocol="lambda", endpoint=function_arn
        )
        subscription.node.add_dependency(permission)
        invoke = lambda_.CfnEventInvokeConfig(
            self,
            "ReceiveSmsRetries",
            function_name=function.ref,
            qualifier="$LATEST",
            maximum_retry_attempts=SMS_RETRIES,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=self.function_failures[resources.SMS_FUNCTION].queue_arn
                )
            ),
        )
        invoke.node.add_dependency(self.roles[resources.SMS_FUNCTION])

    def _inbound_mail(self) -> None:
        """SES stores each mail it receives for the centre under the mail bucket's `inbound/` (a receipt rule:
        the stack's own when `inbound_mail_recipient` is set, or one made elsewhere); S3 tells the mail queue
        of each new object there; the queue feeds `receive_mail`, one mail at a time, and hands a mail it
        failed on `MAIL_RECEIVES` times to `InboundMailFailures` (alarmed)."""
        bucket = self.buckets[resources.MAIL_BUCKET.logical_id]
        queue = self.queues[resources.MAIL_QUEUE.logical_id]
        inbound = bucket.arn_for_objects(f"{resources.MAIL_PREFIX}*")
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="SesStoresInboundMail",
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[inbound],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MailBucketNotifies",
                principals=[iam.ServicePrincipal("s3.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": self.mail_bucket_arn},
                },
            )
        )
        # the notification as a property of the bucket (CDK's own way is a custom resource: a Lambda function
        # and a role with a wildcard); S3 checks the queue's policy when it is set, so the policy comes first
        cfn_bucket: s3.CfnBucket = bucket.node.default_child
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            queue_configurations=[
                s3.CfnBucket.QueueConfigurationProperty(
                    event="s3:ObjectCreated:*",
                    queue=queue.queue_arn,
                    filter=s3.CfnBucket.NotificationFilterProperty(
                        s3_key=s3.CfnBucket.S3KeyFilterProperty(
                            rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value=resources.MAIL_PREFIX)]
                        )
                    ),
                )
            ]
        )
        cfn_bucket.node.add_dependency(queue.node.find_child("Policy"))  # the queue's policy (enforce_ssl, above)
        mapping = lambda_.CfnEventSourceMapping(
            self,
            "InboundMail",
            function_name=self.chalice.get_resource(logical_id(resources.MAIL_FUNCTION)).ref,
            event_source_arn=queue.queue_arn,
            batch_size=1,
        )
        mapping.node.add_dependency(self.roles[resources.MAIL_FUNCTION])
        if self.config.inbound_mail_recipient:
            self._mail_receipt(bucket)

    def _mail_receipt(self, bucket: s3.Bucket) -> None:
        """A receipt rule set that stores the mail for `inbound_mail_recipient` under `inbound/`, spam- and
        virus-scanned (the verdicts are headers `receive_mail` reads), TLS required. SES uses one rule set per
        account and region: this one is made, not activated (docs/deploy.md)."""
        rule_set = ses.CfnReceiptRuleSet(self, "MailReceipt", rule_set_name=f"{APP_NAME}-{self.config.stage}")
        rule = ses.CfnReceiptRule(
            self,
            "MailReceiptRule",
            rule_set_name=rule_set.ref,
            rule=ses.CfnReceiptRule.RuleProperty(
                name=f"{APP_NAME}-{self.config.stage}-inbound",
                enabled=True,
                recipients=[self.config.inbound_mail_recipient],
                scan_enabled=True,
                tls_policy="Require",
                actions=[
                    ses.CfnReceiptRule.ActionProperty(
                        s3_action=ses.CfnReceiptRule.S3ActionProperty(
                            bucket_name=bucket.bucket_name, object_key_prefix=resources.MAIL_PREFIX
                        )
                    )
                ],
            ),
        )
        # SES writes a test object when the rule is made: the bucket's policy (and the key's) must allow it
        assert bucket.policy is not None
        rule.node.add_dependency(bucket.policy)

    # --- the API --------------------------------------------------------------------------------

    def _api(self) -> None:
        api = self.chalice.get_resource(REST_API)
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=self.retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        api.add_property_override("Name", f"{APP_NAME}-{self.config.stage}")
        api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": self.config.api_rate_limit,
                    "ThrottlingBurstLimit": self.config.api_burst_limit,
                    "MetricsEnabled": True,
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": False,  # request bodies hold personal data: never logged
                }
            ],
        )
        api.add_property_override(
            "AccessLogSetting",
            {"DestinationArn": access_logs.log_group_arn, "Format": json.dumps(_ACCESS_LOG_FORMAT)},
        )
        api.add_property_override("TracingEnabled", True)
        api.add_property_override("GatewayResponses", _gateway_responses())
        self._api_gateway_logging_role(api)
        self._waf(api)
        if self.config.api_domain_name:
            domain = apigateway.CfnDomainName(
                self,
                "ApiDomain",
                domain_name=self.config.api_domain_name,
                regional_certificate_arn=self.config.api_certificate_arn,
                endpoint_configuration=apigateway.CfnDomainName.EndpointConfigurationProperty(types=["REGIONAL"]),
                security_policy="TLS_1_2",
            )
            mapping = apigateway.CfnBasePathMapping(
                self, "ApiDomainMapping", domain_name=domain.ref, rest_api_id=api.ref, stage=self.api_stage
            )
            mapping.add_override("DependsOn", [self.sam_stage])
            CfnOutput(self, "ApiDomainTarget", value=domain.attr_regional_domain_name)

    def _api_gateway_logging_role(self, api: Any) -> None:
        """API Gateway writes execution and access logs through one role per account and region."""
        self.api_gateway_logs_role = role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        account = apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        api.add_resource_dependency(account)

    def _waf(self, api: Any) -> None:
        """A rate rule on the public endpoints per client address (the app's own per-client budget on
        tracking-code guesses sits behind it); a blocked client gets 429 in the app's error shape."""
        body = json.dumps(error_body("too_many_requests", "too many requests from this address; try again later"))
        acl = wafv2.CfnWebACL(
            self,
            "ApiFirewall",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("ApiFirewall"),
            custom_response_bodies={
                "tooManyRequests": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=body
                )
            },
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="PublicEndpointsPerClient",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(
                        block=wafv2.CfnWebACL.BlockActionProperty(
                            custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                                response_code=429,
                                custom_response_body_key="tooManyRequests",
                                response_headers=[
                                    wafv2.CfnWebACL.CustomHTTPHeaderProperty(name="Retry-After", value="300")
                                ],
                            )
                        )
                    ),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=self.config.public_requests_per_5_minutes,
                            evaluation_window_sec=300,
                            aggregate_key_type="IP",
                            scope_down_statement=_any_path(PUBLIC_PATHS),
                        )
                    ),
                    visibility_config=_visibility("PublicEndpointsPerClient"),
                )
            ],
        )
        self.waf_association = association = wafv2.CfnWebACLAssociation(
            self,
            "ApiFirewallAssociation",
            resource_arn=f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}::/restapis/{api.ref}/stages/{self.api_stage}",
            web_acl_arn=acl.attr_arn,
        )
        association.add_override("DependsOn", [self.sam_stage])

    # --- alarms ---------------------------------------------------------------------------------

    def _alarm_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"{APP_NAME} {self.config.stage} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        if self.config.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.config.alarm_email))
        return topic

    def _alarms(self) -> None:
        five_minutes = Duration.minutes(5)
        api_dimensions = {"ApiName": f"{APP_NAME}-{self.config.stage}", "Stage": self.api_stage}
        overdue = logs.MetricFilter(
            self,
            "OverdueMetricFilter",
            log_group=self.log_groups[resources.WORKFLOW_FUNCTION],
            metric_namespace=METRICS_NAMESPACE,
            metric_name=OVERDUE_METRIC,
            filter_pattern=logs.FilterPattern.string_value("$.message", "=", OVERDUE_LOG_MESSAGE),
            metric_value="1",
        )
        alarms: dict[str, tuple[cloudwatch.IMetric, float, str]] = {
            "ExecutionsFailed": (
                self.state_machine.metric_failed(period=five_minutes),
                1,
                "a case's workflow failed (the reconciliation restarts it)",
            ),
            "ExecutionsTimedOut": (
                self.state_machine.metric_timed_out(period=five_minutes),
                1,
                "a case's workflow timed out",
            ),
            "Api5xxRate": (
                cloudwatch.Metric(
                    namespace="AWS/ApiGateway",
                    metric_name="5XXError",
                    dimensions_map=api_dimensions,
                    statistic="Average",
                    period=five_minutes,
                ),
                0.01,
                "more than 1% of API requests answered 5xx",
            ),
            "ApiLatencyP99": (
                cloudwatch.Metric(
                    namespace="AWS/ApiGateway",
                    metric_name="Latency",
                    dimensions_map=api_dimensions,
                    statistic="p99",
                    period=five_minutes,
                ),
                self.config.p99_latency_ms,
                f"API p99 latency above {self.config.p99_latency_ms} ms",
            ),
            "DeadlinesOverdue": (
                overdue.metric(statistic="Sum", period=Duration.hours(1)),
                self.config.overdue_alarm_per_hour,
                "statutory deadlines passed unmet in the last hour",
            ),
        }
        for queue in self.failure_queues:
            name = f"{queue.node.id}Depth"
            alarms[name] = (
                queue.metric_approximate_number_of_messages_visible(period=five_minutes, statistic="Max"),
                1,
                f"messages waiting in {queue.node.id}: {self.queue_purposes[queue.node.id]}",
            )
        action = cloudwatch_actions.SnsAction(self.alarm_topic)
        for name, (metric, threshold, description) in alarms.items():
            alarm = cloudwatch.Alarm(
                self,
                f"{name}Alarm",
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            alarm.add_alarm_action(action)

    def _notice_identities(self) -> None:
        """The SES identity complainant e-mails will be sent from (verified by DNS or by its mailbox)."""
        if not self.config.email_identity:
            return
        identity = (
            ses.Identity.email(self.config.email_identity)
            if "@" in self.config.email_identity
            else ses.Identity.domain(self.config.email_identity)
        )
        ses.EmailIdentity(self, "NoticeEmailIdentity", identity=identity)


_ATTRIBUTE_TYPES = {"S": "STRING", "N": "NUMBER", "B": "BINARY"}
#: The retention periods CloudWatch Logs offers, in days.
_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}

#: One JSON line per request: who, what, how it ended. No headers, no bodies.
_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "resource": "$context.resourcePath",
    "status": "$context.status",
    "latency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "wafStatus": "$context.waf.status",
    "error": "$context.error.responseType",
}


def _gateway_responses() -> dict[str, Any]:
    """Answers API Gateway gives itself, in the app's error shape (`{"error": {"code", "message"}}`)."""

    def response(status: int, code: str, message: str, **headers: str) -> dict[str, Any]:
        return {
            "StatusCode": str(status),
            "ResponseParameters": {
                "Headers": {
                    "Content-Type": "'application/json; charset=utf-8'",
                    **{k: f"'{v}'" for k, v in headers.items()},
                }
            },
            "ResponseTemplates": {"application/json": json.dumps(error_body(code, message))},
        }

    return {
        # a path or method no route declares: REST APIs call it a missing token; it is a 404
        "MISSING_AUTHENTICATION_TOKEN": response(404, errors.NotFound.code, "no such endpoint"),
        "THROTTLED": response(429, "too_many_requests", "too many requests; try again shortly", **{"Retry-After": "1"}),
        "WAF_FILTERED": response(
            429, "too_many_requests", "too many requests from this address; try again later", **{"Retry-After": "300"}
        ),
        "REQUEST_TOO_LARGE": response(413, errors.PayloadTooLarge.code, "the request is too large"),
        "DEFAULT_4XX": response(400, "bad_request", "the request could not be handled"),
        "DEFAULT_5XX": response(
            503, "service_unavailable", "the service is briefly unavailable; try again shortly", **{"Retry-After": "5"}
        ),
    }


def _any_path(paths: tuple[str, ...]) -> wafv2.CfnWebACL.StatementProperty:
    """A request whose path holds one of `paths` (with or without the stage's prefix)."""
    matches = [
        wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="CONTAINS",
                search_string=path,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
        for path in paths
    ]
    if len(matches) == 1:
        return matches[0]
    return wafv2.CfnWebACL.StatementProperty(or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=matches))


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _check_sized(app: Any) -> None:
    """Every function of the Chalice app has its size in `infra/functions.py`, and nothing else does."""
    found = {event.name for event in app.event_sources} | {f.name for f in app.pure_lambda_functions}
    if app.routes:
        found.add(API_FUNCTION)
    sized = {f.name for f in FUNCTIONS}
    if found != sized:
        raise ValueError(f"infra/functions.py sizes {sorted(sized)}, the app has {sorted(found)}: make them agree")


def _allow(actions: list[str], *resources_: str) -> iam.PolicyStatement:
    return iam.PolicyStatement(actions=actions, resources=list(resources_))


def _logical(construct: Construct, logical: str) -> None:
    """Keep the logical id of `chalicelib/resources.py` (a reader finds the table by its declared name)."""
    construct.node.default_child.override_logical_id(logical)


def _code_only_copy() -> Path:
    """The app without `requirements.txt`, so Chalice packages only its own code (no download): for the
    tests. Beside the construct's own scratch folder (`chalice.out` in the working directory)."""
    copy = Path.cwd() / "chalice.out" / "code-only"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(PROJECT_DIR / "chalicelib", copy / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(PROJECT_DIR / "app.py", copy / "app.py")
    (copy / ".chalice").mkdir()
    shutil.copy2(PROJECT_DIR / ".chalice" / "config.json", copy / ".chalice" / "config.json")
    return copy
