"""Frozen, typed model of an interview, built from data that passed the schema.

Nothing downstream of this module reads YAML or raw dicts: the engine, the templates,
the tools and the agent consume these dataclasses (through ``CompiledInterview``).
Defaults come from the ``default`` values of the shipped JSON Schema
(``mockflow.format.defaults``): the dataclasses and the builders read them from there.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from mockflow.format.defaults import schema_default as _d

Json = Any

DEFAULT_TOTAL_MINUTES = float(_d("timing", "total_minutes"))
DEFAULT_WRAP_UP_MINUTES = float(_d("timing", "wrap_up_minutes"))
DEFAULT_ANSWER_SECONDS = int(_d("timing", "default_answer_seconds"))
DEFAULT_NUDGE_AT = float(_d("timing", "nudge_at"))
DEFAULT_MAX_FOLLOW_UPS = int(_d("questions", "[]", "max_follow_ups"))
DEFAULT_WEIGHT = float(_d("competencies", "[]", "weight"))
DEFAULT_LEVEL_ADJUSTMENT = float(_d("ladder", "level_adjustment"))
DEFAULT_LANGUAGE = str(_d("interviewer", "language"))
DEFAULT_TOOL_TIMEOUT_S = float(_d("tools", "[]", "http", "timeout_s"))
DEFAULT_MAX_RESPONSE_BYTES = int(_d("tools", "[]", "http", "max_response_bytes"))
DEFAULT_TOOL_PARAMETERS: Mapping[str, Json] = _d("tools", "[]", "parameters")
_STT_PROVIDER = str(_d("voice", "stt", "provider"))
_LLM_PROVIDER = str(_d("voice", "llm", "provider"))
_LLM_MODEL = str(_d("voice", "llm", "model"))
_LLM_TEMPERATURE = float(_d("voice", "llm", "temperature"))
_TTS_PROVIDER = str(_d("voice", "tts", "provider"))
_TTS_VOICE = str(_d("voice", "tts", "voice"))
_VAD = str(_d("voice", "vad"))
_DETECTOR = str(_d("voice", "turn", "detector"))
_MIN_ENDPOINTING = float(_d("voice", "turn", "min_endpointing_delay"))
_MAX_ENDPOINTING = float(_d("voice", "turn", "max_endpointing_delay"))
_ALLOW_INTERRUPTIONS = bool(_d("voice", "turn", "allow_interruptions"))
_INSTANT_ACK = bool(_d("voice", "turn", "instant_ack"))
_MOVE_ON_GRACE = float(_d("voice", "turn", "move_on_grace_seconds"))
_MAX_TOOL_STEPS = int(_d("voice", "max_tool_steps"))
_RECORD = bool(_d("voice", "record"))

Grade = Literal["strong", "average", "weak"]
PERSONAS: tuple[Grade, ...] = ("strong", "average", "weak")


@dataclass(frozen=True, slots=True)
class Role:
    title: str
    level: str
    company: str | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class Interviewer:
    name: str
    greeting: str
    closing: str
    style: str | None = None
    language: str = DEFAULT_LANGUAGE
    instructions: str | None = None


@dataclass(frozen=True, slots=True)
class SttConfig:
    provider: str = _STT_PROVIDER
    model: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class LlmModel:
    provider: str = _LLM_PROVIDER
    model: str = _LLM_MODEL
    temperature: float = _LLM_TEMPERATURE
    base_url: str | None = None


@dataclass(frozen=True, slots=True)
class LlmConfig:
    primary: LlmModel = field(default_factory=LlmModel)
    fallback: tuple[LlmModel, ...] = ()


@dataclass(frozen=True, slots=True)
class TtsConfig:
    provider: str = _TTS_PROVIDER
    model: str | None = None
    voice: str = _TTS_VOICE
    speed: float | None = None


@dataclass(frozen=True, slots=True)
class TurnConfig:
    detector: str = _DETECTOR
    min_endpointing_delay: float = _MIN_ENDPOINTING
    max_endpointing_delay: float = _MAX_ENDPOINTING
    allow_interruptions: bool = _ALLOW_INTERRUPTIONS
    preemptive_generation: bool = not _INSTANT_ACK  # drafts only pay without one
    move_on_grace_seconds: float = _MOVE_ON_GRACE
    instant_ack: bool = _INSTANT_ACK


@dataclass(frozen=True, slots=True)
class VoiceConfig:
    stt: SttConfig = field(default_factory=SttConfig)
    llm: LlmConfig = field(default_factory=LlmConfig)
    tts: TtsConfig = field(default_factory=TtsConfig)
    vad: str = _VAD
    turn: TurnConfig = field(default_factory=TurnConfig)
    max_tool_steps: int = _MAX_TOOL_STEPS
    record: bool = _RECORD


@dataclass(frozen=True, slots=True)
class Timing:
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


@dataclass(frozen=True, slots=True)
class Scale:
    min: int
    max: int

    def clamp(self, score: float) -> float:
        return min(float(self.max), max(float(self.min), score))


@dataclass(frozen=True, slots=True)
class Anchor:
    score: int
    behaviour: str


@dataclass(frozen=True, slots=True)
class Competency:
    id: str
    name: str
    anchors: tuple[Anchor, ...]
    description: str | None = None
    weight: float = DEFAULT_WEIGHT


@dataclass(frozen=True, slots=True)
class Ladder:
    levels: tuple[str, ...]
    start: str
    step_up_at: float
    step_down_at: float
    level_adjustment: float = DEFAULT_LEVEL_ADJUSTMENT

    def index(self, level: str) -> int:
        return self.levels.index(level)


@dataclass(frozen=True, slots=True)
class Stage:
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


@dataclass(frozen=True, slots=True)
class KeyPoint:
    """One thing a good answer covers; ``phrases[0]`` is its label, the rest alternatives."""

    phrases: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.phrases[0]


@dataclass(frozen=True, slots=True)
class Examples:
    strong: str | None = None
    average: str | None = None
    weak: str | None = None

    def get(self, persona: str) -> str | None:
        return cast("str | None", getattr(self, persona, None))


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    competency: str
    level: str
    text: str
    answer_seconds: int
    follow_ups: tuple[str, ...] = ()
    max_follow_ups: int = DEFAULT_MAX_FOLLOW_UPS
    key_points: tuple[KeyPoint, ...] = ()
    hints: tuple[str, ...] = ()
    examples: Examples = field(default_factory=Examples)


@dataclass(frozen=True, slots=True)
class HttpTool:
    name: str
    description: str
    url: str
    allow_hosts: tuple[str, ...]
    parameters: Json = field(compare=False, hash=False)
    timeout_s: float = DEFAULT_TOOL_TIMEOUT_S
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    def host_allowed(self) -> bool:
        """Whether the URL's host (with or without its port) is in ``allow_hosts``.
        Raises ``ValueError`` for a URL that can't be parsed."""
        parts = urlsplit(self.url)
        return parts.netloc in self.allow_hosts or (parts.hostname or "") in self.allow_hosts


@dataclass(frozen=True, slots=True)
class ScoreRange:
    min: float
    max: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.min <= value <= self.max


@dataclass(frozen=True, slots=True)
class Expectation:
    overall: ScoreRange | None = None
    competencies: Mapping[str, ScoreRange] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Expectations:
    personas: Mapping[str, Expectation] = field(default_factory=dict, hash=False)
    order: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Interview:
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
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    timing: Timing = field(default_factory=Timing)
    tools: tuple[HttpTool, ...] = ()
    expect: Expectations = field(default_factory=Expectations)
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


def _voice(data: Mapping[str, Json]) -> VoiceConfig:
    stt = data.get("stt", {})
    llm = data.get("llm", {})
    tts = data.get("tts", {})
    turn = data.get("turn", {})
    instant_ack = bool(turn.get("instant_ack", _INSTANT_ACK))
    return VoiceConfig(
        stt=SttConfig(
            provider=stt.get("provider", _STT_PROVIDER),
            model=_opt_str(stt, "model"),
            language=_opt_str(stt, "language"),
        ),
        llm=LlmConfig(
            primary=_llm_model(llm),
            fallback=tuple(_llm_model(item) for item in llm.get("fallback", ())),
        ),
        tts=TtsConfig(
            provider=tts.get("provider", _TTS_PROVIDER),
            model=_opt_str(tts, "model"),
            voice=tts.get("voice", _TTS_VOICE),
            speed=None if tts.get("speed") is None else float(tts["speed"]),
        ),
        vad=data.get("vad", _VAD),
        turn=TurnConfig(
            detector=turn.get("detector", _DETECTOR),
            min_endpointing_delay=float(turn.get("min_endpointing_delay", _MIN_ENDPOINTING)),
            max_endpointing_delay=float(turn.get("max_endpointing_delay", _MAX_ENDPOINTING)),
            allow_interruptions=bool(turn.get("allow_interruptions", _ALLOW_INTERRUPTIONS)),
            preemptive_generation=bool(turn.get("preemptive_generation", not instant_ack)),
            move_on_grace_seconds=float(turn.get("move_on_grace_seconds", _MOVE_ON_GRACE)),
            instant_ack=instant_ack,
        ),
        max_tool_steps=int(data.get("max_tool_steps", _MAX_TOOL_STEPS)),
        record=bool(data.get("record", _RECORD)),
    )


def _key_point(item: Json) -> KeyPoint:
    if isinstance(item, str):
        return KeyPoint((item,))
    return KeyPoint(tuple(str(p) for p in item))


def _question(data: Mapping[str, Json], timing: Timing) -> Question:
    examples = data.get("examples", {})
    return Question(
        id=data["id"],
        competency=data["competency"],
        level=data["level"],
        text=data["text"],
        answer_seconds=int(data.get("answer_seconds", timing.default_answer_seconds)),
        follow_ups=tuple(data.get("follow_ups", ())),
        max_follow_ups=int(data.get("max_follow_ups", DEFAULT_MAX_FOLLOW_UPS)),
        key_points=tuple(_key_point(k) for k in data.get("key_points", ())),
        hints=tuple(data.get("hints", ())),
        examples=Examples(
            strong=examples.get("strong"),
            average=examples.get("average"),
            weak=examples.get("weak"),
        ),
    )


def _tool(data: Mapping[str, Json]) -> HttpTool:
    http = data["http"]
    url = str(http["url"])
    try:
        host = urlsplit(url).netloc
    except ValueError:  # reported by the checks (MF206)
        host = ""
    return HttpTool(
        name=data["name"],
        description=data["description"],
        url=url,
        allow_hosts=tuple(http.get("allow_hosts", (host,))),
        parameters=data["parameters"] if "parameters" in data
        else copy.deepcopy(DEFAULT_TOOL_PARAMETERS),
        timeout_s=float(http.get("timeout_s", DEFAULT_TOOL_TIMEOUT_S)),
        max_response_bytes=int(http.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)),
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
        voice=_voice(data.get("voice", {})),
        timing=timing,
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
        questions_by_id={q.id: q for q in questions},
        competencies_by_id={c.id: c for c in competencies},
    )
