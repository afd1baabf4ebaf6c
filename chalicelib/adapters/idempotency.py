"""Idempotent intake with powertools: a retried submission (same `Idempotency-Key`, same body)
returns the first answer and registers nothing new; the same key with another body is refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from chalicelib.errors import Conflict, InvalidInput
from chalicelib.settings import get_settings

Work = Callable[[dict[str, Any]], dict[str, Any]]


def _run(request: dict[str, Any], work: Work) -> dict[str, Any]:
    return work(request["body"])


@functools.cache
def _config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="[scope, key]",
        payload_validation_jmespath="body",
        expires_after_seconds=get_settings().idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )


@functools.cache
def registrar() -> Callable[..., dict[str, Any]]:
    store = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)
    return idempotent_function(data_keyword_argument="request", persistence_store=store, config=_config())(_run)


def once(scope: str, key: str | None, body: dict[str, Any], work: Work, lambda_context: Any) -> dict[str, Any]:
    """Run `work(body)` once per (scope, key); without a key, just run it.

    The Lambda context lets powertools expire an in-progress record when the invocation times out.
    """
    if key is None:
        return work(body)
    _config().register_lambda_context(lambda_context)
    if len(key) > 255:
        raise InvalidInput("the Idempotency-Key is too long", fields={"Idempotency-Key": "at most 255 characters"})
    try:
        return registrar()(request={"scope": scope, "key": key, "body": body}, work=work)
    except IdempotencyValidationError:
        raise InvalidInput(
            "this Idempotency-Key was already used for a different submission",
            code="idempotency_key_reused",
            fields={"Idempotency-Key": "already used with another body"},
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "the same submission is still being processed; retry shortly", code="request_in_progress"
        ) from None
