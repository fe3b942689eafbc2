"""Simulated candidates: ordering and expectations of the shipped interviews, determinism,
persona behaviours, persona files, the persona's narrow view, the LLM-played persona."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from conftest import INTERVIEWS, ROOT

from mockflow.format.compile import CompiledInterview
from mockflow.format.validate import load_interview
from mockflow.interview.prompting import detect_request
from mockflow.results.files import read_transcript
from mockflow.scoring.base import AnsweredQuestion, Rubric
from mockflow.scoring.offline import OFFLINE
from mockflow.simulate.expect import evaluate
from mockflow.simulate.persona_files import PersonaFileError, parse_persona
from mockflow.simulate.personas import (
    DECLINES,
    GRADES,
    HINT_REQUESTS,
    IN_ANSWER_TEXTS,
    LEAVE,
    NEGOTIATION,
    REPEAT_REQUESTS,
    Persona,
    PersonaSpec,
    When,
    builtin,
    llm_instructions,
    view_of,
)
from mockflow.simulate.runner import persona_log, simulate, simulate_runs
from mockflow.testing.waiting import run

PERSONA_FILES = sorted((ROOT / "interviews" / "personas").glob("*.yaml"))
SEEDS = range(1, 11)




@pytest.fixture(scope="module")
def compiled() -> dict[str, CompiledInterview]:
    return {p.name: load_interview(p) for p in INTERVIEWS}


class Matrix:
    """Every shipped interview × strong, average, weak × seeds 1-10, run once per
    interview on first use (the tests of one interview share an xdist worker)."""

    def __init__(self, compiled: dict[str, CompiledInterview], root: Path) -> None:
        self.compiled = compiled
        self.root = root
        self.cards: dict[str, dict[tuple[str, int], dict[str, Any]]] = {}

    def __getitem__(self, name: str) -> dict[tuple[str, int], dict[str, Any]]:
        if name not in self.cards:
            runs = run(simulate_runs(self.compiled[name], list(GRADES), SEEDS,
                                     results_root=self.root), timeout=300)
            self.cards[name] = {(r.persona, r.seed): r.scorecard for r in runs}
        return self.cards[name]


@pytest.fixture(scope="module")
def matrix(compiled: dict[str, CompiledInterview], tmp_path_factory: pytest.TempPathFactory
           ) -> Matrix:
    return Matrix(compiled, tmp_path_factory.mktemp("matrix"))


# one xdist worker per interview's matrix (``make test`` runs ``--dist loadgroup``)
BY_INTERVIEW = [pytest.param(p.name, marks=pytest.mark.xdist_group(f"matrix-{p.stem}"))
                for p in INTERVIEWS]


# ------------------------------------------------------------------ the shipped examples


@pytest.mark.parametrize("name", BY_INTERVIEW)
def test_strong_above_average_above_weak_on_every_seed(name: str, matrix: Matrix) -> None:
    cards = matrix[name]
    for seed in SEEDS:
        strong, average, weak = (cards[(g, seed)]["overall"]["score"] for g in GRADES)
        assert strong > average > weak, f"{name} seed {seed}: {strong}, {average}, {weak}"
        for g in GRADES:
            assert cards[(g, seed)]["end_reason"] == "questions_exhausted"


@pytest.mark.parametrize("name", BY_INTERVIEW)
def test_every_shipped_example_has_expectations_and_meets_them(
        name: str, compiled: dict[str, CompiledInterview], matrix: Matrix) -> None:
    iv = compiled[name].interview
    assert set(iv.expect.personas) == set(GRADES)
    assert iv.expect.order == ("strong", "average", "weak")
    checks = evaluate(iv, matrix[name], SEEDS)
    misses = [m.message for c in checks for m in c.misses]
    assert not misses, "\n".join(misses)


# ------------------------------------------------------------------ determinism


def strip_timestamps(card: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in card.items() if k != "timestamps"}, sort_keys=True)


BUSY = PersonaSpec(
    name="busy", grade="average", variation=builtin("average").variation,
    ask_repeat=When(questions=frozenset({1})), ask_hint=When(questions=frozenset({2})),
    silent=When(questions=frozenset({3})), ramble=When(questions=frozenset({4})),
    stop_after=5,
)


@pytest.mark.parametrize("persona", ["strong", "weak", BUSY], ids=["strong", "weak", "busy"])
def test_same_seed_same_scorecard(persona: Any, compiled: dict[str, CompiledInterview],
                                  tmp_path: Path) -> None:
    c = compiled["backend.yaml"]

    async def twice() -> list[dict[str, Any]]:
        return [(await simulate(c, persona, seed=7, results_root=tmp_path)).scorecard
                for _ in range(2)]

    first, second = run(twice())
    assert strip_timestamps(first) == strip_timestamps(second)
    assert first["seed"] == 7


def test_different_seeds_vary_the_answers(compiled: dict[str, CompiledInterview],
                                         tmp_path: Path) -> None:
    view = view_of(compiled["backend.yaml"].interview)
    first = [Persona(builtin("average"), view, seed).respond(_q("sd-cache")).text
             for seed in range(1, 9)]
    assert len(set(first)) > 3  # fillers, hesitation, reordering, truncation differ


# ------------------------------------------------------------------ behaviours


def test_behaviours_show_in_the_transcript_and_scorecard(
        compiled: dict[str, CompiledInterview], tmp_path: Path) -> None:
    outcome = run(simulate(compiled["backend.yaml"], BUSY, seed=1, results_root=tmp_path))
    card = outcome.scorecard
    q = {item["number"]: item for item in card["questions"]}
    assert q[1]["repeats"] == 1
    assert q[2]["hints_used"] == [0]
    # silent: nudged at 80 % of the budget, then moved on for time with nothing said
    assert q[3]["outcome"] == "moved_on" and q[3]["not_observed"]
    timing = q[3]["timing"]
    assert timing["nudged_at"] == pytest.approx(timing["asked_at"]
                                                + 0.8 * timing["budget_seconds"], abs=0.1)
    assert timing["seconds"] >= timing["budget_seconds"]
    # ramble: still talking at the budget; nudged, then moved on for time by the
    # interviewer's timer, with every word said so far kept as the answer
    ramble = q[4]["timing"]
    assert ramble["nudged_at"] is not None
    assert q[4]["outcome"] == "moved_on"
    assert ramble["budget_seconds"] <= ramble["seconds"] < ramble["budget_seconds"] + 1
    assert q[4]["follow_ups"] == 0 and not q[4]["not_observed"]
    # stop_after 5: leaves when question 6 is asked
    assert q[6]["outcome"] == "stopped"
    assert card["end_reason"] == "candidate_stop"

    turns = read_transcript(outcome.recorder.transcript_path)
    kinds = [t["kind"] for t in turns if t["role"] == "interviewer"]
    assert "repeat" in kinds and "give_hint" in kinds and "nudge" in kinds
    said = [t["text"] for t in turns if t["role"] == "candidate"]
    assert any(t in REPEAT_REQUESTS for t in said)
    assert any(t in HINT_REQUESTS for t in said)
    assert any(t in LEAVE for t in said)
    rambled = next(t for t in turns if t["role"] == "candidate"
                   and t["question_id"] == q[4]["id"])
    assert len(rambled["text"].split()) > 400 and rambled["kind"] == "cut_off"
    assert any("let's stop there so we keep to time" in t["text"] for t in turns
               if t["role"] == "interviewer")
    log = persona_log(outcome.recorder.directory)
    assert [t["kind"] for t in log["turns"]][:6] == ["greeting", "repeat", "answer",
                                                     "follow_up", "hint", "answer"]
    assert any(t["kind"] == "silent" and t["text"] == "" for t in log["turns"])
    assert any(t["ramble"] and t["cut"] for t in log["turns"])


def test_negotiating_does_not_raise_the_score(compiled: dict[str, CompiledInterview],
                                             tmp_path: Path) -> None:
    """End to end: the appeal is said, and the score doesn't rise. A simulated answer
    repeats an example, so it is scored on key points alone, which no appeal matches: this
    check alone could not fail. The scorer's side, with answers it compares with the examples, is
    ``test_scoring_adversarial.test_negotiating_never_raises_an_independent_answer``,
    which fails when asides count."""
    plain = builtin("average")
    pushy = replace(plain, name="pushy", negotiate=When(1.0))

    async def pairs() -> list[tuple[Any, Any]]:
        out = []
        for c in compiled.values():
            for seed in (1, 2, 3):
                a = await simulate(c, plain, seed=seed, results_root=tmp_path)
                b = await simulate(c, pushy, seed=seed, results_root=tmp_path)
                out.append((a, b))
        return out

    for a, b in run(pairs(), timeout=180):
        said = " ".join(t["text"] for t in read_transcript(b.recorder.transcript_path)
                        if t["role"] == "candidate")
        assert any(line in said for line in NEGOTIATION)
        assert b.scorecard["overall"]["score"] <= a.scorecard["overall"]["score"]
        for qa, qb in zip(a.scorecard["questions"], b.scorecard["questions"], strict=True):
            assert qa["id"] == qb["id"]
            assert (qb["score"] or 0) <= (qa["score"] or 0), qb["id"]


def test_texts_personas_add_to_answers_carry_no_content(
        compiled: dict[str, CompiledInterview]) -> None:
    """Fillers, tangents, negotiation... match no key point of any shipped interview, so
    the simulation measures the written examples, not the persona's padding."""
    for c in compiled.values():
        iv = c.interview
        for q in iv.questions:
            rubric = Rubric(iv.competency(q.competency), iv.scale, iv.questions)
            for text in IN_ANSWER_TEXTS:
                score = OFFLINE.score(AnsweredQuestion.of(q, [text]), rubric)
                assert not score.covered and not score.partial, (iv.id, q.id, text)


def test_requests_are_recognised_as_requests() -> None:
    for text in REPEAT_REQUESTS:
        assert detect_request(text) == "repeat"
    for text in HINT_REQUESTS:
        assert detect_request(text) == "hint"
    for text in LEAVE:
        assert detect_request(text) == "stop"
    for text in DECLINES:  # "I'm done" is never a stop; the wrap-up ends on it (test_listening)
        assert detect_request(text) in (None, "skip")
    for text in IN_ANSWER_TEXTS:
        assert detect_request(text) is None, text


def test_turns_stop_at_the_timers_moves(compiled: dict[str, CompiledInterview]) -> None:
    view = view_of(compiled["backend.yaml"].interview)
    budget = view.questions["sd-cache"].answer_seconds
    silent = Persona(replace(builtin("weak"), silent=When(1.0)), view, 1)
    turn = silent.respond(_q("sd-cache", 1, elapsed=100.0))
    assert (turn.kind, turn.text) == ("silent", "")
    # let the nudge speak at 80 %, then stay quiet until just past the move-on
    assert turn.pauses == pytest.approx((0.8 * budget + 0.01, budget + 0.5))
    assert turn.seconds == pytest.approx(budget + 0.5)
    rambler = Persona(replace(builtin("strong"), ramble=When(1.0)), view, 1)
    turn = rambler.respond(_q("sd-cache", 1, elapsed=100.0))
    assert turn.cut and turn.pauses == pytest.approx((0.8 * budget + 0.01,))
    assert budget - 1.5 < turn.seconds <= budget - 1.0  # said up to a second before


def test_a_persona_that_left_hangs_up(compiled: dict[str, CompiledInterview]) -> None:
    view = view_of(compiled["backend.yaml"].interview)
    leaver = Persona(replace(builtin("average"), stop_after=0), view, 1)
    assert leaver.plan(_q("sd-cache")).text in LEAVE
    assert leaver.plan(_q("sd-cache")).text == ""  # the driver returns None: gone


# ------------------------------------------------------------------ the narrow view


@dataclass(frozen=True)
class _P:
    number: int | None
    question_id: str | None
    phase: str
    elapsed: float


def _q(qid: str, number: int = 1, elapsed: float = 10.0) -> _P:
    return _P(number, qid, "question", elapsed)


def _script(view_ids: list[str]) -> Iterator[_P]:
    yield _P(None, None, "greeting", 0.0)
    t = 5.0
    for n, qid in enumerate(view_ids, 1):
        for _ in range(4):  # repeat/hint/answer/follow-ups, whatever the persona does
            yield _q(qid, n, t)
            t += 20.0
    yield _P(None, None, "wrap_up", t)
    yield _P(None, None, "wrap_up", t + 5)


def without_scorer_inputs(c: CompiledInterview) -> Any:
    iv = c.interview
    questions = tuple(replace(q, key_points=(), hints=()) for q in iv.questions)
    competencies = tuple(replace(comp, anchors=(), description="") for comp in iv.competencies)
    return replace(iv, questions=questions, competencies=competencies,
                   questions_by_id={q.id: q for q in questions},
                   competencies_by_id={comp.id: comp for comp in competencies})


@pytest.mark.parametrize("spec", [builtin("strong"), builtin("weak"), BUSY],
                         ids=["strong", "weak", "busy"])
def test_personas_never_read_the_scorers_inputs(spec: PersonaSpec,
                                                compiled: dict[str, CompiledInterview]
                                                ) -> None:
    for c in compiled.values():
        full, stripped = view_of(c.interview), view_of(without_scorer_inputs(c))
        assert full == stripped
        ids = [q.id for q in c.interview.questions]
        for seed in (1, 2):
            a, b = Persona(spec, full, seed), Persona(spec, stripped, seed)
            for prompt in _script(ids):
                assert a.respond(prompt) == b.respond(prompt)
    fields = set(type(full.questions[ids[0]]).__dataclass_fields__)
    assert fields == {"id", "text", "examples", "answer_seconds"}


# ------------------------------------------------------------------ persona files


def test_shipped_persona_files_load() -> None:
    assert {p.stem for p in PERSONA_FILES} >= {"nervous", "rambler", "negotiator",
                                                "drop-out"}
    for path in PERSONA_FILES:
        spec = parse_persona(path.read_bytes(), str(path))
        assert spec.name == path.stem


@pytest.mark.parametrize(("text", "expected"), [
    ("persona: 1\nname: x\ngrade: great\n",
     'p.yaml:3:8: error: grade: "great" is not the example answers it draws from:'
     " strong, average, weak"),
    ("persona: 1\nname: x\ngrade: weak\nbehaviours:\n  ask_hnt: 0.5\n",
     "p.yaml:5:3: error: unknown key 'ask_hnt' in behaviours; did you mean 'ask_hint'?"),
    ("persona: 1\nname: x\ngrade: weak\nbehaviours:\n  silent: 1.5\n",
     "p.yaml:5:11: error: behaviours.silent: 1.5 is not a probability per question (a number"
     " from 0 to 1) or a list of question numbers (1 is the first question)"),
    ("persona: 1\nname: x\ngrade: weak\nbehaviours: {ramble: [0, 2]}\n",
     "p.yaml:4:22: error: behaviours.ramble: [0, 2] is not a probability per question"),
    ("persona: 1\nname: x\n", "p.yaml:1:1: error: the top level is missing 'grade'"),
    ("persona: 2\nname: x\ngrade: weak\n",
     "p.yaml:1:10: error: persona: 2 is not the persona format version; write 'persona: 1'"),
    ("persona: 1\nname: x\ngrade: [weak\n", "p.yaml:3:"),
    ("persona: 1\nname: x\ngrade: weak\nvariation: {fillers: -1}\nbehaviours:"
     " {stop_after: -2}\n", "p.yaml:4:22: error: variation.fillers: -1 is less than"),
])
def test_persona_file_errors_are_located(text: str, expected: str) -> None:
    with pytest.raises(PersonaFileError) as info:
        parse_persona(text.encode(), "p.yaml")
    assert any(line.startswith(expected) for line in info.value.lines()), info.value.lines()


def test_every_problem_is_reported_at_once() -> None:
    text = "persona: 1\nname: x\ngrade: weak\nbehaviours: {silent: 2, stop_after: -1}\n"
    with pytest.raises(PersonaFileError) as info:
        parse_persona(text.encode(), "p.yaml")
    assert len(info.value.problems) == 2


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("OPENAI", "LIVEKIT", "DEEPGRAM", "MOCKFLOW"))}
    return subprocess.run([sys.executable, "-m", "mockflow", *args], cwd=ROOT,
                          env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=120, check=False)


def test_cli_persona_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("persona: 1\nname: x\ngrade: great\n")
    result = cli("simulate", "interviews/backend.yaml", "--persona", str(bad))
    assert result.returncode == 1
    assert f"{bad}:3:8: error: grade:" in result.stderr
    unknown = cli("simulate", "interviews/backend.yaml", "--persona", "superb")
    assert unknown.returncode == 2
    assert "unknown persona 'superb'; use one of strong, average, weak" in unknown.stderr
    keyless = cli("simulate", "interviews/backend.yaml", "--persona", "weak", "--llm-persona")
    assert keyless.returncode == 2
    assert "--llm-persona needs OPENAI_API_KEY" in keyless.stderr


def test_cli_runs_summary(tmp_path: Path) -> None:
    result = cli("simulate", "interviews/support-lead.yaml", "--persona",
                 "interviews/personas/nervous.yaml", "--runs", "3", "--seed", "4",
                 "--results", str(tmp_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["seed"] for r in data["runs"]] == [4, 5, 6]
    overall = data["summary"]["overall"]
    assert overall["runs"] == 3 and overall["min"] <= overall["mean"] <= overall["max"]
    assert overall["sd"] >= 0
    assert all(Path(r["results"], "scorecard.json").exists() for r in data["runs"])
    text = cli("simulate", "interviews/support-lead.yaml", "--persona", "strong", "--runs",
               "2", "--results", str(tmp_path))
    assert text.returncode == 0, text.stderr
    assert "2 runs, seeds 1-2" in text.stdout and "Overall" in text.stdout
    assert "│ mean" in text.stdout.replace("┃", "│")


# ------------------------------------------------------------------ an LLM-played persona


def test_llm_played_persona_through_the_openai_plugin(compiled: dict[str, CompiledInterview],
                                                      tmp_path: Path) -> None:
    from livekit.plugins import openai

    from mockflow.testing import FakeOpenAIServer, Reply
    from mockflow.testing.openai_server import ChatRequest

    c = compiled["backend.yaml"]
    spec = replace(builtin("strong"), name="llm-strong", stop_after=2)
    seen: list[ChatRequest] = []

    def policy(request: ChatRequest) -> Reply:
        seen.append(request)
        return Reply(text=f"Scripted answer number {len(seen)}, in my own words.")

    async def go() -> Any:
        async with FakeOpenAIServer(policy) as server:
            model = openai.LLM(model="fake-candidate", base_url=server.base_url,
                               api_key="x")
            try:
                return await simulate(c, spec, seed=2, results_root=tmp_path,
                                      persona_model=model)
            finally:
                await model.aclose()

    outcome = run(go())
    said = [t["text"] for t in read_transcript(outcome.recorder.transcript_path)
            if t["role"] == "candidate"]
    assert "Scripted answer number 1, in my own words." in said
    assert len(seen) >= 2  # an answer per question, plus the follow-ups asked
    instructions = llm_instructions(spec, view_of(c.interview))
    first = seen[0].messages
    assert first[0] == {"role": "system", "content": instructions}
    note = first[-1]["content"]
    qid = outcome.scorecard["questions"][0]["id"]
    example = c.interview.question(qid).examples.strong
    assert example is not None and example in note
    everything = json.dumps([r.messages for r in seen])
    for q in c.interview.questions:
        for hint in q.hints:
            assert hint not in everything  # only the interviewer may say hints
    assert outcome.scorecard["end_reason"] == "candidate_stop"
    assert persona_log(outcome.recorder.directory)["llm"] == "fake-candidate"
