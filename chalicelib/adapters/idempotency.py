"""Idempotent requests with powertools: a retried submission or action (same `Idempotency-Key`, same
body) returns the first answer and changes nothing; the same key with another body is refused.

The stored answer holds the access code shown once at intake, so it is kept sealed: AES-GCM under a
key derived from the app's secret, which the deployment holds and the table does not. A replay gets
the same code back; anyone reading the table gets nothing usable. (Issuing a new code on replay
would make a read path write to the case, and leave the code the first attempt showed unusable.)

powertools' idempotency (and boto3, which it imports: ~20 ms) is loaded by the first request with a key,
not on every cold start.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.adapters import aws
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

Work = Callable[[dict[str, Any]], dict[str, Any]]


def _run(request: dict[str, Any], work: Work) -> dict[str, Any]:
    return work(request["body"])


@functools.cache
def config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[scope, key]",
        payload_validation_jmespath="body",
        expires_after_seconds=get_settings().idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )


@functools.cache
def registrar() -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    from chalicelib.adapters.sealing import SealedReply

    settings = get_settings()
    store = DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=aws.client("dynamodb"))
    return idempotent_function(
        data_keyword_argument="request",
        persistence_store=store,
        config=config(),
        output_serializer=SealedReply(settings.app_secret),
    )(_run)


def once(scope: str, key: str | None, body: dict[str, Any], work: Work, lambda_context: Any) -> dict[str, Any]:
    """Run `work(body)` once per (scope, key); without a key, just run it.

    The Lambda context lets powertools expire an in-progress record when the invocation times out.
    """
    if key is None:
        return work(body)
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    config().register_lambda_context(lambda_context)
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
