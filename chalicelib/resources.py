"""Every AWS resource the app uses, declared once.

The local stack provisions moto from these declarations and the AWS deployment (`infra/`) builds
its CloudFormation from them, so the two cannot drift. The app finds each resource through the
environment variable named here; `.chalice/config.json` sets it per stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Key:
    name: str
    type: str = "S"


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: Key
    sort_key: Key | None = None


@dataclass(frozen=True)
class Table:
    logical_id: str
    env_var: str
    partition_key: Key
    sort_key: Key | None = None
    ttl_attribute: str | None = None
    indexes: tuple[Index, ...] = field(default=())

    def create_table_args(self, table_name: str) -> dict[str, Any]:
        """Arguments of DynamoDB `CreateTable` for this table (on-demand billing)."""
        keys = [self.partition_key] + [k for k in (self.sort_key,) if k]
        for index in self.indexes:
            keys += [index.partition_key] + [k for k in (index.sort_key,) if k]
        attributes = {k.name: k.type for k in keys}
        args: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
        }
        if self.indexes:
            args["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition_key, index.sort_key),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in self.indexes
            ]
        return args


def _key_schema(partition: Key, sort: Key | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


#: The register: cases (登记), their timelines, tracking-code claims, calendar years, attempt counters.
REGISTER = Table(
    logical_id="RegisterTable",
    env_var="REGISTER_TABLE",
    partition_key=Key("pk"),
    sort_key=Key("sk"),
    ttl_attribute="expires_at",
)

#: Powertools idempotency records of intake requests (its default attribute names).
IDEMPOTENCY = Table(
    logical_id="IdempotencyTable",
    env_var="IDEMPOTENCY_TABLE",
    partition_key=Key("id"),
    ttl_attribute="expiration",
)

TABLES = (REGISTER, IDEMPOTENCY)
