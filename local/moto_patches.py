"""Where the local stack changes moto's behaviour, and why: costs that grew with every case, and one
check AWS makes that moto skips (S3 POST policies).

All reach into moto's private API (moto is pinned for it); the cost cuts keep what moto answers unchanged.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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


def enforce_post_policies() -> None:
    """moto stores whatever a browser-style S3 POST sends, its signed policy unread: a file larger than the
    policy allows, of another type, at another key, or after the policy expired. AWS refuses each; so does
    moto after this (the signature itself is still not checked). What AWS answers: 400 EntityTooLarge or
    EntityTooSmall, 403 AccessDenied "Invalid according to Policy: …"."""
    from moto.s3.responses import S3Response

    post = S3Response._bucket_response_post

    def checked(self: S3Response, request: Any, bucket_name: str) -> Any:
        fields = {k.lower(): v[0] if isinstance(v, list) else v for k, v in self.querystring.items()}
        if not self.is_delete_keys() and "policy" in fields:
            refused = _policy_refusal(fields, bucket_name, len(self.body or b""), datetime.now(UTC))
            if refused:
                status, code, message = refused
                body = f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
                return status, {"Content-Type": "application/xml"}, body
        return post(self, request, bucket_name)

    S3Response._bucket_response_post = checked  # type: ignore[method-assign]


def _policy_refusal(fields: dict[str, str], bucket: str, size: int, now: datetime) -> tuple[int, str, str] | None:
    """What S3 answers a POST whose form breaks its policy, or None when the form keeps to it."""
    policy = json.loads(base64.b64decode(fields["policy"]))
    if datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00")) < now:
        return 403, "AccessDenied", "Invalid according to Policy: Policy expired."
    for condition in policy["conditions"]:
        if isinstance(condition, dict):
            ((name, wanted),) = condition.items()
            operator = "eq"
        elif condition[0] == "content-length-range":
            if size > int(condition[2]):
                return 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
            if size < int(condition[1]):
                return 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
            continue
        else:
            operator, name, wanted = condition[0], condition[1].lstrip("$"), condition[2]
        got = bucket if name == "bucket" else fields.get(name.lower(), "")
        if not (got == wanted if operator == "eq" else got.startswith(wanted)):
            return 403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
    return None


def record_sent_messages(path: Path) -> None:
    """Every SMS (SNS to a phone number) and e-mail (SES) moto "delivers" is printed once and appended to
    `path` as one JSON line `{"channel", "to", "text", "subject"?, "sent_at"}`: what the complainant would
    receive, for a person trying the stack and for the end-to-end tests."""
    from email import message_from_string, policy

    from moto.ses.models import SESBackend
    from moto.sns.models import SNSBackend

    lock = threading.Lock()

    def write(line: dict[str, Any]) -> None:
        line["sent_at"] = datetime.now(UTC).isoformat()
        with lock, path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        print(f"[{line['channel']} to {line['to']}] {line.get('subject', '')} {line['text']}".strip(), flush=True)

    publish, send_raw = SNSBackend.publish, SESBackend.send_raw_email

    def publish_recorded(
        self: SNSBackend, message: str, arn: str | None, phone_number: str | None = None, **rest: Any
    ) -> str:
        message_id = publish(self, message, arn, phone_number, **rest)
        if phone_number:
            write({"channel": "sms", "to": phone_number, "text": message})
        return message_id

    def send_raw_recorded(self: SESBackend, source: str, destinations: list[str], raw_data: str) -> Any:
        sent = send_raw(self, source, destinations, raw_data)
        mail = message_from_string(raw_data, policy=policy.default)
        body = mail.get_body(preferencelist=("plain",))
        text = body.get_content().strip() if body else ""
        for to in destinations or [str(mail["To"])]:
            write({"channel": "email", "to": to, "subject": str(mail["Subject"]), "text": text})
        return sent

    SNSBackend.publish = publish_recorded  # type: ignore[method-assign,assignment]
    SESBackend.send_raw_email = send_raw_recorded  # type: ignore[method-assign]
