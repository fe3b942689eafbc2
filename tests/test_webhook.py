"""Signed webhooks: a local receiver that checks signatures and fails the first
deliveries; a SIGKILL between enqueue and delivery loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from conftest import ROOT

from mockflow.results.notify.flush import flush_all
from mockflow.results.notify.webhook import (
    DEAD_DIR,
    backoff,
    enqueue,
    flush_outbox,
    outbox_dir,
    sign,
    verify,
)

SECRET = "test-secret-\u00e9"
ENV = {"MF_HOOK_SECRET": SECRET}
LOOPBACK = ("127.0.0.1",)  # the receivers listen on loopback: allowed explicitly


@dataclass
class Receiver:
    """A webhook receiver: verifies each signature as docs/results.md shows, answers 503
    to the first ``fail`` deliveries, records what it accepted."""

    fail: int = 0
    status: int = 503
    accepted: list[dict[str, object]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    bad_signatures: int = 0
    attempts: int = 0
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        ts = request.headers.get("X-Mockflow-Timestamp", "")
        sig = request.headers.get("X-Mockflow-Signature", "")
        if not verify(SECRET.encode(), ts, body, sig):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.fail > 0:
            self.fail -= 1
            return web.Response(status=self.status)
        key = request.headers["Idempotency-Key"]
        if key not in self.keys:  # the receiver de-duplicates on the key
            self.keys.append(key)
            self.accepted.append(json.loads(body))
        return web.Response(status=204)


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[Receiver]:
    recv = Receiver()
    app = web.Application()
    app.router.add_post("/hook", recv.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    recv.url = f"http://127.0.0.1:{port}/hook"
    yield recv
    await runner.cleanup()


def run(body: Callable[[Receiver], Awaitable[None]]) -> None:
    async def main() -> None:
        async with serving() as receiver:
            await body(receiver)

    asyncio.run(main())


def test_signature_is_hmac_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac
    body = b'{"a":1}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(b"k", "1700000000", body) == f"sha256={expected}"
    assert verify(b"k", "1700000000", body, f"sha256={expected}", now=1700000100)
    assert not verify(b"k", "1700000000", body + b" ", f"sha256={expected}", now=1700000100)
    assert not verify(b"k", "1700000000", body, f"sha256={expected}", now=1700009999)


def test_backoff_grows_exponentially_with_jitter() -> None:
    lows = [backoff(n, rng=lambda: 0.0) for n in range(1, 6)]
    highs = [backoff(n, rng=lambda: 1.0) for n in range(1, 6)]
    assert all(b == 2 * a for a, b in zip(lows, lows[1:], strict=False))
    assert all(h == 2 * low for low, h in zip(lows, highs, strict=True))
    assert backoff(100, rng=lambda: 1.0) == 3600.0


def test_retries_until_the_receiver_recovers(tmp_path: Path) -> None:
    async def body(receiver: Receiver) -> None:
        receiver.fail = 3
        enqueue(tmp_path, url=receiver.url, secret_env="MF_HOOK_SECRET", event="session.ended",
                allow_hosts=LOOPBACK, payload={"session": {"id": "s1"}})
        sent = 0
        for _ in range(4):
            report = await flush_outbox(tmp_path, force=True, env=ENV)
            sent += report.sent
        assert sent == 1 and receiver.attempts == 4 and receiver.bad_signatures == 0
        assert [a["event"] for a in receiver.accepted] == ["session.ended"]
        assert receiver.accepted[0]["session"] == {"id": "s1"}
        assert not list(outbox_dir(tmp_path).glob("*.json"))

    run(body)


def test_backoff_is_respected_without_force(tmp_path: Path) -> None:
    async def body(receiver: Receiver) -> None:
        receiver.fail = 1
        now = time.time()
        enqueue(tmp_path, url=receiver.url, secret_env="MF_HOOK_SECRET", event="session.ended",
                allow_hosts=LOOPBACK, payload={}, now=now)
        first = await flush_outbox(tmp_path, env=ENV, now=now)
        assert first.sent == 0 and first.waiting == 1 and len(first.errors) == 1
        again = await flush_outbox(tmp_path, env=ENV, now=now + 0.5)  # before the backoff
        assert again.sent == 0 and receiver.attempts == 1
        later = await flush_outbox(tmp_path, env=ENV, now=now + 10)
        assert later.sent == 1 and receiver.attempts == 2

    run(body)


def test_client_error_is_kept_in_dead_letters(tmp_path: Path) -> None:
    async def body(receiver: Receiver) -> None:
        receiver.fail, receiver.status = 1, 400
        enqueue(tmp_path, url=receiver.url, secret_env="MF_HOOK_SECRET", event="session.ended",
                allow_hosts=LOOPBACK, payload={})
        report = await flush_outbox(tmp_path, force=True, env=ENV)
        assert report.dead == 1 and report.dead_total == 1 and "HTTP 400" in report.errors[0]
        dead = list((outbox_dir(tmp_path) / DEAD_DIR).glob("*.json"))
        assert len(dead) == 1 and json.loads(dead[0].read_text())["last_error"] == "HTTP 400"

    run(body)


def test_missing_secret_keeps_the_item_and_says_why(tmp_path: Path) -> None:
    async def body(receiver: Receiver) -> None:
        enqueue(tmp_path, url=receiver.url, secret_env="MF_HOOK_SECRET", event="session.ended",
                allow_hosts=LOOPBACK, payload={})
        report = await flush_outbox(tmp_path, force=True, env={})
        assert report.sent == 0 and report.waiting == 1 and receiver.attempts == 0
        assert "MF_HOOK_SECRET is not set" in report.errors[0]
        item = json.loads(next(outbox_dir(tmp_path).glob("*.json")).read_text())
        assert SECRET not in json.dumps(item)

    run(body)


def test_receiver_down_then_up_loses_nothing(tmp_path: Path) -> None:
    async def body(receiver: Receiver) -> None:
        dead_url = "http://127.0.0.1:9/hook"  # discard port: connection refused
        for n in range(3):
            enqueue(tmp_path, url=dead_url, secret_env="MF_HOOK_SECRET", event="session.ended",
                    allow_hosts=LOOPBACK, payload={"n": n})
        report = await flush_outbox(tmp_path, force=True, env=ENV)
        assert report.sent == 0 and report.waiting == 3
        for path in outbox_dir(tmp_path).glob("*.json"):  # the receiver moved
            item = json.loads(path.read_text())
            item["url"] = receiver.url
            path.write_text(json.dumps(item))
        report = await flush_outbox(tmp_path, force=True, env=ENV)
        assert report.sent == 3
        assert sorted(a["n"] for a in receiver.accepted) == [0, 1, 2]

    run(body)


_KILLED = """
import sys, time, os
from pathlib import Path
from mockflow.results.notify.webhook import enqueue
enqueue(Path(sys.argv[1]), url=sys.argv[2], secret_env="MF_HOOK_SECRET", allow_hosts=["127.0.0.1"],
        event="session.ended", payload={"session": {"id": "killed"}})
print("queued", flush=True)
time.sleep(600)
"""


def test_sigkill_between_enqueue_and_delivery_loses_nothing(tmp_path: Path) -> None:
    async def body(receiver: Receiver) -> None:
        proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(tmp_path), receiver.url],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)
            assert line.strip() == "queued"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            if proc.stdout is not None:
                proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        assert receiver.attempts == 0
        os.environ["MF_HOOK_SECRET"] = SECRET
        try:
            queues = await flush_all(tmp_path, force=True)
        finally:
            del os.environ["MF_HOOK_SECRET"]
        assert queues[0].report.sent == 1
        assert receiver.accepted[0]["session"] == {"id": "killed"}
        assert receiver.bad_signatures == 0

    run(body)


def _docs_receiver() -> str:
    text = (ROOT / "docs" / "results.md").read_text()
    block = text.split("A receiver that checks the signature")[1].split("```python\n")[1]
    return block.split("```")[0]


def test_the_receiver_in_docs_verifies_real_deliveries(tmp_path: Path) -> None:
    code = _docs_receiver()
    assert len(code.strip().splitlines()) <= 10
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "MOCKFLOW_WEBHOOK_SECRET": SECRET, "PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/hook"
        for _ in range(600):  # wait until it listens (hang guard: 60 s)
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        enqueue(tmp_path, url=url, secret_env="MF_HOOK_SECRET", event="session.ended",
                allow_hosts=LOOPBACK, payload={"n": 1})
        good = asyncio.run(flush_outbox(tmp_path, force=True, env=ENV))
        assert good.sent == 1
        enqueue(tmp_path, url=url, secret_env="MF_HOOK_SECRET", event="session.ended",
                allow_hosts=LOOPBACK, payload={"n": 2})
        forged = asyncio.run(flush_outbox(tmp_path, force=True,
                                          env={"MF_HOOK_SECRET": "wrong"}))
        assert forged.sent == 0 and forged.dead == 1 and "HTTP 401" in forged.errors[0]
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_the_worker_flushes_the_outbox_in_the_background(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from mockflow.live.worker import WorkerConfig, serve

    monkeypatch.setenv("MF_HOOK_SECRET", SECRET)

    class Server:
        """Stands in for AgentServer: its run() returns once the delivery arrived."""

        def __init__(self, receiver: Receiver) -> None:
            self.receiver = receiver

        async def run(self, *, devmode: bool) -> None:
            for _ in range(600):  # hang guard: 60 s
                if self.receiver.accepted:
                    return
                await asyncio.sleep(0.1)

        async def drain(self) -> None:
            return None

        async def aclose(self) -> None:
            return None

    async def body(receiver: Receiver) -> None:
        enqueue(tmp_path, url=receiver.url, secret_env="MF_HOOK_SECRET", allow_hosts=LOOPBACK,
                event="session.ended", payload={"session": {"id": "bg"}})
        config = WorkerConfig("interview.yaml", b"", str(tmp_path), "backend-engineer")
        await serve(Server(receiver), devmode=True, config=config)  # type: ignore[arg-type]
        assert receiver.accepted[0]["session"] == {"id": "bg"}
        assert not list(outbox_dir(tmp_path).glob("*.json"))

    run(body)
