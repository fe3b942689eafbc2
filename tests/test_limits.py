"""Limits everywhere, errors not tracebacks: giant numbers, giant candidate details, giant
answers, and a front end that never raises."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockflow.format.errors import INTERNAL
from mockflow.format.limits import MAX_NAME_CHARS, MAX_SCORED_ANSWER_CHARS
from mockflow.format.templates import Candidate
from mockflow.format.validate import CheckResult, check_bytes, load_interview
from mockflow.interview.clock import VirtualClock
from mockflow.interview.engine import InterviewEngine
from mockflow.interview.records import CandidateTurn
from mockflow.live.invite import InviteError, mint_invite

BACKEND = ROOT / "interviews" / "backend.yaml"
MINIMAL = ROOT / "tests" / "cases" / "valid" / "minimal.yaml"
KEY, SECRET = "devkey", "devsecret-that-is-long-enough-for-hs256"
GIANT = "1" + "0" * 4400


def test_a_number_with_thousands_of_digits_is_a_problem_not_a_traceback() -> None:
    result = check_bytes(f"mockflow: {GIANT}\n".encode())
    [problem] = result.problems
    assert problem.code == "MF013" and (problem.line, problem.column) == (1, 11)
    assert "4,401 characters" in problem.message and len(problem.message) < 300


def test_validate_json_is_one_document_even_with_a_giant_number(tmp_path: Path) -> None:
    bad = tmp_path / "giant.yaml"
    bad.write_text(MINIMAL.read_text().replace("mockflow: 1", f"mockflow: {GIANT}"))
    done = subprocess.run(
        [sys.executable, "-m", "mockflow", "validate", "--format", "json", str(MINIMAL),
         str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    report = json.loads(done.stdout)  # exactly one JSON document
    assert [f["valid"] for f in report["files"]] == [True, False]
    assert report["files"][1]["problems"][0]["code"] == "MF013"
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_an_internal_failure_is_reported_for_its_file(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """A bug in one stage (simulated: the schema stage raises) is one MF000 problem for
    that file; the other files are still checked and the output stays one document."""
    import mockflow.format.validate as validate
    from mockflow.cli import app

    calls = {"n": 0}
    real = validate.schema_errors

    def broken_once(data: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return real(data)

    monkeypatch.setattr(validate, "schema_errors", broken_once)
    with pytest.raises(SystemExit) as exit_info:
        app(["validate", "--format", "json", str(MINIMAL), str(MINIMAL)])
    report = json.loads(capsys.readouterr().out)
    first, second = report["files"]
    assert [p["code"] for p in first["problems"]] == [INTERNAL]
    assert "RuntimeError: boom" in first["problems"][0]["message"]
    assert second["valid"] is True
    assert exit_info.value.code == 3


_ODD = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40)
_SCALARS = st.one_of(
    st.text(alphabet="0123456789", min_size=17, max_size=60).map(lambda d: "1" + d),
    st.integers(4_200, 8_000).map(lambda n: "7" * n),  # past Python's int() digit limit
    st.text(alphabet="0123456789", min_size=17, max_size=6000).map(lambda d: "-0." + d),
    st.integers(1, 5000).map(lambda n: "9" * n + "." + "9" * n + "e" + "9" * min(n, 50)),
    st.integers(1, 20_000).map(lambda n: "x" * n),  # long lines
    _ODD,
    _ODD.map(lambda t: json.dumps(t)),  # quoted, escapes and all
    st.sampled_from(["\u202e", "\ufeff", "\x85", "\u2028", "{{", "{%", "%}", "&a", "*a", "!!",
                     "? ", "- ", "\t", "'", '"', "\\"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_check_bytes_never_raises(data: st.DataObject) -> None:
    """Replace values in a valid file with giant numbers, long lines and odd Unicode."""
    lines = MINIMAL.read_text().splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        key, sep, _ = lines[index].partition(": ")
        value = data.draw(_SCALARS)
        lines[index] = f"{key}{sep}{value}" if sep else value
    raw = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    result = check_bytes(raw)
    assert isinstance(result, CheckResult)
    assert all(p.code != INTERNAL for p in result.problems), result.problems


# ------------------------------------------------------------------ candidate details


def test_invite_refuses_a_giant_name_or_attributes() -> None:
    common: dict[str, Any] = {"api_key": KEY, "api_secret": SECRET, "agent_name": "a",
                              "room": "r1", "identity": "cand-1"}
    with pytest.raises(InviteError, match=r"name is 100,000 characters; the limit is 200"):
        mint_invite(name="x" * 100_000, **common)
    with pytest.raises(InviteError, match=r"attributes take 5,003 bytes; the limit is 4,096"):
        mint_invite(name="Sam", attributes={"cv": "y" * 5001}, **common)
    assert mint_invite(name="x" * MAX_NAME_CHARS, attributes={"team": "payments"}, **common)


def test_a_console_session_truncates_a_giant_name_and_records_why(tmp_path: Path) -> None:
    from mockflow.live.console import run_interview
    from mockflow.live.offline_llm import OfflineInterviewerLLM

    answers = iter(["Yes.", "/quit"])

    async def answer(_: object) -> str | None:
        return next(answers, None)

    async def main() -> Any:
        return await run_interview(load_interview(BACKEND), model=OfflineInterviewerLLM(),
                                   answers=answer, results_root=tmp_path,
                                   candidate=Candidate(name="N" * 100_000,
                                                       attributes={"cv": "z" * 9000}),
                                   close_timeout=5)

    outcome = asyncio.run(asyncio.wait_for(main(), 60))
    record = json.loads(outcome.recorder.session_path.read_text())
    assert record["warnings"][0] == "candidate name truncated from 100,000 to 200 characters"
    assert "candidate attribute 'cv' truncated from 9,000 to 4,094 bytes" in record["warnings"]
    assert outcome.agent.candidate.name == "N" * 200


def test_a_worker_session_that_fails_to_start_is_recorded(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The job's start goes through the guarded block: a 100 KB candidate name is cut
    (and recorded), and a failure to build the voice pipeline (no DEEPGRAM_API_KEY here)
    lands in session.json instead of leaving it at 'connecting'."""
    from mockflow.live.worker import WorkerConfig, entrypoint

    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    source = BACKEND.read_bytes()
    compiled = load_interview(BACKEND)
    config = WorkerConfig(str(BACKEND), source, str(tmp_path), "backend-engineer")
    participant = SimpleNamespace(name="N" * 100_000, identity="cand-1",
                                  attributes={"candidate.team": "payments"})

    async def connect() -> None:
        return None

    async def wait_for_participant() -> Any:
        return participant

    shutdown: list[Any] = []
    ctx = SimpleNamespace(
        proc=SimpleNamespace(userdata={"compiled": compiled, "config": config, "vad": None}),
        job=SimpleNamespace(id="J1", room=SimpleNamespace(name="room-1")),
        connect=connect, wait_for_participant=wait_for_participant, room=None,
        add_shutdown_callback=shutdown.append)
    with pytest.raises(ValueError, match="Deepgram API key is required"):
        asyncio.run(entrypoint(ctx))  # type: ignore[arg-type]
    [path] = list(tmp_path.glob("backend-engineer/*/session.json"))
    record = json.loads(path.read_text())
    assert record["close_reason"] == "start_failed" and "Deepgram API key" in record["error"]
    assert record["warnings"] == ["candidate name truncated from 100,000 to 200 characters"]


# ------------------------------------------------------------------ answers


def test_a_giant_answer_is_scored_on_its_first_characters_and_says_so() -> None:
    compiled = load_interview(BACKEND)
    engine = InterviewEngine(compiled, clock=VirtualClock(0.0), seed=1)
    engine.commit(engine.start())
    engine.commit(engine.propose(CandidateTurn("Yes, ready.")))
    answer = "I used a queue with retries and backoff. " * 25_000  # about 1 MB
    engine.commit(engine.propose(CandidateTurn(answer)))
    for _ in range(3):  # answer any follow-up until the question closes
        if engine.records[0].score is not None:
            break
        engine.commit(engine.propose(CandidateTurn("That is all I would add.")))
    record = engine.records[0]
    assert record.score is not None
    assert f"scored on the first {MAX_SCORED_ANSWER_CHARS:,} of" in record.score.rationale
