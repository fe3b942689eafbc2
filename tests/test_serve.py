"""``mockflow serve`` over HTTP (aiohttp's test client on loopback, no browser): pages and
their statuses, the token endpoint and its tokens, the first browser's claim, rate
limits, headers, escaping, proxies, start-up checks."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from conftest import ROOT

from mockflow.format.validate import load_interview
from mockflow.results.invites import INVITES_DIR, InviteStore, mark_room_ended
from mockflow.web.assets import AssetsMissing, check_assets
from mockflow.web.clients import parse_networks
from mockflow.web.headers import content_security_policy
from mockflow.web.origins import AddressError, check_base_url, check_origin, livekit_origins
from mockflow.web.ratelimit import Rate, TokenBuckets
from mockflow.web.server import CandidateSite, Limits, SiteConfig

KEY, SECRET = "devkey", "devsecret-that-is-long-enough-for-hs256"
LIVEKIT = "wss://acme.livekit.cloud"
BACKEND = load_interview(ROOT / "interviews" / "backend.yaml").interview
FRONTEND = load_interview(ROOT / "interviews" / "frontend.yaml").interview


class Clock:
    """A monotonic clock that moves only when told (rate limits without waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_site(results: Path, clock: Clock | None = None, **config: Any) -> CandidateSite:
    settings = SiteConfig(livekit_url=config.pop("livekit_url", LIVEKIT), api_key=KEY,
                          api_secret=SECRET, results_dir=results, **config)
    return CandidateSite([BACKEND, FRONTEND], settings, monotonic=clock or Clock())


def invite(results: Path, interview: str = "backend-engineer", **options: Any) -> str:
    code, _ = InviteStore(results).create(interview_id=interview, agent_name=interview,
                                          **options)
    return code


def run(site: CandidateSite, test: Callable[[TestClient[Any, Any]], Awaitable[None]]) -> None:
    async def main() -> None:
        async with TestClient(TestServer(site.app())) as client:
            await test(client)

    asyncio.run(main())


async def token(client: TestClient[Any, Any], code: str,
                **headers: str) -> ClientResponse:
    return await client.post(f"/i/{code}/token", json={"room_name": "mine",
                                                       "participant_identity": "admin"},
                             headers=headers)


def claims(body: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(body["participant_token"], SECRET,
                                         algorithms=["HS256"])
    return decoded


# ---------------------------------------------------------------------- the page


def test_page_headers_and_escaped_name(tmp_path: Path) -> None:
    code = invite(tmp_path, name="<script>alert(1)</script> & Sam")

    async def check(client: TestClient[Any, Any]) -> None:
        page = await client.get(f"/i/{code}")
        assert page.status == 200
        html = await page.text()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sam" in html
        assert page.headers["Content-Security-Policy"] == (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
            " font-src 'self'; media-src 'self'; connect-src 'self' wss://acme.livekit.cloud"
            " https://acme.livekit.cloud wss://*.livekit.cloud https://*.livekit.cloud;"
            " base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Cache-Control"] == "no-store"
        assert "microphone=(self)" in page.headers["Permissions-Policy"]
        # no inline script or style, nothing from another origin
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html)
        assert " style=" not in html and "http" not in html.replace("https://", "")
        static = await client.get("/static/join.js")
        assert static.status == 200 and "Content-Security-Policy" in static.headers
        vendor = await client.get("/static/vendor/livekit-client.umd.js")
        assert vendor.status == 200
        assert (await client.get("/static/../vendor.json")).status in (403, 404)
        assert (await client.get("/healthz")).status == 200

    run(make_site(tmp_path), check)


@pytest.mark.parametrize(("setup", "status", "heading"), [
    ("unknown", 404, "This link isn’t valid"),
    ("tampered", 404, "This link isn’t valid"),
    ("foreign", 404, "This interview isn’t available here"),
    ("revoked", 410, "This invite was withdrawn"),
    ("expired", 410, "This invite has expired"),
    ("ended", 410, "This interview has already taken place"),
    ("not_yet", 403, "This interview isn’t open yet"),
])
def test_codes_that_cant_be_used(tmp_path: Path, setup: str, status: int,
                                 heading: str) -> None:
    store = InviteStore(tmp_path)
    now = datetime.now(UTC)
    code = invite(tmp_path)
    if setup == "unknown":
        code = "Z" * 22
    elif setup == "tampered":
        code = code[:-1] + ("A" if code[-1] != "A" else "B")
    elif setup == "foreign":  # an invite to an interview this server doesn't run
        code = invite(tmp_path, interview="support-lead")
    elif setup == "revoked":
        store.revoke(code)
    elif setup == "expired":
        code = invite(tmp_path, now=now - timedelta(days=8), valid_for=timedelta(days=7))
    elif setup == "ended":
        record = store.get(code)
        assert record is not None
        mark_room_ended(tmp_path, record.room)
    elif setup == "not_yet":
        code = invite(tmp_path, not_before=now + timedelta(hours=2))

    async def check(client: TestClient[Any, Any]) -> None:
        page = await client.get(f"/i/{code}")
        assert page.status == status
        assert f"<h1 id=\"problem-title\">{heading}</h1>" in await page.text()
        answer = await token(client, code)
        assert answer.status == status
        body = await answer.json()
        assert "participant_token" not in body and body["message"]

    run(make_site(tmp_path), check)


# ---------------------------------------------------------------------- the token


def test_the_token_is_the_invites_and_nothing_else(tmp_path: Path) -> None:
    code = invite(tmp_path, name="Sam", attributes={"team": "Payments"})
    record = InviteStore(tmp_path).get(code)
    assert record is not None

    async def check(client: TestClient[Any, Any]) -> None:
        answer = await token(client, code)  # the body asks for another room and identity
        assert answer.status == 200
        body = await answer.json()
        assert set(body) == {"server_url", "participant_token"}
        assert body["server_url"] == LIVEKIT
        got = claims(body)
        assert got["video"] == {
            "roomJoin": True, "room": record.room, "canPublish": True, "canSubscribe": True,
            "canPublishData": False, "canPublishSources": ["microphone"],
            "canUpdateOwnMetadata": False}
        assert got["sub"] == record.identity and got["name"] == "Sam"
        assert got["roomConfig"] == {"agents": [{"agentName": "backend-engineer"}]}
        assert got["attributes"] == {"candidate.team": "Payments"}
        assert got["exp"] - got["nbf"] == 600
        cookie = answer.headers["Set-Cookie"]
        assert cookie.startswith("mockflow_device=")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert "Path" not in cookie  # the browser scopes it to …/i/<code>
        again = await token(client, code)  # the same browser (its cookie): welcome
        assert again.status == 200 and "Set-Cookie" not in again.headers
        assert (await client.get(f"/i/{code}")).status == 200

    run(make_site(tmp_path), check)


def test_another_browser_is_refused_once_the_first_holds_the_invite(tmp_path: Path) -> None:
    code = invite(tmp_path)

    async def check(client: TestClient[Any, Any]) -> None:
        assert (await token(client, code)).status == 200
        client.session.cookie_jar.clear()  # another browser
        refused = await token(client, code)
        assert refused.status == 409
        assert (await refused.json())["error"] == "in_use"
        page = await client.get(f"/i/{code}")
        assert page.status == 409
        assert "This interview is open in another browser" in await page.text()

    run(make_site(tmp_path), check)


def test_the_token_never_outlives_the_invite(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    code = invite(tmp_path, now=now - timedelta(days=7) + timedelta(minutes=3),
                  valid_for=timedelta(days=7))

    async def check(client: TestClient[Any, Any]) -> None:
        got = claims(await (await token(client, code)).json())
        assert 120 <= got["exp"] - got["nbf"] <= 180

    run(make_site(tmp_path), check)


def test_cross_site_and_oversized_requests_are_refused(tmp_path: Path) -> None:
    code = invite(tmp_path)

    async def check(client: TestClient[Any, Any]) -> None:
        assert (await token(client, code, **{"Sec-Fetch-Site": "cross-site"})).status == 403
        big = await client.post(f"/i/{code}/token", data=b"x" * (70 * 1024))
        assert big.status == 413
        assert (await client.get(f"/i/{code}/token")).status == 405

    run(make_site(tmp_path), check)


# ---------------------------------------------------------------------- rate limits


def test_a_hundred_token_requests_for_one_code(tmp_path: Path) -> None:
    code = invite(tmp_path)
    clock = Clock()

    async def check(client: TestClient[Any, Any]) -> None:
        answers = [await token(client, code) for _ in range(100)]
        statuses = [a.status for a in answers]
        assert statuses.count(200) == 5 and statuses.count(429) == 95
        for answer in answers:
            if answer.status == 429:
                wait = int(answer.headers["Retry-After"])
                assert wait >= 1 and (await answer.json())["retry_after"] == wait
        assert statuses[:5] == [200] * 5
        clock.now += 12  # the bucket refills one token every 12 s
        assert (await token(client, code)).status == 200
        assert (await token(client, code)).status == 429

    run(make_site(tmp_path, clock), check)


def test_a_hundred_token_requests_from_one_address_for_many_codes(tmp_path: Path) -> None:
    codes = [invite(tmp_path) for _ in range(100)]

    async def check(client: TestClient[Any, Any]) -> None:
        statuses = [(await token(client, code)).status for code in codes]
        assert statuses.count(200) == 20 and statuses.count(429) == 80
        assert statuses[:20] == [200] * 20

    run(make_site(tmp_path), check)


def test_addresses_behind_a_trusted_proxy_are_counted_apart(tmp_path: Path) -> None:
    codes = [invite(tmp_path) for _ in range(30)]
    limits = Limits(token_per_client=Rate(2, 0.001))

    async def check(client: TestClient[Any, Any]) -> None:
        first = [(await token(client, c, **{"X-Forwarded-For": "203.0.113.7"})).status
                 for c in codes[:3]]
        assert first == [200, 200, 429]
        other = [(await token(client, c, **{"X-Forwarded-For": "1.2.3.4, 198.51.100.9"}))
                 .status for c in codes[3:6]]
        assert other == [200, 200, 429]  # the right-most untrusted hop counts

    run(make_site(tmp_path, limits=limits, trusted_proxies=parse_networks(["127.0.0.1"])),
        check)

    async def untrusted(client: TestClient[Any, Any]) -> None:
        spoofed = [(await token(client, c, **{"X-Forwarded-For": f"10.0.0.{i}"})).status
                   for i, c in enumerate(codes[6:9])]
        assert spoofed == [200, 200, 429]  # without --trust-proxy the header is ignored

    run(make_site(tmp_path, limits=limits), untrusted)


def test_page_requests_are_limited_per_address(tmp_path: Path) -> None:
    code = invite(tmp_path)

    async def check(client: TestClient[Any, Any]) -> None:
        statuses = [(await client.get(f"/i/{code}")).status for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = await client.get(f"/i/{code}")
        assert int(limited.headers["Retry-After"]) >= 1
        assert "Too many attempts" in await limited.text()

    run(make_site(tmp_path, limits=Limits(page_per_client=Rate(2, 0.01))), check)


def test_token_buckets_bound_their_memory() -> None:
    clock = Clock()
    buckets = TokenBuckets(Rate(1, 1.0), clock=clock, max_keys=100)
    for i in range(1000):
        buckets.take(f"10.0.{i // 250}.{i % 250}")
    assert len(buckets) <= 100


# ---------------------------------------------------------------------- privacy, errors


def test_requests_are_logged_without_the_code_or_the_name(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    code = invite(tmp_path, name="Sam Secretname")

    async def check(client: TestClient[Any, Any]) -> None:
        await client.get(f"/i/{code}")
        await token(client, code)

    with caplog.at_level(logging.INFO, logger="mockflow.web"):
        run(make_site(tmp_path), check)
    lines = [r.getMessage() for r in caplog.records if r.name == "mockflow.web"]
    assert f"GET /i/{code[:4]}… 200" in lines and f"POST /i/{code[:4]}…/token 200" in lines
    assert not any(code in line or "Secretname" in line for line in lines)


def test_a_damaged_invite_store_is_a_clear_500(tmp_path: Path) -> None:
    code = invite(tmp_path)
    for path in (tmp_path / INVITES_DIR).glob("*.json"):
        path.write_text("{not json")

    async def check(client: TestClient[Any, Any]) -> None:
        page = await client.get(f"/i/{code}")
        assert page.status == 500 and "can’t be opened right now" in await page.text()
        answer = await token(client, code)
        assert answer.status == 500 and (await answer.json())["error"] == "unavailable"

    run(make_site(tmp_path), check)


# ---------------------------------------------------------------------- addresses, assets


def test_livekit_origins_and_the_policy() -> None:
    assert livekit_origins("wss://lk.example.com") == ("wss://lk.example.com",
                                                       "https://lk.example.com")
    assert livekit_origins("ws://127.0.0.1:7880") == ("ws://127.0.0.1:7880",
                                                      "http://127.0.0.1:7880")
    assert livekit_origins("wss://p.livekit.cloud")[2:] == ("wss://*.livekit.cloud",
                                                            "https://*.livekit.cloud")
    with pytest.raises(AddressError, match="is not a LiveKit server address"):
        livekit_origins("lk.example.com")
    assert "connect-src 'self' wss://a https://a;" in content_security_policy(
        ["wss://a", "https://a"])
    assert check_origin("WSS://EU.Example.com/") == "wss://eu.example.com"
    for bad in ("eu.example.com", "https://x.com/path", "https://x.com; script-src *"):
        with pytest.raises(AddressError, match="is not an origin"):
            check_origin(bad)


@pytest.mark.parametrize(("url", "allow", "message"), [
    ("http://jobs.example.com", False, "plain http: browsers only give a page the microphone"),
    ("http://127.0.0.1:8080", False, "is a loopback address: the link would only open"),
    ("jobs.example.com", False, "is not a web address"),
])
def test_bad_base_urls(url: str, allow: bool, message: str) -> None:
    with pytest.raises(AddressError, match=message):
        check_base_url(url, allow_local=allow)


def test_good_base_urls() -> None:
    assert check_base_url("https://jobs.example.com/", allow_local=False) == \
        "https://jobs.example.com"
    assert check_base_url("https://example.com/careers", allow_local=False) == \
        "https://example.com/careers"
    assert check_base_url("http://localhost:8080", allow_local=True) == "http://localhost:8080"


def test_missing_or_changed_vendor_code_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssetsMissing, match=r"needs livekit-client 2\.23\.0 .* which is not"
                       r" there\. In a checkout run `make vendor`"):
        check_assets(tmp_path)
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    (vendor / "livekit-client.umd.js").write_text("window.LivekitClient = {};")
    with pytest.raises(AssetsMissing, match=r"is not the pinned livekit-client 2\.23\.0"):
        check_assets(tmp_path)


# ---------------------------------------------------------------------- the command


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("LIVEKIT_", "MOCKFLOW_"))}
    return {**base, **extra}


CREDS = {"LIVEKIT_API_KEY": KEY, "LIVEKIT_API_SECRET": SECRET}


def _serve(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockflow", "serve", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("args", "env", "message"), [
    ((), {}, "LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET are not set"),
    ((), {**CREDS, "LIVEKIT_URL": "ws://127.0.0.1:7880"},
     "LIVEKIT_URL is ws://127.0.0.1:7880, a loopback address"),
    ((), {**CREDS, "LIVEKIT_URL": "lk.example.com"}, "is not a LiveKit server address"),
    (("interviews/backend.yaml",), {**CREDS, "LIVEKIT_URL": LIVEKIT},
     "interview id 'backend-engineer' is served twice"),
    (("--trust-proxy", "proxy.local"), {**CREDS, "LIVEKIT_URL": LIVEKIT},
     "--trust-proxy 'proxy.local' is not an IP address"),
    (("--connect-src", "example.com"), {**CREDS, "LIVEKIT_URL": LIVEKIT},
     "--connect-src 'example.com' is not an origin"),
    (("--results", "s3://bucket/x"), {**CREDS, "LIVEKIT_URL": LIVEKIT},
     "invites are kept in a directory that every mockflow serve reads"),
])
def test_serve_refuses_with_a_clear_message(args: tuple[str, ...], env: dict[str, str],
                                            message: str) -> None:
    done = _serve("interviews/backend.yaml", *args, env=_env(**env))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr


def test_serve_refuses_without_the_vendor_code(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from mockflow.cli.commands import app
    from mockflow.web import assets

    monkeypatch.setattr(assets, "STATIC_DIR", tmp_path)  # a package without the vendor file
    for name, value in {**CREDS, "LIVEKIT_URL": LIVEKIT}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["serve", str(ROOT / "interviews" / "backend.yaml"),
                                      "--results", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "mockflow: error: the candidate page needs livekit-client 2.23.0" in result.output
    assert "run `make vendor`" in result.output


@pytest.mark.slow
def test_serve_runs_until_sigterm(tmp_path: Path) -> None:
    code = invite(tmp_path, name="Sam")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockflow", "serve", "interviews/backend.yaml",
         "interviews/frontend.yaml", "--port", "0", "--results", str(tmp_path)],
        cwd=ROOT, env=_env(**CREDS, LIVEKIT_URL=LIVEKIT), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"on http://127\.0\.0\.1:(\d+)/i/<code>", line)
        assert match, line
        base = f"http://127.0.0.1:{match.group(1)}"

        async def fetch() -> tuple[int, int, dict[str, Any]]:
            from aiohttp import ClientSession

            async with ClientSession() as session:
                page = await session.get(f"{base}/i/{code}")
                answer = await session.post(f"{base}/i/{code}/token", json={})
                return page.status, answer.status, await answer.json()

        page, status, body = asyncio.run(fetch())
        assert (page, status) == (200, 200)
        assert claims(body)["name"] == "Sam"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def test_no_stray_json_in_the_store(tmp_path: Path) -> None:
    """Nothing but invites (and their marks) under .invites: a plain listing stays simple."""
    invite(tmp_path)
    names = [p.name for p in (tmp_path / INVITES_DIR).iterdir()]
    assert sorted(n.rsplit(".", 1)[-1] if "." in n else n for n in names) == ["json", "rooms"]
    assert json.loads(next((tmp_path / INVITES_DIR).glob("*.json")).read_text())["format"] == 1
