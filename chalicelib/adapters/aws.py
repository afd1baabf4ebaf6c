"""One way to reach AWS: clients with time limits, and telling an outage from a bug.

Every call ends well inside API Gateway's 29 s: at most `aws_max_attempts` tries of at most
`aws_connect_timeout + aws_read_timeout` each. A request that meets an outage answers 503 with
Retry-After (`api/http.py`) instead of hanging, so a client's retry cannot double a case while the
first attempt is still running.

One botocore session per container makes every client, each once: a session loads the endpoint rules
and the list of services on its first client (~35 ms each), and PynamoDB would open one per model class
and per thread. The DynamoDB client is shared by every PynamoDB model (`register.bind`), the
transactions and the idempotency store. botocore, not boto3: the clients are the same, while boto3
adds ~20 ms of imports (s3transfer) and ~30 ms to each client after the first (measured on a cold start).
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.config
import botocore.session
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
        "InternalError",  # S3's
        "SlowDown",  # S3's throttling
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


class _Clients:
    """The container's session and its clients; creating a client is not thread-safe (botocore says so)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: botocore.session.Session | None = None
        self._made: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        with self._lock:
            found = self._made.get(service)
            if found is None:
                settings = get_settings()
                config = botocore.config.Config(
                    connect_timeout=settings.aws_connect_timeout,
                    read_timeout=settings.aws_read_timeout,
                    retries=retries(settings),
                    parameter_validation=service != "dynamodb",
                    # S3's signed forms and links: SigV4 (without it botocore signs POST policies with SigV2)
                    signature_version="s3v4" if service == "s3" else None,
                )
                self._session = self._session or botocore.session.get_session()
                found = self._made[service] = self._session.create_client(service, config=config)
            return found

    def clear(self) -> None:
        with self._lock:
            self._session = None
            self._made.clear()


_CLIENTS = _Clients()


def client(service: str) -> Any:
    """The client for `service`, built once per container from its one session, with the stage's time limits.

    DynamoDB's skips botocore's parameter validation, as PynamoDB's own clients do: every request to it
    is built by PynamoDB or powertools, never by hand.
    """
    return _CLIENTS.get(service)


def reset() -> None:
    """Forget the session and its clients (tests that swap the AWS endpoint; a new container)."""
    _CLIENTS.clear()


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
