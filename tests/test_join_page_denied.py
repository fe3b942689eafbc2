"""The join page when the browser refuses the microphone (its own Chromium: the fake
media UI is set to deny every request, which a browser-wide flag decides)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser import KEY, SECRET, closed_port, launched, new_page, require_browser
from conftest import ROOT

from mockflow.format.validate import load_interview
from mockflow.results.invites import InviteStore
from mockflow.testing.site import site_in_thread
from mockflow.web.server import CandidateSite, SiteConfig

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched(require_browser(), "--use-fake-ui-for-media-stream=deny") as chromium:
        yield chromium


def test_denied_microphone_says_how_to_allow_it_and_offers_a_way_out(
        browser: Any, tmp_path: Any) -> None:
    from playwright.sync_api import expect

    interview = load_interview(ROOT / "interviews" / "backend.yaml").interview
    config = SiteConfig(livekit_url=f"ws://127.0.0.1:{closed_port()}", api_key=KEY,
                        api_secret=SECRET, results_dir=tmp_path)
    code, _ = InviteStore(tmp_path).create(interview_id=interview.id,
                                           agent_name=interview.id, name="Sam")
    context, page = new_page(browser)
    with site_in_thread(CandidateSite([interview], config)) as base:
        page.goto(f"{base}/i/{code}")
        page.get_by_label("I have read this").check()
        page.get_by_role("button", name="Continue to the microphone check").click()
        problem = page.locator("#mic-problem")
        expect(problem).to_be_visible()
        expect(page.locator("#mic-problem-text")).to_have_text(
            "Your browser blocked the microphone. To allow it, click the icon next to the"
            " web address (a lock or a microphone), set Microphone to Allow, then press"
            " Try again.")
        expect(page.locator("#mic-retry")).to_be_focused()
        expect(problem.locator(".way-out")).to_contain_text("another way to be assessed")
        expect(page.locator("#mic-controls")).to_be_hidden()
        expect(page.locator("#join")).to_be_disabled()
        page.locator("#mic-retry").click()  # still denied: the same clear message
        expect(page.locator("#mic-problem-text")).to_contain_text("blocked the microphone")
    context.close()
