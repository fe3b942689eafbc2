"""Screenshot the candidate join page in its three states, in headless Chromium.

    .venv/bin/python scripts/screenshot_join.py [-o docs] [--name "Sam Rivera"]

Writes ``join-before.png`` (the notice and consent step), ``join-mic.png`` (the
microphone check), ``join-call.png`` (in the interview) and ``join-after.png`` (the
thank-you page) for docs/candidate.md.

Offline and loopback-only, like scripts/screenshot_report.py: the real ``mockflow
serve`` app with a fresh invite for interviews/backend.yaml on an ephemeral port,
Chromium with networking features off, a fake microphone (a generated wav) and a fresh
profile. There is no LiveKit server here, so the in-call shot loads the real
livekit-client with only its Room replaced by mockflow/testing/livekit_room_fake.js,
which plays the interviewer's side (joining, speaking, captions) through the page's
real event handlers. Needs Chromium from the system's packages (``apt-get install -y
chromium``) and Playwright (the dev extra); exits 2 without them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1",
         "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
CAPTIONS = ("Hi Sam, I'm Alex. Thanks for making the time. This is a 40-minute conversation"
            " about the Backend Engineer role at Acme. Ready to start?",
            "Great. Let's begin with a design question. How would you put a cache in front"
            " of a slow pricing service?")


def find_browser() -> str | None:
    return next((found for name in ("chromium", "chromium-browser")
                 if (found := shutil.which(name))), None)


def shoot(browser_path: str, out: Path, name: str, width: int) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    from mockflow.format.validate import load_interview
    from mockflow.results.invites import InviteStore
    from mockflow.testing.site import livekit_with_fake_room, site_in_thread, speech_like_wav
    from mockflow.web.server import CandidateSite, SiteConfig

    expect.set_options(timeout=60_000)  # a hang guard on a busy machine
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="mockflow-join-") as tmp:
        work = Path(tmp)
        interview = load_interview(ROOT / "interviews" / "backend.yaml").interview
        code, _ = InviteStore(work).create(interview_id=interview.id,
                                           agent_name=interview.id, name=name)
        config = SiteConfig(livekit_url="wss://your-project.livekit.cloud", api_key="devkey",
                            api_secret="screenshot-secret-that-is-long-enough",
                            results_dir=work)
        wav = speech_like_wav(work / "voice.wav")
        fake = livekit_with_fake_room()
        with site_in_thread(CandidateSite([interview], config)) as base, \
                sync_playwright() as playwright:
            # Playwright gives the browser a fresh profile and deletes it afterwards
            browser = playwright.chromium.launch(
                executable_path=browser_path, headless=True,
                args=[*FLAGS, f"--use-file-for-fake-audio-capture={wav}"])
            page = browser.new_page(viewport={"width": width, "height": 620})
            page.set_default_timeout(60_000)
            page.route("**/static/vendor/livekit-client.umd.js*",
                       lambda route: route.fulfill(body=fake, content_type="text/javascript"))
            page.goto(f"{base}/i/{code}")

            def save(stem: str) -> None:
                path = out / f"{stem}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)

            save("join-before")
            page.locator("#consent").check()
            page.get_by_role("button", name="Continue to the microphone check").click()
            expect(page.locator("#join")).to_be_enabled()
            page.wait_for_timeout(300)  # the meter shows the voice's level, not its first frame
            page.locator("body").click(position={"x": 5, "y": 5})  # no focus ring in the shot
            save("join-mic")
            page.locator("#join").click()
            expect(page.locator("#conn")).to_have_text("Connected")
            page.evaluate("() => fakeLiveKit.agentJoins('Alex')")
            for i, text in enumerate(CAPTIONS):
                page.evaluate("([text, id]) => fakeLiveKit.say(text, id)", [text, f"SG_{i}"])
            expect(page.locator("#captions .caption")).to_have_count(len(CAPTIONS))
            page.evaluate("() => fakeLiveKit.agentState('speaking')")
            expect(page.locator("#who-text")).to_have_text("Alex is speaking")
            page.wait_for_timeout(2500)  # let the clock show a few seconds
            page.locator("body").click(position={"x": 5, "y": 5})
            save("join-call")
            page.get_by_role("button", name="Leave the interview").click()
            page.locator("#leave-confirm").click()
            expect(page.locator("#step-done")).to_be_visible()
            page.locator("body").click(position={"x": 5, "y": 5})
            save("join-after")
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs",
                        help="directory for the three PNGs")
    parser.add_argument("--name", default="Sam Rivera")
    parser.add_argument("--width", type=int, default=960)
    args = parser.parse_args(argv)
    browser = find_browser()
    try:
        import playwright  # noqa: F401
    except ImportError:
        browser = None
    if browser is None:
        print("screenshot_join: needs Chromium (apt-get install -y chromium) and Playwright"
              " (pip install -e '.[dev]')", file=sys.stderr)
        return 2
    args.output.mkdir(parents=True, exist_ok=True)
    for path in shoot(browser, args.output, args.name, args.width):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
