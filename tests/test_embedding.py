"""The public API (issue 22): docs/embedding.md's example runs as written, the names in
``mockflow.__all__`` are exactly the documented ones, and ``import mockflow`` stays
cheap (no livekit until an interview is run)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import ROOT
from jsonschema import Draft202012Validator
from livekit.agents.utils import http_context

import mockflow
from mockflow.format.schema import load_schema, validator
from mockflow.results.files import read_transcript
from mockflow.testing import ChatRequest, FakeOpenAIServer, Reply
from mockflow.testing.judges import TOOL_NAME, competent_judge
from mockflow.testing.policies import interviewer_policy
from mockflow.testing.waiting import run, until

DOC = ROOT / "docs" / "embedding.md"
ANSWERS = [
    "I rebuilt our invoice export on a queue, owned the retries and the on-call runbook.",
    "I'd add a read-through cache with a short TTL and invalidate on every price change.",
]


def example_code() -> str:
    """The one Python block under 'A complete example' in docs/embedding.md."""
    text = DOC.read_text("utf-8")
    section = text.split("## A complete example", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1, "the example section holds one python block"
    return str(blocks[0])


def documented_names() -> list[str]:
    section = DOC.read_text("utf-8").split("## The public API", 1)[1]
    return re.findall(r"^\| `([A-Za-z_]+)` \|", section, re.MULTILINE)


def both(request: ChatRequest) -> Reply:
    """The interviewer's requests get the scripted interviewer; the judge's the fake judge
    (the example's session and the file's judge share one OpenAI endpoint)."""
    if any(t.get("function", {}).get("name") == TOOL_NAME for t in request.tools):
        return competent_judge(request)
    return interviewer_policy(request)


def test_the_embedding_example_runs_an_interview(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    code = compile(example_code(), str(DOC), "exec")
    (tmp_path / "interviews").mkdir()
    shutil.copy(ROOT / "interviews" / "backend.yaml", tmp_path / "interviews")
    monkeypatch.chdir(tmp_path)  # the example's relative paths: the file, results/
    for name in ("LIVEKIT_AGENT_NAME_OVERRIDE", "LIVEKIT_AGENT_NAME", "MOCKFLOW_RESULTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake")

    async def main() -> tuple[Any, list[int], int]:
        # a job runs its entrypoint inside LiveKit's HTTP context (plugins' sessions)
        async with FakeOpenAIServer(both) as server, http_context.open():
            monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)  # every OpenAI client
            namespace: dict[str, Any] = {"__name__": "embedding_example"}
            exec(code, namespace)  # noqa: S102 - the documented example, as written

            async def connect() -> None:
                return None

            async def wait_for_participant() -> Any:
                return SimpleNamespace(name="Sam", identity="cand-1", attributes={})

            shutdown: list[Any] = []
            ctx = SimpleNamespace(connect=connect, wait_for_participant=wait_for_participant,
                                  room=None, add_shutdown_callback=shutdown.append)
            await namespace["entrypoint"](ctx)
            [finished] = shutdown
            interview = finished.__self__  # the LiveInterview the example registered
            session = interview.session
            await until(lambda: any(m.role == "assistant"
                                    for m in session.history.messages()))
            costs = []
            for text in ["Yes, ready.", *ANSWERS]:
                before = sum(1 for r in server.requests
                             if not any(t["function"]["name"] == TOOL_NAME for t in r.tools))
                await session.run(user_input=text)
                after = sum(1 for r in server.requests
                            if not any(t["function"]["name"] == TOOL_NAME for t in r.tools))
                costs.append(after - before)
            await session.aclose()
            for callback in shutdown:  # what the job does at its end
                await callback()
            for model in (session.llm, session.stt, session.tts):
                await model.aclose()  # a job's process would exit; a test closes them
            judge_requests = sum(1 for r in server.requests
                                 if any(t["function"]["name"] == TOOL_NAME for t in r.tools))
        return interview, costs, judge_requests

    interview, costs, judge_requests = run(main())
    assert costs == [1, 1, 1]  # one interviewer request per candidate turn
    directory = interview.directory
    assert directory is not None
    assert directory.resolve().parent.parent == tmp_path / "results"
    session = json.loads((directory / "session.json").read_text())
    validator("session").validate(session)
    assert session["kind"] == "live" and session["candidate"]["name"] == "Sam"
    assert session["models"]["llm"][0]["model"] == "gpt-4o-mini"
    assert session["models"]["tts"]["model"] == "gpt-4o-mini-tts"
    assert session["close_reason"] is not None and session["ended_at"] is not None
    card = json.loads((directory / "scorecard.json").read_text())
    assert list(Draft202012Validator(load_schema("scorecard")).iter_errors(card)) == []
    assert card["judge"]["kind"] == "llm"  # the file's judge: voice.llm's model, key set
    assert judge_requests >= 1  # the answered question was judged in the background
    candidate = [t["text"] for t in read_transcript(directory / "transcript.jsonl")
                 if t["role"] == "candidate"]
    assert candidate == ["Yes, ready.", *ANSWERS]


def test_all_is_exactly_the_documented_names() -> None:
    assert documented_names() == list(mockflow.__all__)
    for name in mockflow.__all__:
        assert getattr(mockflow, name) is not None, name
    assert sorted(dir(mockflow)) == sorted(mockflow.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = mockflow.nothing_here  # type: ignore[attr-defined]


def test_import_mockflow_is_cheap_and_livekit_waits_for_an_interview() -> None:
    code = ("import sys, mockflow\n"
            "mockflow.load_interview('interviews/backend.yaml'); mockflow.MockflowError\n"
            "mockflow.rescore_session; mockflow.check_file\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'livekit'))\n"
            "mockflow.start_interview\n"
            "print('livekit.agents' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=120)
    assert out.stdout.split("\n")[:2] == ["[]", "True"]
