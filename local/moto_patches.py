"""Where the local stack changes moto's behaviour, and why: costs that grew with every case.

Both reach into moto's private API (moto is pinned for it) and keep what moto answers unchanged.
"""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.core.common_models import BaseModel
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

Key = tuple[DynamoType, DynamoType | None]


def forget_model_instances() -> None:
    """moto keeps every model object it ever creates (each item written, each copy a transaction makes to
    roll back, each execution's records) in a class-level list, to reset them between tests. A server
    that never resets only grows: memory per open case grew with the number of cases (9 MB each at 500,
    more beyond). The stack does not reset moto, so moto need not remember them."""

    def new(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
        return object.__new__(cls)

    BaseModel.__new__ = staticmethod(new)  # type: ignore[method-assign]


def parse_each_state_machine_once() -> None:
    """moto parses a state machine's ASL (with ANTLR, in pure Python) anew for every execution: two thirds
    of the stack's CPU per intake. Keep each definition's parse tree (read-only once built); every
    execution still gets its own evaluation components from it."""
    parse = AmazonStateLanguageParser.parse
    parse_tree = functools.lru_cache(maxsize=16)(lambda definition: parse(definition)[1])

    def parse_once(definition: str) -> tuple[Any, Any]:
        tree = parse_tree(definition)
        return Preprocessor().visit(tree), tree

    AmazonStateLanguageParser.parse = staticmethod(parse_once)  # type: ignore[method-assign]


def back_up_only_what_transactions_touch() -> None:
    """moto backs up each table a transaction writes with `copy.deepcopy` — the whole table, once per item
    of the transaction — to roll back if it is cancelled: an intake grew slower and left more garbage
    with every case registered (seconds per intake at 500 cases). During a transaction, the deep copy of
    a table is made a rollback copy instead: its key structure copied, and only the items the transaction
    names deep-copied; the others it cannot change, so the copy shares them.

    Swapping the `copy` module seen by moto's DynamoDB backend is safe because the stack runs DynamoDB
    requests one at a time (local/motoserver.py)."""
    transact_write_items = DynamoDBBackend.transact_write_items

    def transact_with_light_backups(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        keys = _keys_by_table(self, transact_items)
        # the copies share the table's stream: a cancelled transaction must take its records back out
        streams = [(s, len(s.items)) for name in keys if (s := self.tables[name].stream_shard) is not None]
        dynamodb_models.copy = _RollbackCopies(keys)  # type: ignore[assignment]
        try:
            transact_write_items(self, transact_items)
        except Exception:
            for stream, length in streams:
                del stream.items[length:]
            raise
        finally:
            dynamodb_models.copy = copy

    DynamoDBBackend.transact_write_items = transact_with_light_backups  # type: ignore[method-assign]


class _RollbackCopies:
    """Stands in for the `copy` module inside moto's DynamoDB backend while a transaction runs."""

    def __init__(self, keys: dict[str, list[Key]]) -> None:
        self._keys = keys

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table):
            return _rollback_copy(value, self._keys.get(value.name, []))
        return copy.deepcopy(value, memo)


def _keys_by_table(backend: DynamoDBBackend, transact_items: Iterable[dict[str, Any]]) -> dict[str, list[Key]]:
    keys: dict[str, list[Key]] = defaultdict(list)
    for item in transact_items:
        for op in item.values():
            table = backend.tables.get(op.get("TableName"))
            if table is None:
                continue  # moto answers for a missing table itself
            key = op.get("Key") or op.get("Item") or {}
            hash_value, range_value = key.get(table.hash_key_attr), key.get(table.range_key_attr or "")
            if hash_value is not None:
                keys[table.name].append((DynamoType(hash_value), DynamoType(range_value) if range_value else None))
    return keys


def _rollback_copy(table: Table, touched: list[Key]) -> Table:
    backup = copy.copy(table)
    backup.items = table.items.copy()  # keeps the stored hashes: no DynamoType.__hash__ per key, which is slow
    for hash_value, range_value in touched:
        if hash_value not in table.items:
            continue  # a new item: the copy simply lacks it
        if range_value is None:
            backup.items[hash_value] = copy.deepcopy(table.items[hash_value])
            continue
        if backup.items[hash_value] is table.items[hash_value]:
            backup.items[hash_value] = table.items[hash_value].copy()  # items under this hash may come and go
        if range_value in backup.items[hash_value]:
            backup.items[hash_value][range_value] = copy.deepcopy(table.items[hash_value][range_value])
    return backup
