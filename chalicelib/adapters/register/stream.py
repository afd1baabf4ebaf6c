"""What the register table's stream carries, read from its records (Lambda's DynamoDB stream events)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.adapters.register.items import CASE_SK


def handoffs(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """The hand-offs among `records`: case id -> the newest version written with a hand-off mark
    (`handoff_at` on the CASE item). An older one of the same case is covered by the newer."""
    found: dict[str, int] = {}
    for record in records:
        change = record.get("dynamodb", {})
        keys, image = change.get("Keys", {}), change.get("NewImage", {})
        if keys.get("sk", {}).get("S") != CASE_SK or "handoff_at" not in image:
            continue
        case_id = keys["pk"]["S"].removeprefix("CASE#")
        found[case_id] = max(found.get(case_id, 0), int(image["version"]["N"]))
    return found
