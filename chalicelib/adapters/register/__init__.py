"""The register in DynamoDB (PynamoDB), one table: cases, timelines, outbox, hand-offs, claims,
calendar years, audit and attempt budgets (`items.py` lists the keys)."""

from __future__ import annotations

from typing import Any

from pynamodb.connection import Connection

from chalicelib.adapters.register.items import MODELS


def bind(table_name: str, settings: dict[str, Any], client: Any) -> None:
    """Point every register model at the stage's table, with the stage's timeouts, over one DynamoDB client.

    Left to itself, PynamoDB gives each model class a connection that opens a botocore session of its own
    (one per thread) and builds its own client, loading DynamoDB's service model and endpoint rules again:
    ~80 ms per model class on a cold start. Every model takes the container's one client instead (botocore
    clients are thread-safe); `wiring.reset()` binds again when a test swaps the endpoint.
    """
    for model in MODELS:
        model.Meta.table_name = table_name
        for name, value in settings.items():
            setattr(model.Meta, name, value)
        model._connection = None
        model._get_connection().connection._client = client  # PynamoDB 6.1 keeps its client there


def connection(client: Any) -> Connection:
    """A PynamoDB connection over `client`, for transactions (`TransactWrite(connection=...)`)."""
    shared = Connection()
    shared._client = client
    return shared
