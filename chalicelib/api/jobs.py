"""Entry points that are not HTTP: the state machine's task, the notice sender fed by the register's
stream, and the scheduled reconciliation."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent

from chalicelib import wiring
from chalicelib.adapters.register.outbox import send_key
from chalicelib.observability import count_notices, count_reconciliation, logger
from chalicelib.resources import OUTBOX_FUNCTION, WORKFLOW_FUNCTION
from chalicelib.service import outbox
from chalicelib.service.workflow import catch_up, on_deadline, reconcile

bp = Blueprint(__name__)
#: How often the reconciliation runs (its look-back, `service.workflow.LOOK_BACK`, spans at least two runs).
RECONCILE_EVERY_MINUTES = 5


@bp.lambda_function(name=WORKFLOW_FUNCTION)
def workflow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The state machine's tasks (`DeadlinePassed`, `CatchUpWithTheNewerChange`): where the execution waits next."""
    action = event.get("action")
    if action not in ("deadline_passed", "catch_up"):
        raise ValueError(f"unknown workflow action {action!r}")
    with logger.append_context_keys(case_id=event["case_id"], step=event["step"]):
        if action == "catch_up":
            return catch_up(event["case_id"], wiring.services(), wiring.now())
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


@bp.schedule(Rate(RECONCILE_EVERY_MINUTES, unit=Rate.MINUTES), name="reconcile")
def reconcile_workflows(event: CloudWatchEvent) -> dict[str, int]:
    """Unconfirmed hand-offs and executions that ended badly: start, resume or restart, report the rest."""
    report = reconcile(wiring.services(), wiring.now())
    logger.info("reconciled", extra=asdict(report))
    count_reconciliation(report.started, report.resumed + report.restarted, report.diverged)
    return asdict(report)
