"""One botocore session per container makes every AWS client, once each; every PynamoDB model uses its DynamoDB one."""

from __future__ import annotations

import threading
from typing import Any

import botocore.session
import pynamodb.connection.base
import pytest

from chalicelib import wiring
from chalicelib.adapters import aws
from chalicelib.adapters.register.items import MODELS


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every botocore session opened, by our adapters or by PynamoDB's own connections."""
    opened: list[Any] = []
    real = botocore.session.get_session

    def counted(*args: Any, **kwargs: Any) -> Any:
        opened.append(real(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(botocore.session, "get_session", counted)
    monkeypatch.setattr(pynamodb.connection.base, "get_session", counted)
    return opened


def test_every_adapter_and_model_share_one_session_and_one_dynamodb_client(sessions: list[Any]) -> None:
    # GIVEN a new container WHEN every adapter is built and every model reaches for its client
    wiring.reset()
    services, budgets, postbox = wiring.services(), wiring.budgets(), wiring.postbox()
    assert services and budgets and postbox
    dynamodb = aws.client("dynamodb")
    # THEN the models, the transactions and the idempotency store hold the same DynamoDB client
    assert all(model._get_connection().connection.client is dynamodb for model in MODELS)
    assert wiring.cases()._connection.client is dynamodb
    for service in ("stepfunctions", "sns", "sqs", "s3"):
        assert aws.client(service) is aws.client(service)
    # AND one session made them all
    assert len(sessions) == 1


def test_threads_asking_at_once_get_one_client(sessions: list[Any]) -> None:
    # GIVEN eight threads released together WHEN each asks for the SQS client THEN they all get the same one
    wiring.reset()
    start, got = threading.Barrier(8), []

    def ask() -> None:
        start.wait()
        got.append(aws.client("sqs"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(client is got[0] for client in got)
    assert len(sessions) == 1


def test_a_reset_container_gets_a_new_session(sessions: list[Any]) -> None:
    # GIVEN clients made WHEN the container is reset (a test swaps the endpoint) THEN new ones are made
    first = aws.client("dynamodb")
    wiring.reset()
    assert aws.client("dynamodb") is not first
    assert len(sessions) == 2
