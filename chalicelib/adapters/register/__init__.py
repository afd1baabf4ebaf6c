"""The register in DynamoDB (PynamoDB), one table: cases, timelines, outbox, hand-offs, claims,
calendar years, audit and attempt budgets (`items.py` lists the keys)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.register.items import MODELS


def bind(table_name: str, settings: dict[str, Any]) -> None:
    """Point every register model at the stage's table, with the stage's timeouts (read at first use)."""
    for model in MODELS:
        model.Meta.table_name = table_name
        for name, value in settings.items():
            setattr(model.Meta, name, value)
        model._connection = None
