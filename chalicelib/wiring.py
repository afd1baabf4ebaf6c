"""The composition root: adapters are built once per container, lazily, on first use.

Lazily, because Chalice applies a stage's environment only when a request runs (and tests swap
the AWS endpoint), so nothing may read settings or create clients at import.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from chalicelib.adapters import aws, idempotency, register
from chalicelib.adapters.evidence import S3EvidenceStore, S3MailStore
from chalicelib.adapters.messaging import EndUserMessagingSms, SesMail, SnsSms
from chalicelib.adapters.notices import SnsNoticeSender, SqsDeadLetters
from chalicelib.adapters.register.attempts import DynamoAttemptBudget
from chalicelib.adapters.register.calendar import DynamoCalendarStore
from chalicelib.adapters.register.cases import DynamoCaseRepository
from chalicelib.adapters.register.contacts import DynamoContacts
from chalicelib.adapters.register.outbox import DynamoOutbox
from chalicelib.adapters.register.uploads import DynamoUploads
from chalicelib.adapters.sealing import Seal
from chalicelib.adapters.workflow import StepFunctionsWorkflow
from chalicelib.api import auth
from chalicelib.domain.deadlines import CHINA
from chalicelib.domain.policy import Policy, load_policy
from chalicelib.resources import UNLINKED_UPLOAD_DAYS
from chalicelib.service.calendar import CalendarService
from chalicelib.service.channels import ChannelSender, Gateways
from chalicelib.service.evidence import EvidenceServices
from chalicelib.service.inbox import Inbox
from chalicelib.service.outbox import Postbox
from chalicelib.service.tracking import RECOVERIES_PER_DAY, Budgets
from chalicelib.service.workflow import Services
from chalicelib.settings import get_settings


def now() -> datetime:
    """The one clock of the app, in the service's local time (China Standard Time)."""
    return datetime.now(CHINA)


@functools.cache
def _bound() -> None:
    settings = get_settings()
    register.bind(settings.register_table, aws.pynamodb_settings(settings), aws.client("dynamodb"))


@functools.cache
def seal() -> Seal:
    """Seals the secret facts of notices in the outbox (a receipt's access code)."""
    return Seal(get_settings().app_secret, b"outbox")


@functools.cache
def cases() -> DynamoCaseRepository:
    _bound()
    return DynamoCaseRepository(register.connection(aws.client("dynamodb")), seal())


@functools.cache
def contacts() -> DynamoContacts:
    _bound()
    return DynamoContacts(register.connection(aws.client("dynamodb")), seal())


@functools.cache
def gateways() -> Gateways:
    """The SMS and e-mail providers the configuration names."""
    settings = get_settings()
    sms = (
        EndUserMessagingSms(settings.sms_origination)
        if settings.sms_provider == "end_user_messaging"
        else SnsSms(settings.sms_sender_id or None, settings.sms_origination or None)
    )
    return Gateways(sms=sms, mail=SesMail(settings.mail_from))


@functools.cache
def calendar() -> CalendarService:
    _bound()
    return CalendarService(DynamoCalendarStore(), get_settings().calendar_cache_seconds)


@functools.cache
def budgets() -> Budgets:
    _bound()
    settings = get_settings()
    return Budgets(
        per_client=DynamoAttemptBudget(
            "client", settings.tracking_client_budget, timedelta(seconds=settings.tracking_client_window_seconds)
        ),
        per_code=DynamoAttemptBudget(
            "code", settings.tracking_code_budget, timedelta(seconds=settings.tracking_code_window_seconds)
        ),
        recovery=DynamoAttemptBudget("recovery", RECOVERIES_PER_DAY, timedelta(days=1)),
    )


@functools.cache
def evidence() -> EvidenceServices:
    """Evidence uploads; the S3 client is made by the first call that needs it, not here."""
    _bound()
    settings = get_settings()
    return EvidenceServices(
        uploads=DynamoUploads(),
        store=S3EvidenceStore(settings.evidence_bucket),
        budget=DynamoAttemptBudget(
            "upload", settings.upload_client_budget, timedelta(seconds=settings.upload_client_window_seconds)
        ),
        upload_seconds=settings.upload_form_seconds,
        keep=timedelta(days=UNLINKED_UPLOAD_DAYS),
        download_seconds=settings.evidence_link_seconds,
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
        policy=rules,
        calendar=calendar(),
        reminder=reminder,
        task_retry=timedelta(seconds=settings.task_retry_seconds),
        secret=settings.app_secret,
        max_backdate=timedelta(days=settings.max_backdate_days),
        evidence=evidence(),
    )


@functools.cache
def inbox() -> Inbox:
    settings = get_settings()
    budget = DynamoAttemptBudget(
        "status", settings.tracking_client_budget, timedelta(seconds=settings.tracking_client_window_seconds)
    )
    return Inbox(services(), contacts(), budget, mail_domain=settings.mail_from.rpartition("@")[2])


@functools.cache
def mail_store() -> S3MailStore:
    return S3MailStore(get_settings().mail_inbound_bucket)


@functools.cache
def postbox() -> Postbox:
    _bound()
    settings = get_settings()
    sender = ChannelSender(
        cases=cases(),
        contacts=contacts(),
        gateways=gateways(),
        supervision=SnsNoticeSender(settings.supervision_topic_arn),
        survey_link=f"{settings.public_site_url}/track",
        clock=now,
    )
    return Postbox(DynamoOutbox(seal()), sender, SqsDeadLetters(settings.dead_letter_queue_url))


def reset() -> None:
    """Forget every adapter and setting (a new container): for tests that change the environment."""
    for cached in (
        _bound,
        seal,
        cases,
        contacts,
        gateways,
        inbox,
        mail_store,
        calendar,
        budgets,
        evidence,
        policy,
        services,
        postbox,
        get_settings,
        auth.verifier,
        idempotency.registrar,
        idempotency.config,
    ):
        cached.cache_clear()
    aws.reset()
