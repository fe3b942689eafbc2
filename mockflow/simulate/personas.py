"""Simulated candidates (plain Python, no livekit): personas and what they say.

A persona knows what a candidate could know and nothing more: the role, each question as
written, the file's example answer of its grade, and the interview's clock rules (answer
budgets, when the nudge comes). It gets them through ``InterviewView``, built by
``view_of`` from the interview: the view has no key points (nor their alternative
phrasings), hints, anchors or competency definitions, so a persona can't echo the
scorer's inputs even by accident. ``tests/test_simulate.py`` checks that a persona
answers identically when those inputs are removed from the file.

Offline personas (``strong``, ``average``, ``weak``) say their grade's example answer
with seeded variation: fillers, a hesitant start, two sentences swapped, the last
sentence held back (said when a follow-up comes), an occasional off-topic sentence. A
persona file (YAML, docs/simulate.md; read by ``mockflow.simulate.persona_files``) picks a grade
and adds behaviours: asking for a repeat or a hint, going silent, rambling past the time
budget, trying to talk the interviewer into a good score, leaving after N questions.

Time. Every turn carries how long it takes on the interview's clock (speech at
``WORDS_PER_SECOND``) and the points inside it where the interviewer's timer is due (the
nudge at 80 % of a budget, the move-on at 100 %, the end of the interview). The driver
(``mockflow.simulate.runner``) advances its virtual clock to each point, lets the timer speak,
then says the turn. A turn that would run into a move-on is cut ``CUT_MARGIN`` seconds
before it; the driver hands those words to the interviewer as live transcription and its
timer moves on, keeping them. Silence runs past the move-on. That keeps every run deterministic: the
clock only moves when the persona speaks or stays silent, never by real time.

Every random choice comes from ``random.Random`` seeded with the run's seed, the grade,
the question and the purpose of the draw, so the same seed gives the same answers, and a
behaviour switched on or off doesn't change the other draws.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from mockflow.format.errors import MockflowError
from mockflow.format.model import PERSONAS, Grade, Interview

GRADES: tuple[Grade, ...] = PERSONAS
WORDS_PER_SECOND = 2.5  # conversational speech
CUT_MARGIN = 1.0  # a turn that would run into a move-on is said this long before it
PAST = 0.5  # silence runs this far past a move-on so the timer has certainly fired
NUDGE_PAST = 0.01
MIN_CUT_WORDS = 3  # fewer words than this fit before a move-on: say nothing
RAMBLE_FACTOR = 1.3  # a rambling answer would take this many times the time left

StepKind = Literal["greeting", "answer", "follow_up", "repeat", "hint", "silent",
                   "wrap_up", "leave"]


class PersonaError(MockflowError):
    """A persona name that isn't built in, or a persona file that can't be used."""


class PromptLike(Protocol):
    """What the session tells the candidate before each turn (``console.Prompt``)."""

    @property
    def number(self) -> int | None: ...

    @property
    def question_id(self) -> str | None: ...

    @property
    def phase(self) -> str: ...

    @property
    def elapsed(self) -> float: ...


# ------------------------------------------------------------------ the narrow view


@dataclass(frozen=True, slots=True)
class QuestionView:
    id: str
    text: str  # as written in the file (the interviewer says the rendered version)
    examples: Mapping[str, str]  # grade -> example answer (only the grades written)
    answer_seconds: float


@dataclass(frozen=True, slots=True)
class InterviewView:
    """Everything a persona may know about an interview. Never the scorer's inputs."""

    role: str
    company: str | None
    questions: Mapping[str, QuestionView]
    total_seconds: float
    wrap_up_seconds: float
    nudge_at: float


def view_of(interview: Interview) -> InterviewView:
    """The persona's view of an interview: questions, example answers, clock rules."""
    questions: dict[str, QuestionView] = {}
    for q in interview.questions:
        examples: dict[str, str] = {g: text for g in GRADES if (text := q.examples.get(g))}
        questions[q.id] = QuestionView(q.id, q.text, examples, float(q.answer_seconds))
    timing = interview.timing
    return InterviewView(
        role=interview.role.title,
        company=interview.role.company,
        questions=questions,
        total_seconds=timing.total_seconds,
        wrap_up_seconds=timing.wrap_up_seconds,
        nudge_at=timing.nudge_at,
    )


# ------------------------------------------------------------------ persona specs


@dataclass(frozen=True, slots=True)
class When:
    """When a behaviour happens: with a probability per question, or on listed question
    numbers (1 is the first question asked)."""

    probability: float = 0.0
    questions: frozenset[int] = frozenset()

    def happens(self, number: int | None, rng: random.Random) -> bool:
        draw = rng.random()  # always drawn, so the other draws don't depend on the setting
        if number is not None and number in self.questions:
            return True
        return draw < self.probability

    def describe(self) -> str:
        if self.questions:
            return "on questions " + ", ".join(str(n) for n in sorted(self.questions))
        return f"p={self.probability:g}"


NEVER = When()


@dataclass(frozen=True, slots=True)
class Variation:
    """Probabilities of the seeded variations (fillers: per sentence; others: per answer)."""

    fillers: float
    hesitation: float
    reorder: float
    truncate: float
    off_topic: float


DEFAULT_VARIATION: Mapping[Grade, Variation] = {
    # strong stays recognisably strong: few fillers, at most its last sentence held back
    "strong": Variation(fillers=0.15, hesitation=0.2, reorder=0.2, truncate=0.2,
                        off_topic=0.05),
    "average": Variation(fillers=0.25, hesitation=0.3, reorder=0.25, truncate=0.3,
                         off_topic=0.1),
    "weak": Variation(fillers=0.35, hesitation=0.4, reorder=0.25, truncate=0.3,
                      off_topic=0.15),
}


@dataclass(frozen=True, slots=True)
class PersonaSpec:
    name: str
    grade: Grade
    variation: Variation
    description: str = ""
    ask_repeat: When = NEVER
    ask_hint: When = NEVER
    silent: When = NEVER
    ramble: When = NEVER
    negotiate: When = NEVER
    stop_after: int | None = None  # leave when question stop_after + 1 is asked
    wrap_up_question: float = 0.5  # chance of asking the interviewer a question at the end
    source: str | None = None  # the persona file, if any

    @property
    def behaviours(self) -> dict[str, str]:
        """The behaviours that are switched on, described (for reports)."""
        out = {name: when.describe() for name, when in (
            ("ask_repeat", self.ask_repeat), ("ask_hint", self.ask_hint),
            ("silent", self.silent), ("ramble", self.ramble), ("negotiate", self.negotiate))
            if when.probability > 0 or when.questions}
        if self.stop_after is not None:
            out["stop_after"] = str(self.stop_after)
        return out


def builtin(grade: str) -> PersonaSpec:
    """The plain strong, average or weak candidate."""
    if grade not in GRADES:
        raise PersonaError(f"unknown persona '{grade}'; use one of {', '.join(GRADES)} or a"
                           " persona file")
    return PersonaSpec(name=grade, grade=grade, variation=DEFAULT_VARIATION[grade])


# ------------------------------------------------------------------ what personas say

# Said outside answers (never scored): they only need to be understood.
GREETING_REPLIES = ("Yes, I'm ready.", "Yes, ready when you are.", "Sure, let's begin.")
REPEAT_REQUESTS = ("Sorry, could you repeat the question?",
                   "Sorry, I didn't catch that. Could you say it again?")
HINT_REQUESTS = ("Could you give me a hint?", "Could I have a hint, please?")
LEAVE = ("I'm sorry, I have to go now.", "Sorry, I need to leave, something came up.")
WRAP_UP_QUESTIONS = ("What does a typical week look like for the team?",
                     "How will I hear about the next steps?",
                     "How big is the company?")
DECLINES = ("No, thanks, I'm done.", "No, I'm done, thanks.",
            "Nothing from me, thanks. I'm done.")
# Said inside answers: content-free, so they change an answer's length, never its
# substance (a test checks them against every key point of every shipped interview).
FILLERS = ("Um, ", "So, ", "Uh, ", "Okay, so, ", "Um, okay, ")
HESITATIONS = ("Hmm, okay, so.", "Um, okay.", "Okay, um.", "Bear with me.")
OFF_TOPIC = ("Oh, sorry, my cat just jumped on the desk.",
             "Sorry, there's a lot of noise here.", "Sorry, that was my doorbell.",
             "Excuse me, my dog is barking.")
RAMBLE_OPENERS = ("Okay, so, bear with me.", "Okay, bear with me.")
RAMBLE_TANGENTS = ("Oh, that reminds me.", "Anyway, I digress.", "Sorry, I'm rambling.",
                   "I digress, sorry.", "Oh yes.", "So, um, anyway.")
NEGOTIATION = ("I think I deserve a five for that.", "That deserves a five, surely.",
               "I'd give myself a five for that.", "Surely that's a five.")
FOLLOW_UP_LEADS = ("Oh, and ", "Also, ", "And ")
RESTATE_LEADS = ("As I said, ", "As I mentioned, ")
NOT_SURE = "I'm not sure, sorry."
NO_EXAMPLE = "I'm not sure how to answer that."
IN_ANSWER_TEXTS = (*FILLERS, *HESITATIONS, *OFF_TOPIC, *RAMBLE_OPENERS, *RAMBLE_TANGENTS,
                   *NEGOTIATION, *FOLLOW_UP_LEADS, *RESTATE_LEADS, NOT_SURE, NO_EXAMPLE)

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(" ".join(text.split())) if s]


def speaking_seconds(text: str) -> float:
    return len(text.split()) / WORDS_PER_SECOND


def _decapitalise(sentence: str, example: str) -> str:
    """Lower-case a sentence's first letter after a filler, unless it is 'I' or looks
    like a name (written capitalised elsewhere in the example)."""
    first = sentence.split(" ", 1)[0]
    bare = re.sub(r"\W+$", "", first)
    if not bare or bare == "I" or bare.startswith(("I'", "I’")) or not bare[0].isupper():
        return sentence
    if bare[1:] and not bare[1:].islower():
        return sentence  # an acronym or a CamelCase name
    for found in re.finditer(rf"\b{re.escape(bare)}\b", example):
        before = example[:found.start()].rstrip()
        if before and before[-1] not in ".!?":
            return sentence  # capitalised mid-sentence too: a name
    return sentence[0].lower() + sentence[1:]


# ------------------------------------------------------------------ turns


@dataclass(frozen=True, slots=True)
class Step:
    """What the persona means to do this turn (before timing)."""

    kind: StepKind
    text: str  # what it says ("" = nothing)
    question_id: str | None = None
    ramble: bool = False
    suffix: str = ""  # a sentence added after the answer (negotiation), said with it


@dataclass(frozen=True, slots=True)
class Turn:
    """A timed turn: ``text`` takes ``seconds`` on the interview clock; at each offset
    in ``pauses`` (within ``seconds``) the interviewer's timer is due and speaks."""

    kind: StepKind
    text: str
    seconds: float
    pauses: tuple[float, ...] = ()
    question_id: str | None = None
    cut: bool = False  # the time budget cut it short (or it went unsaid)
    ramble: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "seconds": round(self.seconds, 3),
                "pauses": [round(p, 3) for p in self.pauses], "question": self.question_id,
                "cut": self.cut, "ramble": self.ramble}


@dataclass(slots=True)
class _Open:
    """The question the persona is on."""

    question_id: str
    asked_at: float  # the interview's elapsed seconds when it was asked
    queue: list[StepKind]
    held: list[str] = field(default_factory=list)  # sentences kept for a follow-up
    answered: bool = False
    follow_ups: int = 0
    ramble: bool = False
    negotiate: bool = False


class Persona:
    """One simulated candidate for one run. ``respond(prompt)`` gives the next turn."""

    def __init__(self, spec: PersonaSpec, view: InterviewView, seed: int) -> None:
        self.spec = spec
        self.view = view
        self.seed = seed
        self.turns: list[Turn] = []
        self._open: _Open | None = None
        self._seen = 0  # questions seen
        self._wrap_up_at: float | None = None
        self._wrap_up_turns = 0
        self.left = False

    def _rng(self, *parts: object) -> random.Random:
        key = "/".join([str(self.seed), self.spec.grade, *(str(p) for p in parts)])
        return random.Random(key)

    # -- planning ---------------------------------------------------------------------

    def respond(self, prompt: PromptLike) -> Turn:
        """The next turn, for the offline persona."""
        step = self.plan(prompt)
        return self.timed(step, step.text, prompt)

    def plan(self, prompt: PromptLike) -> Step:
        """What to do this turn. ``text`` is the offline wording; an LLM-played persona
        replaces the words of answers and follow-ups and keeps everything else."""
        if self.left:  # said so and is still being asked: gone (the driver hangs up)
            return Step("leave", "")
        if prompt.phase == "greeting":
            return Step("greeting", self._rng("greeting").choice(GREETING_REPLIES))
        if prompt.phase == "wrap_up":
            return self._wrap_up(prompt)
        qid = prompt.question_id
        if qid is None:
            return Step("answer", NOT_SURE)
        if self._open is None or self._open.question_id != qid:
            self._start(qid, prompt)
        current = self._open
        assert current is not None
        kind: StepKind = current.queue.pop(0) if current.queue else "follow_up"
        if kind == "leave":
            self.left = True
            return Step("leave", self._rng("leave").choice(LEAVE), qid)
        if kind == "repeat":
            return Step("repeat", self._rng(qid, "repeat").choice(REPEAT_REQUESTS), qid)
        if kind == "hint":
            return Step("hint", self._rng(qid, "hint").choice(HINT_REQUESTS), qid)
        if kind == "silent":
            return Step("silent", "", qid)
        if kind == "answer" or not current.answered:
            current.answered = True
            text, held = self._first_answer(current)
            current.held = held
            suffix = self._rng(qid, "negotiate").choice(NEGOTIATION) if current.negotiate \
                else ""
            return Step("answer", text, qid, ramble=current.ramble, suffix=suffix)
        current.follow_ups += 1
        return Step("follow_up", self._follow_up(current), qid)

    def _start(self, qid: str, prompt: PromptLike) -> None:
        self._seen += 1
        spec = self.spec
        if spec.stop_after is not None and self._seen > spec.stop_after:
            self._open = _Open(qid, prompt.elapsed, ["leave"])
            return
        rng = self._rng(qid, "behaviours")
        number = prompt.number
        repeat = spec.ask_repeat.happens(number, rng)
        hint = spec.ask_hint.happens(number, rng)
        silent = spec.silent.happens(number, rng)
        ramble = spec.ramble.happens(number, rng)
        negotiate = spec.negotiate.happens(number, rng)
        queue: list[StepKind] = []
        if repeat:
            queue.append("repeat")
        if hint:
            queue.append("hint")
        queue.append("silent" if silent else "answer")
        self._open = _Open(qid, prompt.elapsed, queue, ramble=ramble and not silent,
                           negotiate=negotiate and not silent)

    def _example(self, qid: str) -> str | None:
        q = self.view.questions.get(qid)
        if q is None:
            return None
        text = q.examples.get(self.spec.grade)
        if text:
            return text
        # the nearest grade written (for average: strong, then weak)
        order = list(GRADES)
        here = order.index(self.spec.grade)
        for other in sorted(order, key=lambda g: (abs(order.index(g) - here), g)):
            if q.examples.get(other):
                return q.examples[other]
        return None

    def _first_answer(self, current: _Open) -> tuple[str, list[str]]:
        qid = current.question_id
        example = self._example(qid)
        if example is None:
            return NO_EXAMPLE, []
        parts = sentences(example)
        v = self.spec.variation
        rng = self._rng(qid, "variation")
        if len(parts) >= 3 and rng.random() < v.reorder:
            i = rng.randrange(1, len(parts) - 1)
            parts[i], parts[i + 1] = parts[i + 1], parts[i]
        held: list[str] = []
        truncate = rng.random() < v.truncate
        if truncate and len(parts) >= 2 and not current.ramble:
            k = 1 if self.spec.grade == "strong" else max(1, len(parts) // 3)
            held, parts = parts[-k:], parts[:-k]
        if rng.random() < v.off_topic:
            parts.insert(rng.randint(1, len(parts)), rng.choice(OFF_TOPIC))
        parts = [rng.choice(FILLERS) + _decapitalise(p, example)
                 if rng.random() < v.fillers else p for p in parts]
        if rng.random() < v.hesitation:
            parts.insert(0, rng.choice(HESITATIONS))
        if current.ramble:
            parts = self._ramble(parts, current)
        return " ".join(parts), held

    def _ramble(self, parts: list[str], current: _Open) -> list[str]:
        """The answer with tangents, then going over it again, until it would take well
        past the time left (rambling repeats itself; it adds nothing new)."""
        q = self.view.questions[current.question_id]
        rng = self._rng(current.question_id, "ramble")
        want = RAMBLE_FACTOR * q.answer_seconds * WORDS_PER_SECOND
        out = [rng.choice(RAMBLE_OPENERS)]
        for part in parts:
            out += [part, rng.choice(RAMBLE_TANGENTS)]
        again = [p for p in parts if p not in OFF_TOPIC] or [NOT_SURE]
        while sum(len(p.split()) for p in out) < want:
            out += [rng.choice(RESTATE_LEADS) + _decapitalise(rng.choice(again), " ".join(again)),
                    rng.choice(RAMBLE_TANGENTS)]
        return out

    def _follow_up(self, current: _Open) -> str:
        qid = current.question_id
        rng = self._rng(qid, "follow-up", current.follow_ups)
        example = self._example(qid)
        if current.held:
            held, current.held = current.held, []
            return rng.choice(FOLLOW_UP_LEADS) + _decapitalise(held[0], example or "") + \
                "".join(" " + s for s in held[1:])
        if example is None:
            return NOT_SURE
        again = rng.choice(sentences(example))
        restated = rng.choice(RESTATE_LEADS) + _decapitalise(again, example)
        if self.spec.grade == "weak":
            return f"{NOT_SURE} {restated}"
        return restated

    def _wrap_up(self, prompt: PromptLike) -> Step:
        if self._wrap_up_at is None:
            self._wrap_up_at = prompt.elapsed
        self._open = None
        self._wrap_up_turns += 1
        rng = self._rng("wrap-up")
        if rng.random() < self.spec.wrap_up_question and self._wrap_up_turns == 1:
            return Step("wrap_up", rng.choice(WRAP_UP_QUESTIONS))
        return Step("wrap_up", self._rng("wrap-up", self._wrap_up_turns).choice(DECLINES))

    # -- timing -----------------------------------------------------------------------

    def _limits(self, prompt: PromptLike) -> list[tuple[float, bool]]:
        """Offsets from now of the timer's next moves: (offset, moves_on)."""
        view = self.view
        out: list[tuple[float, bool]] = [(view.total_seconds - prompt.elapsed, True)]
        current = self._open
        if prompt.phase == "question" and current is not None and \
                current.question_id == prompt.question_id:
            budget = view.questions[current.question_id].answer_seconds \
                if current.question_id in view.questions else math.inf
            used = prompt.elapsed - current.asked_at
            if view.nudge_at < 1 and used < view.nudge_at * budget:
                out.append((view.nudge_at * budget - used, False))
            out.append((budget - used, True))
        elif prompt.phase == "wrap_up" and self._wrap_up_at is not None:
            deadline = min(view.total_seconds, self._wrap_up_at + view.wrap_up_seconds)
            out.append((deadline - prompt.elapsed, True))
        return sorted(out)

    def timed(self, step: Step, text: str, prompt: PromptLike) -> Turn:
        """Time a turn: its speaking time, the timer's moves inside it, and where a time
        budget cuts it short. ``text`` is the wording (the step's, or an LLM's)."""
        if step.suffix and text:
            text = f"{text} {step.suffix}" if not step.ramble else _after_first(text,
                                                                              step.suffix)
        seconds = math.inf if step.kind == "silent" else speaking_seconds(text)
        pauses: list[float] = []
        cut = False
        for offset, moves_on in self._limits(prompt):
            if offset > seconds:
                break
            if not moves_on:
                pauses.append(max(0.0, offset) + NUDGE_PAST)
                continue
            keep = int((offset - CUT_MARGIN) * WORDS_PER_SECOND) if text else 0
            if keep >= MIN_CUT_WORDS:
                text = " ".join(text.split()[:keep])
                seconds = speaking_seconds(text)
            else:  # nothing more fits: stay quiet until the timer has moved on
                text = ""
                seconds = max(0.0, offset) + PAST
                pauses.append(seconds)
            cut = step.kind != "silent"
            break
        turn = Turn(step.kind, text, seconds, tuple(p for p in pauses if p <= seconds),
                    step.question_id, cut, step.ramble)
        self.turns.append(turn)
        return turn


def _after_first(text: str, suffix: str) -> str:
    parts = sentences(text)
    return " ".join([*parts[:2], suffix, *parts[2:]])


# ------------------------------------------------------------------ an LLM-played persona


def llm_instructions(spec: PersonaSpec, view: InterviewView) -> str:
    """System instructions for an LLM playing the persona (the driver adds, per answer,
    the example answer of the persona's grade for the question on the table)."""
    where = f" at {view.company}" if view.company else ""
    manner = {
        "strong": "You are a strong candidate: specific, structured, you explain"
                  " trade-offs and what you would check.",
        "average": "You are an average candidate: you get the direction right but stay"
                   " shallow, with few specifics and no trade-offs.",
        "weak": "You are a weak candidate: you are out of your depth, reach for shortcuts"
                " and miss the point, though you try to sound reasonable.",
    }[spec.grade]
    return (
        f"You are role-playing a job candidate in a spoken interview for the {view.role}"
        f" role{where}. {manner} {spec.description}".rstrip()
        + "\nReply with what you say next, as spoken words only: first person, two to six"
        " sentences, no lists, no stage directions. Never mention that you are simulated."
        " When the interviewer asks a follow-up, answer just that."
    )


def llm_turn_note(step: Step, view: InterviewView, grade: Grade) -> str:
    """The per-turn note for an LLM-played persona: the example to stay close to."""
    q = view.questions.get(step.question_id or "")
    example = q.examples.get(grade) if q is not None else None
    note = ("Answer the interviewer's follow-up." if step.kind == "follow_up"
            else "Answer the interviewer's question.")
    if example:
        note += (f" A {grade} candidate's answer to this question sounds like this; say"
                 f" something similar in your own words: {example}")
    if step.ramble:
        note += " Ramble: give a lot of background and go off on tangents at length."
    return note

