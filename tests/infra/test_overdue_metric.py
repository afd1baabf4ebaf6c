"""The overdue-cases metric: the workflow function writes one line per deadline passed unmet, and the
deployment counts exactly those lines (a metric filter on that function's log) and alarms on them."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from chalicelib import resources
from chalicelib.domain.lifecycle.steps import step_of
from chalicelib.service.workflow import on_deadline
from infra.functions import OVERDUE_LOG_MESSAGE, OVERDUE_METRIC, logical_id
from tests.fakes import file_complaint, services
from tests.infra.conftest import STAGES, Synthesized
from tests.unit.test_handoffs import NOW

pytestmark = pytest.mark.xdist_group("infra")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_deadline_passing_unmet_is_logged_once_its_reminders_are_not() -> None:
    ports = services()
    case = file_complaint(ports, NOW).cases[0]
    later = NOW + timedelta(days=60)
    lines = _Lines()  # on the service's own logger: the app's logging may not propagate to the root
    workflow_log = logging.getLogger("chalicelib.service.workflow")
    workflow_log.addHandler(lines)
    try:
        on_deadline(case.id, step_of(case), ports, later)
        first = [r for r in lines.records if r.getMessage() == OVERDUE_LOG_MESSAGE]
        on_deadline(case.id, step_of(case), ports, later + timedelta(days=2))  # a reminder (督办)
    finally:
        workflow_log.removeHandler(lines)
    overdue = [r for r in lines.records if r.getMessage() == OVERDUE_LOG_MESSAGE]
    assert first and overdue == first
    assert {r.case_id for r in overdue} == {case.id}  # type: ignore[attr-defined]


@pytest.mark.parametrize("stage", STAGES)
def test_the_metric_counts_those_lines_of_the_workflow_function_and_raises_an_alarm(
    synthesized: Synthesized, stage: str
) -> None:
    template = synthesized.template(stage)
    (metric_filter,) = [
        v["Properties"] for v in template["Resources"].values() if v["Type"] == "AWS::Logs::MetricFilter"
    ]
    assert metric_filter["FilterPattern"] == f'{{ $.message = "{OVERDUE_LOG_MESSAGE}" }}'
    log_group = template["Resources"][metric_filter["LogGroupName"]["Ref"]]["Properties"]["LogGroupName"]
    function = template["Resources"][logical_id(resources.WORKFLOW_FUNCTION)]["Properties"]["FunctionName"]
    assert log_group == f"/aws/lambda/{function}"
    alarms = [v["Properties"] for v in template["Resources"].values() if v["Type"] == "AWS::CloudWatch::Alarm"]
    assert [a for a in alarms if a["MetricName"] == OVERDUE_METRIC and a["AlarmActions"]]
