"""A real browser for the web pages: Debian's chromium (/usr/bin/chromium) driven by
Playwright for Python, headless, never a browser download.

One browser for the session, a fresh context (cookies, storage) per test. The ledger
serving the pages is a real ``pos-ledger serve`` on 127.0.0.1 (SQLite). When the
browser cannot start, the tests fail if ``POS_TEST_BROWSER=required`` (CI sets it in
``.ci/run``) and are skipped with the reason otherwise (a developer's machine without
the package). Every page a test looks at is saved as a full-page screenshot under
``test-artefacts/screenshots/<test>/``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.web.support import WebLedger, web_ledger

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parents[3] / "test-artefacts" / "screenshots"
REQUIRED = os.environ.get("POS_TEST_BROWSER") == "required"
ACTION_TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"POS_TEST_BROWSER=required but the browser cannot run: {reason}")
    pytest.skip(f"no browser for the web page tests: {reason}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"Playwright for Python is not installed ({error})")
    playwright = sync_playwright().start()
    try:
        try:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        except Exception as error:  # the launch error says what is wrong
            _unavailable(f"chromium did not start: {error}")
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebLedger]:
    with web_ledger("sqlite", tmp_path_factory.mktemp("browser-ledger")) as ledger:
        yield ledger


class Shots:
    """Full-page screenshots of one test, numbered in the order taken."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    def __call__(self, page: Page, step: str) -> Path:
        self.count += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(ARTEFACTS / name, ignore_errors=True)  # this run's pictures only
    return Shots(ARTEFACTS / name)


NewPage = Callable[..., "Page"]


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """A page in a fresh browser context (a person at their own browser)."""
    contexts: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
