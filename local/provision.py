"""Create every resource of `chalicelib/resources.py` in the AWS endpoint at hand (moto, locally)."""

from __future__ import annotations

from collections.abc import Mapping

import boto3

from chalicelib.resources import TABLES


def provision(env: Mapping[str, str], endpoint_url: str | None = None) -> list[str]:
    """Create the tables named by `env` (the stage's environment); returns the names created."""
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint_url)
    existing = set(dynamodb.list_tables()["TableNames"])
    created = []
    for table in TABLES:
        name = env[table.env_var]
        if name in existing:
            continue
        dynamodb.create_table(**table.create_table_args(name))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
            )
        created.append(name)
    return created
