"""DynamoDB write units of the happy path, metered on every write request moto serves in this process.

    python -m bench.write_units          # the figures as a table
    python -m bench.write_units --json   # as JSON

`Meter` wraps moto's DynamoDB request handler (`DynamoHandler`), so it sees each write whoever makes
it: the app, the state machine's DynamoDB service integration (its own threads), the Lambda task
bridged in-process (`local/lambda_bridge.py`). moto reports no real consumed capacity (a constant
1.0, none for transactions or indexes), so the units are computed from the items as they were
before and after each request, by DynamoDB's published rules:

- **Item size**: each attribute's name plus its value, in UTF-8; a number ~1 byte per 2 significant
  digits + 1; binary its raw bytes; null and boolean 1 byte; a list or map 3 bytes + 1 per element +
  its elements (and a map's key names); a set the sum of its elements.
- **Base table**: one write unit per started 1 KB of the larger of the item before and after
  (PutItem, UpdateItem, DeleteItem, each put or delete of BatchWriteItem); at least 1.
- **TransactWriteItems**: twice that for each Put, Update and Delete (prepare and commit); a
  ConditionCheck costs read units only (not counted here). The index writes a transaction causes are
  counted once, like any other (they are propagated after the commit).
- **Each global secondary index** (an item is in it when it has every key attribute of the index): an
  item entering or leaving the index costs 1 write per KB of its index entry (the index and table
  keys plus the projected attributes: all of them, the INCLUDE list, or none for KEYS_ONLY); a write
  that changes the index key costs 2 (delete the old entry, put the new one); one that changes only
  projected attributes costs 1; nothing when no key or projected attribute changed (so a keys-only
  index costs only when its keys change). The 100 bytes of per-entry overhead DynamoDB adds for
  storage are not counted in write units.
- **A write whose condition fails** still costs units: the size of the existing item (at least 1),
  and no index write. A cancelled transaction is charged its prepare phase: that, once, per write.
  The figures count them (`failed_conditions`).
- TTL deletions and stream reads cost no write units, and are not requests here.

`happy_path_write_units()` drives one complaint through receipt → accept → assign → findings →
respond → satisfied on the real ASL under moto (each staff action preceded by the actor's own look
at the case, which is audited where the rules say so), then lets the appeal window expire. Each
step's figure runs until the execution waits in its next step, then the register's stream is drained
into the outbox's sender and the hand-over, and the scheduled reconciliation runs (what they write is
the step's); the writes are told apart by who made them (app, state machine, Lambda task, jobs).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import logging
import math
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

KB = 1024
#: The writes' DynamoDB operations, as moto's handler names them.
WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")
#: Where a write came from: the app's requests, the state machine's DynamoDB integration, its Lambda
#: task, or the jobs that follow on their own (the scheduled reconciliation, the outbox's sender).
SOURCES = ("app", "state_machine", "task", "jobs")
#: The charges of the last `happy_path_write_units()` run, by action (for `--detail`).
LAST_CHARGES: dict[str, list[Charge]] = {}

Attrs = dict[str, Any]  # an item in DynamoDB JSON: {name: {type: value}}


def item_bytes(value: Attrs) -> int:
    """DynamoDB's item size: every attribute's name and value (see the module's rules).

    >>> item_bytes({"pk": {"S": "CASE#1"}, "n": {"N": "12.50"}, "l": {"L": [{"BOOL": True}]}})
    18
    """
    return sum(len(name.encode()) + value_bytes(v) for name, v in value.items())


def value_bytes(value: dict[str, Any]) -> int:
    """The size of one attribute value in DynamoDB JSON (`{"S": "..."}`, `{"M": {...}}`, ...)."""
    kind, inner = next(iter(value.items()))
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_bytes(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_bytes(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(value_bytes({kind[0]: v}) for v in inner)  # a set: the sum of its elements
    return _SCALARS[kind](inner)


def _binary_bytes(inner: str | bytes) -> int:
    return len(inner) if isinstance(inner, bytes) else len(base64.b64decode(inner))


def _number_bytes(raw: str) -> int:
    digits = format(abs(Decimal(raw)), "f").replace(".", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


_SCALARS: dict[str, Callable[[Any], int]] = {
    "S": lambda inner: len(inner.encode()),
    "N": _number_bytes,
    "B": _binary_bytes,
    "BOOL": lambda inner: 1,
    "NULL": lambda inner: 1,
}


def units(size: int) -> int:
    """Write units of an item of `size` bytes: one per started KB, at least one."""
    return max(1, math.ceil(size / KB))


@dataclass(frozen=True)
class IndexShape:
    name: str
    keys: tuple[str, ...]  # the index's own key attributes
    table_keys: tuple[str, ...]
    projection: tuple[str, ...] | None  # None: every attribute

    def entry(self, item: Attrs | None) -> Attrs | None:
        """The item's entry in this index, or None if the item is not in it (sparse)."""
        if item is None or any(k not in item for k in self.keys):
            return None
        if self.projection is None:
            return item
        wanted = {*self.keys, *self.table_keys, *self.projection}
        return {k: v for k, v in item.items() if k in wanted}

    def cost(self, before: Attrs | None, after: Attrs | None) -> int:
        old, new = self.entry(before), self.entry(after)
        if old is None and new is None:
            return 0
        if old is None or new is None:
            return units(item_bytes(old or new or {}))  # entering or leaving the index
        if any(old[k] != new[k] for k in self.keys):
            return units(item_bytes(old)) + units(item_bytes(new))  # delete and put
        if old != new:
            return units(max(item_bytes(old), item_bytes(new)))  # projected attributes only
        return 0


def index_shapes(table: Table) -> list[IndexShape]:
    table_keys = tuple(k for k in (table.hash_key_attr, table.range_key_attr) if k)
    shapes = []
    for index in table.global_indexes:
        projection = index.projection or {}
        kind = projection.get("ProjectionType", "ALL")
        included: tuple[str, ...] | None = (
            None if kind == "ALL" else tuple(projection.get("NonKeyAttributes", [])) if kind == "INCLUDE" else ()
        )
        shapes.append(IndexShape(index.name, tuple(index.schema_key_attrs), table_keys, included))
    return shapes


@dataclass
class Charge:
    """The units of one item written by one request."""

    source: str
    table: str
    item_type: str  # the sort key's prefix in the register (CASE, EVENT, TASK, AUDIT, ...)
    base: int
    transaction: int  # the transactional surcharge (the second of each write's two units)
    indexes: dict[str, int] = field(default_factory=dict)
    failed: bool = False
    size: int = 0  # bytes: the larger of the item before and after

    @property
    def total(self) -> int:
        return self.base + self.transaction + sum(self.indexes.values())


@dataclass(frozen=True)
class _Write:
    table: str
    key: Attrs
    kind: str  # Put, Update, Delete


def _writes(operation: str, body: dict[str, Any], backend: DynamoDBBackend) -> list[_Write]:
    """The items a write request names, with their keys."""
    if operation == "transact_write_items":
        found = []
        for entry in body["TransactItems"]:
            kind, op = next(iter(entry.items()))
            if kind != "ConditionCheck":
                found.append(_write(kind, op, backend))
        return found
    if operation == "batch_write_item":
        return [
            _write("Put" if "PutRequest" in r else "Delete", {"TableName": name, **next(iter(r.values()))}, backend)
            for name, requests in body["RequestItems"].items()
            for r in requests
        ]
    kind = {"put_item": "Put", "update_item": "Update", "delete_item": "Delete"}[operation]
    return [_write(kind, body, backend)]


def _write(kind: str, op: dict[str, Any], backend: DynamoDBBackend) -> _Write:
    table = backend.get_table(op["TableName"])
    source = op.get("Key") or op["Item"]
    key = {k: source[k] for k in (table.hash_key_attr, table.range_key_attr) if k}
    return _Write(table.name, key, kind)


def _snapshot(backend: DynamoDBBackend, write: _Write) -> Attrs | None:
    item = backend.get_item(write.table, write.key)
    if item is None:
        return None
    return {name: _plain(value) for name, value in item.attrs.items()}


def _plain(value: DynamoType) -> dict[str, Any]:
    plain: dict[str, Any] = json.loads(json.dumps(value.to_regular_json(), default=_bytes))
    return plain


def _bytes(value: Any) -> str:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else str(value)


def _item_type(key: Attrs) -> str:
    """The register's item type: a case's items by their sort key (CASE, EVENT, TASK, OUTBOX), the
    others by their partition key (AUDIT, TRACKING, ATTEMPTS, ...)."""
    pk, sk = (str(next(iter(key.get(name, {"S": ""}).values()))) for name in ("pk", "sk"))
    return (sk if pk.startswith("CASE#") else pk).split("#", 1)[0] or "ITEM"


class Meter:
    """Counts the write units of every DynamoDB write moto serves in this process while it is installed.

    Each request is served under one lock, so its before and after images are its own. `window()`
    collects the charges made while its block runs."""

    def __init__(self) -> None:
        self.charges: list[Charge] = []
        self._lock = threading.RLock()
        self._originals: dict[str, Callable[[DynamoHandler], Any]] = {}
        self._app_thread = threading.get_ident()
        self._role = threading.local()  # a source named for the current thread while a block runs

    def __enter__(self) -> Meter:
        for operation in WRITES:
            original = getattr(DynamoHandler, operation)
            self._originals[operation] = original
            setattr(DynamoHandler, operation, self._metered(operation, original))
        self._wrap_lambda_tasks()
        return self

    def __exit__(self, *exc: object) -> None:
        for operation, original in self._originals.items():
            setattr(DynamoHandler, operation, original)
        self._unwrap_lambda_tasks()

    def _wrap_lambda_tasks(self) -> None:
        """Writes made while the bridged Lambda task runs are the task's (`local/lambda_bridge.py`)."""
        from moto.awslambda_simple.models import LambdaSimpleBackend

        self._invoke = LambdaSimpleBackend.invoke
        invoke, meter = self._invoke, self

        def in_task(backend: LambdaSimpleBackend, *args: Any, **kwargs: Any) -> Any:
            with meter.acting_as("task"):
                return invoke(backend, *args, **kwargs)

        LambdaSimpleBackend.invoke = in_task  # type: ignore[method-assign,assignment]

    def _unwrap_lambda_tasks(self) -> None:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        LambdaSimpleBackend.invoke = self._invoke  # type: ignore[method-assign]

    @contextlib.contextmanager
    def acting_as(self, source: str) -> Iterator[None]:
        """The writes this thread makes while the block runs are `source`'s."""
        outer = getattr(self._role, "source", None)
        self._role.source = source
        try:
            yield
        finally:
            self._role.source = outer

    def _source(self) -> str:
        named = getattr(self._role, "source", None)
        if named:
            return str(named)
        return "app" if threading.get_ident() == self._app_thread else "state_machine"

    def _metered(self, operation: str, original: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
        meter = self

        def metered(handler: DynamoHandler) -> Any:
            with meter._lock:
                backend = handler.dynamodb_backend
                writes = _writes(operation, handler.body, backend)
                before = [_snapshot(backend, w) for w in writes]
                try:
                    result = original(handler)
                except Exception:
                    meter._charge_failure(writes, before, transactional=operation == "transact_write_items")
                    raise
                after = [_snapshot(backend, w) for w in writes]
                meter._charge(backend, writes, before, after, transactional=operation == "transact_write_items")
                return result

        return metered

    def _charge(
        self,
        backend: DynamoDBBackend,
        writes: list[_Write],
        before: list[Attrs | None],
        after: list[Attrs | None],
        *,
        transactional: bool,
    ) -> None:
        source = self._source()
        for write, old, new in zip(writes, before, after, strict=True):
            size = max(item_bytes(old or {}), item_bytes(new or {}))
            base = units(size)
            shapes = index_shapes(backend.get_table(write.table))
            indexes = {shape.name: cost for shape in shapes if (cost := shape.cost(old, new))}
            extra = base if transactional else 0
            self.charges.append(Charge(source, write.table, _item_type(write.key), base, extra, indexes, size=size))

    def _charge_failure(self, writes: list[_Write], before: list[Attrs | None], *, transactional: bool) -> None:
        """A condition that fails still costs the existing item's size (at least 1); a cancelled
        transaction, its prepare phase. Nothing is written to any index."""
        source = self._source()
        for write, old in zip(writes, before, strict=True):
            self.charges.append(
                Charge(source, write.table, _item_type(write.key), units(item_bytes(old or {})), 0, failed=True)
            )

    @contextlib.contextmanager
    def window(self) -> Iterator[list[Charge]]:
        """The charges made while the block runs (whichever thread made them)."""
        start = len(self.charges)
        taken: list[Charge] = []
        yield taken
        with self._lock:
            taken.extend(self.charges[start:])


def summary(charges: list[Charge]) -> dict[str, Any]:
    """Units of a list of charges: total, and split by kind (base, transactions, each index), by
    source (app, state machine, task) and by item type; plus the requests that failed their condition."""
    indexes: dict[str, int] = defaultdict(int)
    sources = dict.fromkeys(SOURCES, 0)
    items: dict[str, int] = defaultdict(int)
    for charge in charges:
        for name, cost in charge.indexes.items():
            indexes[name] += cost
        sources[charge.source] += charge.total
        items[charge.item_type] += charge.total
    return {
        "total": sum(c.total for c in charges),
        "base": sum(c.base for c in charges),
        "transactions": sum(c.transaction for c in charges),
        "indexes": dict(sorted(indexes.items())),
        "by_source": sources,
        "by_item": dict(sorted(items.items())),
        "items_written": len(charges),
        "failed_conditions": sum(c.failed for c in charges),
    }


def happy_path_write_units() -> dict[str, Any]:
    """The write units of one complaint's happy path, each action and the appeal window's expiry.

    Returns
    -------
    {"total": int,                        # receipt → ... → satisfied, every request of the path
     "actions": {"intake" | "decide" | "assign" | "findings" | "respond" | "feedback": Split},
     "appeal_expiry": Split,              # the appeal window runs out: the case is archived
     "total_with_expiry": int,
     "transitions": int,                  # state transitions up to the appeal window
     **Split}                             # the whole happy path's split
    where Split = {"total", "base", "transactions", "indexes": {index: units}, "by_source": {"app",
    "state_machine", "task", "jobs"}, "by_item": {item type: units}, "items_written", "failed_conditions"}.

    Each action's window runs until the execution waits in the next step with the hand-off done, so
    the state machine's writes that follow the action are the action's.
    """
    from chalice.test import Client
    from moto import mock_aws

    from local.lambda_bridge import app_handlers, route_lambda_invocations
    from local.provision import provision
    from local.stage import stage_environment

    env = stage_environment("test")
    os.environ.update(env)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the access log would drown the figures

    from app import app
    from chalicelib import wiring

    wiring.reset()
    config: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    logging.disable(logging.WARNING)  # the app's warnings on the way (a test stage's short secret) too
    try:
        with mock_aws(config=config), Client(app, stage_name="test") as client:
            route_lambda_invocations(app_handlers(env))  # before the meter, which wraps the bridge
            provision(env)
            with Meter() as meter, contextlib.redirect_stdout(io.StringIO()):  # the EMF metric lines
                actions, expiry, transitions = _drive(client, env, meter)
    finally:
        logging.disable(logging.NOTSET)
    global LAST_CHARGES  # noqa: PLW0603 - kept for `--detail`
    LAST_CHARGES = {**actions, "appeal expiry": expiry}
    path = [c for charges in actions.values() for c in charges]
    return {
        **summary(path),
        "actions": {name: summary(charges) for name, charges in actions.items()},
        "appeal_expiry": summary(expiry),
        "total_with_expiry": summary(path + expiry)["total"],
        "transitions": transitions,
    }


def _drive(client: Any, env: dict[str, str], meter: Meter) -> tuple[dict[str, list[Charge]], list[Charge], int]:
    """One complaint from receipt to the end of its appeal window, each step in a window of the meter."""
    from tests.conftest import COMPLAINT, post
    from tests.workflow.conftest import CLERK, HANDLER, SUPERVISOR, finished, record, waiting_in

    actions: dict[str, list[Charge]] = {}
    with meter.window() as actions["intake"]:
        receipt = post(client, "/v1/complaints", COMPLAINT).json_body
        case_id = receipt["id"]
        waiting_in(env, case_id, "acceptance")
        _afterwards(env, meter)
    steps = [
        ("decide", {"decision": "accept"}, CLERK, "assignment"),
        ("assign", {"unit": "xuhui", "handler": "h-1", "handler_name": "陈承办"}, SUPERVISOR, "handling"),
        ("findings", {"text": "核实属实：超市销售的牛奶已过保质期两天。"}, HANDLER, "handling"),
        ("respond", {"message": "已退货退款", "outcome": "resolved"}, HANDLER, "feedback"),
    ]
    for action, body, headers, then in steps:
        with meter.window() as actions[action]:
            version = record(client, case_id, headers)["version"]  # the actor's own look, audited if due
            response = post(client, f"/v1/staff/cases/{case_id}/{action}", {"version": version, **body}, **headers)
            assert response.status_code == 200, response.body
            waiting_in(env, case_id, then)
            _afterwards(env, meter)
    with meter.window() as actions["feedback"]:
        code, access = receipt["tracking_code"], receipt["access_code"]
        answer = post(client, f"/v1/complaints/{code}/feedback", {"satisfied": True}, **{"X-Access-Code": access})
        assert answer.status_code == 200, answer.body
        waiting_in(env, case_id, "appeal_window")
        _afterwards(env, meter)
    transitions = _transitions(env, case_id)
    due = datetime.fromisoformat(record(client, case_id)["deadlines"]["appeal"]["due_at"])
    with meter.window() as expiry, _clock_at(due + timedelta(minutes=1)):
        _fire_timer(env)
        assert finished(env, case_id) == "SUCCEEDED"
        _afterwards(env, meter)
    return actions, expiry, transitions


def _afterwards(env: dict[str, str], meter: Meter) -> None:
    """What follows a step on its own: the register's stream takes its notices to the sender and its
    hand-off to the hand-over (`local/stream_pump.py`), and the scheduled reconciliation runs, so a write
    either makes is the step's too."""
    from chalicelib import wiring
    from chalicelib.service.workflow import reconcile
    from tests.workflow.conftest import drain_stream

    with meter.acting_as("jobs"):
        drain_stream(env)
        reconcile(wiring.services(), wiring.now())


def _transitions(env: dict[str, str], case_id: str) -> int:
    import boto3

    arn = env["CASE_WORKFLOW_ARN"].replace(":stateMachine:", ":execution:") + f":{case_id}"
    history = boto3.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return sum(1 for e in history if e["type"].endswith("StateEntered"))


@contextlib.contextmanager
def _clock_at(moment: datetime) -> Iterator[None]:
    """The app's one clock (`wiring.now`) reads `moment` while the block runs."""
    from chalicelib import wiring

    real = wiring.now
    wiring.now = lambda: moment
    try:
        yield
    finally:
        wiring.now = real


def _fire_timer(env: dict[str, str]) -> None:
    """The waiting task's timer runs out now, as it would at its deadline: its task-token wait is woken
    without an answer, which moto reports as States.Timeout (moto's private API: moto is pinned)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backend = stepfunctions_parser_backends[DEFAULT_ACCOUNT_ID][env["AWS_DEFAULT_REGION"]]
    for machine in backend.state_machines:
        for execution in machine.executions:
            worker = getattr(execution, "exec_worker", None)
            if worker is not None and worker.env is not None:
                for endpoint in list(worker.env.callback_pool_manager._pool.values()):
                    endpoint.interrupt_all()


def print_table(figures: dict[str, Any]) -> None:
    rows = {**figures["actions"], "appeal expiry": figures["appeal_expiry"]}
    names = sorted({n for row in rows.values() for n in row["indexes"]})
    header = f"{'action':14} {'total':>5} {'base':>5} {'tx':>4} " + " ".join(f"{n:>10}" for n in names)
    print(header + f" {'app':>5} {'sfn':>5} {'task':>5} {'jobs':>5}  items")
    for action, row in [*rows.items(), ("happy path", figures)]:
        cells = " ".join(f"{row['indexes'].get(n, 0):10d}" for n in names)
        src = row["by_source"]
        print(
            f"{action:14} {row['total']:5d} {row['base']:5d} {row['transactions']:4d} {cells} "
            f"{src['app']:5d} {src['state_machine']:5d} {src['task']:5d} {src['jobs']:5d}  {row['by_item']}"
        )
    print(f"with the appeal window's expiry: {figures['total_with_expiry']} WCU; {figures['transitions']} transitions")


def _print_detail() -> None:
    for action, charges in LAST_CHARGES.items():
        print(action)
        for c in charges:
            failed = " FAILED" if c.failed else ""
            print(
                f"  {c.source:13} {c.item_type:9} {c.size:5d} B  base {c.base} tx {c.transaction} {c.indexes}{failed}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--detail", action="store_true", help="every item written, by action")
    args = parser.parse_args()
    figures = happy_path_write_units()
    if args.detail:
        _print_detail()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_table(figures)


if __name__ == "__main__":
    main()
