"""A hosted model's request calls through the real agent and the OpenAI-compatible fake
server (issue 15): a question answered with the model's own fact, a clarification with
the model's wording, and the answer part of a mixed message kept for scoring."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import ROOT

from mockflow.testing.openai_server import Reply, ToolCall
from mockflow.testing.policies import interviewer_policy
from mockflow.testing.rig import Rig, retrying, run, text_rig

BACKEND = ROOT / "interviews" / "backend.yaml"


def test_a_models_question_and_clarify_calls(tmp_path: Path) -> None:
    calls = {"n": 0}
    scripted = {
        2: {"kind": "question", "question": "How big is the team?",
            "say": "We're eight engineers."},
        3: {"kind": "clarify", "say": "I mean a service you changed at work."},
    }

    def policy(request: Any) -> Reply:
        calls["n"] += 1
        if calls["n"] in scripted:
            return Reply(tool_calls=(ToolCall("candidate_request",
                                              json.dumps(scripted[calls["n"]])),))
        return interviewer_policy(request)

    async def main() -> tuple[Rig, list[str], list[str], str]:
        async with text_rig(tmp_path, BACKEND, policy=policy, conn_options=retrying()) as rig:
            await rig.turn("Ready.")
            question = rig.engine.current.prompts[0] if rig.engine.current else ""
            _, asked = await rig.turn("Quick question first: how big is the team?")
            _, clarified = await rig.turn("What do you mean by changed?")
        return rig, asked, clarified, question

    rig, asked, clarified, question = run(main())
    assert asked[-1] == f"We're eight engineers. Back to the question: {question}"
    assert clarified[-1] == "I mean a service you changed at work."
    current = rig.engine.current
    assert current is not None and current.turns == ()  # neither was scored as an answer
    assert current.clarifications == ("I mean a service you changed at work.",)


def test_the_answer_part_of_a_mixed_message_is_kept(tmp_path: Path) -> None:
    async def main() -> Rig:
        async with text_rig(tmp_path, BACKEND, conn_options=retrying()) as rig:
            await rig.turn("Ready.")
            await rig.turn("I rebuilt our invoice export job and wrote the worker myself."
                           " Sorry, could you repeat the last part of the question?")
        return rig

    rig = run(main())
    current = rig.engine.current
    assert current is not None and current.repeats == 1
    assert [t.text for t in current.turns] == [
        "I rebuilt our invoice export job and wrote the worker myself."]
