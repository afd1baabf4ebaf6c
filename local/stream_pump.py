"""Feed the register table's stream to the app's stream handlers (`send_notices`, `hand_over`), as
Lambda's event source mappings do in AWS (moto's Lambda needs Docker): read the shard in order, hand a
batch to each handler, and on a handler's failure deliver it the same batch again with backoff, a
bounded number of times (each mapping retries on its own).

The records are read from moto's in-process stream shard: botocore signs DynamoDB Streams calls as
`dynamodb`, which moto 5.2.5 routes to DynamoDB, so GetRecords cannot be called through the API.

The local stack runs `StreamPump.run` in a thread; tests call `drain()` to deliver what is waiting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import boto3

Handler = Callable[[dict[str, Any]], Any]
log = logging.getLogger(__name__)


class StreamPump:
    def __init__(
        self,
        table_name: str,
        handlers: Sequence[Handler],
        *,
        retries: int = 8,
        backoff: float = 0.2,
        batch_size: int = 10,
        moto_lock: threading.Lock | None = None,
    ) -> None:
        self._table = table_name
        self._handlers = tuple(handlers)
        self._retries = retries
        self._backoff = backoff
        self._batch_size = batch_size
        self._moto_lock = moto_lock or threading.Lock()  # the local stack's: moto's memory is not thread-safe
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # set by `run`'s caller: a retry's backoff ends at once

    def _records(self) -> list[dict[str, Any]]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        region = boto3.session.Session().region_name or "us-east-1"
        with self._moto_lock:
            shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(self._table).stream_shard
            if shard is None:
                return []
            records = [record.to_json() for record in shard.items]
            # what is handed over leaves moto's memory (a stream keeps 24 hours in AWS, moto forever)
            shard.starting_sequence_number += len(shard.items)
            shard.items.clear()
        return records

    def drain(self) -> int:
        """Deliver every record waiting now; returns how many were handed over."""
        with self._lock:
            records = self._records()
            for start in range(0, len(records), self._batch_size):
                for handler in self._handlers:
                    self._deliver(handler, records[start : start + self._batch_size])
            return len(records)

    def _deliver(self, handler: Handler, records: list[dict[str, Any]]) -> None:
        for attempt in range(self._retries + 1):
            try:
                handler({"Records": records})
                return
            except Exception:  # the handler's failure, whatever it is, is retried as Lambda would
                if attempt == self._retries:
                    log.exception("stream batch given up after %s retries", self._retries)
                    return
                if self._stopping.wait(self._backoff * 2**attempt):
                    return

    def run(self, every: float, stopping: threading.Event) -> None:
        self._stopping = stopping
        while not stopping.wait(every):
            try:
                self.drain()
            except Exception:  # moto restarting, a table not there yet: the next round tries again
                log.exception("stream pump round failed")


def app_pump(env: dict[str, str], **options: Any) -> StreamPump:
    """The pump of the app's register stream into its `send_notices` and `hand_over` handlers."""
    from chalicelib.api.jobs import hand_over_changes, send_notices

    handlers = (lambda event: send_notices(event, None), lambda event: hand_over_changes(event, None))
    return StreamPump(env["REGISTER_TABLE"], handlers, **options)
