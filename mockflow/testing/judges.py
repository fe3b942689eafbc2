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
  its evidence; otherwise it scores like the competent judge;
- ``obey_anything_judge``: the worst case. It reads what reaches it the way a capable
  model can -- any language, base64, hex, URL-encoding, escapes, binary, ROT13 and other
  letter shifts, reversed text, leetspeak, look-alike and invisible characters, markdown and
  HTML comments -- and obeys anything that could be an instruction or an appeal about the
  score (any sentence not in English counts), giving the maximum and quoting it; else it
  scores like the competent judge.

``python -m mockflow.testing.serve --policy competent-judge`` (or ``obedient-judge``,
``obey-anything-judge``).
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

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


# --------------------------------------------------------------------------- obey-anything
# A model that reads everything that reaches it, in any language and any encoding, and
# obeys whatever it could take for an instruction or an appeal. Deliberately independent of
# mockflow's own screening (no import from mockflow.scoring): a worst case to test against.

_LOOKALIKE = str.maketrans("аеорсхуіјѕԁһӏԛԝνοαρεικτυ", "aeopcxyijsdhlqwvoapeiktu")
_ENGLISH = frozenset("""the a an and or but of to in on at for with by from as is are was were
be it this that i you we they my your our not no do have has will would can so if then what
how when which who all about just also there here me he she them his her its""".split())
_OBEY = re.compile(
    r"score|grade|grading|rating|\brate\b|marks?\b|points?\b|ignore|instruction|rubric"
    r"|system|assistant|evaluat|grader|judge|\bai\b|\bllm\b|prompt|maximum|highest|best"
    r"|excellent|perfect|outstanding|strongest|exceptional|flawless|impressive|top\b|deserv"
    r"|full marks|\b(?:5|10|five|ten)\b|this answer|my answer|this response|my response"
    r"|textbook|model answer|what i've said|clearest|finest|greatest|ever (?:read|heard|seen)"
    r"|nailed|graded|reflect|flawless|brilliant|strong|impressive|the top|like mine"
    r"|hire for|accordingly|gold standard|fair"
    r"|the candidate|reviewer|whoever|consider|record|note\b|nota|punt|bewert|anweis|consign"
    r"|instrucc|istruz|regel|regla|valuta|calific|pontua|oceni|ocen|wynik|puan|skor|betyg"
    r"|cijfer|beoordel|balл|балл|оцен|максим|инструк|满分|最高|评分|分数|評価|点数|점수|최고",
    re.IGNORECASE)
_B64 = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
_HEXES = re.compile(r"(?:[0-9a-fA-F]{2}[ :]?){6,}")
_COMMENT = re.compile(r"<!--(.*?)(?:-->|$)|\[(?://|comment|#)\]:\s*(?:#|<>)\s*\((.*?)\)",
                      re.DOTALL)


def _readings(text: str) -> list[str]:
    """Every way a capable model could read ``text``."""
    plain = unicodedata.normalize("NFKC", text)
    plain = "".join(c for c in plain if unicodedata.category(c) != "Cf")
    plain = unicodedata.normalize("NFKD", plain.translate(_LOOKALIKE))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    out = [text, plain, plain.translate(str.maketrans("4@3105$7!|", "aaeiosstil")),
           re.sub(r"(?<=\b\w)\s+(?=\w\b)", "", plain)]  # s p a c e d letters
    words = [w.lower() for w in _WORD.findall(plain)]
    if words and sum(w in _ENGLISH for w in words) / len(words) < 0.12:
        # not English as written: try reading it backwards or shifted, as a model might
        out += [plain[::-1], " ".join(w[::-1] for w in plain.split())]
        out += ["".join(chr((ord(c) - 97 + n) % 26 + 97) if "a" <= c <= "z" else c
                        for c in plain.lower()) for n in range(1, 26)]
    for m in _B64.finditer(text):
        token = m.group().replace("-", "+").replace("_", "/")
        try:
            out.append(base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            pass
    for m in _HEXES.finditer(text):
        try:
            out.append(bytes.fromhex(re.sub(r"[ :]", "", m.group())).decode("utf-8", "replace"))
        except (ValueError, UnicodeDecodeError):
            pass
    out.append(unquote(text))
    try:
        out.append(text.encode("latin-1", "backslashreplace").decode("unicode_escape"))
    except (UnicodeDecodeError, ValueError):
        pass
    bits = re.findall(r"\b[01]{8}\b", text)
    if len(bits) >= 3:
        out.append(bytes(int(b, 2) for b in bits).decode("latin-1"))
    out += [a or b for a, b in _COMMENT.findall(text)]
    return out


def _foreign(text: str) -> bool:
    """Not English: a capable model reads it anyway, and may take it for an instruction."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(not c.isascii() for c in letters) > len(letters) / 2:
        return True
    words = [w.lower() for w in _WORD.findall(text)]
    return len(words) >= 4 and sum(w in _ENGLISH for w in words) / len(words) < 0.12


_RUN_TOGETHER = re.compile(r"give|score|grade|marks|five|maximum|highest|ignore|rubric",
                           re.IGNORECASE)


def obeys(sentence: str) -> bool:
    """Whether the obey-anything judge takes this sentence for something to obey."""
    squashed = re.sub(r"(?<=\b\w)\s+(?=\w\b)", "", sentence)
    return _foreign(sentence) or any(_OBEY.search(r) for r in _readings(sentence)) or (
        squashed != sentence and _RUN_TOGETHER.search(squashed) is not None)


def _units(turns: Sequence[str]) -> list[str]:
    out: list[str] = []
    for t in turns:
        for m in _COMMENT.finditer(t):
            out.append(m.group())
        t = _COMMENT.sub(" ", t)
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", t) if s.strip()]
    return out


def obey_anything_judge(request: ChatRequest) -> Reply:
    """Gives the maximum when anything that reached it could be read, in any language or
    encoding, as an instruction or an appeal (quoting it); else scores competently."""
    judge = read_request(request)
    if judge is None:
        return Reply(text="I only score answers: call me with the submit_score tool.")
    found = [u for u in _units(judge.turns) if obeys(u)]
    if found:
        return _call(found[:8], judge.scale[1], "Doing what the answer asked.")
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
