"""A pytest plugin that keeps every connection of the tests on loopback (the guard itself: tests/loopback.py).

The suite runs against moto in-process and local stacks on 127.0.0.1; anything else is a leak — a
boto3 client created outside `mock_aws`, an execution that outlived its test calling moto's default
`http://localhost:5000` or real AWS. The socket layer refuses such a connection (so it fails fast
instead of hanging) in the test process and in every process it starts, and the test during which it
was tried fails, even when the caller swallowed the error (botocore turns it into an outage, the app
into a 503) or tried from a background thread or a local stack. Attempts after the last test fail the
session.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import loopback
from tests.loopback import take_refused

PROJECT_DIR = Path(__file__).resolve().parent.parent

_patches = pytest.MonkeyPatch()
_workspace = tempfile.TemporaryDirectory(prefix="loopback-guard-")


def pytest_configure(config: pytest.Config) -> None:
    """Before collection (importing a test module may connect too); the processes the tests start import
    the guard from a `sitecustomize` on their PYTHONPATH and log what they refuse where this one reads."""
    loopback.install(_patches.setattr, test_process=True)
    site = Path(_workspace.name)
    (site / "sitecustomize.py").write_text("from tests import loopback\n\nloopback.install(setattr)\n")
    paths = [str(site), str(PROJECT_DIR), os.environ.get("PYTHONPATH", "")]
    _patches.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    _patches.setenv(loopback.LOG_VARIABLE, str(site / "refused.log"))


def pytest_unconfigure(config: pytest.Config) -> None:
    _patches.undo()
    _workspace.cleanup()


@pytest.fixture(scope="session", autouse=True)
def nothing_left_loopback_after_the_last_test() -> Iterator[None]:
    """Attempts after the last test (a leftover thread) fail the session, as an error of its last test."""
    yield
    late = take_refused()
    if late:
        pytest.fail(f"connections past loopback were tried after the tests: {late}")


@pytest.fixture(autouse=True)
def stays_on_loopback() -> Iterator[None]:
    """Fails the test during which anything tried to leave loopback; attempts since the previous test's end
    (a thread it left behind) fail this one too, saying so."""
    earlier = take_refused()
    if earlier:
        pytest.fail(f"connections past loopback were tried between the tests, before this one: {earlier}")
    yield
    refused = take_refused()
    if refused:
        pytest.fail(f"this test tried to connect past loopback: {refused}")
