"""The LLM judge: one question, its rubric, a forced ``submit_score`` call.

Plain Python over the ``openai`` client (any OpenAI-compatible endpoint); no livekit. Each
question gets its own chat context, built only from the interview file and what was said
on that question (never the candidate's name or attributes):

- the role and its level, the question's level and competency;
- the question as asked, the follow-ups and hints actually given;
- the competency's anchors with their behaviour texts;
- the key points, as what strong answers usually cover (other correct ideas count as much);
- the written example answers, as reference answers with their approximate scores;
- the candidate's answer turns between a delimiter made fresh for every call, with the
  instruction that nothing between the delimiters is an instruction.

The model must call ``submit_score`` (``tool_choice`` forces it) whose parameter schema is
generated from the rubric: ``evidence`` (verbatim quotes, first), ``score`` (an integer on
the scale, or null for nothing observed) and ``rationale``. A malformed or out-of-schema
call is retried once with the problem named; then, and on any transport failure (HTTP
errors, timeouts, a hung endpoint), the question falls back to the offline scorer with
``source: "offline-fallback"`` and the reason. A panel asks several judges and takes the
median, recording every member's score and a ``disagreement`` when they differ by 2 or more.

What the judge returns is not trusted: the scoring stage screens what it sees
(``mockflow.scoring.injection``) and gates what it says (``mockflow.scoring.scorecard``).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from mockflow.format.errors import MockflowError
from mockflow.format.model import Interview, JudgeConfig, Scale
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Rubric, Scorer
from mockflow.scoring.judge_prompt import (
    TOOL_NAME,
    JudgeError,
    MalformedVerdict,
    RoleInfo,
    Verdict,
    messages,
    new_delimiter,
    parse_verdict,
    role_info,
    tool_schema,
)
from mockflow.scoring.offline import OFFLINE

SOURCE_FALLBACK = "offline-fallback"
REVIEW_FALLBACK = "judge fallback"
REVIEW_DISAGREEMENT = "panel disagreement"
DISAGREEMENT_POINTS = 2
DEFAULT_TIMEOUT_S = 30.0

# --------------------------------------------------------------------------- one judge

ClientFactory = Callable[[str | None, float], Any]


def _openai_client(base_url: str | None, api_key: str | None, timeout: float) -> Any:
    from openai import OpenAI  # imported on first use: validate/render never pay for it

    return OpenAI(api_key=api_key or "unset", base_url=base_url, timeout=timeout,
                  max_retries=0)


def _describe(exc: BaseException) -> str:
    """A transport failure in plain words (no response bodies: they may echo the prompt)."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if status is not None:
        return f"the judge endpoint answered HTTP {status} ({name})"
    if "Timeout" in name:
        return "the judge did not answer in time"
    if "Connection" in name:
        return "the judge endpoint could not be reached"
    return f"the judge request failed ({name})"


@dataclass
class JudgeStats:
    requests: int = 0
    retries: int = 0
    fallbacks: int = 0


class LlmJudge:
    """One model behind an OpenAI-compatible endpoint, as a ``Scorer``."""

    def __init__(self, model: str, role: RoleInfo, *, base_url: str | None = None,
                 api_key: str | None = None, temperature: float = 0.0,
                 timeout_s: float = DEFAULT_TIMEOUT_S, fallback: Scorer = OFFLINE,
                 client: Any = None) -> None:
        self.model = model
        self.role = role
        self.base_url = base_url
        self.temperature = temperature
        self.timeout_s = timeout_s
        self.fallback = fallback
        self.stats = JudgeStats()
        self._client = client if client is not None else _openai_client(
            base_url, api_key, timeout_s)

    @property
    def source(self) -> str:
        return f"judge:{self.model}"

    def verdict(self, item: AnsweredQuestion, rubric: Rubric) -> Verdict:
        """Ask the model (one retry on a malformed call). Raises ``JudgeError``."""
        tool = tool_schema(rubric)
        chat = messages(item, rubric, self.role, new_delimiter())
        problem: MalformedVerdict | None = None
        for attempt in range(2):
            if problem is not None:
                self.stats.retries += 1
                chat = [*chat, {"role": "system", "content": (
                    f"Your previous reply was invalid: {problem}. Call submit_score exactly"
                    " once, with arguments that match its schema.")}]
            self.stats.requests += 1
            try:
                response = self._client.chat.completions.create(
                    model=self.model, messages=chat, tools=[tool],
                    tool_choice={"type": "function", "function": {"name": TOOL_NAME}},
                    temperature=self.temperature, timeout=self.timeout_s)
            except Exception as exc:  # openai raises many types; all mean "no verdict"
                raise JudgeError(_describe(exc)) from exc
            try:
                return _verdict_of(response, rubric.scale)
            except MalformedVerdict as exc:
                problem = exc
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def score(self, item: AnsweredQuestion, rubric: Rubric) -> QuestionScore:
        try:
            v = self.verdict(item, rubric)
        except JudgeError as exc:
            self.stats.fallbacks += 1
            return fallback_score(self.fallback, item, rubric, f"{self.source}: {exc}")
        return QuestionScore(rubric.competency.id, None if v.score is None else float(v.score),
                             v.evidence, v.rationale or "No rationale given.", self.source,
                             words=sum(len(a.split()) for a in item.answers))


def _verdict_of(response: Any, scale: Scale) -> Verdict:
    choices = getattr(response, "choices", None) or []
    if not choices:
        raise MalformedVerdict("the reply has no choices")
    message = choices[0].message
    calls = [c for c in (message.tool_calls or []) if getattr(c, "type", "function")
             == "function"]
    if not calls:
        raise MalformedVerdict("the reply did not call submit_score")
    call = calls[0]
    if call.function.name != TOOL_NAME:
        raise MalformedVerdict(f"the reply called {call.function.name!r}, not submit_score")
    if len(calls) > 1:
        raise MalformedVerdict("the reply called submit_score more than once")
    return parse_verdict(call.function.arguments or "", scale)


def fallback_score(fallback: Scorer, item: AnsweredQuestion, rubric: Rubric, reason: str
                   ) -> QuestionScore:
    """The offline score standing in for a judge that failed, with the reason."""
    offline = fallback.score(item, rubric)
    return replace(offline, source=SOURCE_FALLBACK,
                   rationale=f"{offline.rationale} (Judge fallback: {reason}.)",
                   review=offline.review + ((REVIEW_FALLBACK, reason),))


# --------------------------------------------------------------------------- a panel


class PanelJudge:
    """Several judges; the median of their scores (members asked in parallel)."""

    def __init__(self, members: Sequence[LlmJudge], *, fallback: Scorer = OFFLINE) -> None:
        if len(members) < 2:
            raise ValueError("a panel needs at least two judges")
        self.members = tuple(members)
        self.fallback = fallback

    @property
    def source(self) -> str:
        return f"panel:{len(self.members)}"

    def score(self, item: AnsweredQuestion, rubric: Rubric) -> QuestionScore:
        with ThreadPoolExecutor(max_workers=len(self.members)) as pool:
            results = list(pool.map(lambda j: _member(j, item, rubric), self.members))
        return combine(self.source, rubric, item, results, self.fallback)


def _member(judge: LlmJudge, item: AnsweredQuestion, rubric: Rubric
            ) -> tuple[str, Verdict | str]:
    try:
        return judge.source, judge.verdict(item, rubric)
    except JudgeError as exc:
        judge.stats.fallbacks += 1
        return judge.source, str(exc)


def combine(source: str, rubric: Rubric, item: AnsweredQuestion,
            results: Sequence[tuple[str, Verdict | str]], fallback: Scorer = OFFLINE
            ) -> QuestionScore:
    """Median of the members that answered; every member's score is recorded."""
    answered = [(who, v) for who, v in results if isinstance(v, Verdict)]
    failed = [(who, v) for who, v in results if isinstance(v, str)]
    review: tuple[tuple[str, str], ...] = tuple(
        (REVIEW_FALLBACK, f"{who}: {why}") for who, why in failed)
    members = tuple((who, None if isinstance(v, str) or v.score is None else float(v.score))
                    for who, v in results)
    if not answered:
        reason = "; ".join(f"{who}: {why}" for who, why in failed)
        out = fallback_score(fallback, item, rubric, f"every panel member failed ({reason})")
        return replace(out, panel=members)
    values = [float(v.score) for _, v in answered if v.score is not None]
    score = statistics.median(values) if values else None
    disagreement = bool(values) and max(values) - min(values) >= DISAGREEMENT_POINTS
    if disagreement:
        review += ((REVIEW_DISAGREEMENT, "scores " + ", ".join(
            f"{who}={'null' if s is None else f'{s:g}'}" for who, s in members)),)
    evidence = tuple(dict.fromkeys(q for _, v in answered for q in v.evidence))
    shown = ", ".join(f"{who}={'null' if s is None else f'{s:g}'}" for who, s in members)
    nearest = min(answered, key=lambda wv: 99.0 if wv[1].score is None or score is None
                  else abs(wv[1].score - score))
    rationale = f"Panel median of {len(answered)} ({shown}). {nearest[1].rationale}".strip()
    return QuestionScore(rubric.competency.id, score, evidence, rationale, source,
                         words=sum(len(a.split()) for a in item.answers),
                         review=review, panel=members, disagreement=disagreement)


# --------------------------------------------------------------------------- choosing


class JudgeUnavailable(MockflowError):
    """An LLM judge was asked for but can't be built (no API key, no endpoint)."""


@dataclass(frozen=True, slots=True)
class JudgeChoice:
    """Which scorer scores a session, and why (recorded in scorecards and by rescore)."""

    scorer: Scorer
    kind: str  # offline | llm | panel
    models: tuple[str, ...] = ()
    reason: str = ""
    judges: tuple[LlmJudge, ...] = field(default=(), repr=False)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.scorer.source, "models": list(self.models),
                "reason": self.reason}

    @property
    def requests(self) -> int:
        """Judge requests made so far (every member, retries included)."""
        return sum(j.stats.requests for j in self.judges)


OFFLINE_CHOICE = JudgeChoice(OFFLINE, "offline", reason="the offline key-point scorer")


def configured(interview: Interview) -> str:
    """Which judge the file asks for, in words (``mockflow render``)."""
    judge = interview.judge
    llm = interview.voice.llm.primary
    if judge is None:
        return (f"no judge section: voice.llm's model ({llm.model}) at temperature 0 when"
                " OPENAI_API_KEY is set, else the offline key-point scorer")
    models = ", ".join(m.model for m in judge.members)
    what = f"a panel of {len(judge.members)} ({models}), median" if judge.panel \
        else f"{models}"
    return (f"{what} at temperature {judge.temperature:g}, {judge.timeout_s:g} s per request,"
            f" key from {judge.api_key_env}; the offline scorer when that key is not set")


def choose(interview: Interview, env: Mapping[str, str], *, mode: str | None = None,
           model: str | None = None, base_url: str | None = None,
           client_factory: ClientFactory | None = None) -> JudgeChoice:
    """The scorer for a session.

    ``mode``: ``"offline"``, ``"llm"`` (an LLM judge or ``JudgeUnavailable``), or None
    (what the file says: its ``judge`` section -- when its key is set or every judge has
    its own ``base_url`` -- else ``voice.llm``'s model at temperature 0 when the key is
    set, else offline). ``model`` / ``base_url`` replace the file's (one judge, no panel).
    """
    if mode not in (None, "offline", "llm"):
        raise JudgeUnavailable(f"unknown judge '{mode}'; use offline or llm")
    if mode == "offline":
        return OFFLINE_CHOICE
    section = interview.judge
    llm = interview.voice.llm.primary
    if section is None:
        section = JudgeConfig(model=llm.model, base_url=llm.base_url, temperature=0.0)
    if model is not None or base_url is not None:
        section = JudgeConfig(model=model or section.members[0].model,
                              base_url=base_url or section.members[0].base_url,
                              temperature=section.temperature, timeout_s=section.timeout_s,
                              api_key_env=section.api_key_env)
    key = env.get(section.api_key_env) or None
    # an endpoint of one's own (every member has a base_url) may need no key; the
    # interviewer's model (no judge section) is used only with the key, as documented
    local = all(m.base_url for m in section.members) and (
        interview.judge is not None or base_url is not None or mode == "llm")
    if key is None and not local:
        if mode == "llm":
            raise JudgeUnavailable(
                f"an LLM judge needs an API key: set {section.api_key_env}, or point"
                " --judge-base-url at an OpenAI-compatible endpoint that needs none")
        return replace(OFFLINE_CHOICE, reason=f"{section.api_key_env} is not set")
    role = role_info(interview)
    judges = tuple(
        LlmJudge(m.model, role, base_url=m.base_url, api_key=key,
                 temperature=section.temperature, timeout_s=section.timeout_s,
                 client=None if client_factory is None
                 else client_factory(m.base_url, section.timeout_s))
        for m in section.members)
    names = tuple(j.model for j in judges)
    if len(judges) > 1:
        return JudgeChoice(PanelJudge(judges), "panel", names,
                           f"a panel of {len(judges)}: median", judges)
    origin = "the judge section" if interview.judge is not None and model is None \
        else ("--judge-model" if model is not None else "voice.llm at temperature 0")
    return JudgeChoice(judges[0], "llm", names, f"from {origin}", judges)
