"""One local stack (`python -m local.stack`, what `make run` starts) for the end-to-end tests, its data
in a temporary directory (never the developer's `.local/`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from local.launch import Launched, launch

Stack = Launched
#: The stacks of the tests read the register's stream every 0.2 s, not every second as `make run` does: the
#: hand-overs and notices the tests wait for come sooner (the browser tests took 40 s, now 35).
QUICK = ("--notice-seconds", "0.2")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = launch(tmp_path_factory.mktemp("local-data"), *QUICK)
    yield running
    running.stop()


class _BoundAdapter(HTTPAdapter):
    def __init__(self, source: str) -> None:
        self._source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs, source_address=(self._source, 0))


def session_from(source: str) -> requests.Session:
    """A client at its own loopback address (the whole 127.0.0.0/8 is this machine): the stack's per-client
    budgets count it apart, so a test that spends them leaves the others' budgets alone."""
    session = requests.Session()
    session.mount("http://", _BoundAdapter(source))
    session.headers["Connection"] = "close"  # kept-alive connections: this file took 130 s instead of 25
    return session
