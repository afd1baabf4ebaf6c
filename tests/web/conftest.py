"""Browser tests: Playwright's Python package drives Debian's Chromium (`/usr/bin/chromium`) against a local
stack of their own, as a person would on a phone (360 px) or a desktop. Chromium resolves no name but the
loopback's, so nothing leaves the machine; each page is scanned with axe-core (npm, package.json) and
photographed under `build/screenshots/` (desktop/ and phone/, JPEG)."""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from local.launch import Launched, launch
from local.stage import PROJECT_DIR
from tests.e2e.conftest import QUICK

CHROMIUM = "/usr/bin/chromium"
AXE = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_DIR / "build" / "screenshots"
VIEWPORTS = {"phone": {"width": 360, "height": 780}, "desktop": {"width": 1280, "height": 900}}
#: How long a page may take to show what a test waits for (the stack answers in milliseconds).
TIMEOUT_MS = 10_000

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    """A local stack for the browser tests (pages, API and moto on loopback), its data in a temporary directory."""
    running = launch(tmp_path_factory.mktemp("web-data"), *QUICK)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # this run's photographs only, none of a test since gone
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
            ],
        )
        yield chromium
        chromium.close()


@contextlib.contextmanager
def _page(browser: Browser, viewport: str, site: Launched) -> Iterator[Page]:
    """A page in a browser context of its own (a person's own storage), Chinese and in China's time zone."""
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],  # type: ignore[arg-type]
        is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=site.url,
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def phone(browser: Browser, site: Launched) -> Iterator[Page]:
    with _page(browser, "phone", site) as page:
        yield page


@pytest.fixture
def desktop(browser: Browser, site: Launched) -> Iterator[Page]:
    with _page(browser, "desktop", site) as page:
        yield page


@pytest.fixture
def second_desktop(browser: Browser, site: Launched) -> Iterator[Page]:
    """Another person's browser: two staff members at once."""
    with _page(browser, "desktop", site) as page:
        yield page


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def no_serious_violations(page: Page) -> None:
    """axe-core's scan of the page as it is now: no violation of serious or critical impact."""
    if not page.evaluate("typeof axe !== 'undefined'"):  # once a document: the pages change by script, not by loading
        page.evaluate(_axe_source())  # a script tag would be refused by the pages' Content-Security-Policy
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], json.dumps(serious, ensure_ascii=False, indent=1)


def photograph(page: Page, name: str) -> Path:
    """A full-page screenshot under build/screenshots/<phone|desktop>/<name>.jpg."""
    viewport = "phone" if (page.viewport_size or {}).get("width", 0) < 600 else "desktop"
    path = SCREENSHOTS / viewport / f"{name}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True, type="jpeg", quality=80)  # PNG: ~5 s more over the 31 photographs
    return path


def checked(page: Page, name: str) -> None:
    """What every page passes at each of its states: the axe scan, then its photograph."""
    no_serious_violations(page)
    photograph(page, name)
