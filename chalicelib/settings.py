"""The one settings object: every environment variable the app reads is read here.

Outside the `local` and `test` stages nothing has a default that could be unsafe: a missing secret,
a missing ARN or a shared-secret token scheme stops the cold start with a message naming the setting.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

#: Stages that run on this machine (moto): defaults are allowed there and only there.
LOCAL_STAGES = frozenset({"local", "test"})
#: Local defaults of the two secrets; API.md fixes the JWT one for the local stack.
LOCAL_JWT_SECRET = "local-dev-secret"
LOCAL_APP_SECRET = "local-app-secret-never-deployed"


class ConfigurationError(RuntimeError):
    """A deployed function is missing settings it cannot run safely without."""


@dataclass(frozen=True)
class Settings:
    """Deployment settings. Stage values come from `.chalice/config.json` (strings)."""

    stage: str
    register_table: str
    idempotency_table: str
    policy_profile: str
    staff_auth: str  # "hs256" (local stack, tests) or "cognito"
    staff_jwt_secret: str
    app_secret: bytes  # keys access-code hashes, signs cursors, encrypts stored replies; never in the table
    cognito_region: str
    cognito_user_pool_id: str
    cognito_app_client_id: str
    cognito_domain: str  # the user pool's hosted UI, where the staff console signs in
    max_body_bytes: int
    tracking_code_budget: int  # failed access codes per tracking code per window
    tracking_code_window_seconds: int
    tracking_client_budget: int  # failed access codes per client (source IP) per window
    tracking_client_window_seconds: int
    idempotency_ttl_seconds: int
    calendar_cache_seconds: int
    case_workflow_arn: str
    supervision_topic_arn: str
    mail_inbound_bucket: str
    dead_letter_queue_url: str
    reminder_seconds: int | None  # overrides the profile's reminder interval (local stack, tests)
    task_retry_seconds: int  # how long the workflow waits before trying a failed Lambda task again
    aws_connect_timeout: float
    aws_read_timeout: float
    aws_max_attempts: int
    max_backdate_days: int  # how far in the past a clerk may date a receipt
    evidence_bucket: str
    upload_client_budget: int  # evidence uploads allowed per client (source IP) per window
    upload_client_window_seconds: int
    upload_form_seconds: int  # how long a signed upload form may be used
    evidence_link_seconds: int  # how long a signed download link may be used
    sms_provider: str  # "end_user_messaging" (AWS's two-way SMS) or "sns"
    sms_origination: str  # the two-way number or pool SMS are sent from (End User Messaging)
    sms_sender_id: str  # shown as the sender where the country allows it (SNS)
    mail_from: str  # the SES identity notices and answers are sent from
    public_site_url: str  # where the complainant follows a case and answers the survey by link
    max_mail_bytes: int  # a larger inbound mail is refused (and answered)

    @property
    def local(self) -> bool:
        return self.stage in LOCAL_STAGES

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        stage = env.get("APP_STAGE", "")
        local = stage in LOCAL_STAGES
        missing: list[str] = []

        def required(name: str, local_default: str = "") -> str:
            value = env.get(name, "")
            if value:
                return value
            if local and (local_default or name not in _REQUIRED_LOCALLY):
                return local_default
            missing.append(name)
            return ""

        staff_auth = required("STAFF_AUTH", "hs256")
        settings = cls(
            stage=stage,
            register_table=required("REGISTER_TABLE"),
            idempotency_table=required("IDEMPOTENCY_TABLE"),
            policy_profile=env.get("POLICY_PROFILE", "samr"),
            staff_auth=staff_auth,
            staff_jwt_secret=required("STAFF_JWT_SECRET", LOCAL_JWT_SECRET) if staff_auth == "hs256" else "",
            app_secret=required("APP_SECRET", LOCAL_APP_SECRET).encode(),
            cognito_region=required("COGNITO_REGION") if staff_auth == "cognito" else "",
            cognito_user_pool_id=required("COGNITO_USER_POOL_ID") if staff_auth == "cognito" else "",
            cognito_app_client_id=required("COGNITO_APP_CLIENT_ID") if staff_auth == "cognito" else "",
            cognito_domain=env.get("COGNITO_DOMAIN", ""),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", "65536")),
            tracking_code_budget=int(env.get("TRACKING_CODE_BUDGET", "30")),
            tracking_code_window_seconds=int(env.get("TRACKING_CODE_WINDOW_SECONDS", "86400")),
            tracking_client_budget=int(env.get("TRACKING_CLIENT_BUDGET", "20")),
            tracking_client_window_seconds=int(env.get("TRACKING_CLIENT_WINDOW_SECONDS", "900")),
            idempotency_ttl_seconds=int(env.get("IDEMPOTENCY_TTL_SECONDS", "3600")),
            calendar_cache_seconds=int(env.get("CALENDAR_CACHE_SECONDS", "60")),
            case_workflow_arn=required("CASE_WORKFLOW_ARN"),
            supervision_topic_arn=required("SUPERVISION_TOPIC_ARN"),
            mail_inbound_bucket=required("MAIL_INBOUND_BUCKET"),
            dead_letter_queue_url=required("DEAD_LETTER_QUEUE_URL"),
            reminder_seconds=int(env["REMINDER_SECONDS"]) if env.get("REMINDER_SECONDS") else None,
            task_retry_seconds=int(env.get("TASK_RETRY_SECONDS", "60")),
            aws_connect_timeout=float(env.get("AWS_CONNECT_TIMEOUT_SECONDS", "1")),
            aws_read_timeout=float(env.get("AWS_READ_TIMEOUT_SECONDS", "3")),
            aws_max_attempts=int(env.get("AWS_MAX_ATTEMPTS", "3")),
            max_backdate_days=int(env.get("MAX_BACKDATE_DAYS", "90")),
            evidence_bucket=required("EVIDENCE_BUCKET"),
            upload_client_budget=int(env.get("UPLOAD_CLIENT_BUDGET", "30")),
            upload_client_window_seconds=int(env.get("UPLOAD_CLIENT_WINDOW_SECONDS", "3600")),
            upload_form_seconds=int(env.get("UPLOAD_FORM_SECONDS", "900")),
            evidence_link_seconds=int(env.get("EVIDENCE_LINK_SECONDS", "60")),
            sms_provider=env.get("SMS_PROVIDER", "sns" if local else "end_user_messaging"),
            sms_origination=env.get("SMS_ORIGINATION", ""),
            sms_sender_id=env.get("SMS_SENDER_ID", ""),
            mail_from=required("MAIL_FROM", "centre@complaints.local"),
            public_site_url=required("PUBLIC_SITE_URL", "http://127.0.0.1:8000").rstrip("/"),
            max_mail_bytes=int(env.get("MAX_MAIL_BYTES", str(10 * 1024 * 1024))),
        )
        if settings.sms_provider not in ("end_user_messaging", "sns"):
            missing.append("SMS_PROVIDER (end_user_messaging or sns)")
        if settings.sms_provider == "end_user_messaging" and not settings.sms_origination:
            missing.append("SMS_ORIGINATION (the two-way number or pool End User Messaging sends from)")
        if staff_auth not in ("hs256", "cognito") or (staff_auth == "hs256" and not local):
            missing.append("STAFF_AUTH (cognito outside the local and test stages)")
        if not stage:
            missing.append("APP_STAGE")
        if missing:
            raise ConfigurationError(
                f"stage {stage or '(unset)'} cannot start: set {', '.join(missing)} "
                "(see .chalice/config.json; secrets come from the deployment, never from the repository)"
            )
        return settings


#: Settings that even the local stages must name (the table and resource names of the stage).
_REQUIRED_LOCALLY = frozenset(
    {
        "REGISTER_TABLE",
        "IDEMPOTENCY_TABLE",
        "CASE_WORKFLOW_ARN",
        "SUPERVISION_TOPIC_ARN",
        "MAIL_INBOUND_BUCKET",
        "DEAD_LETTER_QUEUE_URL",
        "EVIDENCE_BUCKET",
    }
)


@functools.cache
def get_settings() -> Settings:
    return Settings.from_env()
