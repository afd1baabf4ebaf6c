"""Nothing the tests run reaches past loopback: the guard (tests/loopback.py, tests/network_guard.py) refuses
it, in the test process and those it starts, and fails the test that tried; no execution outlives its mock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from chalice.test import Client
from moto.stepfunctions.parser.utils import TMP_THREADS

from local.stage import PROJECT_DIR
from tests.conftest import COMPLAINT, post, stop_executions, token
from tests.loopback import LeavesLoopback, take_refused
from tests.workflow.conftest import eventually, execution, types

pytest_plugins = ["pytester"]


def test_a_connection_past_loopback_is_refused_before_any_packet_leaves() -> None:
    with socket.socket() as outward, pytest.raises(LeavesLoopback):
        outward.connect(("203.0.113.7", 443))  # TEST-NET-3: never routed anyway
    with pytest.raises(LeavesLoopback):
        socket.getaddrinfo("dynamodb.us-east-1.amazonaws.com", 443)  # not even a DNS query
    assert [what.split(" (")[0] for what in take_refused()] == [
        "connect to 203.0.113.7:443",
        "resolve dynamodb.us-east-1.amazonaws.com",
    ]


def test_a_process_the_tests_start_is_guarded_too() -> None:
    reach_out = "import socket; socket.create_connection(('203.0.113.7', 443), timeout=1)"
    run = subprocess.run([sys.executable, "-c", reach_out], check=False, capture_output=True, text=True, timeout=30)
    assert run.returncode != 0 and "LeavesLoopback" in run.stderr
    (refused,) = take_refused()
    assert refused.startswith("connect to 203.0.113.7:443 (pid ") and f"(pid {os.getpid()}," not in refused


def test_loopback_stays_open() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
        with socket.create_connection(("localhost", server.getsockname()[1]), timeout=2):
            pass


def test_a_real_aws_call_outside_the_mock_is_refused(stage_env: dict[str, str]) -> None:
    dynamodb = boto3.client("dynamodb", region_name=stage_env["AWS_DEFAULT_REGION"])
    with pytest.raises(EndpointConnectionError):
        dynamodb.list_tables()
    refused = take_refused()
    assert refused and all("dynamodb.us-east-1.amazonaws.com" in what for what in refused)


def test_the_test_that_tries_fails_even_when_the_error_is_swallowed_or_in_a_thread(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        textwrap.dedent(
            """
            import socket
            import threading

            def reach_out():
                try:
                    socket.create_connection(("203.0.113.7", 443), timeout=1)
                except OSError:
                    pass  # swallowed, as botocore or the app would

            def test_connects_out():
                socket.create_connection(("203.0.113.7", 443), timeout=1)

            def test_swallows_the_refusal():
                reach_out()

            def test_reaches_out_from_a_thread():
                thread = threading.Thread(target=reach_out)
                thread.start()
                thread.join()

            def test_stays_home():
                with socket.socket() as server:
                    server.bind(("127.0.0.1", 0))
                    server.listen(1)
                    socket.create_connection(server.getsockname(), timeout=1).close()
            """
        )
    )
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_DIR))
    result = pytester.runpytest_subprocess("-p", "tests.network_guard", "-p", "no:cacheprovider")
    # each of the three fails at its teardown (the first one's own call fails too); the fourth passes
    result.assert_outcomes(passed=3, failed=1, errors=3)
    result.stdout.fnmatch_lines(["*this test tried to connect past loopback*203.0.113.7:443*"])
    assert "test_stays_home" not in "".join(line for line in result.outlines if line.startswith("ERROR"))


def test_executions_left_running_are_stopped_with_nothing_left_in_flight(
    client: Client, stage_env: dict[str, str]
) -> None:
    # GIVEN a case waiting for its acceptance (a timer weeks away) and a late one its execution keeps chasing
    waiting = post(client, "/v1/complaints", COMPLAINT).json_body["id"]
    late = {**COMPLAINT, "channel": "letter", "received_at": "2026-09-01T09:00:00+08:00"}
    staff = {"Authorization": f"Bearer {token('clerk', 'supervisor')}"}
    chased = post(client, "/v1/staff/intake", late, **staff).json_body["id"]
    case = f"/v1/staff/cases/{chased}"
    eventually(lambda: "escalated" in types(client.http.get(case, headers=staff).json_body), "the escalation")
    threads = list(TMP_THREADS)  # every thread moto started for them (it forgets them once stopped)
    assert any(thread.is_alive() for thread in threads)
    # WHEN the test ends (what the `aws` fixture does before its mock ends)
    stopped = stop_executions(stage_env["AWS_DEFAULT_REGION"])
    # THEN both executions are over, and none of moto's execution threads is left to call anything
    assert {arn.rsplit(":", 1)[-1] for arn in stopped} == {waiting, chased}
    assert "RUNNING" not in {execution(stage_env, case_id)["status"] for case_id in (waiting, chased)}
    assert [thread for thread in threads if thread.is_alive()] == []
