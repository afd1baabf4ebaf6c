"""One way to reach AWS: clients with time limits, and telling an outage from a bug.

Every call ends well inside API Gateway's 29 s: at most `aws_max_attempts` tries of at most
`aws_connect_timeout + aws_read_timeout` each. A request that meets an outage answers 503 with
Retry-After (`api/http.py`) instead of hanging, so a client's retry cannot double a case while the
first attempt is still running.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
import botocore.config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from pynamodb.exceptions import PynamoDBException

from chalicelib.settings import Settings, get_settings

#: Error codes AWS answers when it is the one in trouble (throttled or failing), not the request.
_OUTAGE_CODES = frozenset(
    {
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
    }
)


def retries(settings: Settings) -> dict[str, Any]:
    return {"total_max_attempts": settings.aws_max_attempts, "mode": "standard"}


def pynamodb_settings(settings: Settings) -> dict[str, Any]:
    """PynamoDB's `Meta` options with the same limits as every other client."""
    return {
        "connect_timeout_seconds": settings.aws_connect_timeout,
        "read_timeout_seconds": settings.aws_read_timeout,
        "retry_configuration": retries(settings),
    }


@functools.cache
def client(service: str) -> Any:
    """A boto3 client for `service`, built once per container, with the stage's time limits."""
    settings = get_settings()
    config = botocore.config.Config(
        connect_timeout=settings.aws_connect_timeout,
        read_timeout=settings.aws_read_timeout,
        retries=retries(settings),
    )
    return boto3.client(service, config=config)


def is_outage(error: BaseException) -> bool:
    """True when `error` (or what caused it) is AWS unreachable, timing out, throttling or failing."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, BotoConnectionError):
            return True
        if isinstance(seen, ClientError) and seen.response.get("Error", {}).get("Code") in _OUTAGE_CODES:
            return True
        if isinstance(seen, BotoCoreError) and "timeout" in type(seen).__name__.lower():
            return True
        # PynamoDB keeps the botocore error it wraps in `.cause`
        wrapped = seen.cause if isinstance(seen, PynamoDBException) else None
        seen = wrapped or seen.__cause__ or seen.__context__
    return False
