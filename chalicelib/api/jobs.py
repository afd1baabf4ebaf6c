"""Entry points that are not HTTP: the state machine's task, the notice sender and the hand-over fed by
the register's stream, inbound SMS (an SNS topic) and e-mail (a queue of the mail bucket's objects),
and the scheduled reconciliation."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from urllib.parse import unquote_plus

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent

from chalicelib import wiring
from chalicelib.adapters.register.outbox import send_key
from chalicelib.adapters.register.stream import handoffs
from chalicelib.observability import count_inbound, count_notices, count_workflow_repairs, logger
from chalicelib.resources import HANDOVER_FUNCTION, MAIL_FUNCTION, OUTBOX_FUNCTION, SMS_FUNCTION, WORKFLOW_FUNCTION
from chalicelib.service import inbox, outbox
from chalicelib.service.ports import WorkflowUnavailable
from chalicelib.service.workflow import HandOverPending, hand_over, on_deadline, reconcile

bp = Blueprint(__name__)
#: How often the reconciliation runs (its look-back, `service.workflow.LOOK_BACK`, spans at least two runs).
RECONCILE_EVERY_MINUTES = 5


@bp.lambda_function(name=WORKFLOW_FUNCTION)
def workflow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The state machine's task (`DeadlinePassed`): where the execution waits next."""
    if event.get("action") != "deadline_passed":
        raise ValueError(f"unknown workflow action {event.get('action')!r}")
    with logger.append_context_keys(case_id=event["case_id"], step=event["step"]):
        return on_deadline(event["case_id"], event["step"], wiring.services(), wiring.now())


@bp.lambda_function(name=OUTBOX_FUNCTION)
def send_notices(event: dict[str, Any], context: Any) -> dict[str, int]:
    """New outbox items from the register table's stream. A failed send raises, so the stream
    delivers the batch again (with backoff); notices already sent are skipped by their send key."""
    results: dict[str, int] = {}
    for record in event.get("Records", []):
        keys = record.get("dynamodb", {}).get("Keys", {})
        pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
        if record.get("eventName") != "INSERT" or not sk.startswith("OUTBOX#"):
            continue
        key = send_key(pk, sk)
        with logger.append_context_keys(send_key=key):
            result = outbox.send(key, wiring.postbox(), wiring.now())
        results[result] = results.get(result, 0) + 1
    count_notices(results)
    return results


@bp.lambda_function(name=HANDOVER_FUNCTION)
def hand_over_changes(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The hand-offs the register table's stream carries. One that cannot be made yet raises, once the rest
    of the batch is done, so the stream delivers the batch again (with backoff): what already arrived is
    then found so and left alone."""
    results: dict[str, int] = {}
    for case_id, version in handoffs(event.get("Records", [])).items():
        with logger.append_context_keys(case_id=case_id):
            try:
                result = hand_over(case_id, version, wiring.services(), wiring.now())
            except (HandOverPending, WorkflowUnavailable):
                logger.warning("handoff_postponed", exc_info=True)
                result = "pending"
        results[result] = results.get(result, 0) + 1
    count_workflow_repairs(results)
    if results.get("pending"):
        raise HandOverPending(f"{results['pending']} hand-off(s) to try again")
    return results


@bp.lambda_function(name=SMS_FUNCTION)
def receive_sms(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Inbound SMS as End User Messaging's two-way SMS publishes them to the topic (one per record). A
    failure raises, so SNS delivers it again; a message handled before causes nothing twice."""
    results: dict[str, int] = {}
    for record in event.get("Records", []):
        payload = json.loads(record["Sns"]["Message"])
        sms = inbox.Sms(payload["inboundMessageId"], payload["originationNumber"], payload.get("messageBody", ""))
        with logger.append_context_keys(inbound=sms.id):
            result = inbox.receive_sms(sms, now=wiring.now(), inbox=wiring.inbox())
        results[result] = results.get(result, 0) + 1
    count_inbound("sms", results)
    return results


@bp.lambda_function(name=MAIL_FUNCTION)
def receive_mail(event: dict[str, Any], context: Any) -> dict[str, int]:
    """New objects of the mail bucket (S3 notifications on the mail queue). A failure raises, so the queue
    delivers the batch again (then to its failure queue); a mail handled before causes nothing twice."""
    results: dict[str, int] = {}
    settings = wiring.get_settings()
    for message in event.get("Records", []):
        for record in json.loads(message["body"]).get("Records", []):  # S3's test event has none
            s3 = record["s3"]
            key = unquote_plus(s3["object"]["key"])
            with logger.append_context_keys(inbound=key):
                result = inbox.receive_mail(
                    key,
                    int(s3["object"].get("size", 0)),
                    store=wiring.mail_store(),
                    max_bytes=settings.max_mail_bytes,
                    now=wiring.now(),
                    inbox=wiring.inbox(),
                )
            results[result] = results.get(result, 0) + 1
    count_inbound("email", results)
    return results


@bp.schedule(Rate(RECONCILE_EVERY_MINUTES, unit=Rate.MINUTES), name="reconcile")
def reconcile_workflows(event: CloudWatchEvent) -> dict[str, int]:
    """Executions that ended badly while their case is open: restarted under a new name."""
    report = reconcile(wiring.services(), wiring.now())
    logger.info("reconciled", extra=asdict(report))
    count_workflow_repairs({"restarted": report.restarted})
    return asdict(report)
