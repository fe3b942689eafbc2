"""The one private LiveKit name mockflow relies on (issue 22): LiveKit's context variable
for the reply being generated. Without it no move would ever be committed and the
interview would stall in silence; instead every way of starting an interview refuses at
once, naming the installed LiveKit version and the fix."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import livekit.agents.voice.agent_activity as agent_activity
import pytest
from conftest import ROOT
from livekit.agents.version import __version__ as LIVEKIT_VERSION

from mockflow.format.errors import MockflowError
from mockflow.format.validate import load_interview
from mockflow.live.session import prepare_interview
from mockflow.live.speech_context import LiveKitIncompatible, speech_context
from mockflow.live.worker import WorkerConfig, build_server

BACKEND = ROOT / "interviews" / "backend.yaml"
MESSAGE = (f"the installed LiveKit Agents (livekit-agents {LIVEKIT_VERSION}) has no"
           " livekit.agents.voice.agent_activity._SpeechHandleContextVar, which mockflow"
           " needs to tell a delivered reply from a discarded draft; install the version"
           " mockflow supports: pip install 'livekit-agents>=1.8.9,<1.9'")


# A LiveKit release that renamed the variable: its own code still works (it reads its
# module's globals), but the name can't be imported from the module any more.
HIDE = ("import sys, types\n"
        "import livekit.agents.voice.agent_activity as real\n"
        "renamed = types.ModuleType(real.__name__)\n"
        "renamed.__dict__.update({k: v for k, v in vars(real).items()"
        " if k != '_SpeechHandleContextVar'})\n"
        "sys.modules[real.__name__] = renamed\n")


@pytest.fixture
def without_reply_context(monkeypatch: pytest.MonkeyPatch) -> None:
    renamed = types.ModuleType(agent_activity.__name__)
    renamed.__dict__.update({k: v for k, v in vars(agent_activity).items()
                             if k != "_SpeechHandleContextVar"})
    monkeypatch.setitem(sys.modules, agent_activity.__name__, renamed)


def test_the_reply_context_is_there_in_the_supported_livekit() -> None:
    assert speech_context() is agent_activity._SpeechHandleContextVar


def test_its_absence_is_a_typed_error_naming_the_version(without_reply_context: None) -> None:
    with pytest.raises(LiveKitIncompatible) as caught:
        speech_context()
    assert str(caught.value) == MESSAGE
    assert isinstance(caught.value, MockflowError)
    assert caught.value.version == f"livekit-agents {LIVEKIT_VERSION}"


def test_no_interview_starts_without_it(without_reply_context: None, tmp_path: Path) -> None:
    with pytest.raises(LiveKitIncompatible, match="_SpeechHandleContextVar"):
        prepare_interview(load_interview(BACKEND), results=tmp_path, judge="offline")


def test_the_worker_refuses_at_start(without_reply_context: None, tmp_path: Path) -> None:
    config = WorkerConfig(str(BACKEND), BACKEND.read_bytes(), str(tmp_path), "backend")
    with pytest.raises(LiveKitIncompatible, match=f"livekit-agents {LIVEKIT_VERSION}"):
        build_server(config)


def test_the_console_exits_2_with_the_message(tmp_path: Path) -> None:
    """``mockflow run --console`` in a process whose LiveKit lacks the variable."""
    code = (HIDE + "from mockflow.cli import run\n"
            f"sys.argv = ['mockflow', 'run', {str(BACKEND)!r}, '--console', '--offline',"
            f" '--results', {str(tmp_path)!r}]\n"
            "run()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         input="Yes\nI rebuilt the export job on a queue.\n",
                         text=True, cwd=ROOT, timeout=120, check=False)
    assert out.returncode == 2, (out.stdout[-2000:], out.stderr[-2000:])
    assert f"mockflow: error: {MESSAGE}" in out.stderr
    assert not list(tmp_path.glob("*/*/transcript.jsonl"))  # no session was started
