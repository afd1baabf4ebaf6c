"""One local stack (`python -m local.stack`, what `make run` starts) for the end-to-end tests, its data
in a temporary directory (never the developer's `.local/`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.launch import Launched, launch

Stack = Launched


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = launch(tmp_path_factory.mktemp("local-data"))
    yield running
    running.stop()
