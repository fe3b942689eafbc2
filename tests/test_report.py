"""``mockflow report``: HTML (parsed), Markdown, JSON and comparison pages from real
simulated sessions; hostile candidate text; bad input."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from html_check import parse
from typer.testing import CliRunner

from mockflow.cli import app
from mockflow.format.templates import Candidate
from mockflow.format.validate import check_file
from mockflow.results.files import SCORECARD_NAME, SESSION_NAME, TRANSCRIPT_NAME
from mockflow.results.load import SessionFileError, load_session
from mockflow.results.report.html import render_html
from mockflow.results.report.md import md as md_text
from mockflow.results.report.md import render_md
from mockflow.results.report.model import build_report, fmt_score
from mockflow.simulate.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "interviews" / "backend.yaml"
runner = CliRunner()
pytestmark = pytest.mark.xdist_group("report-sessions")  # one worker simulates them once


def _simulate(root: Path, persona: str, seed: int, name: str | None = None) -> Path:
    compiled = check_file(str(BACKEND)).compiled
    assert compiled is not None
    outcome = asyncio.run(simulate(compiled, persona, seed=seed, results_root=root,
                                   candidate=Candidate(name=name)))
    return outcome.recorder.directory


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("results")
    return {
        "strong": _simulate(root, "strong", 1, "Sam Strong"),
        "weak": _simulate(root, "weak", 2, "<script>alert('x')</script> Weak"),
        "average": _simulate(root, "average", 3, None),
    }


def test_html_has_every_score_and_every_evidence_link_resolves(sessions: dict[str, Path]
                                                                ) -> None:
    linked = 0
    for directory in sessions.values():
        loaded = load_session(directory)
        html = render_html(build_report(loaded))
        doc = parse(html)
        card = loaded.scorecard
        overall = card["overall"]["score"]
        assert ("not observed" if overall is None else fmt_score(overall)) in \
            doc.text_by_id["overall"]
        for comp in card["competencies"]:
            row = doc.text_by_id[f"c-{comp['id']}"]
            shown = "not observed" if comp["score"] is None else fmt_score(comp["score"])
            assert shown in row, (comp["id"], row)
        for q in card["questions"]:
            row = doc.text_by_id[f"q-{q['number']}"]
            if q["score"] is None:
                assert "not answered" in row or "not observed" in row
            else:
                assert fmt_score(q["score"]) in row
        internal = [h for h in doc.hrefs if h.startswith("#")]
        quoted = any(q["evidence"] for q in card["questions"])
        linked += quoted
        assert bool(internal) or not quoted, "scores link to their evidence"
        for href in internal:
            assert href[1:] in doc.ids, f"dangling link {href}"
        quotes = [e for q in card["questions"] for e in q["evidence"]]
        for quote in quotes:
            # the quote is highlighted inside a candidate turn that an evidence link targets
            targets = [h[1:] for h in internal if h.startswith("#ev-")]
            assert any(quote in doc.text_by_id[a] for t in targets
                       for a in doc.ancestors[t] if a.startswith("t-")), quote
    assert linked >= 2  # the strong and average sessions quote evidence: not vacuous


def test_html_is_self_contained(sessions: dict[str, Path]) -> None:
    html = render_html(build_report(load_session(sessions["strong"])))
    doc = parse(html)
    assert doc.urls == [u for u in doc.urls if u.startswith("#")], doc.urls
    assert "script" not in doc.tags and "link" not in doc.tags and "img" not in doc.tags
    assert not doc.events
    css = "".join(doc.styles)
    assert "url(" not in css and "@import" not in css
    assert "@media print" in css
    assert "svg" in doc.tags


def test_hostile_candidate_text_stays_text(tmp_path: Path, sessions: dict[str, Path]) -> None:
    directory = tmp_path / "iv" / "hostile"
    shutil.copytree(sessions["weak"], directory)
    evil = '</mark><img src=x onerror=alert(1)><a href="https://evil.example">x</a>'
    lines = (directory / TRANSCRIPT_NAME).read_text().splitlines()
    turns = [json.loads(line) for line in lines]
    for t in turns:
        if t["role"] == "candidate":
            t["text"] = evil + t["text"]
    (directory / TRANSCRIPT_NAME).write_text("".join(json.dumps(t) + "\n" for t in turns))
    loaded = load_session(directory)
    html = render_html(build_report(loaded))
    doc = parse(html)
    assert "script" not in doc.tags and "img" not in doc.tags and not doc.events
    assert not [u for u in doc.urls if not u.startswith("#")]
    assert "&lt;script&gt;" in html  # the name, shown as text
    md = render_md(build_report(loaded))
    # every < is backslash-escaped: Markdown shows it as text, never as a tag
    assert not re.search(r"(?<!\\)<", md) and "](" not in md


def test_low_not_observed_and_not_answered_look_different(sessions: dict[str, Path]) -> None:
    html = render_html(build_report(load_session(sessions["weak"])))
    classes = set(re.findall(r'class="(s-[a-z-]+)"', html))
    assert {"s-low"} <= classes
    report = build_report(load_session(sessions["weak"]))
    states = {q.state for q in report.questions} | {c.state for c in report.competencies}
    assert states - {"ok"}, states


def test_markdown_has_the_content_without_charts(sessions: dict[str, Path]) -> None:
    loaded = load_session(sessions["strong"])
    md = render_md(build_report(loaded))
    assert "<svg" not in md
    for comp in loaded.scorecard["competencies"]:
        assert comp["name"] in md
    assert "## Transcript" in md and "does not make one" in md
    transcript = md.split("## Transcript")[1]
    for q in loaded.scorecard["questions"]:
        for quote in q["evidence"]:  # bold, and still apart from the words around it
            bold = f"**{md_text(quote)}**"
            assert bold in transcript, quote
            after = transcript.split(bold, 1)[1][:1]
            assert after in ("", " ", "*", "\n"), repr(after)


def test_cli_report_formats_and_output_file(tmp_path: Path, sessions: dict[str, Path]) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(sessions["strong"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert out.stat().st_mode & 0o777 == 0o600
    result = runner.invoke(app, ["report", str(sessions["strong"]), "--format", "json"])
    assert result.exit_code == 0, result.output
    schema = json.loads((ROOT / "schemas" / "scorecard.schema.json").read_text())
    jsonschema.validate(json.loads(result.stdout), schema)
    result = runner.invoke(app, ["report", str(sessions["strong"]), "--format", "md"])
    assert result.exit_code == 0 and result.stdout.startswith("# Sam Strong")


def test_cli_compares_several_sessions(sessions: dict[str, Path]) -> None:
    result = runner.invoke(app, ["report", *map(str, sessions.values())])
    assert result.exit_code == 0, result.output
    doc = parse(result.stdout)
    assert "Sam Strong" in result.stdout and "3 sessions" in result.stdout
    assert "script" not in doc.tags


def test_sessions_of_different_interviews_are_not_compared(tmp_path: Path,
                                                           sessions: dict[str, Path]) -> None:
    other = tmp_path / "other-interview" / "s"
    shutil.copytree(sessions["weak"], other)
    card = json.loads((other / SCORECARD_NAME).read_text())
    card["interview"] = "other-interview@sha256:" + "0" * 64
    (other / SCORECARD_NAME).write_text(json.dumps(card))
    result = runner.invoke(app, ["report", str(sessions["strong"]), str(other)])
    assert result.exit_code == 1
    assert "a comparison needs sessions of one interview" in result.stderr
    assert "other-interview" in result.stderr and "backend-engineer" in result.stderr


def _edit(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("damage, expect", [
    (lambda d: (d / SCORECARD_NAME).unlink(), "scorecard.json: missing"),
    (lambda d: (d / SESSION_NAME).write_text('{"status": "compl'), "session.json: not valid JSON"),
    (lambda d: (d / SCORECARD_NAME).write_text('{"interview": "x"}'), "has no 'scale' field"),
    (lambda d: (d / SCORECARD_NAME).write_text('[1, 2]'), "expected a JSON object"),
    (lambda d: shutil.rmtree(d), "no such session directory"),
    (lambda d: _edit(d / SESSION_NAME, status="finished"),
     "session.json: does not match session.schema.json: /status: 'finished' is not one of"),
    (lambda d: _edit(d / SCORECARD_NAME, competencies=[{"id": "x", "score": "high"}]),
     "scorecard.json: does not match scorecard.schema.json: /competencies/0"),
])
def test_bad_session_exits_1_naming_the_file(tmp_path: Path, sessions: dict[str, Path],
                                             damage: object, expect: str) -> None:
    directory = tmp_path / "iv" / "s"
    shutil.copytree(sessions["average"], directory)
    damage(directory)  # type: ignore[operator]
    result = runner.invoke(app, ["report", str(directory)])
    assert result.exit_code == 1
    assert expect in result.stderr and str(directory) in result.stderr
    assert "Traceback" not in result.output + result.stderr
    with pytest.raises(SessionFileError):
        load_session(directory)


def test_a_report_shows_the_newest_scorecard_version(sessions: dict[str, Path],
                                                     tmp_path: Path) -> None:
    """rescore writes scorecard.v2.json beside scorecard.json (never over it): reports read
    the newest version."""
    import json
    import shutil

    directory = tmp_path / "backend-engineer" / sessions["average"].name
    shutil.copytree(sessions["average"], directory)
    card = json.loads((directory / "scorecard.json").read_text())
    card["overall"]["score"] = 4.25
    (directory / "scorecard.v2.json").write_text(json.dumps(card))
    assert load_session(directory).scorecard["overall"]["score"] == 4.25
    assert "4.25" in parse(render_html(build_report(load_session(directory)))
                           ).text_by_id["overall"]
    (directory / "scorecard.v2.json").unlink()
    assert load_session(directory).scorecard["overall"]["score"] != 4.25


def test_a_voice_session_that_talked_over_the_candidate_says_so(
        tmp_path: Path, sessions: dict[str, Path]) -> None:
    """session.json's voice block: cut-ins and audio warnings reach the reviewer."""
    directory = tmp_path / "iv" / "spoken"
    shutil.copytree(sessions["strong"], directory)
    meta = json.loads((directory / SESSION_NAME).read_text())
    meta["voice"] = {"input": "files", "output": "file", "cut_ins": 2, "turns_heard": 5,
                     "turns": [], "warnings": ["1.wav: 44100 Hz, resampled to 16000 Hz"]}
    (directory / SESSION_NAME).write_text(json.dumps(meta))
    report = build_report(load_session(directory))  # the schema accepts the block
    assert any(f.startswith("voice: the interviewer started speaking 2 time(s)")
               for f in report.flags)
    assert "audio: 1.wav: 44100 Hz, resampled to 16000 Hz" in report.flags
    assert "started speaking 2 time(s)" in render_md(report)
    clean = build_report(load_session(sessions["strong"]))
    assert not [f for f in clean.flags if f.startswith(("voice:", "audio:"))]
