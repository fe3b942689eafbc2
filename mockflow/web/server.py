"""``mockflow serve``: the candidate site (aiohttp).

Routes::

    GET  /i/<code>        the join page, or a page that says why the code can't be used (4xx)
    POST /i/<code>/token  {server_url, participant_token} for livekit-client's
                          TokenSource.endpoint; the JSON body the client sends is ignored
    GET  /static/…        the page's CSS, script and the pinned livekit-client
    GET  /healthz         200 "ok" for load balancers

The code alone decides room, identity, name, attributes and the agent dispatched; the
token is room-scoped, microphone-only, and lives ``token_ttl`` (10 minutes) at most, never
past the invite's end. The first browser that gets a token holds the invite (a random
key in an HttpOnly cookie, stored hashed): another browser with the same link is
refused, so a forwarded link can't take over the interview. Token requests are limited
per code and per client address (429 with Retry-After); page requests per address.
Requests are logged without the code, the name or the address.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

from aiohttp import web

from mockflow.format.model import Interview
from mockflow.live.invite import InviteError, load_api, mint_invite
from mockflow.results.durable import ResultsError
from mockflow.results.invites import (
    Claim,
    InviteRecord,
    InviteStore,
    utc_now,
)
from mockflow.web import assets
from mockflow.web.clients import Client, Network, resolve_client
from mockflow.web.headers import content_security_policy, security_headers
from mockflow.web.origins import livekit_origins
from mockflow.web.pages import BROKEN, IN_USE, NOT_HERE, Pages, Problem, problem_for
from mockflow.web.ratelimit import Rate, TokenBuckets, retry_after

logger = logging.getLogger("mockflow.web")

DEFAULT_TOKEN_TTL = timedelta(minutes=10)
DEVICE_COOKIE = "mockflow_device"
_DEVICE_KEY = re.compile(r"[A-Za-z0-9_-]{43}")
_CODE_IN_PATH = re.compile(r"(/i/)([^/]{1,4})[^/]*")
MAX_BODY = 64 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Limits:
    """Defaults: a candidate needs one token per join (livekit-client caches it until a
    minute before it expires) and a few more on reconnects; an office behind one address
    may hold several candidates."""

    token_per_code: Rate = Rate(burst=5, per_second=1 / 12)
    token_per_client: Rate = Rate(burst=20, per_second=1 / 3)
    page_per_client: Rate = Rate(burst=60, per_second=1.0)


@dataclass(frozen=True, slots=True)
class SiteConfig:
    livekit_url: str
    api_key: str
    api_secret: str
    results_dir: Path
    token_ttl: timedelta = DEFAULT_TOKEN_TTL
    trusted_proxies: tuple[Network, ...] = ()
    connect_src: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)

    @property
    def csp(self) -> str:
        return content_security_policy([*livekit_origins(self.livekit_url), *self.connect_src])


class CandidateSite:
    """The site for ``interviews`` (by id), with invites from ``config.results_dir``."""

    def __init__(self, interviews: Sequence[Interview], config: SiteConfig, *,
                 clock: Callable[[], datetime] = utc_now,
                 monotonic: Callable[[], float] = time.monotonic,
                 static_dir: Path | None = None) -> None:
        static_dir = static_dir or assets.STATIC_DIR
        assets.check_assets(static_dir)
        self.interviews: Mapping[str, Interview] = {i.id: i for i in interviews}
        self.config = config
        self.clock = clock
        self.store = InviteStore(config.results_dir, clock=clock)
        self.pages = Pages()
        self.static_dir = static_dir
        self.headers = security_headers(config.csp)
        limits = config.limits
        self.token_codes = TokenBuckets(limits.token_per_code, clock=monotonic)
        self.token_clients = TokenBuckets(limits.token_per_client, clock=monotonic)
        self.page_clients = TokenBuckets(limits.page_per_client, clock=monotonic)
        load_api()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY,
                              middlewares=[self._headers_middleware])
        app.router.add_get("/i/{code}", self.page)
        app.router.add_post("/i/{code}/token", self.token)
        app.router.add_get("/healthz", self.health)
        app.router.add_static("/static/", self.static_dir, follow_symlinks=False)
        return app

    # ------------------------------------------------------------------ plumbing

    @web.middleware
    async def _headers_middleware(self, request: web.Request,
                                  handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # aiohttp's own 404, 405, 413 …: the same headers
            self._finish(request, exc.headers, exc.status)
            raise
        self._finish(request, response.headers, response.status)
        return response

    def _finish(self, request: web.Request, headers: MutableMapping[str, str],
                status: int) -> None:
        headers.update(self.headers)
        static = request.path.startswith("/static/") and status == 200
        headers["Cache-Control"] = "public, max-age=3600" if static else "no-store"
        logger.info("%s %s %s", request.method, _CODE_IN_PATH.sub(r"\1\2…", request.path),
                    status)

    def _client(self, request: web.Request) -> Client:
        return resolve_client(request.remote, request.headers, scheme=request.scheme,
                              host=request.host, trusted=self.config.trusted_proxies)

    def _html(self, body: str, status: int = 200,
              headers: Mapping[str, str] | None = None) -> web.Response:
        return web.Response(text=body, status=status, content_type="text/html",
                            charset="utf-8", headers=headers)

    def _problem_page(self, problem: Problem, interview: Interview | None) -> web.Response:
        return self._html(self.pages.problem(problem, interview), status=problem.status)

    @staticmethod
    def _json_problem(problem: Problem, error: str,
                      headers: Mapping[str, str] | None = None) -> web.Response:
        return web.json_response({"error": error, "message": " ".join(problem.message)},
                                 status=problem.status, headers=headers)

    def _slow_down(self, wait: float) -> Problem:
        seconds = retry_after(wait)
        return Problem(429, "Too many attempts",
                       (f"Too many attempts from your connection. Wait {seconds} second"
                        f"{'s' if seconds != '1' else ''} and try again.",))

    # ------------------------------------------------------------------ routes

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def page(self, request: web.Request) -> web.Response:
        client = self._client(request)
        wait = self.page_clients.take(client.key)
        if wait:
            return self._html(self.pages.problem(self._slow_down(wait), None), status=429,
                              headers={"Retry-After": retry_after(wait)})
        code = request.match_info["code"]
        try:
            status = self.store.status(code)
        except ResultsError as exc:
            logger.error("invite store: %s", exc)
            return self._problem_page(BROKEN, None)
        record = status.record
        interview = self.interviews.get(record.interview_id) if record else None
        if record is not None and interview is None:
            return self._problem_page(NOT_HERE, None)
        if not status.valid:
            return self._problem_page(problem_for(status.state, record), interview)
        assert record is not None and interview is not None
        if self.store.holder(code, request.cookies.get(DEVICE_COOKIE)) is Claim.OTHER:
            return self._problem_page(IN_USE, interview)
        return self._html(self.pages.join(interview, record))

    async def token(self, request: web.Request) -> web.Response:
        client = self._client(request)
        wait = self.token_clients.take(client.key)
        if wait:
            return self._rate_limited(wait)
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            return web.json_response(
                {"error": "cross_site", "message": "Tokens are only given to the join page"
                 " itself."}, status=403)
        try:
            await request.read()  # enforces MAX_BODY; the body itself is ignored
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"error": "too_large", "message": "The request is too"
                                      " large."}, status=413)
        code = request.match_info["code"]
        try:
            status = self.store.status(code)
        except ResultsError as exc:
            logger.error("invite store: %s", exc)
            return self._json_problem(BROKEN, "unavailable")
        record = status.record
        if record is None or record.interview_id not in self.interviews:
            problem = NOT_HERE if record is not None else problem_for(status.state, None)
            return self._json_problem(problem, "unknown" if record is None else "not_here")
        if not status.valid:
            return self._json_problem(problem_for(status.state, record), status.state.value)
        wait = self.token_codes.take(record.code_sha256)
        if wait:
            return self._rate_limited(wait)
        cookie = request.cookies.get(DEVICE_COOKIE)
        device = cookie if cookie and _DEVICE_KEY.fullmatch(cookie) else secrets.token_urlsafe(32)
        try:
            claim = self.store.claim(code, device)
        except ResultsError as exc:
            logger.error("invite store: %s", exc)
            return self._json_problem(BROKEN, "unavailable")
        if claim is Claim.OTHER:
            return self._json_problem(IN_USE, "in_use")
        try:
            minted = self._mint(record)
        except InviteError as exc:
            logger.warning("invite %s can't be used: %s", record.code_sha256[:12], exc)
            return web.json_response(
                {"error": "damaged", "message": "This invite can't be used. Ask the person"
                 " who sent it to you for a new link."}, status=500)
        response = web.json_response({"server_url": self.config.livekit_url,
                                      "participant_token": minted})
        if device != cookie:
            response.headers.add("Set-Cookie", device_cookie(
                device, secure=client.scheme == "https",
                max_age=max(60, int((record.expires_at - self.clock()).total_seconds()))))
        return response

    def _rate_limited(self, wait: float) -> web.Response:
        problem = self._slow_down(wait)
        return web.json_response({"error": "rate_limited", "message": problem.message[0],
                                  "retry_after": int(retry_after(wait))},
                                 status=429, headers={"Retry-After": retry_after(wait)})

    def _mint(self, record: InviteRecord) -> str:
        now = self.clock()
        ttl = min(self.config.token_ttl, record.expires_at - now)
        invite = mint_invite(api_key=self.config.api_key, api_secret=self.config.api_secret,
                             agent_name=record.agent_name, room=record.room,
                             identity=record.identity, name=record.name,
                             attributes=record.attributes,
                             ttl=max(ttl, timedelta(seconds=1)), now=now)
        return invite.token


def device_cookie(key: str, *, secure: bool, max_age: int) -> str:
    """The browser's key, HttpOnly and same-site only. No Path: browsers then scope it to
    the page's own path (``…/i/<code>``), whatever prefix a reverse proxy adds."""
    jar: SimpleCookie = SimpleCookie()
    jar[DEVICE_COOKIE] = key
    morsel = jar[DEVICE_COOKIE]
    morsel["httponly"] = True
    morsel["samesite"] = "Strict"
    morsel["max-age"] = max_age
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()


async def run_site(site: CandidateSite, host: str, port: int, *,
                   ready: Callable[[str, int], None], stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set; ``ready(host, port)`` once listening (port 0 picks)."""
    runner = web.AppRunner(site.app(), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        tcp = web.TCPSite(runner, host, port)
        await tcp.start()
        server = tcp._server
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        ready(host, int(bound))
        await stop.wait()
    finally:
        await runner.cleanup()

