"""Where and when webhooks are delivered: the receiver's address passes the HTTP tools'
rules when sent (loopback in any notation refused unless allowed; the connection goes to
the address that was checked), `sessions --flush` under cron respects each delivery's
retry schedule and exits non-zero while one is overdue or undeliverable, and a hung
receiver never holds up `review`."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_webhook import ENV, SECRET, Receiver, run
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.format.validate import check_file
from mockflow.results.notify.webhook import DEAD_DIR, enqueue, flush_outbox, outbox_dir
from mockflow.simulate.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _items(root: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted(outbox_dir(root).glob("*.json"))]


# ---------------------------------------------------------------------- addresses


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "0x7f.1", "2130706433",
                                  "localhost"])
def test_loopback_in_any_notation_is_refused_when_not_allowed(tmp_path: Path, host: str
                                                              ) -> None:
    async def body(receiver: Receiver) -> None:
        port = receiver.url.split(":")[-1].split("/")[0]
        enqueue(tmp_path, url=f"http://{host}:{port}/hook", secret_env="MF_HOOK_SECRET",
                event="session.ended", payload={})
        report = await flush_outbox(tmp_path, force=True, env=ENV)
        assert receiver.attempts == 0  # not one byte reached the receiver
        assert report.sent == 0 and report.dead == 1, report
        assert "refused" in report.errors[0]

    run(body)


def test_a_name_is_connected_at_the_address_that_was_checked(tmp_path: Path) -> None:
    """DNS answers a private address for a public-looking name: refused, never sent; the
    same name answering the allowed loopback address is delivered to that address."""
    async def body(receiver: Receiver) -> None:
        port = receiver.url.split(":")[-1].split("/")[0]
        enqueue(tmp_path, url=f"http://hooks.example.com:{port}/hook",
                secret_env="MF_HOOK_SECRET", event="session.ended", payload={},
                allow_http=True)

        async def private(host: str, port: int) -> list[str]:
            return ["10.0.0.7"]

        report = await flush_outbox(tmp_path, force=True, env=ENV, resolve=private)
        assert report.dead == 1 and "10.0.0.7, a private address" in report.errors[0]
        enqueue(tmp_path, url=f"http://hooks.example.com:{port}/hook",
                secret_env="MF_HOOK_SECRET", event="session.ended", payload={"n": 2},
                allow_http=True, allow_hosts=["127.0.0.1"])
        asked: list[str] = []

        async def loopback(host: str, port: int) -> list[str]:
            asked.append(host)
            return ["127.0.0.1"]

        report = await flush_outbox(tmp_path, force=True, env=ENV, resolve=loopback)
        assert report.sent == 1 and asked == ["hooks.example.com"]
        assert receiver.accepted[0]["n"] == 2

    run(body)


def test_plain_http_beyond_loopback_is_refused_when_sent(tmp_path: Path) -> None:
    async def body(receiver: Receiver) -> None:
        enqueue(tmp_path, url="http://hooks.example.com/hook", secret_env="MF_HOOK_SECRET",
                event="session.ended", payload={})

        async def public(host: str, port: int) -> list[str]:
            raise AssertionError("no lookup for a URL refused as written")

        report = await flush_outbox(tmp_path, force=True, env=ENV, resolve=public)
        assert report.dead == 1 and "plain http" in report.errors[0]

    run(body)


# ---------------------------------------------------------------------- the schedule


def test_cron_flushes_respect_the_schedule_and_fail_while_overdue(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    """Twelve `sessions --flush` in a row used to spend twelve attempts (dead within
    seconds) and then exit 0 with the delivery undeliverable."""
    monkeypatch.setenv("MF_HOOK_SECRET", SECRET)
    (tmp_path / "results").mkdir()
    root = tmp_path / "results"

    async def body(receiver: Receiver) -> None:
        receiver.fail = 10_000  # down: 503 to everything
        enqueue(root, url=receiver.url, secret_env="MF_HOOK_SECRET", event="session.ended",
                payload={}, allow_hosts=["127.0.0.1"])
        codes = []
        for _ in range(12):
            result = await asyncio.to_thread(
                runner.invoke, app, ["sessions", "--results", str(root), "--flush"])
            codes.append(result.exit_code)
        assert codes == [1] * 12, codes  # overdue: non-zero every time
        assert "1 overdue" in result.stderr and "next retry" in result.stderr
        assert receiver.attempts < 12  # not one attempt per run: the back-off holds
        [item] = _items(root)
        assert item["attempts"] == receiver.attempts and not (
            outbox_dir(root) / DEAD_DIR).exists()
        # the receiver recovers; the delivery is due again (as if its back-off had passed)
        receiver.fail = 0
        item["next_at"] = time.time() - 1
        next(outbox_dir(root).glob("*.json")).write_text(json.dumps(item))
        ok = await asyncio.to_thread(
            runner.invoke, app, ["sessions", "--results", str(root), "--flush"])
        assert ok.exit_code == 0, ok.stderr
        assert "1 sent" in ok.stderr and len(receiver.accepted) == 1

    run(body)


def test_undeliverable_keeps_exit_non_zero_until_retried(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.setenv("MF_HOOK_SECRET", SECRET)
    root = tmp_path / "results"
    root.mkdir()

    async def body(receiver: Receiver) -> None:
        receiver.fail, receiver.status = 1, 410  # gone: permanent
        enqueue(root, url=receiver.url, secret_env="MF_HOOK_SECRET", event="session.ended",
                payload={}, allow_hosts=["127.0.0.1"])
        first = await asyncio.to_thread(
            runner.invoke, app, ["sessions", "--results", str(root), "--flush"])
        assert first.exit_code == 1 and "1 undeliverable" in first.stderr
        later = await asyncio.to_thread(
            runner.invoke, app, ["sessions", "--results", str(root), "--flush"])
        assert later.exit_code == 1 and "1 undeliverable" in later.stderr  # still there
        fixed = await asyncio.to_thread(
            runner.invoke, app, ["sessions", "--results", str(root), "--flush",
                                 "--retry-dead"])
        assert fixed.exit_code == 0, fixed.stderr
        assert "1 put back from dead/" in fixed.stderr and len(receiver.accepted) == 1

    run(body)


# ---------------------------------------------------------------------- never stall


def test_a_hung_receiver_costs_a_flush_its_deadline_not_a_timeout_per_item(tmp_path: Path
                                                                           ) -> None:
    async def main() -> None:
        from aiohttp import web

        release = asyncio.Event()

        async def hang(request: web.Request) -> web.Response:
            await release.wait()
            return web.Response(status=204)

        application = web.Application()
        application.router.add_post("/hook", hang)
        app_runner = web.AppRunner(application)
        await app_runner.setup()
        await web.TCPSite(app_runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{app_runner.addresses[0][1]}/hook"
        for n in range(20):
            enqueue(tmp_path, url=url, secret_env="MF_HOOK_SECRET", event="session.ended",
                    payload={"n": n}, allow_hosts=["127.0.0.1"])
        try:
            report = await asyncio.wait_for(
                flush_outbox(tmp_path, env=ENV, deadline=0.5), 60)  # hang guard
        finally:
            release.set()
            await app_runner.cleanup()
        assert report.sent == 0 and report.waiting == 20 and not report.ok
        attempted = [i for i in _items(tmp_path) if i["attempts"]]
        assert attempted and all(i["last_error"] == "no answer within the deadline"
                                 for i in attempted)

    asyncio.run(main())


@pytest.fixture
def threaded_receiver() -> Iterator[tuple[str, dict[str, int], threading.Event]]:
    """A receiver on its own thread that holds every delivery until ``want`` of them are
    in flight at once, then answers them all."""
    from aiohttp import web

    loop = asyncio.new_event_loop()
    state = {"in_flight": 0, "most": 0, "want": 10**9, "done": 0}
    all_in = asyncio.Event()
    started = threading.Event()
    runners: list[web.AppRunner] = []
    url: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        state["in_flight"] += 1
        state["most"] = max(state["most"], state["in_flight"])
        if state["in_flight"] >= state["want"]:
            all_in.set()
        await all_in.wait()
        state["in_flight"] -= 1
        state["done"] += 1
        return web.Response(status=204)

    async def start() -> None:
        application = web.Application()
        application.router.add_post("/hook", handle)
        r = web.AppRunner(application)
        await r.setup()
        await web.TCPSite(r, "127.0.0.1", 0).start()
        url.append(f"http://127.0.0.1:{r.addresses[0][1]}/hook")
        runners.append(r)
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    yield url[0], state, started
    loop.call_soon_threadsafe(all_in.set)
    asyncio.run_coroutine_threadsafe(runners[0].cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)
    loop.close()


def test_review_sends_the_outbox_in_parallel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             threaded_receiver: tuple[str, dict[str, int],
                                                                      threading.Event]
                                             ) -> None:
    """Seven deliveries due at one slow receiver: `review` sends them side by side (they
    are all in flight at once), where it used to wait out each one in turn (10 s x 7)."""
    url, state, _ = threaded_receiver
    monkeypatch.setenv("MF_HOOK_SECRET", SECRET)
    import mockflow.cli.review as review_cli

    monkeypatch.setattr(review_cli, "INTERACTIVE_DEADLINE", 60.0, raising=False)
    compiled = check_file(str(ROOT / "interviews" / "backend.yaml")).compiled
    assert compiled is not None
    root = tmp_path / "results"
    outcome = asyncio.run(simulate(compiled, "average", seed=3, results_root=root))
    directory = outcome.recorder.directory
    session = json.loads((directory / "session.json").read_text())
    session["webhook"] = {"url": url, "secret_env": "MF_HOOK_SECRET",
                          "events": ["session.reviewed"], "allow_hosts": ["127.0.0.1"]}
    (directory / "session.json").write_text(json.dumps(session))
    for n in range(6):
        enqueue(root, url=url, secret_env="MF_HOOK_SECRET", event="session.ended",
                payload={"n": n}, allow_hosts=["127.0.0.1"])
    state["want"] = 7
    done = threading.Event()
    results: list[object] = []

    def review() -> None:
        results.append(runner.invoke(app, ["review", str(directory), "--note", "ok"]))
        done.set()

    threading.Thread(target=review, daemon=True).start()
    assert done.wait(45), "review waited on the deliveries one by one"  # hang guard
    assert state["most"] == 7 and state["done"] == 7
    assert not list(outbox_dir(root).glob("*.json"))
    shutil.rmtree(root)
