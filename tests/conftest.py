"""Shared fixtures. Unit tests need none of them; API tests run the app in-process under moto."""

from __future__ import annotations

import json
import os
import struct
import threading
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import botocore.loaders
import botocore.session
import hypothesis
import jwt
import pytest
import requests
from chalice.test import Client
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.stepfunctions.parser.api import ExecutionStatus

from chalicelib import wiring
from chalicelib.settings import LOCAL_JWT_SECRET
from local.lambda_bridge import app_handlers, route_lambda_invocations
from local.provision import provision
from local.stage import stage_environment
from local.token import mint

if TYPE_CHECKING:
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

pytest_plugins = ["tests.network_guard"]

# Property-based tests draw the same examples every run and remember none between runs: the suite is
# steady, and a failing example fails every run until fixed (a new seed is a deliberate change).
hypothesis.settings.register_profile("steady", derandomize=True, database=None)
hypothesis.settings.load_profile("steady")

COMPLAINT: dict[str, Any] = {
    "kind": "complaint",
    "complainant": {"name": "张三", "phone": "13800138000", "address": "上海市黄浦区中山东一路1号"},
    "respondent": {"name": "某某超市有限公司", "address": "上海市徐汇区漕溪北路88号", "region_code": "310104"},
    "facts": "2026年11月1日在该超市购买的牛奶已过保质期。",
    "request": "退货并按价款十倍赔偿",
    "category": "food",
    "product": {"name": "鲜牛奶", "brand": "某某", "quantity": 2, "price": 12.5, "purchase_date": "2026-11-01"},
    "amount": 25.0,
}


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


#: The smallest file that is a JPEG to a magic-number check: SOI, JFIF, a quantisation table, a scan, EOI.
TINY_JPEG = (
    b"\xff\xd8"
    + jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    + jpeg_segment(0xDB, b"\x00" + bytes(range(64)))
    + jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    + b"\x12\x34\x56\x78"
    + b"\xff\xd9"
)


def upload(client: Client, data: bytes, content_type: str = "image/jpeg", filename: str = "receipt.jpg") -> str:
    """Ask for an upload form and upload `data` with it, as a browser would; the upload id."""
    answer = post(client, "/v1/uploads", {"filename": filename, "content_type": content_type, "size": len(data)})
    assert answer.status_code == 201, answer.json_body
    form = answer.json_body
    sent = requests.post(form["url"], data=form["fields"], files={"file": (filename, data)}, timeout=10)
    assert sent.status_code == 204, sent.text
    return str(form["upload_id"])


class _UniquePaths(list[str]):
    """boto3 appends its data path to the loader of every session it makes: once is enough for a shared one."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@pytest.fixture(scope="session", autouse=True)
def one_botocore_loader() -> Iterator[None]:
    """Every botocore session (a new one per test, as mock_aws resets boto3's default; one per thread in
    PynamoDB) reads the service models and endpoint rules from disk again: ~80 ms per client, most of
    the API tests' time. One loader keeps what it read, as it does within a session."""
    loader = botocore.loaders.Loader(extra_search_paths=_UniquePaths())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", lambda search_path_string=None: loader)
        yield


@pytest.fixture(scope="session", autouse=True)
def one_dynamodb_request_at_a_time() -> Iterator[None]:
    """DynamoDB applies each request atomically; moto's in-process backend does not lock, and the app's
    threads and the executions' threads write to it at once (a transaction copying a table while a
    state machine adds an attribute: "dictionary changed size during iteration"). So every DynamoDB
    request runs under one lock, as on the local stack (local/motoserver.py). A request is a leaf — moto
    answers it without calling back into DynamoDB — so the lock cannot deadlock."""
    from moto.dynamodb.responses import DynamoHandler

    lock, call = threading.Lock(), DynamoHandler.call_action

    def atomic(handler: DynamoHandler) -> Any:
        with lock:
            return call(handler)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DynamoHandler, "call_action", atomic)
        yield


@pytest.fixture(scope="session", autouse=True)
def each_state_machine_parsed_once(one_botocore_loader: None) -> Iterator[None]:
    """moto parses the ASL (ANTLR in pure Python, ~0.15 s) at every CreateStateMachine and StartExecution:
    the local stack's remedy, for the whole test process (it keeps moto's answers unchanged). And the
    validation at CreateStateMachine, which builds and drops the evaluation components (~50 ms each
    test), runs once per definition: a definition valid once stays valid (moto's private API, pinned).
    Imported here, not at the top: moto's ASL parser imports its EC2 backend, which builds boto3 sessions
    for every region (~1 s) — cheaper once the shared loader is in place."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    from local.moto_patches import parse_each_state_machine_once

    parse_each_state_machine_once()
    validate = StepFunctionsParserBackend._validate_definition
    valid: set[str] = set()

    def validate_once(definition: str) -> None:
        if definition not in valid:
            validate(definition=definition)
            valid.add(definition)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StepFunctionsParserBackend, "_validate_definition", staticmethod(validate_once))
        yield


@pytest.fixture(scope="session", autouse=True)
def transactions_back_up_only_what_they_touch(one_dynamodb_request_at_a_time: None) -> Iterator[None]:
    """moto deep-copies every table a transaction writes, to roll back (a seventh of the API tests' time):
    the local stack's remedy, safe here for the reason it is there, DynamoDB requests one at a time."""
    from moto.dynamodb.models import DynamoDBBackend

    from local.moto_patches import back_up_only_what_transactions_touch

    transact = DynamoDBBackend.transact_write_items
    back_up_only_what_transactions_touch()
    yield
    DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]


@pytest.fixture(scope="session", autouse=True)
def s3_post_policies_enforced() -> Iterator[None]:
    """AWS refuses an S3 POST that breaks its signed policy; moto stores it unless told (local/moto_patches.py,
    which the local stack applies too)."""
    from moto.s3.responses import S3Response

    from local.moto_patches import enforce_post_policies

    post = S3Response._bucket_response_post
    enforce_post_policies()
    yield
    S3Response._bucket_response_post = post  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def stage_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The `test` stage's environment, never a real or local AWS endpoint, and fresh adapters."""
    env = stage_environment("test")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    wiring.reset()
    yield env
    wiring.reset()


#: moto executes the state machines (waits, timeouts, task tokens) and routes Lambda tasks in-process.
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


#: How long the executions a test leaves running may take to stop: a Lambda task under way finishes
#: first, and a failing one sleeps through its Retry backoff (seconds) before it sees the stop. A bound,
#: not a timing.
STOP_SECONDS = 60.0


def _executions(backend: StepFunctionsParserBackend) -> list[Execution]:
    """With `execute_state_machine` on, every execution is the parser's kind."""
    return [cast("Execution", e) for machine in backend.state_machines for e in machine.executions]


def stop_executions(region: str, timeout: float = STOP_SECONDS) -> list[str]:
    """Stop every running execution and wait until each has ended; their ARNs.

    An execution runs in moto's threads and outlives its test: left running, its timers fire into the
    next test's moto or, once the mock has ended, at `localhost:5000` or real AWS. StopExecution alone
    ends it only when its current wait expires (a month, for a deadline), so the task-token waits are
    woken too and the execution ends at once, with nothing in flight (moto's private API: moto is pinned).
    moto then reports a woken one FAILED (States.Timeout), not ABORTED: its stopped program skips the Catch."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends[DEFAULT_ACCOUNT_ID][region]
    stopped: list[str] = []
    deadline = time.monotonic() + timeout
    while running := [e for e in _executions(backend) if e.exec_status in (None, ExecutionStatus.RUNNING)]:
        for execution in running:
            worker = execution.exec_worker
            if worker is None or worker.env is None:
                continue  # still starting: stopped on a later round, once it has an environment
            # StopExecution (not through a client: a test may have pointed AWS_ENDPOINT_URL elsewhere), on every
            # round: moto ignores it until the program has entered its first state, and a wait woken before then
            # would be caught (States.Timeout) and entered again, for ever
            backend.stop_execution(execution.exec_arn)
            if execution.exec_arn not in stopped:
                stopped.append(execution.exec_arn)
            for endpoint in list(worker.env.callback_pool_manager._pool.values()):
                endpoint.interrupt_all()
        if time.monotonic() > deadline:
            raise AssertionError(f"executions still running {timeout} s after the test: {running}")
        time.sleep(0.02)
    _join_task_threads(backend, deadline)
    return stopped


def _join_task_threads(backend: StepFunctionsParserBackend, deadline: float) -> None:
    """A stopped execution's task runs in a thread of its own (moto's TMP_THREADS) that may still be
    making its DynamoDB call: wait until each has ended, waking any wait it entered meanwhile, so no call
    is made after the mock ends."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    while alive := [thread for thread in TMP_THREADS if thread.is_alive()]:
        for execution in _executions(backend):
            worker = execution.exec_worker
            if worker is not None and worker.env is not None:
                for endpoint in list(worker.env.callback_pool_manager._pool.values()):
                    endpoint.interrupt_all()
        for thread in alive:
            thread.join(0.02)
        if time.monotonic() > deadline:
            raise AssertionError(f"task threads still running after the test: {alive}")
    TMP_THREADS.clear()


@pytest.fixture
def aws(stage_env: dict[str, str]) -> Iterator[None]:
    with mock_aws(config=MOTO_CONFIG):
        route_lambda_invocations(app_handlers(stage_env))
        provision(stage_env)
        yield
        stop_executions(stage_env["AWS_DEFAULT_REGION"])


@pytest.fixture
def client(aws: None) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="test") as test_client:
        yield test_client


def token(*roles: str, sub: str = "staff-1", name: str = "李四", hours: float = 1, secret: str | None = None) -> str:
    return mint(sub, list(roles), name=name, hours=hours, secret=secret)


def unnamed_token(sub: str, username: str, *roles: str) -> str:
    """A staff token as Cognito issues it where the user pool keeps no `name`: the holder has a username only."""
    claims = {"sub": sub, "cognito:username": username, "cognito:groups": list(roles), "exp": int(time.time()) + 600}
    with warnings.catch_warnings():  # the local secret is short on purpose
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, os.environ.get("STAFF_JWT_SECRET", LOCAL_JWT_SECRET), algorithm="HS256")


def post(client: Client, path: str, body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body, ensure_ascii=False)
    return client.http.post(path, headers={"Content-Type": "application/json", **headers}, body=raw)


def staff_headers(*roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(*roles)}"}


#: The order tests are handed out in (`pytest -n 2`): the longest first, so that no long test starts last and
#: runs alone; the end-to-end tests (stacks in subprocesses), the deployment's checks (one synthesis in a
#: subprocess, on one worker) and the workflow tests (mostly waiting on moto's timers) first, then those that
#: keep a core busy, the unit tests to fill the gaps.
RUN_FIRST = ("tests/e2e/", "tests/web/", "tests/infra/", "tests/workflow/", "tests/api/")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `pytest -n 2 --dist loadgroup`, the tests on the shared local stack (the session fixture
    `stack`) run on one worker, which starts with them, so one stack is started, not one per worker (~4 s
    of CPU each); every other test, those that launch stacks of their own included, goes to whichever
    worker is free, in the order of `RUN_FIRST`."""
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("shared-local-stack"))
        elif "site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("browser"))  # one stack and one Chromium for them

    def rank(item: pytest.Item) -> int:
        return next((n for n, where in enumerate(RUN_FIRST) if item.nodeid.startswith(where)), len(RUN_FIRST))

    items.sort(key=rank)  # stable: each file's tests keep their order
