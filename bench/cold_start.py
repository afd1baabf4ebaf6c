"""Cold start and intake against a bare app making the same AWS requests (issue 10, targets 4 and 5).

- `cold_start_ms(rounds)`: in fresh processes, `import app`, the first public POST /v1/complaints and the
  first staff GET /v1/staff/cases/{id} (a clerk), against `bench/bare_app.py` doing the same; each phase
  and the total, medians of interleaved rounds.
- `intake_ms(rounds)`: a warm intake through the app against the bare requests it sends, without and
  with the access-code hash added to the bare side; and the same with an Idempotency-Key.

The bare side sends the very requests the app sent (recorded here, one run before the timing), with a
new case id and tracking code of the same length: the same items byte for byte, the same reads, and a
StartExecution whose input is the app's — a real execution that runs to its first wait, as ours does.
Both sides talk to one moto server (the local stack's, executions on) in a process of its own.
"""

from __future__ import annotations

import compileall
import contextlib
import json
import logging
import os
import py_compile
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.client

from local.provision import provision
from local.stage import PROJECT_DIR, stage_environment

Request = tuple[str, str, dict[str, Any]]  # service, operation, parameters

#: The two requests of a cold start, in a fresh interpreter, the way Lambda calls the handler (an API
#: Gateway proxy event). Not through `chalice.test.Client`: importing it loads 170 ms of Chalice's CLI
#: (click, yaml, asyncio, unittest …) that no Lambda loads, some of which a first request would pay.
_CHILD = """
import json, os, sys, time, uuid
started = time.perf_counter()
from {module} import app
imported = time.perf_counter()


class Context:
    function_name, memory_limit_in_mb, function_version, invoked_function_arn = "bench", 512, "$LATEST", ""
    aws_request_id, log_group_name, log_stream_name = str(uuid.uuid4()), "", ""

    def get_remaining_time_in_millis(self):
        return 30000


def call(method, resource, path, headers, body=None, params=None):
    event = {{
        "requestContext": {{"httpMethod": method, "resourcePath": resource, "path": path,
                            "requestId": str(uuid.uuid4()), "identity": {{"sourceIp": "127.0.0.1"}}}},
        "headers": headers, "pathParameters": params, "stageVariables": {{}},
        "multiValueQueryStringParameters": None, "body": body,
    }}
    return app(event, Context())


body = os.environ["BENCH_BODY"]
posted = call("POST", "/v1/complaints", "/v1/complaints", {{"content-type": "application/json"}}, body)
assert posted["statusCode"] == 201, posted
posted_at = time.perf_counter()
case_id = json.loads(posted["body"])["id"]
path = "/v1/staff/cases/" + case_id
read = call("GET", "/v1/staff/cases/{{case_id}}", path, {{"authorization": "Bearer " + os.environ["BENCH_TOKEN"]}},
            params={{"case_id": case_id}})
assert read["statusCode"] == 200, read
read_at = time.perf_counter()
ms = lambda a, b: (b - a) * 1000
sys.stderr.write("BENCH " + json.dumps({{"import": ms(started, imported), "first_post": ms(imported, posted_at),
                               "first_get": ms(posted_at, read_at), "total": ms(started, read_at),
                               "case_id": case_id}}) + "\\n")
"""

PHASES = ("import", "first_post", "first_get", "total")


class Recorder:
    """The AWS requests this thread makes, as botocore is asked to send them (moto's own threads excluded)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._thread = threading.get_ident()
        self._original = botocore.client.BaseClient._make_api_call

    def __enter__(self) -> Recorder:
        recorder = self

        def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if threading.get_ident() == recorder._thread:
                recorder.requests.append((client.meta.service_model.service_name, operation, params))
            return recorder._original(client, operation, params)

        botocore.client.BaseClient._make_api_call = recording
        return self

    def __exit__(self, *exc: object) -> None:
        botocore.client.BaseClient._make_api_call = self._original

    def template(self, case_id: str, tracking_code: str = "") -> str:
        """The requests with this case's id and tracking code as placeholders (`bench/bare_app.py` fills them)."""
        from bench.bare_app import CASE, CODE, encode

        text = encode(self.requests).replace(case_id, CASE)
        return text.replace(tracking_code, CODE) if tracking_code else text


def request_bytes(requests_: list[Request]) -> int:
    """What the requests carry (their JSON, a binary value as its length), to show both sides send as much."""
    return sum(
        len(json.dumps(params, ensure_ascii=False, default=lambda value: "b" * len(value)).encode())
        for _, _, params in requests_
    )


@contextlib.contextmanager
def moto_stage() -> Iterator[dict[str, str]]:
    """The local stack's moto (`local.stack.start_moto`: executions on, its patches) in a process of its own,
    provisioned for the `test` stage; this process gets the stage's environment pointing at it.

    Its own process, as AWS is outside the function: moto's work (and the executions' threads, each of
    which runs to its first wait and leaves its task token on the case's TASK item) does not take this
    process's GIL from the requests being timed. Ending the process ends the executions.
    """
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.cold_start", "--serve-moto"],
        cwd=PROJECT_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    endpoint = server.stdout.readline().strip()
    if not endpoint.startswith("http"):
        server.kill()
        raise RuntimeError("moto did not start")
    saved = dict(os.environ)
    env = stage_environment("test") | {"AWS_ENDPOINT_URL": endpoint}
    os.environ.update(env)
    try:
        yield env
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stdin.close()  # it stops when its input ends
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _serve_moto() -> None:
    """`--serve-moto`: start moto, provision the `test` stage, print the endpoint, serve until stdin closes."""
    from local.launch import free_port
    from local.stack import start_moto

    logging.getLogger("moto").setLevel(logging.CRITICAL)  # executions cut short at the end say so
    env = stage_environment("test")
    os.environ.update(env)
    server = start_moto(free_port(), Path(tempfile.mkdtemp(prefix="cold-start-")))
    provision(env, endpoint_url=server.endpoint)
    print(server.endpoint, flush=True)
    sys.stdin.read()
    os._exit(0)  # the executions' threads wait for days: do not join them


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The app's log lines and metrics are written as in Lambda, to a sink instead of the bench's report."""
    from chalicelib.observability import logger

    handler: Any = logger.registered_handler
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        stream = handler.setStream(sink)
        try:
            yield
        finally:
            handler.setStream(stream)


def _body() -> str:
    from tests.conftest import COMPLAINT

    return json.dumps(COMPLAINT, ensure_ascii=False)


def _record_cold(body: str, token: str) -> tuple[dict[str, str], int]:
    """The requests of the app's first intake and first staff read (this process's first), and their bytes."""
    from chalice.test import Client

    from app import app
    from chalicelib import wiring

    wiring.reset()
    with _quiet(), Client(app, stage_name="test") as client:
        with Recorder() as intake:
            receipt = client.http.post("/v1/complaints", headers={"Content-Type": "application/json"}, body=body)
        assert receipt.status_code == 201, receipt.body
        case_id, tracking_code = receipt.json_body["id"], receipt.json_body["tracking_code"]
        with Recorder() as read:
            found = client.http.get(f"/v1/staff/cases/{case_id}", headers={"Authorization": f"Bearer {token}"})
        assert found.status_code == 200, found.body
    wiring.reset()
    templates = {"intake": intake.template(case_id, tracking_code), "read": read.template(case_id)}
    return templates, request_bytes(intake.requests + read.requests)


class _LambdaContext:
    function_name, memory_limit_in_mb, function_version, invoked_function_arn = "bench", 512, "$LATEST", ""
    aws_request_id, log_group_name, log_stream_name = "bench", "", ""

    def get_remaining_time_in_millis(self) -> int:
        return 30000


def record_intake() -> str:
    """The AWS requests of one warm intake through the app in this process, on the stage and AWS endpoint
    that this process's environment names, as a template for `bench.bare_app.send` (`Recorder.template`).

    The app is called as Lambda calls it (an API Gateway proxy event), not through `chalice.test.Client`,
    which applies its stage's environment from `.chalice/config.json` to every request: the local stage's
    names `make run`'s moto. The first intake reads the calendar and builds the clients; the second is recorded.
    """
    from app import app
    from chalicelib import wiring

    def post() -> dict[str, Any]:
        event = {
            "requestContext": {
                "httpMethod": "POST",
                "resourcePath": "/v1/complaints",
                "path": "/v1/complaints",
                "requestId": str(uuid.uuid4()),
                "identity": {"sourceIp": "127.0.0.1"},
            },
            "headers": {"content-type": "application/json"},
            "pathParameters": None,
            "stageVariables": {},
            "multiValueQueryStringParameters": None,
            "body": _body(),
        }
        answer = app(event, _LambdaContext())
        if answer["statusCode"] != 201:
            raise RuntimeError(f"the intake to record failed: {answer}")
        return dict(json.loads(answer["body"]))

    wiring.reset()
    try:
        with _quiet():
            post()
            with Recorder() as recorder:
                receipt = post()
    finally:
        wiring.reset()
    return recorder.template(receipt["id"], receipt["tracking_code"])


def _compile_bytecode() -> None:
    """Both sides start from compiled bytecode, as the packages in site-packages do (pip compiles them).

    Without it (PYTHONDONTWRITEBYTECODE, or a deployment package shipped without `__pycache__`), every
    cold start compiles the app's ~60 modules from source: ~40 ms more for ours, ~1 ms for the bare app.
    """
    for path in ("app.py", "bench/__init__.py", "bench/bare_app.py"):
        py_compile.compile(str(PROJECT_DIR / path), doraise=True)
    compileall.compile_dir(str(PROJECT_DIR / "chalicelib"), quiet=1)


def _child(module: str, env: dict[str, str]) -> dict[str, float]:
    run = subprocess.run(
        [sys.executable, "-c", _CHILD.format(module=module)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in run.stderr.splitlines() if line.startswith("BENCH ")]
    if run.returncode or not lines:
        raise RuntimeError(f"{module} cold start failed:\n{run.stderr[-3000:]}")
    figures = json.loads(lines[-1].removeprefix("BENCH "))
    figures.pop("case_id")
    return {k: float(v) for k, v in figures.items()}


def cold_start_ms(rounds: int = 15) -> dict[str, Any]:
    """Medians over `rounds` fresh processes each: `import app` + first POST + first staff GET, ours and bare.

    Returns {"ours": {phase: ms}, "bare": {phase: ms}, "ratio": {phase: ours/bare}, "paired_ratio":
    {phase: ratio}, "rounds": n, "request_bytes": {"ours": n, "bare": n}} with phases import, first_post,
    first_get, total (the median of each phase and, separately, of the whole). `ratio` divides the medians;
    `paired_ratio` is the median of each round's ours/bare, the two run back to back: steadier on a
    machine whose load comes and goes.
    """
    from local.token import mint

    with moto_stage() as env, tempfile.TemporaryDirectory() as scratch:
        body = _body()
        token = mint("bench-clerk", ["clerk"], secret=env["STAFF_JWT_SECRET"])
        recorded, ours_bytes = _record_cold(body, token)
        path = Path(scratch) / "requests.json"
        path.write_text(json.dumps(recorded, ensure_ascii=False), encoding="utf-8")
        child_env = {
            **os.environ,
            "BENCH_BODY": body,
            "BENCH_TOKEN": token,
            "BARE_REQUESTS": str(path),
            "PYTHONDONTWRITEBYTECODE": "1",  # both sides read the bytecode compiled here, neither writes
        }
        _compile_bytecode()
        sides = {"ours": "app", "bare": "bench.bare_app"}
        for module in sides.values():  # warm the file cache for both
            _child(module, child_env)
        samples: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
        for round_ in range(rounds):
            order = list(sides.items()) if round_ % 2 == 0 else list(reversed(sides.items()))
            for side, module in order:
                samples[side].append(_child(module, child_env))
        with Recorder() as bare:
            _bare_once(path, body, token)
    medians = {side: {p: statistics.median(s[p] for s in runs) for p in PHASES} for side, runs in samples.items()}
    return {
        **medians,
        "ratio": {p: medians["ours"][p] / medians["bare"][p] for p in PHASES},
        "paired_ratio": {
            p: statistics.median(o[p] / b[p] for o, b in zip(samples["ours"], samples["bare"], strict=True))
            for p in PHASES
        },
        "rounds": rounds,
        "request_bytes": {
            "ours": ours_bytes,
            "bare": request_bytes(bare.requests),
        },
    }


def _bare_once(path: Path, body: str, token: str) -> None:
    """One bare intake and read in this process, to measure what the bare side sends."""
    from chalice.test import Client

    from bench.bare_app import _recorded, app

    os.environ["BARE_REQUESTS"] = str(path)
    _recorded.cache_clear()  # this run's requests, not an earlier run's
    with Client(app, stage_name="test") as client:
        receipt = client.http.post("/v1/complaints", headers={"Content-Type": "application/json"}, body=body)
        assert receipt.status_code == 201, receipt.body
        read = client.http.get(f"/v1/staff/cases/{receipt.json_body['id']}", headers={"Authorization": token})
        assert read.status_code == 200, read.body


def _medians_ms(
    operations: dict[str, Callable[[], str]], settle: Callable[[str], None], rounds: int
) -> dict[str, float]:
    """Medians of operations timed in turn, round after round, so each sees the same load on the machine.

    Each returns the case it registered, and is timed alone: `settle` (untimed) waits until that case's
    execution has reached its first wait, so no operation shares moto with the one before it.
    """
    samples: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(rounds):
        for name, operation in operations.items():
            started = time.perf_counter()
            case_id = operation()
            samples[name].append((time.perf_counter() - started) * 1000)
            settle(case_id)
    return {name: statistics.median(values) for name, values in samples.items()}


def _waiting(table: str) -> Callable[[str], None]:
    """Wait until a case's execution has left its task token on the TASK item (it runs to its first wait)."""
    from bench.bare_app import client

    def settle(case_id: str) -> None:
        key = {"pk": {"S": f"CASE#{case_id}"}, "sk": {"S": "TASK"}}
        deadline = time.monotonic() + 10
        while "task_token" not in client("dynamodb").get_item(TableName=table, Key=key).get("Item", {}):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the execution of {case_id} did not reach its first wait")
            time.sleep(0.005)

    return settle


def intake_ms(rounds: int = 60) -> dict[str, Any]:
    """A warm intake through the app against the bare requests it sends (target 5).

    Returns {"ours_ms", "bare_ms", "bare_with_hash_ms", "ratio", "ratio_with_hash", the same five with a
    `keyed_` prefix (with an Idempotency-Key), "hash_ms" (one access-code HMAC), "request_bytes": {"ours",
    "bare"}, "rounds"}. `ratio` holds ours against the bare requests alone; `ratio_with_hash` against the
    bare requests plus the HMAC of the access code, which the bare side would need as well.
    """
    from chalice.test import Client

    from app import app
    from bench.bare_app import send
    from chalicelib import wiring
    from chalicelib.domain.codes import hash_access_code, new_access_code, new_tracking_code

    with moto_stage() as env, _quiet():
        body, headers = _body(), {"Content-Type": "application/json"}
        secret = env.get("APP_SECRET", "local-app-secret-never-deployed").encode()
        wiring.reset()
        with Client(app, stage_name="test") as client:

            def post(key: str | None = None) -> dict[str, Any]:
                keyed = {**headers, "Idempotency-Key": key} if key else headers
                receipt = client.http.post("/v1/complaints", headers=keyed, body=body)
                assert receipt.status_code == 201, receipt.body
                return dict(receipt.json_body)

            def ours(keyed: bool = False) -> Callable[[], str]:
                return lambda: str(post(uuid.uuid4().hex if keyed else None)["id"])

            post()  # the first intake reads the calendar and builds the clients: warm both sides
            with Recorder() as plain:
                receipt = post()
            with Recorder() as keyed:
                keyed_receipt = post(uuid.uuid4().hex)
            templates = {
                "plain": plain.template(receipt["id"], receipt["tracking_code"]),
                "keyed": keyed.template(keyed_receipt["id"], keyed_receipt["tracking_code"]),
            }
            idempotency_id = next(
                p["Item"]["id"]["S"] for _, op, p in keyed.requests if op == "PutItem" and "Item" in p
            )
            digest = idempotency_id.rpartition("#")[2]
            templates["keyed"] = templates["keyed"].replace(digest, "__IDEM__")

            def bare(template: str, hashed: bool = False) -> Callable[[], str]:
                def run() -> str:
                    case_id, code = uuid.uuid4().hex[:26].upper(), new_tracking_code()
                    if hashed:
                        hash_access_code(new_access_code(), code, secret)
                    send(template.replace("__IDEM__", secrets.token_hex(len(digest) // 2)), case_id, code)
                    return case_id

                return run

            bare(templates["plain"])()  # the bare side's clients made before the timing, as ours are
            with Recorder() as bare_plain:
                bare(templates["plain"])()
            figures = _medians_ms(
                {
                    "ours_ms": ours(),
                    "bare_ms": bare(templates["plain"]),
                    "bare_with_hash_ms": bare(templates["plain"], hashed=True),
                    "keyed_ours_ms": ours(keyed=True),
                    "keyed_bare_ms": bare(templates["keyed"]),
                    "keyed_bare_with_hash_ms": bare(templates["keyed"], hashed=True),
                },
                _waiting(env["REGISTER_TABLE"]),
                rounds,
            )
        wiring.reset()
        code = new_tracking_code()
        hash_ms = statistics.median(_timed(lambda: hash_access_code("12345678", code, secret)) for _ in range(rounds))
    return {
        **figures,
        "ratio": figures["ours_ms"] / figures["bare_ms"],
        "ratio_with_hash": figures["ours_ms"] / figures["bare_with_hash_ms"],
        "keyed_ratio": figures["keyed_ours_ms"] / figures["keyed_bare_ms"],
        "keyed_ratio_with_hash": figures["keyed_ours_ms"] / figures["keyed_bare_with_hash_ms"],
        "hash_ms": hash_ms,
        "request_bytes": {"ours": request_bytes(plain.requests), "bare": request_bytes(bare_plain.requests)},
        "rounds": rounds,
    }


def _timed(operation: Callable[[], Any]) -> float:
    started = time.perf_counter()
    operation()
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve-moto"]:
        _serve_moto()
    else:
        print(json.dumps({"cold_start": cold_start_ms(), "intake": intake_ms()}, indent=2))
