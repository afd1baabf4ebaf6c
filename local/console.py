"""The local stack's console: the app's log lines, without its metrics (nobody collects them locally)."""

from __future__ import annotations

import os


def quiet_metrics() -> None:
    """Before the app is imported; `chalicelib/observability.py` honours it for every metric."""
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
