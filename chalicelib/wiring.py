"""The composition root: adapters are built once per container, lazily, on first use.

Lazily, because Chalice applies a stage's environment only when a request runs (and tests swap
the AWS endpoint), so nothing may read settings or create clients at import.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from chalicelib.adapters import idempotency, register
from chalicelib.adapters.workflow import SnsNotifier, StepFunctionsWorkflow
from chalicelib.api import auth
from chalicelib.domain.deadlines import CHINA
from chalicelib.domain.policy import Policy, load_policy
from chalicelib.service.calendar import CalendarService
from chalicelib.service.workflow import Services
from chalicelib.settings import get_settings


def now() -> datetime:
    """The one clock of the app, in the service's local time (China Standard Time)."""
    return datetime.now(CHINA)


@functools.cache
def _bound() -> None:
    register.bind(get_settings().register_table)


@functools.cache
def cases() -> register.DynamoCaseRepository:
    _bound()
    return register.DynamoCaseRepository()


@functools.cache
def calendar() -> CalendarService:
    _bound()
    return CalendarService(register.DynamoCalendarStore(), get_settings().calendar_cache_seconds)


@functools.cache
def attempts() -> register.DynamoAttemptLimiter:
    _bound()
    settings = get_settings()
    return register.DynamoAttemptLimiter(
        settings.tracking_max_failures, timedelta(seconds=settings.tracking_lockout_seconds)
    )


@functools.cache
def policy() -> Policy:
    return load_policy(get_settings().policy_profile)


@functools.cache
def services() -> Services:
    settings = get_settings()
    rules = policy()
    reminder = timedelta(seconds=settings.reminder_seconds) if settings.reminder_seconds else rules.reminder
    return Services(
        cases=cases(),
        workflow=StepFunctionsWorkflow(settings.case_workflow_arn),
        notifier=SnsNotifier(settings.supervision_topic_arn, settings.notices_topic_arn),
        policy=rules,
        calendar=calendar(),
        reminder=reminder,
    )


def reset() -> None:
    """Forget every adapter and setting (a new container): for tests that change the environment."""
    for cached in (
        _bound,
        cases,
        calendar,
        attempts,
        policy,
        services,
        get_settings,
        auth.verifier,
        idempotency.registrar,
        idempotency._config,
    ):
        cached.cache_clear()
