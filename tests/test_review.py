"""Review and the webhook end to end: a console session with ``results.webhook`` posts
``session.ended`` to a local receiver that checks signatures; ``mockflow review`` appends
a review (the scorecard is never changed), posts ``session.reviewed``, and ``report`` and
``sessions`` show both scores."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from html_check import parse
from test_console import ANSWER, clean_env, session_dir
from test_webhook import SECRET, Receiver
from typer.testing import CliRunner

from mockflow.cli import app

runner = CliRunner()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The test receiver, served from a thread (the console runs in a subprocess)."""
    from aiohttp import web

    recv = Receiver()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    app_runner: list[web.AppRunner] = []

    async def start() -> None:
        application = web.Application()
        application.router.add_post("/hook", recv.handle)
        r = web.AppRunner(application)
        await r.setup()
        await web.TCPSite(r, "127.0.0.1", 0).start()
        recv.url = f"http://127.0.0.1:{r.addresses[0][1]}/hook"
        app_runner.append(r)
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(30)
    yield recv
    asyncio.run_coroutine_threadsafe(app_runner[0].cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)
    loop.close()


def _interview_with_webhook(tmp_path: Path, url: str) -> Path:
    source = (ROOT / "interviews" / "backend.yaml").read_text()
    path = tmp_path / "backend.yaml"
    path.write_text(source + f"\nresults:\n  webhook:\n    url: {url}\n"
                      "    secret_env: MF_HOOK_SECRET\n"
                      "    allow_hosts: ['127.0.0.1']\n")  # the receiver is on loopback
    return path


def test_session_end_and_review_reach_the_receiver(tmp_path: Path, receiver: Receiver,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    interview = _interview_with_webhook(tmp_path, receiver.url)
    results = tmp_path / "results"
    env = {**clean_env(), "MF_HOOK_SECRET": SECRET}
    done = subprocess.run(
        [sys.executable, "-m", "mockflow", "run", str(interview), "--console",
         "--results", str(results), "--candidate-name", "Robin"],
        input=f"Yes\n{ANSWER}\n{ANSWER}\n/quit\n", cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "webhook: 1 delivered" in done.stdout
    assert receiver.bad_signatures == 0
    [ended] = receiver.accepted
    assert ended["event"] == "session.ended"
    assert ended["candidate"] == {"name": "Robin", "identity": None}
    assert ended["session"]["status"] == "candidate_ended"
    assert ANSWER not in json.dumps(ended)  # a summary: no transcript, no quotes

    directory = session_dir(results)
    card_before = (directory / "scorecard.json").read_bytes()
    competency = json.loads(card_before)["competencies"][0]["id"]
    monkeypatch.setenv("MF_HOOK_SECRET", SECRET)
    reviewed = runner.invoke(app, ["review", str(directory), "--score", f"{competency}=4",
                                   "--note", "Strong <b>reasoning</b>", "--reviewer", "Kim"])
    assert reviewed.exit_code == 0, reviewed.output
    again = runner.invoke(app, ["review", str(directory), "--note", "Second look."])
    assert again.exit_code == 0, again.output
    assert (directory / "scorecard.json").read_bytes() == card_before  # never changed
    lines = (directory / "reviews.jsonl").read_text().splitlines()
    assert [json.loads(line)["note"] for line in lines] == ["Strong <b>reasoning</b>",
                                                            "Second look."]
    assert [a["event"] for a in receiver.accepted] == ["session.ended", "session.reviewed",
                                                       "session.reviewed"]
    assert receiver.accepted[1]["scorecard"]["competencies"][0]["reviewed"] == 4

    html = runner.invoke(app, ["report", str(directory)]).stdout
    doc = parse(html)
    row = doc.text_by_id[f"c-{competency}"]
    assert "4" in row and "Kim" in row
    assert "Strong <b>reasoning</b>" in html.replace("&lt;", "<").replace("&gt;", ">")
    assert "b" not in doc.tags
    listed = json.loads(runner.invoke(app, ["sessions", "--results", str(results),
                                            "--format", "json"]).stdout)
    [row_] = listed["sessions"]
    assert row_["reviews"] == 2 and row_["reviewed_overall"] is not None
    assert row_["candidate"] == "Robin"


@pytest.fixture(scope="module")
def quit_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results of one console session quit at once (made once: each test reviews its
    own copy)."""
    results = tmp_path_factory.mktemp("quit") / "results"
    subprocess.run([sys.executable, "-m", "mockflow", "run", "interviews/backend.yaml",
                    "--console", "--results", str(results)], input="/quit\n", cwd=ROOT,
                   env=clean_env(), capture_output=True, text=True, timeout=120, check=True)
    return results


@pytest.mark.parametrize("args, message", [
    (["--score", "nope=3"], "unknown competency 'nope'"),
    (["--score", "system_design=9"], "off the scale 1-5"),
    (["--score", "system_design"], "is not COMPETENCY=N"),
    (["--score", "system_design=abc"], "is not a number"),
    ([], "needs at least one --score, --question, --resolve or a --note"),
    (["--question", "99=3"], "no such question in this session"),
    (["--resolve", "1"], "no such question in this session"),
])
def test_bad_reviews_are_refused_and_nothing_is_written(tmp_path: Path, args: list[str],
                                                       message: str, quit_session: Path
                                                       ) -> None:
    results = tmp_path / "results"
    shutil.copytree(quit_session, results)  # a fresh copy: nothing written is this test's
    directory = session_dir(results)
    result = runner.invoke(app, ["review", str(directory), *args])
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert not (directory / "reviews.jsonl").exists()
