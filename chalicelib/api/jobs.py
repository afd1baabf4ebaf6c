"""Entry points that are not HTTP: the state machine's task and the scheduled reconciliation."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from chalice import Blueprint, Rate
from chalice.app import CloudWatchEvent

from chalicelib import wiring
from chalicelib.observability import count_reconciliation, logger
from chalicelib.resources import WORKFLOW_FUNCTION
from chalicelib.service.workflow import on_deadline, reconcile
from chalicelib.settings import get_settings

bp = Blueprint(__name__)


@bp.lambda_function(name=WORKFLOW_FUNCTION)
def workflow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The state machine's `DeadlinePassed` task: returns where the execution waits next."""
    if event.get("action") != "deadline_passed":
        raise ValueError(f"unknown workflow action {event.get('action')!r}")
    logger.append_keys(case_id=event["case_id"], step=event["step"])
    return on_deadline(event["case_id"], event["step"], wiring.services(), wiring.now())


@bp.schedule(Rate(5, unit=Rate.MINUTES), name="reconcile")
def reconcile_workflows(event: CloudWatchEvent) -> dict[str, int]:
    """Every open case against its execution: start missing ones, resume lost hand-offs, report the rest."""
    grace = timedelta(seconds=get_settings().reconcile_grace_seconds)
    report = reconcile(wiring.services(), wiring.now(), grace)
    logger.info("reconciled", extra=asdict(report))
    count_reconciliation(report.started, report.resumed, report.diverged)
    return asdict(report)
