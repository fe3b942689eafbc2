"""The join page in a real browser (Debian's chromium through Playwright).

The site is ``mockflow serve``'s app with its real invite store and token endpoint, on an
ephemeral loopback port. LIVEKIT_URL points at a loopback port nothing listens on: the
real livekit-client fetches the token and fails at ``room.connect``, which is as far as
a test without a LiveKit server can go. The in-call tests load the real livekit-client
with only its Room replaced by ``mockflow/testing/livekit_room_fake.js`` (the token
still comes through the real TokenSource.endpoint), to drive what an agent does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from browser import (
    AXE,
    KEY,
    SECRET,
    axe_violations,
    closed_port,
    launched,
    new_page,
    require_browser,
    speech_like_wav,
)
from conftest import ROOT

from mockflow.format.validate import load_interview
from mockflow.results.invites import InviteStore, mark_room_ended
from mockflow.testing.site import livekit_with_fake_room, site_in_thread
from mockflow.web.ratelimit import Rate
from mockflow.web.server import CandidateSite, Limits, SiteConfig

pytestmark = pytest.mark.slow

NAME = "Sam Rivera"
HOSTILE = "<img src=x onerror=\"window.__pwned=1\">Sam & <b>co</b>"
GENEROUS = Limits(token_per_code=Rate(50, 1.0), token_per_client=Rate(500, 10.0),
                  page_per_client=Rate(500, 10.0))


@dataclass
class Site:
    base: str
    livekit_port: int
    store: InviteStore
    results: Path

    def invite(self, name: str | None = NAME, **options: Any) -> str:
        code, _ = self.store.create(interview_id="backend-engineer",
                                    agent_name="backend-engineer", name=name, **options)
        return code

    def url(self, code: str) -> str:
        return f"{self.base}/i/{code}"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    executable = require_browser()
    wav = speech_like_wav(tmp_path_factory.mktemp("audio") / "speech.wav")
    with launched(executable, "--use-fake-ui-for-media-stream",
                  f"--use-file-for-fake-audio-capture={wav}") as chromium:
        yield chromium


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    results = tmp_path_factory.mktemp("results")
    port = closed_port()
    interviews = [load_interview(ROOT / "interviews" / "backend.yaml").interview,
                  load_interview(ROOT / "interviews" / "frontend.yaml").interview]
    config = SiteConfig(livekit_url=f"ws://127.0.0.1:{port}", api_key=KEY, api_secret=SECRET,
                        results_dir=results, limits=GENEROUS)
    with site_in_thread(CandidateSite(interviews, config)) as base:
        yield Site(base, port, InviteStore(results), results)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context, page = new_page(browser)
    try:
        yield page
    finally:
        context.close()


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as _expect

    return _expect(target)


def consent(page: Any) -> None:
    page.get_by_label("I have read this").check()
    page.get_by_role("button", name="Continue to the microphone check").click()


def use_fake_room(page: Any) -> None:
    body = livekit_with_fake_room()
    page.route("**/static/vendor/livekit-client.umd.js*",
               lambda route: route.fulfill(body=body, content_type="text/javascript"))


def join(page: Any, url: str) -> None:
    page.goto(url)
    consent(page)
    expect(page.locator("#join")).to_be_enabled()
    page.locator("#join").click()


def csp_violations(page: Any) -> list[str]:
    found: list[str] = page.evaluate("() => window.__csp")
    return found


# ---------------------------------------------------------------------- before joining


def test_consent_gate_comes_first_and_holds(site: Site, page: Any) -> None:
    page.goto(site.url(site.invite()))
    notice = page.locator("#step-notice")
    expect(notice).to_be_visible()
    expect(page.locator("#step-mic")).to_be_hidden()
    text = notice.inner_text()
    for expected in ("is an AI system, not a person", "reviews the interview",
                     "About 40 minutes", "main questions", "System design",
                     "The audio itself is not recorded", "another way to be assessed"):
        assert expected in text, expected
    assert "Hello Sam Rivera" in text
    # continuing without ticking the box: an error on the box, and still the notice
    page.get_by_role("button", name="Continue to the microphone check").click()
    expect(page.locator("#consent-error")).to_be_visible()
    expect(page.locator("#consent")).to_be_focused()
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#step-mic")).to_be_hidden()
    consent(page)
    expect(page.locator("#step-mic")).to_be_visible()
    expect(page.locator("#mic-title")).to_be_focused()
    expect(page.locator("li[data-step=mic]")).to_have_attribute("aria-current", "step")


def test_level_meter_moves_with_the_fake_audio_and_devices_can_be_picked(
        site: Site, page: Any) -> None:
    page.goto(site.url(site.invite()))
    consent(page)
    meter = page.locator("#level")
    expect(meter).to_have_attribute("aria-valuenow", re.compile(r"^(?:[3-9]\d|100)$"))
    expect(page.locator("#mic-status")).to_have_text("We can hear you. You’re ready to join.")
    expect(page.locator("#join")).to_be_enabled()
    options = page.locator("#mic-device option")
    assert options.count() >= 2  # Chromium's fake devices
    other = options.nth(1).get_attribute("value")
    page.locator("#mic-device").select_option(other)
    expect(page.locator("#join")).to_be_enabled()  # the new device was heard too
    # the list is drawn again from the device the new stream really uses
    expect(page.locator("#mic-device")).to_have_value(other)
    # the speaking test asks again, and hears the fake voice
    page.get_by_role("button", name="Test: say a few words now").click()
    expect(page.locator("#mic-status")).to_have_text("We can hear you. You’re ready to join.")
    assert csp_violations(page) == []


# ---------------------------------------------------------------------- codes that can't be used


def test_used_expired_revoked_tampered_and_foreign_codes(site: Site, page: Any) -> None:
    now = datetime.now(UTC)
    expired = site.invite(now=now - timedelta(days=9), valid_for=timedelta(days=7))
    response = page.goto(site.url(expired))
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This invite has expired")

    ended = site.invite()
    record = site.store.get(ended)
    assert record is not None
    mark_room_ended(site.results, record.room)
    response = page.goto(site.url(ended))
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This interview has already taken place")
    assert "What happens next" in page.inner_text("main")

    revoked = site.invite()
    site.store.revoke(revoked)
    assert page.goto(site.url(revoked)).status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This invite was withdrawn")

    later = site.invite(not_before=now + timedelta(days=1))
    assert page.goto(site.url(later)).status == 403

    good = site.invite()
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert page.goto(site.url(tampered)).status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link isn’t valid")

    foreign, _ = site.store.create(interview_id="support-lead", agent_name="support-lead")
    assert page.goto(site.url(foreign)).status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This interview isn’t available here")


def test_a_code_works_in_the_first_browser_only(site: Site, browser: Any) -> None:
    code = site.invite()
    first, first_page = new_page(browser)
    second, second_page = new_page(browser)
    try:
        use_fake_room(first_page)
        join(first_page, site.url(code))
        expect(first_page.locator("#conn")).to_have_text("Connected")
        # the same link in another browser (no cookie): refused, with a clear page
        response = second_page.goto(site.url(code))
        assert response.status == 409
        expect(second_page.get_by_role("heading", level=1)).to_have_text(
            "This interview is open in another browser")
        # the first browser reloads and is still welcome
        assert first_page.goto(site.url(code)).status == 200
    finally:
        first.close()
        second.close()


# ---------------------------------------------------------------------- the token and connecting


def test_token_request_claims_and_failed_connect(site: Site, page: Any) -> None:
    code = site.invite(attributes={"team": "Payments"})
    record = site.store.get(code)
    assert record is not None
    requests: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("websocket", lambda w: sockets.append(w.url))
    page.goto(site.url(code))
    consent(page)
    expect(page.locator("#join")).to_be_enabled()
    with page.expect_response(lambda r: r.url.endswith("/token")) as answer:
        page.locator("#join").click()
    response = answer.value
    assert response.status == 200
    assert response.request.method == "POST"
    assert response.request.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"server_url", "participant_token"}
    assert body["server_url"] == f"ws://127.0.0.1:{site.livekit_port}"
    claims = jwt.decode(body["participant_token"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == record.identity and claims["name"] == NAME
    assert claims["video"] == {
        "roomJoin": True, "room": record.room, "canPublish": True, "canSubscribe": True,
        "canPublishData": False, "canPublishSources": ["microphone"],
        "canUpdateOwnMetadata": False}
    assert claims["roomConfig"] == {"agents": [{"agentName": "backend-engineer"}]}
    assert claims["attributes"] == {"candidate.team": "Payments"}
    assert claims["exp"] - claims["nbf"] == 600
    # no LiveKit server here: the real client fails at room.connect, and says so
    expect(page.locator("#call-problem")).to_be_visible()
    expect(page.locator("#call-problem-text")).to_contain_text(
        "We couldn’t connect to the interview")
    expect(page.locator("#rejoin")).to_be_visible()
    expect(page.locator("#conn")).to_have_text("Not connected")
    # nothing but the page's own origin and the LiveKit server was contacted
    livekit_http = f"http://127.0.0.1:{site.livekit_port}"
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in requests}
    assert origins <= {site.base, livekit_http}, origins
    assert site.base in origins and livekit_http in origins  # /rtc/v1/validate
    assert sockets and all(s.startswith(f"ws://127.0.0.1:{site.livekit_port}/rtc")
                           for s in sockets), sockets
    assert csp_violations(page) == []


def test_revoked_while_on_the_page_the_token_is_refused(site: Site, page: Any) -> None:
    code = site.invite()
    page.goto(site.url(code))
    consent(page)
    expect(page.locator("#join")).to_be_enabled()
    site.store.revoke(code)
    page.locator("#join").click()
    expect(page.locator("#call-problem-text")).to_contain_text(
        "The organiser withdrew this invite")
    expect(page.locator("#rejoin")).to_be_hidden()


# ---------------------------------------------------------------------- in the call (fake Room)


def test_in_call_captions_speaker_timer_mute_reconnect_and_leave(site: Site,
                                                                 page: Any) -> None:
    use_fake_room(page)
    join(page, site.url(site.invite()))
    expect(page.locator("#conn")).to_have_text("Connected")
    expect(page.locator("#who-text")).to_have_text("Waiting for Alex to join…")
    mic = page.evaluate("() => fakeLiveKit.room.localParticipant.microphone")
    assert mic and mic[0]["enabled"] is True and mic[0]["options"]["deviceId"]

    page.evaluate("() => fakeLiveKit.agentJoins('Alex')")
    page.evaluate("() => fakeLiveKit.agentState('speaking')")
    expect(page.locator("#who-text")).to_have_text("Alex is speaking")
    page.evaluate("() => fakeLiveKit.say(['Hi Sam, ', 'thanks for ', 'joining.'], 'SG_1')")
    expect(page.locator("#captions .caption")).to_have_text(["Hi Sam, thanks for joining."])
    expect(page.locator("#captions-announce")).to_have_text("Hi Sam, thanks for joining.")
    page.evaluate("() => fakeLiveKit.heard('I am the candidate')")  # not a caption
    page.evaluate("() => fakeLiveKit.say('<b>How would you</b> add a cache?', 'SG_2')")
    expect(page.locator("#captions .caption")).to_have_count(2)
    assert page.locator("#captions b").count() == 0  # text, never HTML
    page.evaluate("() => fakeLiveKit.agentState('listening')")
    expect(page.locator("#who-text")).to_have_text("Alex is listening: your turn")
    page.evaluate("() => fakeLiveKit.speakers(['me'])")
    expect(page.locator("#who-text")).to_have_text("You are speaking")
    expect(page.locator("#elapsed")).to_have_text(re.compile(r"^0:0\d$"))
    expect(page.locator("#progress")).to_have_attribute("aria-valuemax", "2400")

    page.get_by_role("button", name="Mute microphone").click()
    expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#mute")).to_have_text("Unmute microphone")
    assert page.evaluate(
        "() => fakeLiveKit.room.localParticipant.microphone.at(-1).enabled") is False

    page.evaluate("() => fakeLiveKit.reconnecting()")
    expect(page.locator("#conn")).to_have_text("Connection lost. Reconnecting…")
    page.evaluate("() => fakeLiveKit.reconnected()")
    expect(page.locator("#conn")).to_have_text("Connected again")

    page.get_by_role("button", name="Leave the interview").click()
    dialog = page.locator("#leave-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#leave-cancel")).to_be_focused()
    page.get_by_role("button", name="Stay in the interview").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#step-call")).to_be_visible()
    page.get_by_role("button", name="Leave the interview").click()
    page.locator("#leave-confirm").click()
    expect(page.locator("#step-done")).to_be_visible()
    expect(page.locator("#done-reason")).to_have_text("You left the interview.")
    expect(page.locator("#done-title")).to_be_focused()
    done = page.inner_text("#step-done")
    assert "What happens next" in done and "reviews your interview" in done
    assert not re.search(r"\bscore|\b\d(\.\d)? ?/ ?5\b", done, re.I)
    assert page.evaluate("() => fakeLiveKit.room.state") == "disconnected"
    assert csp_violations(page) == []


def test_interview_end_and_lost_connection(site: Site, page: Any) -> None:
    use_fake_room(page)
    join(page, site.url(site.invite()))
    expect(page.locator("#conn")).to_have_text("Connected")
    page.evaluate("() => fakeLiveKit.agentJoins('Alex')")
    page.evaluate("() => fakeLiveKit.drop('SIGNAL_CLOSE')")
    expect(page.locator("#call-problem-text")).to_contain_text(
        "The connection to the interview was lost")
    # Try again: a new token (same browser, same code) and a new connection
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#conn")).to_have_text("Connected")
    assert page.evaluate("() => fakeLiveKit.connects.length") == 2
    page.evaluate("() => fakeLiveKit.agentJoins('Alex')")
    page.evaluate("() => fakeLiveKit.agentLeaves()")
    expect(page.locator("#done-reason")).to_have_text("The interview has ended.")


# ---------------------------------------------------------------------- escaping, keyboard, a11y


def test_html_in_the_name_is_text_everywhere(site: Site, page: Any) -> None:
    use_fake_room(page)
    page.goto(site.url(site.invite(name=HOSTILE)))
    assert page.locator("main img").count() == 0 and page.locator("main b").count() == 0
    expect(page.locator("#notice-title")).to_contain_text(HOSTILE)
    consent(page)
    expect(page.locator("#join")).to_be_enabled()
    page.locator("#join").click()
    expect(page.locator("#conn")).to_have_text("Connected")
    page.evaluate("() => fakeLiveKit.agentJoins('Alex')")
    page.evaluate("() => fakeLiveKit.agentLeaves()")
    expect(page.locator("#done-title")).to_have_text(f"Thank you, {HOSTILE}")
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.locator("img").count() == 0


def test_keyboard_only(site: Site, page: Any) -> None:
    use_fake_room(page)
    page.goto(site.url(site.invite()))
    page.locator("#consent").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Continue to the microphone check")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#mic-title")).to_be_focused()
    expect(page.locator("#join")).to_be_enabled()
    for expected in ("#mic-device", "#speak-test", "#join"):
        page.keyboard.press("Tab")
        expect(page.locator(expected)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#call-title")).to_be_focused()
    expect(page.locator("#conn")).to_have_text("Connected")
    page.locator("#mute").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Tab")
    expect(page.locator("#leave")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#leave-cancel")).to_be_focused()
    page.keyboard.press("Escape")  # a native dialog: Escape closes it
    expect(page.locator("#leave-dialog")).to_be_hidden()
    page.locator("#leave").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#leave-confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#done-title")).to_be_focused()


def test_no_serious_accessibility_violations_in_any_state(site: Site, page: Any) -> None:
    if not AXE.is_file():
        pytest.fail("tests/vendor/axe.min.js is missing: run make vendor", pytrace=False)
    use_fake_room(page)
    page.goto(site.url(site.invite()))
    found = {"notice": axe_violations(page)}
    consent(page)
    expect(page.locator("#join")).to_be_enabled()
    found["mic"] = axe_violations(page)
    page.locator("#join").click()
    expect(page.locator("#conn")).to_have_text("Connected")
    page.evaluate("() => fakeLiveKit.agentJoins('Alex')")
    page.evaluate("() => fakeLiveKit.say('Hello Sam.', 'SG_1')")
    expect(page.locator("#captions .caption")).to_have_count(1)
    found["call"] = axe_violations(page)
    page.get_by_role("button", name="Leave the interview").click()
    found["dialog"] = axe_violations(page)
    page.locator("#leave-confirm").click()
    expect(page.locator("#step-done")).to_be_visible()
    found["done"] = axe_violations(page)
    page.goto(site.url("A" * 22))
    found["problem"] = axe_violations(page)
    assert found == {k: [] for k in found}
    # and the check sees a violation when there is one: a field without a label
    page.evaluate("() => document.querySelector('main').append(document.createElement('input'))")
    assert [v["id"] for v in axe_violations(page)] == ["label"]


def test_the_fake_room_stands_in_for_members_the_real_room_has(site: Site, page: Any) -> None:
    """The in-call tests are only as good as the fake: every Room member the page uses
    exists on the real livekit-client 2.23.0 Room (and Participant)."""
    page.goto(site.url(site.invite()))
    found = page.evaluate("""() => {
        const LK = window.LivekitClient;
        const room = new LK.Room();
        return {
          methods: ['on', 'connect', 'disconnect', 'startAudio', 'registerTextStreamHandler']
            .filter(m => typeof room[m] !== 'function'),
          canPlaybackAudio: 'canPlaybackAudio' in room,
          remoteParticipants: room.remoteParticipants instanceof Map,
          setMicrophoneEnabled: typeof room.localParticipant.setMicrophoneEnabled,
          isAgent: 'isAgent' in LK.Participant.prototype,
          endpoint: typeof LK.TokenSource.endpoint,
          events: ['Reconnecting', 'SignalReconnecting', 'Reconnected', 'Disconnected',
                   'ParticipantConnected', 'ParticipantDisconnected',
                   'ParticipantAttributesChanged', 'ActiveSpeakersChanged',
                   'TrackSubscribed', 'TrackUnsubscribed', 'AudioPlaybackStatusChanged',
                   'MediaDevicesError'].filter(e => !LK.RoomEvent[e]),
          reasons: ['ROOM_DELETED', 'ROOM_CLOSED', 'DUPLICATE_IDENTITY', 'PARTICIPANT_REMOVED',
                    'CLIENT_INITIATED', 'SIGNAL_CLOSE']
            .filter(r => LK.DisconnectReason[r] === undefined),
        };
    }""")
    assert found == {"methods": [], "canPlaybackAudio": True, "remoteParticipants": True,
                     "setMicrophoneEnabled": "function", "isAgent": True,
                     "endpoint": "function", "events": [], "reasons": []}
