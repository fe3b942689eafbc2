"""Shared by the join page's browser tests: Debian's chromium driven by Playwright.

One Chromium per test module (module-scoped fixtures in the modules), fake media from a
generated wav, no network beyond loopback. The tests skip only when
``MOCKFLOW_REQUIRE_BROWSER`` is unset *and* Chromium (or Playwright) is missing; CI sets
it, so there a missing browser fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import ROOT

from mockflow.testing.site import speech_like_wav  # noqa: F401 - for the test modules

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--use-fake-device-for-media-stream")
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
KEY, SECRET = "devkey", "devsecret-that-is-long-enough-for-hs256"


def chromium_path() -> str | None:
    for name in CANDIDATES:
        found = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    return None


def require_browser() -> str:
    """The chromium to use, or skip (fail when MOCKFLOW_REQUIRE_BROWSER is set)."""
    path = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        message = ("Chromium and Playwright are needed for the join page's browser tests"
                   " (apt-get install -y chromium; pip install -e '.[dev]')")
        if os.environ.get("MOCKFLOW_REQUIRE_BROWSER"):
            pytest.fail(message + "; MOCKFLOW_REQUIRE_BROWSER is set", pytrace=False)
        pytest.skip(message)
    return path


def closed_port() -> int:
    """A loopback port nothing listens on (a LiveKit URL that refuses connections)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def launched(executable: str, *extra: str) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # a generous hang guard, not a timed assertion: the machine may be busy
    expect.set_options(timeout=60_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable,
                                             args=[*FLAGS, *extra], headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any) -> tuple[Any, Any]:
    context = browser.new_context()
    context.set_default_timeout(60_000)
    # collect CSP violations before any page script runs (init scripts aren't blocked)
    context.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
    return context, context.new_page()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run the pinned axe-core on the page; the serious and critical violations."""
    page.evaluate(AXE.read_text("utf-8") + "\n;0")
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [v for v in found if v["impact"] in ("serious", "critical")]


