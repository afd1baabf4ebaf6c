"""The local stack's console: the app's log lines, without its metrics.

powertools prints each metric as an EMF JSON line on stdout. On the local stack nobody collects them
and they drown the log, so the stack sets POWERTOOLS_METRICS_DISABLED — which `Metrics` honours but
`single_metric` (what the app uses) does not, in powertools 3.37 — and drops the lines that still come.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from typing import TextIO

_METRIC = '{"_aws":'  # how every EMF document starts (aws_lambda_powertools.metrics.base.single_metric)


class WithoutMetrics(io.TextIOBase):
    """A stdout that passes whole lines on, but EMF ones, and flushes each (the console may be a file)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._pending = ""
        self._lock = threading.Lock()  # print() writes text and newline separately, from many threads

    def write(self, text: str) -> int:
        with self._lock:
            *lines, self._pending = (self._pending + text).split("\n")
            kept = [line + "\n" for line in lines if not line.startswith(_METRIC)]
            if kept:
                self._out.write("".join(kept))
                self._out.flush()
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._out.fileno()

    def isatty(self) -> bool:
        return self._out.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._out.encoding


def quiet_metrics() -> None:
    """Before the app is imported: its logger keeps the stdout it found."""
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    if not isinstance(sys.stdout, WithoutMetrics):
        sys.stdout = WithoutMetrics(sys.stdout)
