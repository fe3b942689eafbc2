"""Signed webhooks with a durable outbox.

``enqueue`` writes the delivery to ``<results>/.outbox/webhook/`` (atomically, fsynced)
before anything is sent, so a crash, a SIGKILL or a receiver that is down loses
nothing; ``flush_outbox`` sends what is due and deletes each item only after a 2xx.
Each attempt is signed afresh:

    X-Mockflow-Timestamp: <unix seconds>
    X-Mockflow-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>
    Idempotency-Key: <the same for every attempt of one delivery>

Before a byte is sent, the receiver's URL passes the HTTP tools' address rules again
(``format.hosts``: https unless the host is loopback or ``allow_http``; no odd IPv4
notation) and its host is resolved once, every address checked (public, or listed in the
file's ``results.webhook.allow_hosts``), and the connection made to those addresses only
(``format.addresses``). No redirects, no proxy from the environment, no cookies.

Failures (connection errors, timeouts, DNS, 408, 425, 429, 5xx) are retried with
exponential backoff and full jitter; other 4xx answers, a refused address and running
out of attempts move the item to ``dead/`` (kept, listed by ``mockflow sessions --flush``,
put back by ``retry_dead``). A flush respects each item's schedule (``next_at``), sends
up to ``CONCURRENCY`` items at once, and can be bounded by a total ``deadline``, so one
hung receiver can't hold up an interactive command. The secret never touches the disk:
items name the environment variable that holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mockflow.format.addresses import (
    AddressRefused,
    Resolve,
    ResolveFailed,
    checked_addresses,
    pinned_resolver,
    system_resolve,
)
from mockflow.format.errors import MockflowError
from mockflow.format.hosts import webhook_url_problems
from mockflow.results import durable, safe_json
from mockflow.results.durable import ResultsError, open_private, private_dir
from mockflow.results.files import iso, write_json_atomic

OUTBOX_DIR = ".outbox/webhook"
DEAD_DIR = "dead"
EVENTS = ("session.ended", "session.rescored", "session.reviewed")
MAX_ATTEMPTS = 12
BASE_DELAY = 2.0  # seconds before the first retry (before jitter)
MAX_DELAY = 3600.0
TIMEOUT = 10.0  # seconds per request
CONCURRENCY = 8  # deliveries in flight at once
SIGNATURE_HEADER = "X-Mockflow-Signature"
TIMESTAMP_HEADER = "X-Mockflow-Timestamp"
RETRYABLE = frozenset({408, 425, 429})


class WebhookError(ResultsError):
    """A webhook can't be queued or sent as configured."""


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: bytes, timestamp: str, body: bytes, signature: str, *,
           now: float | None = None, tolerance: float = 300.0) -> bool:
    """What a receiver does (docs/results.md): constant-time compare, fresh timestamp."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff(attempts: int, *, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after ``attempts`` failed tries: exponential, full jitter
    (uniform in [cap/2, cap]) so that many senders don't retry in step."""
    cap = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempts - 1)))
    return float(cap / 2 + rng() * cap / 2)


def outbox_dir(root: Path) -> Path:
    return Path(root) / OUTBOX_DIR


def enqueue(root: Path, *, url: str, secret_env: str, event: str,
            payload: Mapping[str, Any], now: float | None = None,
            allow_hosts: Sequence[str] = (), allow_http: bool = False) -> Path:
    """Queue one delivery durably; returns the item's path. ``allow_hosts`` and
    ``allow_http``: the file's ``results.webhook`` allowances, checked again when sent."""
    if event not in EVENTS:
        raise WebhookError(f"unknown webhook event '{event}' (one of {', '.join(EVENTS)})")
    stamp = time.time() if now is None else now
    key = f"mf-{secrets.token_hex(12)}"
    directory = outbox_dir(root)
    private_dir(directory)
    body = {"event": event, "id": key, "created_at": iso(stamp), **payload}
    item = {"format": 1, "key": key, "url": url, "secret_env": secret_env, "event": event,
            "allow_hosts": list(allow_hosts), "allow_http": bool(allow_http),
            "body": body, "attempts": 0, "next_at": stamp, "created": stamp,
            "last_error": None}
    path = directory / f"{int(stamp * 1000):015d}-{key}.json"
    write_json_atomic(path, item)
    return path


@dataclass(slots=True)
class FlushReport:
    sent: int = 0
    waiting: int = 0  # still queued: failed now, not due yet, or not reached in time
    overdue: int = 0  # still queued after at least one failed attempt
    dead: int = 0  # moved to dead/ by this flush
    dead_total: int = 0  # everything in dead/
    next_retry: float | None = None  # the earliest next_at of an overdue item
    errors: list[str] = field(default_factory=list)  # one line per failure this flush

    @property
    def ok(self) -> bool:
        """Nothing undeliverable and nothing that has failed and still waits."""
        return self.overdue == 0 and self.dead_total == 0


def _body_bytes(item: Mapping[str, Any]) -> bytes:
    return json.dumps(item["body"], sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


class _Refused(MockflowError):
    """The item's URL may not be connected to (a permanent failure)."""


def _send_check(item: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The receiver URL as the file's rules allow it (scheme, notation, http); raises
    ``_Refused``. Returns (url, explicit allow_hosts)."""
    url = str(item["url"])
    explicit = tuple(str(h) for h in item.get("allow_hosts") or ())
    try:
        parts = urlsplit(url)
        problems = webhook_url_problems(url, explicit, item.get("allow_http") is True)
    except ValueError as exc:
        raise _Refused(f"the URL is not valid ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise _Refused(f"the URL's scheme '{parts.scheme}' is neither https nor http")
    errors = [message for code, message in problems if code in ("MF130", "MF131")]
    if errors:
        raise _Refused(errors[0])
    return url, explicit


async def _send(item: Mapping[str, Any], env: Mapping[str, str], timeout: float,
                resolve: Resolve) -> tuple[bool, bool, str]:
    """(delivered, permanent failure, what happened). The receiver's host is resolved
    once and every address checked (public, or listed in the item's allow_hosts); the
    connection goes to those addresses only. No redirects, no proxy, no cookies."""
    import aiohttp  # imported when sending: listing and validating stay light

    secret = env.get(str(item["secret_env"]))
    if not secret:
        return False, False, (f"the secret's environment variable {item['secret_env']}"
                              " is not set in this process")
    try:
        url, explicit = _send_check(item)
        host, _, addresses = await checked_addresses("results.webhook", url, explicit,
                                                     resolve)
    except _Refused as exc:
        return False, True, f"refused: {exc}"
    except ResolveFailed as exc:  # DNS may answer later
        return False, False, str(exc)
    except AddressRefused as exc:
        return False, True, f"refused: {exc}"
    body = _body_bytes(item)
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": "mockflow-webhook",
               TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: sign(secret.encode("utf-8"), timestamp, body),
               "Idempotency-Key": str(item["key"]), "X-Mockflow-Event": str(item["event"])}
    connector = aiohttp.TCPConnector(resolver=pinned_resolver(host, addresses),
                                     use_dns_cache=False, force_close=True)
    try:
        async with aiohttp.ClientSession(
                connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=timeout)) as http:
            async with http.post(url, data=body, headers=headers,
                                 allow_redirects=False) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return True, False, f"HTTP {resp.status}"
                permanent = 400 <= resp.status < 500 and resp.status not in RETRYABLE
                return False, permanent, f"HTTP {resp.status}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        what = "no answer within the deadline" if isinstance(exc, TimeoutError) else \
            f"{type(exc).__name__}: {exc}".rstrip(": ")
        return False, False, what


async def flush_outbox(root: Path, *, force: bool = False, now: float | None = None,
                       env: Mapping[str, str] | None = None,
                       max_attempts: int = MAX_ATTEMPTS, deadline: float | None = None,
                       concurrency: int = CONCURRENCY,
                       resolve: Resolve = system_resolve) -> FlushReport:
    """Send every due item once (``force``: every item, back-off or not), up to
    ``concurrency`` at a time, all within ``deadline`` seconds (None: ``TIMEOUT`` per
    item): an item not sent by then stays queued, and a request cut by the deadline
    counts as a failed attempt. A hung receiver therefore costs at most ``deadline``."""
    env = os.environ if env is None else env
    directory = outbox_dir(root)
    report = FlushReport()
    items = sorted(directory.glob("*.json")) if directory.is_dir() else []
    loop = asyncio.get_running_loop()
    end = None if deadline is None else loop.time() + deadline
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(path: Path) -> None:
        async with gate:
            await _flush_item(directory, path, report, force=force, now=now, env=env,
                              max_attempts=max_attempts, end=end, resolve=resolve)

    await asyncio.gather(*(one(p) for p in items))
    report.dead_total = _dead_count(directory)
    return report


async def _flush_item(directory: Path, path: Path, report: FlushReport, *, force: bool,
                      now: float | None, env: Mapping[str, str], max_attempts: int,
                      end: float | None, resolve: Resolve) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return  # another flusher delivered it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            report.waiting += 1  # another flusher is sending it right now
            return
        if not path.exists():
            return
        try:
            item = safe_json.loads(path.read_bytes())
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            _bury(directory, path, report, f"unreadable outbox item: {exc}")
            return
        stamp = time.time() if now is None else now
        attempts = int(item.get("attempts", 0) or 0)
        if not force and float(item.get("next_at", 0)) > stamp:
            report.waiting += 1
            _note_overdue(report, item)
            return
        timeout = TIMEOUT
        if end is not None:
            left = end - asyncio.get_running_loop().time()
            if left <= 0.05:  # the deadline passed before this item's turn
                report.waiting += 1
                _note_overdue(report, item)
                return
            timeout = min(TIMEOUT, left)
        ok, permanent, what = await _send(item, env, timeout, resolve)
        if ok:
            path.unlink(missing_ok=True)
            report.sent += 1
            return
        item["attempts"] = attempts + 1
        item["last_error"] = what
        item["next_at"] = stamp + backoff(item["attempts"])
        report.errors.append(f"{item['event']} {item['key']} to {item['url']}: {what}")
        write_json_atomic(path, item)
        if permanent or item["attempts"] >= max_attempts:
            _bury(directory, path, report, what)
        else:
            report.waiting += 1
            _note_overdue(report, item)
    finally:
        os.close(fd)


def _note_overdue(report: FlushReport, item: Mapping[str, Any]) -> None:
    if int(item.get("attempts", 0) or 0) > 0 or item.get("last_error"):
        report.overdue += 1
        at = float(item.get("next_at", 0) or 0)
        report.next_retry = at if report.next_retry is None else min(report.next_retry, at)


def retry_dead(root: Path, *, now: float | None = None) -> int:
    """Move every undeliverable item back into the outbox with its attempts reset (after
    the receiver or its URL is fixed); returns how many."""
    directory = outbox_dir(root)
    dead = directory / DEAD_DIR
    moved = 0
    for path in sorted(dead.glob("*.json")) if dead.is_dir() else []:
        try:
            item = safe_json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue  # unreadable: stays in dead/ for a person to look at
        if not isinstance(item, dict):
            continue
        item.update(attempts=0, next_at=time.time() if now is None else now)
        write_json_atomic(path, item)
        with contextlib.suppress(FileNotFoundError):
            durable.move(path, directory / path.name)
            moved += 1
    return moved


def _dead_count(directory: Path) -> int:
    dead = directory / DEAD_DIR
    return len(list(dead.glob("*.json"))) if dead.is_dir() else 0


def _bury(directory: Path, path: Path, report: FlushReport, why: str) -> None:
    dead = directory / DEAD_DIR
    private_dir(dead)
    with contextlib.suppress(FileNotFoundError):
        durable.move(path, dead / path.name)
        report.dead += 1


__all__ = ["enqueue", "flush_outbox", "sign", "verify", "backoff", "FlushReport",
           "WebhookError", "EVENTS", "open_private", "retry_dead"]
