"""The worker, run as users run it (`mockflow run`), against a local fake of LiveKit's
worker protocol: registration, agent name, permissions, job offers, job processes that
each hold their own interview, start-up checks and their order."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from fakes.livekit_server import FakeLiveKitServer

from mockflow.format.schema import validator

KEY, SECRET = "devkey", "devsecret-that-is-long-enough-for-hs256"


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("LIVEKIT_", "OPENAI_", "DEEPGRAM_"))}
    return {**base, **extra}


async def _session_json(results: Path, interview_id: str, timeout: float = 60) -> dict[str, Any]:
    async def poll() -> dict[str, Any]:
        while True:
            for path in results.glob(f"{interview_id}/*/session.json"):
                data: dict[str, Any] = json.loads(path.read_text())
                if data.get("status") != "running":
                    return data
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(poll(), timeout)


@pytest.mark.slow
def test_two_workers_register_and_run_their_own_interviews(tmp_path: Path) -> None:
    async def main() -> None:
        async with FakeLiveKitServer(KEY, SECRET) as server:
            env = _env(LIVEKIT_URL=server.url, LIVEKIT_API_KEY=KEY, LIVEKIT_API_SECRET=SECRET,
                       OPENAI_API_KEY="sk-fake", DEEPGRAM_API_KEY="dg-fake",
                       LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE="0")
            procs = []
            logs = []
            for name in ("backend.yaml", "support-lead.yaml"):
                # Worker logs go to files: a pipe nobody reads could fill and block them.
                log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115
                logs.append(log)
                procs.append(await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "mockflow", "run", f"interviews/{name}",
                    "--port", "0", "--results", str(tmp_path / "results"),
                    # availability by running jobs, not by this machine's CPU load (a busy
                    # test machine made LiveKit's CPU-based load decline the offer)
                    "--max-jobs", "2",
                    cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log))
            try:
                workers = await server.wait_for_workers(2, timeout=90)
                names = sorted(w.register.agent_name for w in workers)
                assert names == ["backend-engineer", "support-lead"]
                for worker in workers:
                    perms = worker.register.allowed_permissions
                    assert perms.agent and perms.can_publish and perms.can_subscribe
                    assert worker.claims["video"]["agent"] is True
                    answer = await server.offer_job(
                        worker, job_id=f"J_{worker.register.agent_name}",
                        room=f"room-{worker.register.agent_name}",
                        room_url="ws://127.0.0.1:1")  # nothing listens: the join fails
                    assert answer.available
                    assert answer.participant_attributes["lk.agent.name"] == \
                        worker.register.agent_name
                backend = await _session_json(tmp_path / "results", "backend-engineer")
                support = await _session_json(tmp_path / "results", "support-lead")
                assert backend["interview"]["ref"].startswith("backend-engineer@sha256:")
                assert support["interview"]["ref"].startswith("support-lead@sha256:")
                assert backend["room"] == "room-backend-engineer"
                assert backend["job"] == "J_backend-engineer" and backend["kind"] == "live"
                assert backend["status"] == "error" and backend["error"]
                assert backend["close_reason"] == "connect_failed"
                for record in (backend, support):  # the worker path writes valid records
                    validator("session").validate(record)
                    assert record["models"]["stt"]["provider"] == "deepgram"
            finally:
                for proc in procs:
                    if proc.returncode is None:
                        proc.send_signal(signal.SIGTERM)
                codes = [await asyncio.wait_for(p.wait(), 60) for p in procs]
                for log in logs:
                    log.close()
            assert codes == [0, 0], [
                (tmp_path / f"{n}.log").read_text(errors="replace")[-2000:]
                for n in ("backend.yaml", "support-lead.yaml")]

    asyncio.run(main())


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockflow", "run", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


_NO_LIVEKIT = (
    "import sys\n"
    "from mockflow.cli import app\n"
    "try:\n"
    "    app(['run', 'interviews/backend.yaml'])\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "assert code == 2, code\n"
    "assert not [m for m in sys.modules if m.split('.')[0] == 'livekit']\n"
)


def test_missing_livekit_credentials_exit_2_without_importing_livekit() -> None:
    proc = subprocess.run([sys.executable, "-c", _NO_LIVEKIT], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET are not set" in proc.stderr
    assert "--console" in proc.stderr


def test_startup_checks_run_in_order(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("mockflow: 1\n")
    invalid = _run(str(bad), env=_env())  # the file first, even without credentials
    assert invalid.returncode == 1 and "error[MF202]" in invalid.stderr
    creds = {"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_API_KEY": KEY,
             "LIVEKIT_API_SECRET": SECRET}
    partial = _run("interviews/backend.yaml", env=_env(LIVEKIT_URL="ws://127.0.0.1:1"))
    assert partial.returncode == 2
    assert "LIVEKIT_API_KEY, LIVEKIT_API_SECRET are not set" in partial.stderr
    renamed = _run("interviews/backend.yaml",
                   env=_env(**creds, LIVEKIT_AGENT_NAME_OVERRIDE="someone-else"))
    assert renamed.returncode == 2 and "LIVEKIT_AGENT_NAME_OVERRIDE" in renamed.stderr
    no_keys = _run("interviews/backend.yaml", env=_env(**creds))
    assert no_keys.returncode == 2
    assert "DEEPGRAM_API_KEY is not set; it is needed by voice.stt (deepgram)" in no_keys.stderr
    assert "OPENAI_API_KEY is not set; it is needed by voice.llm (openai" in no_keys.stderr


def test_an_unreachable_server_is_named_with_its_error_and_the_worker_gives_up(
        tmp_path: Path) -> None:
    """Nothing listens on the port: each failed attempt names the URL and the reason,
    and after --connect-attempts the worker exits 3 instead of retrying forever."""
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"ws://127.0.0.1:{port}"
    env = _env(LIVEKIT_URL=url, LIVEKIT_API_KEY=KEY, LIVEKIT_API_SECRET=SECRET,
               OPENAI_API_KEY="sk-fake", DEEPGRAM_API_KEY="dg-fake",
               LIVEKIT_AGENTS_PRELOAD_LOCAL_INFERENCE="0", MOCKFLOW_CONNECT_ATTEMPTS="2")
    done = subprocess.run(
        [sys.executable, "-m", "mockflow", "run", "interviews/backend.yaml", "--port", "0",
         "--results", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3, done.stderr[-2000:]
    assert (f"mockflow: cannot reach LiveKit at {url} (attempt 1 of 2): ClientConnectorError:"
            f" Cannot connect to host 127.0.0.1:{port}") in done.stderr
    assert (f"mockflow: error: could not reach LiveKit at {url} after 2 attempts:"
            " ClientConnectorError:") in done.stderr
    assert "Check LIVEKIT_URL" in done.stderr
