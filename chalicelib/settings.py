"""The one settings object: every environment variable the app reads is read here."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Deployment settings. Stage values come from `.chalice/config.json` (strings)."""

    register_table: str
    idempotency_table: str
    policy_profile: str
    staff_auth: str  # "hs256" (local stack, tests) or "cognito"
    staff_jwt_secret: str
    cognito_region: str
    cognito_user_pool_id: str
    cognito_app_client_id: str
    max_body_bytes: int
    tracking_max_failures: int
    tracking_lockout_seconds: int
    idempotency_ttl_seconds: int
    calendar_cache_seconds: int
    case_workflow_arn: str
    supervision_topic_arn: str
    notices_topic_arn: str
    reminder_seconds: int | None  # overrides the profile's reminder interval (local stack, tests)
    reconcile_grace_seconds: int

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            register_table=env.get("REGISTER_TABLE", "complaints-register-local"),
            idempotency_table=env.get("IDEMPOTENCY_TABLE", "complaints-idempotency-local"),
            policy_profile=env.get("POLICY_PROFILE", "samr"),
            staff_auth=env.get("STAFF_AUTH", "hs256"),
            staff_jwt_secret=env.get("STAFF_JWT_SECRET", "local-dev-secret"),
            cognito_region=env.get("COGNITO_REGION", ""),
            cognito_user_pool_id=env.get("COGNITO_USER_POOL_ID", ""),
            cognito_app_client_id=env.get("COGNITO_APP_CLIENT_ID", ""),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", "65536")),
            tracking_max_failures=int(env.get("TRACKING_MAX_FAILURES", "5")),
            tracking_lockout_seconds=int(env.get("TRACKING_LOCKOUT_SECONDS", "900")),
            idempotency_ttl_seconds=int(env.get("IDEMPOTENCY_TTL_SECONDS", "3600")),
            calendar_cache_seconds=int(env.get("CALENDAR_CACHE_SECONDS", "60")),
            case_workflow_arn=env.get("CASE_WORKFLOW_ARN", ""),
            supervision_topic_arn=env.get("SUPERVISION_TOPIC_ARN", ""),
            notices_topic_arn=env.get("NOTICES_TOPIC_ARN", ""),
            reminder_seconds=int(env["REMINDER_SECONDS"]) if env.get("REMINDER_SECONDS") else None,
            reconcile_grace_seconds=int(env.get("RECONCILE_GRACE_SECONDS", "120")),
        )


@functools.cache
def get_settings() -> Settings:
    return Settings.from_env()
