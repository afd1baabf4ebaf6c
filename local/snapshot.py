"""The local stack's DynamoDB data on disk, so that cases survive a restart.

Saved by reading moto's in-memory backend (this process runs moto): no Scan, which the project
forbids on anything scheduled, and a consistent copy because it is taken under the lock that
serialises DynamoDB requests. Restored through the real API (BatchWriteItem), as any client would.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.utilities import DynamoJsonEncoder

from chalicelib.resources import TABLES

FILE = "dynamodb.json"
_FORMAT = 1
_BATCH = 25  # BatchWriteItem's limit


def table_names(env: Mapping[str, str]) -> dict[str, str]:
    """Logical id -> this stage's table name: the file names tables by logical id, so it outlives a rename."""
    return {table.logical_id: env[table.env_var] for table in TABLES}


def dump(tables: Mapping[str, str], region: str, lock: threading.Lock) -> str:
    """Every item of every table as DynamoDB JSON (binary values in base64, as DynamoDB's JSON has them)."""
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
    with lock:  # serialised inside: moto may change an item's lists in place once the lock is released
        items = {
            logical: [item.to_json()["Attributes"] for item in backend.get_table(name).all_items()]
            for logical, name in tables.items()
        }
        return json.dumps({"format": _FORMAT, "tables": items}, cls=DynamoJsonEncoder, ensure_ascii=False)


def save(path: Path, text: str) -> None:
    """Write-then-rename: a crash mid-save leaves the previous snapshot whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def restore(path: Path, tables: Mapping[str, str], endpoint_url: str) -> int:
    """Put the saved items back into the (empty, freshly provisioned) tables; the number of items."""
    if not path.exists():
        return 0
    saved = json.loads(path.read_text(encoding="utf-8"))
    if saved.get("format") != _FORMAT:
        raise ValueError(f"{path} has an unknown format; start empty with FRESH=1 (--fresh)")
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint_url)
    restored = 0
    for logical, items in saved["tables"].items():
        for batch in _batches([_binary_as_bytes(item) for item in items]):
            requests: dict[str, Any] = {tables[logical]: [{"PutRequest": {"Item": item}} for item in batch]}
            while requests:
                requests = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
            restored += len(batch)
    return restored


def _batches(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


def _binary_as_bytes(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _value(value) for name, value in item.items()}


def _value(value: dict[str, Any]) -> dict[str, Any]:
    """boto3 takes binary values as bytes (and base64-encodes them itself)."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(v) for v in inner]}
    if kind == "M":
        return {"M": _binary_as_bytes(inner)}
    if kind == "L":
        return {"L": [_value(v) for v in inner]}
    return value
