"""Playwright (sync API) driving Debian's chromium against pytest-django's live server.

Never downloads a browser: the binary is `command -v chromium`. Each test gets a fresh browser
context (its own cookies) and fails if a static file or an htmx request came back broken, or if
the page threw a JavaScript error — so "the page rendered" means CSS, htmx and our JS all loaded.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import regions_restore

CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(autouse=True)
def _regions(transactional_db):
    """An earlier transactional test in this worker may have emptied them."""
    regions_restore()


@pytest.fixture(scope="module")
def browser():
    """One chromium per test module. While it lives, Playwright's sync API keeps an event loop in
    this thread and Django's async-safety check would refuse the ORM calls a test makes between
    browser steps: DJANGO_ALLOW_ASYNC_UNSAFE is the documented workaround, set only meanwhile."""
    executable = chromium_path()
    if executable is None:
        message = "Debian's chromium is not installed (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("ZHULI_BROWSER_TESTS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Problems(list):
    """What went wrong in the page while a test drove it; asserted empty at the end."""

    def watch(self, page, base_url: str) -> None:
        page.on("pageerror", lambda exc: self.append(f"JavaScript error: {exc}"))
        page.on("requestfailed", lambda req: self._failed(req, base_url))
        page.on("response", lambda resp: self._response(resp, base_url))

    def _failed(self, request, base_url: str) -> None:
        # Navigating away aborts in-flight polls; only our own resources matter.
        if request.url.startswith(base_url) and request.failure != "net::ERR_ABORTED":
            self.append(f"request failed: {request.url} ({request.failure})")

    def _response(self, response, base_url: str) -> None:
        request = response.request
        if not response.url.startswith(base_url) or response.status < 400:
            return
        # A page answering 404 is a test's business (the scope test expects one); a broken
        # stylesheet, script or htmx fragment is always a bug.
        if request.resource_type != "document" or "/static/" in response.url:
            self.append(f"{response.status} for {request.resource_type} {response.url}")


@pytest.fixture
def new_page(browser, live_server, tmp_path):
    """Opens pages in fresh contexts: new_page() → (page, shot); shot("name") saves a screenshot."""
    contexts, problems = [], Problems()
    counter = iter(range(1, 1000))

    def open_page(viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page, live_server.url)

        def shot(name: str) -> Path:
            path = tmp_path / f"{next(counter):02d}-{name}.png"
            page.screenshot(path=str(path), full_page=True)
            return path

        return page, shot

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)

