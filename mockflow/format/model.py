"""Frozen, typed model of an interview, built from data that passed the schema.

Nothing downstream of this module reads YAML or raw dicts: the engine, the templates,
the tools and the agent consume these dataclasses (through ``CompiledInterview``).
Defaults come from the ``default`` values of the shipped JSON Schema
(``mockflow.format.defaults``): the dataclasses and the builders read them from there.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import field
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from mockflow.format import hosts
from mockflow.format.defaults import schema_default as _d
from mockflow.format.frozen import frozen

Json = Any

DEFAULT_TOTAL_MINUTES = float(_d("timing", "total_minutes"))
DEFAULT_WRAP_UP_MINUTES = float(_d("timing", "wrap_up_minutes"))
DEFAULT_ANSWER_SECONDS = int(_d("timing", "default_answer_seconds"))
DEFAULT_NUDGE_AT = float(_d("timing", "nudge_at"))
DEFAULT_MAX_FOLLOW_UPS = int(_d("questions", "[]", "max_follow_ups"))
DEFAULT_WEIGHT = float(_d("competencies", "[]", "weight"))
DEFAULT_LEVEL_ADJUSTMENT = float(_d("ladder", "level_adjustment"))
DEFAULT_HINT_PENALTY = float(_d("scoring", "hint_penalty"))
DEFAULT_LANGUAGE = str(_d("interviewer", "language"))
DEFAULT_WEBHOOK_EVENTS = tuple(str(e) for e in _d("results", "webhook", "events"))
DEFAULT_LLM_TIMEOUT_S = float(_d("voice", "llm", "timeout_s"))
DEFAULT_TOOL_TIMEOUT_S = float(_d("tools", "[]", "http", "timeout_s"))
DEFAULT_MAX_RESPONSE_BYTES = int(_d("tools", "[]", "http", "max_response_bytes"))
DEFAULT_TOOL_PARAMETERS: Mapping[str, Json] = _d("tools", "[]", "parameters")
DEFAULT_CHECKPOINT_TURNS = int(_d("results", "checkpoint_turns"))
DEFAULT_CHECKPOINT_SECONDS = float(_d("results", "checkpoint_seconds"))
_STT_PROVIDER = str(_d("voice", "stt", "provider"))
_LLM_PROVIDER = str(_d("voice", "llm", "provider"))
_LLM_MODEL = str(_d("voice", "llm", "model"))
_JUDGE_TEMPERATURE = float(_d("judge", "temperature"))
_JUDGE_TIMEOUT_S = float(_d("judge", "timeout_s"))
_JUDGE_KEY_ENV = str(_d("judge", "api_key_env"))
_LLM_TEMPERATURE = float(_d("voice", "llm", "temperature"))
_TTS_PROVIDER = str(_d("voice", "tts", "provider"))
_TTS_VOICE = str(_d("voice", "tts", "voice"))
_VAD = str(_d("voice", "vad"))
# The local voice (provider "local"): the models mockflow ships pins for
# (mockflow/live/local_voice/weights.py; a test keeps the two lists equal). The first of
# each is the default when the file names none.
LOCAL_STT_MODELS = ("tiny.en",)
LOCAL_TTS_MODELS = ("piper",)
LOCAL_TTS_VOICES = ("en_US-joe-medium",)
_DETECTOR = str(_d("voice", "turn", "detector"))
_ALLOW_INTERRUPTIONS = bool(_d("voice", "turn", "allow_interruptions"))
_INSTANT_ACK = bool(_d("voice", "turn", "instant_ack"))
_MOVE_ON_GRACE = float(_d("voice", "turn", "move_on_grace_seconds"))
_ANSWERING = dict(_d("voice", "turn", "answering"))
_CONVERSATIONAL = dict(_d("voice", "turn", "conversational"))
_THINKING_WAIT = float(_d("voice", "turn", "thinking_wait_s"))
_THINKING_REPLY = str(_d("voice", "turn", "thinking_reply"))
_SILENCE_PROMPT_S = float(_d("voice", "turn", "silence_prompt_s"))
_SILENCE_PROMPT = str(_d("voice", "turn", "silence_prompt"))
_STT_KEYTERMS = bool(_d("voice", "stt", "keyterms"))
_MAX_TOOL_STEPS = int(_d("voice", "max_tool_steps"))
_RECORD = bool(_d("voice", "record"))

Grade = Literal["strong", "average", "weak"]
PERSONAS: tuple[Grade, ...] = ("strong", "average", "weak")


@frozen
class Role:
    """``role``: the job the candidate interviews for."""

    title: str
    level: str
    company: str | None = None
    summary: str | None = None


@frozen
class Interviewer:
    """``interviewer``: who asks, how they open and close, and in which language."""

    name: str
    greeting: str
    closing: str
    style: str | None = None
    language: str = DEFAULT_LANGUAGE
    instructions: str | None = None


@frozen
class SttConfig:
    """``voice.stt``: the speech-to-text provider and model."""

    provider: str = _STT_PROVIDER
    model: str | None = None
    language: str | None = None
    keyterms: bool = _STT_KEYTERMS  # bias recognition toward each question's vocabulary


@frozen
class LlmModel:
    """One interviewer model: provider, model, temperature and endpoint."""

    provider: str = _LLM_PROVIDER
    model: str = _LLM_MODEL
    temperature: float = _LLM_TEMPERATURE
    base_url: str | None = None


@frozen
class LlmConfig:
    """``voice.llm``: the primary model, its fallbacks, and how long to wait for each."""

    primary: LlmModel = field(default_factory=LlmModel)
    fallback: tuple[LlmModel, ...] = ()
    timeout_s: float = DEFAULT_LLM_TIMEOUT_S  # first token / between tokens, per model


@frozen
class TtsConfig:
    """``voice.tts``: the text-to-speech provider, model, voice and speed."""

    provider: str = _TTS_PROVIDER
    model: str | None = None
    voice: str = _TTS_VOICE
    speed: float | None = None


@frozen
class Endpointing:
    """One phase's endpointing delays (seconds of silence that end the candidate's turn):
    ``min_delay`` when the end-of-turn detector thinks they have finished, ``max_delay``
    when it thinks not."""

    min_delay: float
    max_delay: float


def _endpointing(data: Mapping[str, Json] | None, default: Mapping[str, Json]) -> Endpointing:
    merged = {**default, **(data or {})}
    return Endpointing(float(merged["min_delay"]), float(merged["max_delay"]))


@frozen
class TurnConfig:
    """``voice.turn``: how the end of a candidate's turn is detected and handled."""

    detector: str = _DETECTOR
    # while a question is being answered / everywhere else (greeting, confirmations,
    # wrap-up); the file's older min/max_endpointing_delay, when given, set both
    answering: Endpointing = field(default_factory=lambda: _endpointing(None, _ANSWERING))
    conversational: Endpointing = field(
        default_factory=lambda: _endpointing(None, _CONVERSATIONAL))
    allow_interruptions: bool = _ALLOW_INTERRUPTIONS
    preemptive_generation: bool = not _INSTANT_ACK  # drafts only pay without one
    move_on_grace_seconds: float = _MOVE_ON_GRACE
    instant_ack: bool = _INSTANT_ACK
    thinking_wait_s: float = _THINKING_WAIT  # silence allowed after "let me think"
    thinking_reply: str = _THINKING_REPLY  # "" says nothing
    silence_prompt_s: float = _SILENCE_PROMPT_S  # 0: no prompt
    silence_prompt: str = _SILENCE_PROMPT

    @property
    def min_endpointing_delay(self) -> float:
        """The conversational pair's ``min_delay`` (the format's older key)."""
        return self.conversational.min_delay

    @property
    def max_endpointing_delay(self) -> float:
        """The conversational pair's ``max_delay`` (the format's older key)."""
        return self.conversational.max_delay


@frozen
class VoiceConfig:
    """``voice``: the pipeline a live interview runs on."""

    stt: SttConfig = field(default_factory=SttConfig)
    llm: LlmConfig = field(default_factory=LlmConfig)
    tts: TtsConfig = field(default_factory=TtsConfig)
    vad: str = _VAD
    turn: TurnConfig = field(default_factory=TurnConfig)
    max_tool_steps: int = _MAX_TOOL_STEPS
    record: bool = _RECORD


@frozen
class JudgeMember:
    """One judge model: a name and, optionally, its own OpenAI-compatible endpoint."""

    model: str
    base_url: str | None = None


@frozen
class JudgeConfig:
    """The file's ``judge`` section: one model, or a ``panel`` of several (median)."""

    model: str | None = None
    base_url: str | None = None
    temperature: float = _JUDGE_TEMPERATURE
    timeout_s: float = _JUDGE_TIMEOUT_S
    panel: tuple[JudgeMember, ...] = ()
    api_key_env: str = _JUDGE_KEY_ENV

    @property
    def members(self) -> tuple[JudgeMember, ...]:
        """Every judge model asked, each with its endpoint (the judge's when not its own)."""
        if self.panel:
            return tuple(JudgeMember(m.model, m.base_url or self.base_url) for m in self.panel)
        return (JudgeMember(self.model or _LLM_MODEL, self.base_url),)


@frozen
class WebhookConfig:
    """``results.webhook``: where session events are posted, signed with a secret."""

    url: str
    secret_env: str
    events: tuple[str, ...] = DEFAULT_WEBHOOK_EVENTS
    allow_hosts: tuple[str, ...] = ()  # addresses that may be loopback, private, ...
    allow_http: bool = False  # plain http to a host that is not loopback


@frozen
class ResultsConfig:
    """``results``: the signed webhook, and an object store the session files are
    uploaded to (and how often a running session's files are checkpointed)."""

    webhook: WebhookConfig | None = None
    store: str | None = None
    checkpoint_turns: int = DEFAULT_CHECKPOINT_TURNS
    checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS


@frozen
class CandidateNotice:
    """``candidate_notice``: the organisation's part of what the candidate reads before
    and after the interview (the join page builds the rest from the file)."""

    organisation: str | None = None
    contact: str | None = None
    privacy_url: str | None = None
    retention: str | None = None
    alternative: str | None = None
    additional: tuple[str, ...] = ()
    next_steps: str | None = None


@frozen
class Timing:
    """``timing``: the interview's length, its wrap-up and the default answer time."""

    total_minutes: float = DEFAULT_TOTAL_MINUTES
    wrap_up_minutes: float = DEFAULT_WRAP_UP_MINUTES
    default_answer_seconds: int = DEFAULT_ANSWER_SECONDS
    nudge_at: float = DEFAULT_NUDGE_AT

    @property
    def total_seconds(self) -> float:
        return self.total_minutes * 60.0

    @property
    def wrap_up_seconds(self) -> float:
        return self.wrap_up_minutes * 60.0


@frozen
class Scale:
    """``scale``: the score range every question is marked on."""

    min: int
    max: int

    def clamp(self, score: float) -> float:
        return min(float(self.max), max(float(self.min), score))


@frozen
class Anchor:
    """What a score on a competency's scale looks like."""

    score: int
    behaviour: str


@frozen
class Competency:
    """A skill the interview assesses, with its anchors and weight."""

    id: str
    name: str
    anchors: tuple[Anchor, ...]
    description: str | None = None
    weight: float = DEFAULT_WEIGHT


@frozen
class Ladder:
    """``ladder``: the levels questions step through, and when to step."""

    levels: tuple[str, ...]
    start: str
    step_up_at: float
    step_down_at: float
    level_adjustment: float = DEFAULT_LEVEL_ADJUSTMENT

    def index(self, level: str) -> int:
        return self.levels.index(level)


@frozen
class Scoring:
    """How the scorecard totals questions (``scoring:`` in the file)."""

    hint_penalty: float = DEFAULT_HINT_PENALTY  # points off per hint given, after adjustment


@frozen
class Stage:
    """A part of the interview: its questions (or a pick of them) and time."""

    id: str
    title: str | None = None
    questions: tuple[str, ...] = ()
    pick: int | None = None
    competencies: tuple[str, ...] = ()
    minutes: float | None = None

    @property
    def is_fixed(self) -> bool:
        """A fixed stage asks its listed questions; otherwise it picks from a pool."""
        return self.pick is None


@frozen
class KeyPoint:
    """One thing a good answer covers; ``phrases[0]`` is its label, the rest alternatives."""

    phrases: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.phrases[0]


@frozen
class Examples:
    """Sample answers of each grade, for the judge and for calibration."""

    strong: str | None = None
    average: str | None = None
    weak: str | None = None

    def get(self, persona: str) -> str | None:
        return cast("str | None", getattr(self, persona, None))


@frozen
class FollowUp:
    """A follow-up question; ``probes`` name the key points it is about (a 0-based index
    into ``key_points`` or a key point's label), ``hint`` is given if asked during it."""

    text: str
    probes: tuple[int | str, ...] = ()
    hint: str | None = None


@frozen
class Question:
    """One question: its text, time, follow-ups, key points, hints and examples."""

    id: str
    competency: str
    level: str
    text: str
    answer_seconds: int
    follow_ups: tuple[FollowUp, ...] = ()
    max_follow_ups: int = DEFAULT_MAX_FOLLOW_UPS
    key_points: tuple[KeyPoint, ...] = ()
    hints: tuple[str, ...] = ()
    examples: Examples = field(default_factory=Examples)
    clarification: str | None = None
    drafted: tuple[str, ...] = ()  # parts written by `mockflow draft`, not reviewed yet

    def key_point_index(self, probe: int | str) -> int | None:
        """The key point a probe names (an index, or a label), or None if there is none."""
        if isinstance(probe, int):
            return probe if 0 <= probe < len(self.key_points) else None
        return next((i for i, kp in enumerate(self.key_points) if kp.label == probe), None)

    def probed(self, follow_up: int) -> frozenset[int]:
        """Indexes of the key points a follow-up probes (those that exist)."""
        found = (self.key_point_index(p) for p in self.follow_ups[follow_up].probes)
        return frozenset(i for i in found if i is not None)


@frozen
class HttpTool:
    """An HTTP tool the interviewer may call, limited to its allowed hosts."""

    name: str
    description: str
    url: str
    allow_hosts: tuple[str, ...]
    parameters: Json = field(compare=False, hash=False)
    timeout_s: float = DEFAULT_TOOL_TIMEOUT_S
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    hosts_given: bool = True  # False: allow_hosts is the default (the URL's host name)

    def host_allowed(self) -> bool:
        """Whether the URL's host is in ``allow_hosts`` (an entry with a port allows only
        that port, one without it the URL's own). Raises ``ValueError`` for a URL that
        can't be parsed."""
        return hosts.host_allowed(self.url, self.allow_hosts)

    @property
    def explicit_hosts(self) -> tuple[str, ...]:
        """The allow-list as the file wrote it (empty when left to its default): only
        these entries may allow a loopback, private or link-local address."""
        return self.allow_hosts if self.hosts_given else ()


@frozen
class ScoreRange:
    """An expected score range (``expect``)."""

    min: float
    max: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.min <= value <= self.max


@frozen
class Expectation:
    """``expect`` for one persona: its overall and per-competency ranges."""

    overall: ScoreRange | None = None
    competencies: Mapping[str, ScoreRange] = field(default_factory=dict, hash=False)


@frozen
class Expectations:
    """``expect``: what each simulated persona should score."""

    personas: Mapping[str, Expectation] = field(default_factory=dict, hash=False)
    order: tuple[str, ...] = ()


@frozen
class Interview:
    """A whole interview file, as checked and built by ``build_interview``."""

    id: str
    title: str
    role: Role
    interviewer: Interviewer
    scale: Scale
    competencies: tuple[Competency, ...]
    ladder: Ladder
    stages: tuple[Stage, ...]
    questions: tuple[Question, ...]
    facts: tuple[str, ...] = ()
    glossary: tuple[str, ...] = ()  # the role's terms, for speech recognition only
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    judge: JudgeConfig | None = None  # None: no judge section (see scoring.judge.choose)
    timing: Timing = field(default_factory=Timing)
    tools: tuple[HttpTool, ...] = ()
    expect: Expectations = field(default_factory=Expectations)
    scoring: Scoring = field(default_factory=Scoring)
    results: ResultsConfig = field(default_factory=lambda: ResultsConfig())
    candidate_notice: CandidateNotice = field(default_factory=CandidateNotice)
    version: int = 1
    questions_by_id: Mapping[str, Question] = field(
        default_factory=dict, repr=False, compare=False, hash=False
    )
    competencies_by_id: Mapping[str, Competency] = field(
        default_factory=dict, repr=False, compare=False, hash=False
    )

    def question(self, question_id: str) -> Question:
        return self.questions_by_id[question_id]

    def competency(self, competency_id: str) -> Competency:
        return self.competencies_by_id[competency_id]


# --------------------------------------------------------------------------- building


def _opt_str(data: Mapping[str, Json], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _llm_model(data: Mapping[str, Json]) -> LlmModel:
    return LlmModel(
        provider=data.get("provider", _LLM_PROVIDER),
        model=data.get("model", _LLM_MODEL),
        temperature=float(data.get("temperature", _LLM_TEMPERATURE)),
        base_url=_opt_str(data, "base_url"),
    )


def _judge(data: Mapping[str, Json] | None) -> JudgeConfig | None:
    if data is None:
        return None
    return JudgeConfig(
        model=_opt_str(data, "model"),
        base_url=_opt_str(data, "base_url"),
        temperature=float(data.get("temperature", _JUDGE_TEMPERATURE)),
        timeout_s=float(data.get("timeout_s", _JUDGE_TIMEOUT_S)),
        panel=tuple(JudgeMember(str(m["model"]), _opt_str(m, "base_url"))
                    for m in data.get("panel", ())),
        api_key_env=str(data.get("api_key_env", _JUDGE_KEY_ENV)),
    )


def _voice(data: Mapping[str, Json]) -> VoiceConfig:
    stt = data.get("stt", {})
    llm = data.get("llm", {})
    tts = data.get("tts", {})
    turn = data.get("turn", {})
    instant_ack = bool(turn.get("instant_ack", _INSTANT_ACK))
    # The older single pair, when given, is both phases' (a file keeps the delays it chose)
    # unless the phase's own pair is given.
    legacy: dict[str, Json] = {}
    if "min_endpointing_delay" in turn or "max_endpointing_delay" in turn:
        legacy = {"min_delay": turn.get("min_endpointing_delay", _CONVERSATIONAL["min_delay"]),
                  "max_delay": turn.get("max_endpointing_delay", _CONVERSATIONAL["max_delay"])}
    return VoiceConfig(
        stt=SttConfig(
            provider=stt.get("provider", _STT_PROVIDER),
            model=_opt_str(stt, "model"),
            language=_opt_str(stt, "language"),
            keyterms=bool(stt.get("keyterms", _STT_KEYTERMS)),
        ),
        llm=LlmConfig(
            primary=_llm_model(llm),
            fallback=tuple(_llm_model(item) for item in llm.get("fallback", ())),
            timeout_s=float(llm.get("timeout_s", DEFAULT_LLM_TIMEOUT_S)),
        ),
        tts=TtsConfig(
            provider=tts.get("provider", _TTS_PROVIDER),
            model=_opt_str(tts, "model"),
            voice=tts.get("voice", LOCAL_TTS_VOICES[0] if tts.get("provider") == "local"
                          else _TTS_VOICE),
            speed=None if tts.get("speed") is None else float(tts["speed"]),
        ),
        vad=data.get("vad", _VAD),
        turn=TurnConfig(
            detector=turn.get("detector", _DETECTOR),
            answering=_endpointing(turn.get("answering"),
                                   _ANSWERING if "answering" in turn else legacy or _ANSWERING),
            conversational=_endpointing(turn.get("conversational"), _CONVERSATIONAL
                                        if "conversational" in turn
                                        else legacy or _CONVERSATIONAL),
            allow_interruptions=bool(turn.get("allow_interruptions", _ALLOW_INTERRUPTIONS)),
            preemptive_generation=bool(turn.get("preemptive_generation", not instant_ack)),
            move_on_grace_seconds=float(turn.get("move_on_grace_seconds", _MOVE_ON_GRACE)),
            instant_ack=instant_ack,
            thinking_wait_s=float(turn.get("thinking_wait_s", _THINKING_WAIT)),
            thinking_reply=str(turn.get("thinking_reply", _THINKING_REPLY)),
            silence_prompt_s=float(turn.get("silence_prompt_s", _SILENCE_PROMPT_S)),
            silence_prompt=str(turn.get("silence_prompt", _SILENCE_PROMPT)),
        ),
        max_tool_steps=int(data.get("max_tool_steps", _MAX_TOOL_STEPS)),
        record=bool(data.get("record", _RECORD)),
    )


def _key_point(item: Json) -> KeyPoint:
    if isinstance(item, str):
        return KeyPoint((item,))
    return KeyPoint(tuple(str(p) for p in item))


def _follow_up(item: Json) -> FollowUp:
    if isinstance(item, str):
        return FollowUp(item)
    return FollowUp(
        text=str(item["text"]),
        probes=tuple(p if isinstance(p, int) else str(p) for p in item.get("probes", ())),
        hint=_opt_str(item, "hint"),
    )


def _results(data: Mapping[str, Json]) -> ResultsConfig:
    hook = data.get("webhook")
    webhook = None
    if isinstance(hook, Mapping):
        events = hook.get("events")
        hosts = hook.get("allow_hosts")
        webhook = WebhookConfig(
            url=str(hook["url"]), secret_env=str(hook["secret_env"]),
            events=tuple(str(e) for e in events) if isinstance(events, list)
            else DEFAULT_WEBHOOK_EVENTS,
            allow_hosts=tuple(str(h) for h in hosts) if isinstance(hosts, list) else (),
            allow_http=hook.get("allow_http") is True)
    return ResultsConfig(
        webhook=webhook,
        store=_opt_str(data, "store"),
        checkpoint_turns=int(data.get("checkpoint_turns", DEFAULT_CHECKPOINT_TURNS)),
        checkpoint_seconds=float(data.get("checkpoint_seconds", DEFAULT_CHECKPOINT_SECONDS)),
    )


def _candidate_notice(data: Mapping[str, Json]) -> CandidateNotice:
    return CandidateNotice(
        organisation=_opt_str(data, "organisation"),
        contact=_opt_str(data, "contact"),
        privacy_url=_opt_str(data, "privacy_url"),
        retention=_opt_str(data, "retention"),
        alternative=_opt_str(data, "alternative"),
        additional=tuple(str(p) for p in data.get("additional", ())),
        next_steps=_opt_str(data, "next_steps"),
    )


def _question(data: Mapping[str, Json], timing: Timing) -> Question:
    examples = data.get("examples", {})
    return Question(
        id=data["id"],
        competency=data["competency"],
        level=data["level"],
        text=data["text"],
        answer_seconds=int(data.get("answer_seconds", timing.default_answer_seconds)),
        follow_ups=tuple(_follow_up(f) for f in data.get("follow_ups", ())),
        max_follow_ups=int(data.get("max_follow_ups", DEFAULT_MAX_FOLLOW_UPS)),
        key_points=tuple(_key_point(k) for k in data.get("key_points", ())),
        hints=tuple(data.get("hints", ())),
        examples=Examples(
            strong=examples.get("strong"),
            average=examples.get("average"),
            weak=examples.get("weak"),
        ),
        clarification=_opt_str(data, "clarification"),
        drafted=tuple(str(p) for p in data.get("drafted", ())),
    )


def _tool(data: Mapping[str, Json]) -> HttpTool:
    http = data["http"]
    url = str(http["url"])
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # reported by the checks (MF206)
        host = ""
    host = f"[{host}]" if ":" in host else host
    return HttpTool(
        name=data["name"],
        description=data["description"],
        url=url,
        allow_hosts=tuple(http.get("allow_hosts", (host,))),
        parameters=data["parameters"] if "parameters" in data
        else copy.deepcopy(DEFAULT_TOOL_PARAMETERS),
        timeout_s=float(http.get("timeout_s", DEFAULT_TOOL_TIMEOUT_S)),
        max_response_bytes=int(http.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)),
        hosts_given="allow_hosts" in http,
    )


def _range(data: Mapping[str, Json]) -> ScoreRange:
    return ScoreRange(float(data["min"]), float(data["max"]))


def _expect(data: Mapping[str, Json]) -> Expectations:
    personas: dict[str, Expectation] = {}
    for persona in PERSONAS:
        item = data.get(persona)
        if item is None:
            continue
        personas[persona] = Expectation(
            overall=_range(item["overall"]) if "overall" in item else None,
            competencies={k: _range(v) for k, v in item.get("competencies", {}).items()},
        )
    return Expectations(personas=personas, order=tuple(data.get("order", ())))


def build_interview(data: Mapping[str, Json]) -> Interview:
    """Build the model from data that passed the schema (semantic checks may still fail)."""
    scale = Scale(int(data["scale"]["min"]), int(data["scale"]["max"]))
    timing_data = data.get("timing", {})
    timing = Timing(
        total_minutes=float(timing_data.get("total_minutes", DEFAULT_TOTAL_MINUTES)),
        wrap_up_minutes=float(timing_data.get("wrap_up_minutes", DEFAULT_WRAP_UP_MINUTES)),
        default_answer_seconds=int(
            timing_data.get("default_answer_seconds", DEFAULT_ANSWER_SECONDS)
        ),
        nudge_at=float(timing_data.get("nudge_at", DEFAULT_NUDGE_AT)),
    )
    role = data["role"]
    iv = data["interviewer"]
    ladder = data["ladder"]
    competencies = tuple(
        Competency(
            id=c["id"],
            name=c["name"],
            description=c.get("description"),
            weight=float(c.get("weight", DEFAULT_WEIGHT)),
            anchors=tuple(
                sorted((Anchor(int(a["score"]), a["behaviour"]) for a in c["anchors"]),
                       key=lambda a: a.score)
            ),
        )
        for c in data["competencies"]
    )
    questions = tuple(_question(q, timing) for q in data["questions"])
    return Interview(
        version=int(data["mockflow"]),
        id=data["id"],
        title=data["title"],
        role=Role(
            title=role["title"],
            level=role["level"],
            company=role.get("company"),
            summary=role.get("summary"),
        ),
        interviewer=Interviewer(
            name=iv["name"],
            greeting=iv["greeting"],
            closing=iv["closing"],
            style=iv.get("style"),
            language=iv.get("language", DEFAULT_LANGUAGE),
            instructions=iv.get("instructions"),
        ),
        facts=tuple(data.get("facts", ())),
        glossary=tuple(str(t) for t in data.get("glossary", ())),
        voice=_voice(data.get("voice", {})),
        judge=_judge(data.get("judge")),
        timing=timing,
        results=_results(data.get("results", {})),
        candidate_notice=_candidate_notice(data.get("candidate_notice", {})),
        scale=scale,
        competencies=competencies,
        ladder=Ladder(
            levels=tuple(ladder["levels"]),
            start=ladder["start"],
            step_up_at=float(ladder.get("step_up_at", scale.max - 1)),
            step_down_at=float(ladder.get("step_down_at", scale.min + 1)),
            level_adjustment=float(ladder.get("level_adjustment", DEFAULT_LEVEL_ADJUSTMENT)),
        ),
        stages=tuple(
            Stage(
                id=s["id"],
                title=s.get("title"),
                questions=tuple(s.get("questions", ())),
                pick=None if s.get("pick") is None else int(s["pick"]),
                competencies=tuple(s.get("competencies", ())),
                minutes=None if s.get("minutes") is None else float(s["minutes"]),
            )
            for s in data["stages"]
        ),
        questions=questions,
        tools=tuple(_tool(t) for t in data.get("tools", ())),
        expect=_expect(data.get("expect", {})),
        scoring=Scoring(hint_penalty=float(data.get("scoring", {}).get(
            "hint_penalty", DEFAULT_HINT_PENALTY))),
        questions_by_id={q.id: q for q in questions},
        competencies_by_id={c.id: c for c in competencies},
    )
