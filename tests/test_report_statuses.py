"""Statuses and scores never contradict each other, in any report format (issue 26).

Every outcome a question can close with (answered, moved on for time, skipped, stopped,
time up), each with an answer that scores and with nothing scorable, in every report
format (HTML, Markdown, JSON): a scored question is never shown as skipped, a skipped one
never with a score; every format shows the same numbers (raw, level credit, hint penalty,
counted) and the level the ladder reached. Before: "I'm done with this one" after an
answer showed "skipped" beside 4/5, and the Markdown said "blended 3.0 -> 3" beside a 4.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from mockflow.format.templates import Candidate
from mockflow.format.validate import check_file
from mockflow.results.files import SCORECARD_NAME
from mockflow.results.load import load_session
from mockflow.results.report.html import render_html
from mockflow.results.report.md import render_md
from mockflow.results.report.model import build_report
from mockflow.scoring.base import AnsweredQuestion, SessionFacts
from mockflow.scoring.stage import score_session
from mockflow.simulate.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "interviews" / "backend.yaml"
OUTCOMES = ("answered", "moved_on", "skipped", "stopped", "time_up")
ANSWER = ("I'd keep recent prices in Redis with a TTL of a few minutes, delete the key when"
          " a price changes so nobody sees a stale price, and let only one request refill a"
          " missing entry so a popular product doesn't stampede the pricing service.")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    compiled = check_file(str(BACKEND)).compiled
    assert compiled is not None
    root = tmp_path_factory.mktemp("statuses")
    done = asyncio.run(simulate(compiled, "average", seed=4, results_root=root,
                                candidate=Candidate(name="Sam")))
    directory = done.recorder.directory
    iv = compiled.interview
    senior = next(q for q in iv.questions if q.level == "senior" and q.id == "sd-rate-limiter")
    items = []
    for i, outcome in enumerate(OUTCOMES):
        for j, text in enumerate((ANSWER, "")):
            q = iv.question("sd-cache") if j == 0 else senior
            items.append(AnsweredQuestion(2 * i + j + 1, q, (text,) if text else (), (q.text,),
                                          outcome=outcome))
    facts = SessionFacts(compiled.ref, 4, iv.ladder.start, "questions_exhausted", 600.0, None)
    card = score_session(compiled, items, facts).to_dict()
    card["ladder"]["final"] = "senior"
    (directory / SCORECARD_NAME).write_text(json.dumps(card), encoding="utf-8")
    return directory, card


def test_no_status_contradicts_its_score_in_any_format(
        session: tuple[Path, dict[str, object]]) -> None:
    directory, card = session
    report = build_report(load_session(directory))
    html, md = render_html(report), render_md(report)
    questions = card["questions"]
    assert isinstance(questions, list) and len(questions) == 2 * len(OUTCOMES)
    for q, row in zip(questions, report.questions, strict=True):
        scored = q["raw_score"] is not None
        # JSON (the scorecard): skipped only ever means nothing was scored
        assert not (scored and q["outcome"] == "skipped"), q
        assert row.outcome != "skipped" or row.state == "not-answered", row
        # Markdown: the question's table row
        line = next(x for x in md.splitlines() if x.startswith(f"| {q['number']} | "))
        if scored:
            assert "skipped" not in line and f"**{q['score']:g}**" in line, line
        if "skipped" in line:
            assert "_not answered_" in line, line
        # HTML: the question's table row
        html_row = re.search(rf'<tr id="q-{q["number"]}">(.*?)</tr>', html, re.S)
        assert html_row is not None
        cells = html_row.group(1)
        if scored:
            assert ">skipped<" not in cells and "skipped<div" not in cells, cells
    answered_then_done = questions[4]  # scored, closed by "I'm done with this one" (skip)
    assert answered_then_done["outcome"] == "answered"
    assert questions[5]["outcome"] == "skipped" and questions[5]["not_answered"]


def test_every_format_shows_raw_level_credit_penalty_and_counted_score(
        session: tuple[Path, dict[str, object]]) -> None:
    directory, card = session
    report = build_report(load_session(directory))
    html, md = render_html(report), render_md(report)
    questions = card["questions"]
    assert isinstance(questions, list)
    for q in questions:
        for key in ("raw_score", "adjustment", "hint_penalty", "score", "breakdown", "level"):
            assert key in q
        assert q["breakdown"] in md or q["breakdown"].replace(">", "&gt;") in html
    scored = [q for q in questions if q["raw_score"] is not None]
    assert scored
    for q in scored:
        assert q["breakdown"].startswith(f"{q['raw_score']:g} on a {q['level']} question")
        assert q["breakdown"].endswith(f"-> {q['score']:g}")
        assert f"how it counts: {q['breakdown']}".replace(">", "\\>") in md
    unscored = [q for q in questions if q["raw_score"] is None and q["not_answered"]]
    assert all(q["breakdown"].startswith("not answered") for q in unscored)
    assert "Level reached on the difficulty ladder: senior" in md
    assert "level reached: senior" in html


def test_a_review_flag_always_names_its_question(
        session: tuple[Path, dict[str, object]]) -> None:
    directory, _ = session
    report = build_report(load_session(directory))
    question_flags = [f for f in report.flags if "question" in f]
    assert question_flags
    for flag in report.flags:
        if any(word in flag for word in ("cut off", "needs a human read", "no quotes",
                                         "instruction-like", "appeal", "quarantined")):
            assert re.match(r"question \d+ \([\w-]+\): ", flag), flag
