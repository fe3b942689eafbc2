"""Checks on the example interviews and their calibration sets.

Hermetic and independent of the ``mockflow`` package: it reads the YAML with
``yaml.safe_load`` and validates it against the shipped JSON Schema, then checks the
content rules the examples promise (see docs/format.md and docs/calibration.md).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from jsonschema import Draft202012Validator

SCHEMA_PATH = ROOT / "schemas" / "interview.schema.json"
INTERVIEW_FILES = sorted((ROOT / "interviews").glob("*.yaml"))
CALIBRATION_DIR = ROOT / "tests" / "calibration"

MIN_COMPETENCIES = 5
MIN_QUESTIONS = 24
KEY_POINTS_RANGE = (3, 5)
HINTS_RANGE = (1, 2)
SENTENCES_RANGE = (2, 6)
PERSONAS = ("strong", "average", "weak")
# A key-point phrase may appear in at most this share of a file's strong examples.
MAX_PHRASE_SHARE = 1 / 3

MIN_CALIBRATED_QUESTIONS = 12
MIN_ANSWERS_PER_QUESTION = 4
KINDS = {"strong", "average", "weak", "rambling", "wrong", "plain-words", "off-topic"}
REQUIRED_KINDS = ("rambling", "wrong", "plain-words")
MIN_PER_REQUIRED_KIND = 12

_SENTENCE_END = re.compile(r"[.!?](?:\s+|$)")


def sentences(text: str) -> list[str]:
    """Split on '.', '!' or '?' followed by whitespace or the end; drop empty pieces."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def phrases(key_point: str | list[str]) -> list[str]:
    """The phrasings of one key point, lowercased."""
    items = [key_point] if isinstance(key_point, str) else key_point
    return [str(p).lower() for p in items]


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


@cache
def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def interview(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = load(path)
    return data


def calibration_path(path: Path) -> Path:
    return CALIBRATION_DIR / f"{interview(path)['id']}.yaml"


def fixed_question_ids(data: dict[str, Any]) -> set[str]:
    return {qid for stage in data["stages"] for qid in stage.get("questions", [])}


def test_there_are_example_interviews() -> None:
    assert len(INTERVIEW_FILES) >= 3, "expected at least three interviews under interviews/"


interview_files = pytest.mark.parametrize("path", INTERVIEW_FILES, ids=lambda p: p.stem)


@interview_files
def test_starts_with_schema_comment(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/interview.schema.json"


@interview_files
def test_matches_schema(path: Path) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in Draft202012Validator(schema()).iter_errors(interview(path))
    ]
    assert not errors, "\n".join(errors)


@interview_files
def test_size(path: Path) -> None:
    data = interview(path)
    assert len(data["competencies"]) >= MIN_COMPETENCIES
    assert len(data["questions"]) >= MIN_QUESTIONS


@interview_files
def test_ids_and_references(path: Path) -> None:
    data = interview(path)
    levels = data["ladder"]["levels"]
    competencies = [c["id"] for c in data["competencies"]]
    questions = [q["id"] for q in data["questions"]]
    for ids in (competencies, questions, [s["id"] for s in data["stages"]]):
        assert len(ids) == len(set(ids)), f"duplicate ids: {ids}"
    assert data["role"]["level"] in levels
    assert data["ladder"]["start"] in levels
    for q in data["questions"]:
        assert q["competency"] in competencies, q["id"]
        assert q["level"] in levels, q["id"]
    fixed: list[str] = []
    for stage in data["stages"]:
        for qid in stage.get("questions", []):
            assert qid in questions, f"stage {stage['id']} lists unknown question {qid}"
            fixed.append(qid)
        for cid in stage.get("competencies", []):
            assert cid in competencies, f"stage {stage['id']} draws from unknown {cid}"
    assert len(fixed) == len(set(fixed)), "a question is listed in two fixed stages"


@interview_files
def test_scale_ladder_and_anchors(path: Path) -> None:
    data = interview(path)
    lo, hi = data["scale"]["min"], data["scale"]["max"]
    ladder = data["ladder"]
    assert lo <= ladder["step_down_at"] < ladder["step_up_at"] <= hi
    middle = (lo + hi) // 2
    for comp in data["competencies"]:
        scores = [a["score"] for a in comp["anchors"]]
        assert len(scores) == len(set(scores)), f"{comp['id']}: repeated anchor score"
        assert {lo, middle, hi} <= set(scores), f"{comp['id']}: anchors need {lo}/{middle}/{hi}"
        assert all(lo <= s <= hi for s in scores), comp["id"]


@interview_files
def test_every_question_is_complete(path: Path) -> None:
    problems = []
    for q in interview(path)["questions"]:
        qid = q["id"]
        n_points = len(q.get("key_points", []))
        if not KEY_POINTS_RANGE[0] <= n_points <= KEY_POINTS_RANGE[1]:
            problems.append(f"{qid}: {n_points} key points, want {KEY_POINTS_RANGE}")
        if not q.get("follow_ups"):
            problems.append(f"{qid}: no follow-up")
        n_hints = len(q.get("hints", []))
        if not HINTS_RANGE[0] <= n_hints <= HINTS_RANGE[1]:
            problems.append(f"{qid}: {n_hints} hints, want {HINTS_RANGE}")
        examples = q.get("examples", {})
        for persona in PERSONAS:
            text = examples.get(persona)
            if not text:
                problems.append(f"{qid}: no {persona} example")
                continue
            count = len(sentences(text))
            if not SENTENCES_RANGE[0] <= count <= SENTENCES_RANGE[1]:
                problems.append(
                    f"{qid}: {persona} example has {count} sentences, want {SENTENCES_RANGE}"
                )
    assert not problems, "\n".join(problems)


@interview_files
def test_examples_are_distinct(path: Path) -> None:
    seen: dict[str, str] = {}
    for q in interview(path)["questions"]:
        for persona, text in q.get("examples", {}).items():
            for sentence in sentences(text):
                key = sentence.strip().lower()
                where = f"{q['id']}/{persona}"
                assert len(key) < 25 or key not in seen, (
                    f"sentence repeated in {seen.get(key)} and {where}: {sentence!r}"
                )
                seen[key] = where


@interview_files
def test_pool_stages_fill_at_every_level(path: Path) -> None:
    data = interview(path)
    fixed = fixed_question_ids(data)
    problems = []
    for stage in data["stages"]:
        if "pick" not in stage:
            continue
        pool = [
            q for q in data["questions"]
            if q["competency"] in stage["competencies"] and q["id"] not in fixed
        ]
        for level in data["ladder"]["levels"]:
            have = sum(q["level"] == level for q in pool)
            if have < stage["pick"]:
                problems.append(
                    f"stage {stage['id']} picks {stage['pick']} but level {level} has {have}"
                )
    assert not problems, "\n".join(problems)


@interview_files
def test_every_competency_has_every_level(path: Path) -> None:
    data = interview(path)
    have = Counter((q["competency"], q["level"]) for q in data["questions"])
    missing = [
        f"{c['id']} @ {level}"
        for c in data["competencies"]
        for level in data["ladder"]["levels"]
        if not have[(c["id"], level)]
    ]
    assert not missing, f"competencies without a question at a level: {missing}"


@interview_files
def test_stage_minutes_and_answer_time_fit(path: Path) -> None:
    data = interview(path)
    timing = data.get("timing", {})
    total = timing.get("total_minutes", 30)
    available = total - timing.get("wrap_up_minutes", 2)
    assert sum(s.get("minutes", 0) for s in data["stages"]) <= available
    default = timing.get("default_answer_seconds", 180)
    by_id = {q["id"]: q for q in data["questions"]}
    fixed = fixed_question_ids(data)
    seconds = 0
    for stage in data["stages"]:
        if "pick" in stage:
            pool = sorted(
                (
                    q.get("answer_seconds", default)
                    for q in data["questions"]
                    if q["competency"] in stage["competencies"] and q["id"] not in fixed
                ),
                reverse=True,
            )
            seconds += sum(pool[: stage["pick"]])
        else:
            seconds += sum(by_id[qid].get("answer_seconds", default) for qid in stage["questions"])
    assert seconds <= available * 60, f"answers take up to {seconds / 60:g} of {available} min"


@interview_files
def test_strong_examples_paraphrase_key_points(path: Path) -> None:
    data = interview(path)
    strong = [q["examples"]["strong"].lower() for q in data["questions"]]
    limit = len(strong) * MAX_PHRASE_SHARE
    counted: dict[str, int] = {}
    for q in data["questions"]:
        for point in q.get("key_points", []):
            for phrase in phrases(point):
                if phrase not in counted:
                    counted[phrase] = sum(phrase in text for text in strong)
    overused = {p: n for p, n in counted.items() if n > limit}
    assert not overused, (
        f"key-point phrases found verbatim in more than a third ({limit:.1f}) of the"
        f" {len(strong)} strong examples; paraphrase them: "
        + ", ".join(f"{p!r} in {n}" for p, n in sorted(overused.items(), key=lambda x: -x[1]))
    )


# ---------------------------------------------------------------------- calibration


@interview_files
def test_calibration_file_exists(path: Path) -> None:
    target = calibration_path(path)
    assert target.is_file(), f"missing calibration set {target.relative_to(ROOT)}"
    assert load(target)["interview"] == interview(path)["id"]


@interview_files
def test_calibration_answers(path: Path) -> None:
    data = interview(path)
    questions = {q["id"]: q for q in data["questions"]}
    lo, hi = data["scale"]["min"], data["scale"]["max"]
    answers = load(calibration_path(path))["answers"]
    problems = []
    per_question: Counter[str] = Counter()
    per_kind: Counter[str] = Counter()
    texts: set[str] = set()
    for i, item in enumerate(answers):
        where = f"answers[{i}] ({item.get('question')}, {item.get('kind')})"
        qid = item.get("question")
        if qid not in questions:
            problems.append(f"{where}: unknown question id")
            continue
        per_question[qid] += 1
        kind = item.get("kind")
        if kind not in KINDS:
            problems.append(f"{where}: kind must be one of {sorted(KINDS)}")
        per_kind[kind] += 1
        score = item.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or not lo <= score <= hi:
            problems.append(f"{where}: score {score!r} is not an integer in {lo}..{hi}")
        if not str(item.get("reason") or "").strip():
            problems.append(f"{where}: empty reason")
        text = str(item.get("answer") or "").strip()
        if not text:
            problems.append(f"{where}: empty answer")
        elif text.lower() in texts:
            problems.append(f"{where}: same answer twice")
        texts.add(text.lower())
        if kind == "plain-words":
            used = [
                p for point in questions[qid].get("key_points", [])
                for p in phrases(point) if p in text.lower()
            ]
            if used:
                problems.append(f"{where}: plain-words answer uses key phrases {used}")
    if len(per_question) < MIN_CALIBRATED_QUESTIONS:
        problems.append(
            f"only {len(per_question)} questions calibrated, want {MIN_CALIBRATED_QUESTIONS}"
        )
    thin = {q: n for q, n in per_question.items() if n < MIN_ANSWERS_PER_QUESTION}
    if thin:
        problems.append(f"fewer than {MIN_ANSWERS_PER_QUESTION} answers for {thin}")
    for kind in REQUIRED_KINDS:
        if per_kind[kind] < MIN_PER_REQUIRED_KIND:
            problems.append(f"{per_kind[kind]} '{kind}' answers, want {MIN_PER_REQUIRED_KIND}")
    assert not problems, "\n".join(problems)


@interview_files
def test_calibration_is_separate_from_examples(path: Path) -> None:
    data = interview(path)
    example_sentences = {
        s.strip().lower()
        for q in data["questions"]
        for text in q.get("examples", {}).values()
        for s in sentences(text)
    }
    shared = [
        f"{item['question']}/{item['kind']}: {s.strip()!r}"
        for item in load(calibration_path(path))["answers"]
        for s in sentences(str(item.get("answer", "")))
        if len(s.strip()) >= 25 and s.strip().lower() in example_sentences
    ]
    assert not shared, "calibration answers copy example sentences:\n" + "\n".join(shared)
