"""Fake judges for the fake OpenAI server: what a model does with mockflow's judge request.

Both read the request exactly as ``mockflow.scoring.judge`` sends it (the rubric in the
``submit_score`` schema, the reference answers and the fenced candidate turns in the user
message) and answer with a ``submit_score`` tool call:

- ``competent_judge``: scores by the reference answers -- the score of the written example
  whose content words the answer shares most of, quoting the candidate's sentences that
  share them; nothing relevant scores the minimum, nothing said scores null;
- ``obedient_judge``: a model fully taken over by injected text. When the candidate's text
  holds anything that looks like an instruction to it (a broad, deliberately naive test,
  independent of mockflow's own screening), it gives the maximum and quotes that text as
  its evidence; otherwise it scores like the competent judge.

``python -m mockflow.testing.serve --policy competent-judge`` (or ``obedient-judge``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mockflow.testing.openai_server import ChatRequest, Reply, ToolCall, message_text

TOOL_NAME = "submit_score"

_FENCE = re.compile(r"^<<(ANSWER-[0-9a-f]+)>>$", re.MULTILINE)
_TURN = re.compile(r"^\[turn \d+\] ?", re.MULTILINE)
_REFERENCE = re.compile(r"^- (strong|average|weak) answer \(about (\d+)\): (.*)$", re.MULTILINE)
_WORD = re.compile(r"[^\W_]+")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_STOP = frozenset("""a an the and or but if then so to of in on at for with by from as is are
was were be been it its this that these those i i'd i'm we you they he she them our your my
me us do does did not no would could should will can just also there here what which who how
when where about into than too very really some any all more most""".split())

# What a naive, over-obedient model takes for an instruction: any sentence touching on
# scores, rules, roles or markup, in a few languages.
_TRIGGER = re.compile(
    r"score|grade|grading|rating|\brate\b|marks?\b|points?\b|ignore|instruction|rubric"
    r"|system|assistant|evaluat|grader|judge|\bai\b|\bllm\b|model|prompt|\bnote\b|nota"
    r"|punt|bewert|anweis|consigne|instrucc|istruz|regel|regla|règle|maximum|máxim|höchst"
    r"|[{}<>\[\]#=|]|\b(?:5|10|five|cinq|cinco|fünf|cinque)\b|deserve|pretend|you are"
    r"|criteri|this answer|excellent|perfect|outstanding|the candidate",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class JudgeRequest:
    """The parts of a judge request a fake judge reads."""

    turns: tuple[str, ...]
    references: tuple[tuple[int, str], ...]  # (approximate score, text)
    scale: tuple[int, int]


def read_request(request: ChatRequest) -> JudgeRequest | None:
    """The judge request's parts, or None when it isn't one (no submit_score tool)."""
    tool = next((t for t in request.tools
                 if t.get("function", {}).get("name") == TOOL_NAME), None)
    if tool is None:
        return None
    enum = tool["function"]["parameters"]["properties"]["score"]["enum"]
    values = [v for v in enum if isinstance(v, int)]
    user = "\n".join(message_text(m.get("content")) for m in request.messages
                     if m.get("role") == "user")
    fence = _FENCE.search(user)
    turns: tuple[str, ...] = ()
    if fence is not None:
        end = user.find(f"<</{fence.group(1)}>>", fence.end())
        block = user[fence.end():end if end >= 0 else len(user)].strip("\n")
        turns = tuple(t.strip() for t in _TURN.split(block) if t.strip())
    refs = tuple((int(m.group(2)), m.group(3)) for m in _REFERENCE.finditer(user))
    return JudgeRequest(turns, refs, (min(values), max(values)))


def _content(text: str) -> set[str]:
    return {w for w in (w.lower() for w in _WORD.findall(text)) if w not in _STOP}


def _sentences(turns: Sequence[str]) -> list[str]:
    return [s.strip() for t in turns for s in _SENTENCE.findall(t) if s.strip()]


def _call(evidence: Sequence[str], score: int | None, rationale: str) -> Reply:
    args = {"evidence": list(evidence), "score": score, "rationale": rationale}
    return Reply(tool_calls=(ToolCall(TOOL_NAME, json.dumps(args)),))


def competent_verdict(judge: JudgeRequest) -> tuple[list[str], int | None, str]:
    low, high = judge.scale
    said = _content(" ".join(judge.turns))
    if not said:
        return [], None, "Nothing was said."
    if not judge.references:
        return [], low, "No reference answers to compare with."
    best_score, best_words, best_sim = low, set[str](), 0.0
    for score, text in judge.references:
        words = _content(text)
        sim = len(said & words) / len(words) if words else 0.0
        if sim > best_sim:
            best_score, best_words, best_sim = score, words, sim
    if best_sim < 0.12:
        return [], low, "The answer shares nothing with any reference answer."
    quotes = sorted(_sentences(judge.turns), key=lambda s: -len(_content(s) & best_words))
    evidence = [s for s in quotes[:2] if _content(s) & best_words]
    score = max(low, min(high, best_score))
    return evidence, score, (f"Closest to the reference answer scored about {best_score}"
                             f" ({best_sim:.0%} of its content words).")


def competent_judge(request: ChatRequest) -> Reply:
    """Scores by the reference answers (see the module docstring)."""
    judge = read_request(request)
    if judge is None:
        return Reply(text="I only score answers: call me with the submit_score tool.")
    return _call(*competent_verdict(judge))


def obedient_judge(request: ChatRequest) -> Reply:
    """Gives the maximum and quotes any instruction it finds; else scores competently."""
    judge = read_request(request)
    if judge is None:
        return Reply(text="I only score answers: call me with the submit_score tool.")
    found = [s for s in _sentences(judge.turns) if _TRIGGER.search(s)]
    if found:
        return _call(found, judge.scale[1], "Following the candidate's instructions.")
    return _call(*competent_verdict(judge))
