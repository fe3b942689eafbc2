"""Signed webhooks with a durable outbox.

``enqueue`` writes the delivery to ``<results>/.outbox/webhook/`` (atomically, fsynced)
before anything is sent, so a crash, a SIGKILL or a receiver that is down loses
nothing; ``flush_outbox`` sends what is due and deletes each item only after a 2xx.
Each attempt is signed afresh:

    X-Mockflow-Timestamp: <unix seconds>
    X-Mockflow-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>
    Idempotency-Key: <the same for every attempt of one delivery>

Failures (connection errors, timeouts, 408, 429, 5xx) are retried with exponential
backoff and full jitter; other 4xx answers and running out of attempts move the item
to ``dead/`` (kept, listed by ``mockflow sessions --flush``). The secret never touches
the disk: items name the environment variable that holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import random
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aiohttp

from mockflow.results import durable
from mockflow.results.durable import ResultsError, open_private, private_dir
from mockflow.results.files import iso, write_json_atomic

OUTBOX_DIR = ".outbox/webhook"
DEAD_DIR = "dead"
EVENTS = ("session.ended", "session.rescored", "session.reviewed")
MAX_ATTEMPTS = 12
BASE_DELAY = 2.0  # seconds before the first retry (before jitter)
MAX_DELAY = 3600.0
TIMEOUT = 10.0
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
            payload: Mapping[str, Any], now: float | None = None) -> Path:
    """Queue one delivery durably; returns the item's path."""
    if event not in EVENTS:
        raise WebhookError(f"unknown webhook event '{event}' (one of {', '.join(EVENTS)})")
    stamp = time.time() if now is None else now
    key = f"mf-{secrets.token_hex(12)}"
    directory = outbox_dir(root)
    private_dir(directory)
    body = {"event": event, "id": key, "created_at": iso(stamp), **payload}
    item = {"format": 1, "key": key, "url": url, "secret_env": secret_env, "event": event,
            "body": body, "attempts": 0, "next_at": stamp, "created": stamp,
            "last_error": None}
    path = directory / f"{int(stamp * 1000):015d}-{key}.json"
    write_json_atomic(path, item)
    return path


@dataclass(slots=True)
class FlushReport:
    sent: int = 0
    waiting: int = 0  # failed now or not due yet; will be retried
    dead: int = 0  # moved to dead/ by this flush
    dead_total: int = 0  # everything in dead/
    errors: list[str] = field(default_factory=list)  # one line per failure this flush


def _body_bytes(item: Mapping[str, Any]) -> bytes:
    return json.dumps(item["body"], sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


async def _send(http: aiohttp.ClientSession, item: Mapping[str, Any],
                env: Mapping[str, str]) -> tuple[bool, bool, str]:
    """(delivered, permanent failure, what happened)."""
    import aiohttp  # imported when sending: listing and validating stay light

    secret = env.get(str(item["secret_env"]))
    if not secret:
        return False, False, (f"the secret's environment variable {item['secret_env']}"
                              " is not set in this process")
    body = _body_bytes(item)
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": "mockflow-webhook",
               TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: sign(secret.encode("utf-8"), timestamp, body),
               "Idempotency-Key": str(item["key"]), "X-Mockflow-Event": str(item["event"])}
    try:
        async with http.post(str(item["url"]), data=body, headers=headers,
                             allow_redirects=False) as resp:
            await resp.read()
            if 200 <= resp.status < 300:
                return True, False, f"HTTP {resp.status}"
            permanent = 400 <= resp.status < 500 and resp.status not in RETRYABLE
            return False, permanent, f"HTTP {resp.status}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return False, False, f"{type(exc).__name__}: {exc}".rstrip(": ")


async def flush_outbox(root: Path, *, force: bool = False, now: float | None = None,
                       env: Mapping[str, str] | None = None,
                       max_attempts: int = MAX_ATTEMPTS) -> FlushReport:
    """Send every due item (``force``: every item, backoff or not) once."""
    import aiohttp

    env = os.environ if env is None else env
    directory = outbox_dir(root)
    report = FlushReport()
    items = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not items:
        report.dead_total = _dead_count(directory)
        return report
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for path in items:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # another flusher delivered it
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    report.waiting += 1  # another flusher is sending it right now
                    continue
                if not path.exists():
                    continue
                try:
                    item = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    _bury(directory, path, report, f"unreadable outbox item: {exc}")
                    continue
                stamp = time.time() if now is None else now
                if not force and float(item.get("next_at", 0)) > stamp:
                    report.waiting += 1
                    continue
                ok, permanent, what = await _send(http, item, env)
                if ok:
                    path.unlink(missing_ok=True)
                    report.sent += 1
                    continue
                item["attempts"] = int(item.get("attempts", 0)) + 1
                item["last_error"] = what
                item["next_at"] = stamp + backoff(item["attempts"])
                line = f"{item['event']} {item['key']} to {item['url']}: {what}"
                report.errors.append(line)
                if permanent or item["attempts"] >= max_attempts:
                    write_json_atomic(path, item)
                    _bury(directory, path, report, what)
                else:
                    write_json_atomic(path, item)
                    report.waiting += 1
            finally:
                os.close(fd)
    report.dead_total = _dead_count(directory)
    return report


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
           "WebhookError", "EVENTS", "open_private"]
