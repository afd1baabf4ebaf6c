"""Logging, metrics and tracing with powertools, set up once for the whole app.

- Logger: JSON lines, `correlation_id` = the API Gateway request id. Log lines carry ids, codes
  and counts — never a name, phone number, address or the text of a complaint.
- Metrics: EMF; `CasesReceived` by channel and kind.
- Tracer: X-Ray, created on first request (it costs ~0.3 s to build) and not at all when
  `POWERTOOLS_TRACE_DISABLED` is true (local stack, tests).
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Callable

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from chalice import Response
from chalice.app import Request

logger = Logger()


def share_logger_config() -> None:
    """Let the services' standard `logging` loggers write through the same JSON formatter."""
    copy_config_to_registered_loggers(source_logger=logger, include={"chalicelib"})


@functools.cache
def tracer() -> Tracer | None:
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true"):
        return None
    return Tracer()


def _count(name: str, value: float, **dimensions: str) -> None:
    """One EMF line. `single_metric` ignores POWERTOOLS_METRICS_DISABLED (powertools 3.37): honour it here."""
    if is_metrics_disabled():
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
        for dimension, label in dimensions.items():
            metric.add_dimension(name=dimension, value=label)


def count_received(channel: str, kind: str) -> None:
    """One line per registered case, so a split submission counts a complaint and a report."""
    _count("CasesReceived", 1, channel=channel, kind=kind)


def count_workflow_repairs(results: dict[str, int]) -> None:
    """What the hand-over and the reconciliation had to repair: an execution started late (its start had
    failed), a hand-off the request could not deliver, an execution restarted after it ended badly."""
    for name, key in (
        ("WorkflowStarted", "started"),
        ("WorkflowResumed", "resumed"),
        ("WorkflowRestarted", "restarted"),
    ):
        if results.get(key):
            _count(name, results[key])


def count_notices(results: dict[str, int]) -> None:
    """`NoticesSent`, and `NoticesDeadLettered` for alarms: a notice nobody received."""
    for name, key in (("NoticesSent", "sent"), ("NoticesDeadLettered", "dead")):
        if results.get(key):
            _count(name, results[key])


def count_inbound(channel: str, results: dict[str, int]) -> None:
    """`InboundFiled` (cases registered from messages) and `InboundMessages`, by channel."""
    if results.get("filed"):
        _count("InboundFiled", results["filed"], channel=channel)
    if total := sum(results.values()):
        _count("InboundMessages", total, channel=channel)


def observe(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """HTTP middleware: correlation id, one access log line, a trace segment."""
    context = event.context or {}
    request_id = context.get("requestId") or uuid.uuid4().hex
    route = context.get("resourcePath", "")
    logger.set_correlation_id(request_id)
    logger.append_keys(route=route, method=event.method)
    started = time.perf_counter()
    active = tracer()
    if active is None:
        response = get_response(event)
    else:
        with active.provider.in_subsegment(f"## {event.method} {route}") as subsegment:
            response = get_response(event)
            subsegment.put_annotation("status", str(response.status_code))
    response.headers["X-Request-Id"] = request_id
    logger.info(
        "request handled",
        extra={"status": response.status_code, "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return response
