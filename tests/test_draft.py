"""``mockflow draft``: drafting through the fake OpenAI server and the real ``openai``
client, byte-for-byte edits of the shipped interviews, review and ``--accept``, and every
way it can fail without writing anything."""

from __future__ import annotations

import builtins
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import INTERVIEWS, ROOT
from typer.testing import CliRunner

from mockflow.authoring import yaml_edit
from mockflow.authoring.scaffold import ScaffoldOptions, scaffold
from mockflow.cli import app
from mockflow.format.validate import check_bytes
from mockflow.format.yaml_io import load_text
from mockflow.testing.drafting import drafting_policy, malformed_drafting_policy
from mockflow.testing.openai_server import ChatRequest, FakeOpenAIServer, Reply, ToolCall
from mockflow.testing.thread import serve_in_thread

runner = CliRunner()
PARTS = ("examples", "key_points", "follow_ups", "clarification")


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with serve_in_thread(drafting_policy) as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("OPENAI", "MOCKFLOW")):
            monkeypatch.delenv(name)


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def filled_scaffold(tmp_path: Path, competencies: tuple[str, ...] = ("Pipelines",
                                                                     "Data modelling")) -> Path:
    """`mockflow new`, then the author writes the questions (the TODO texts)."""
    _, text = scaffold(ScaffoldOptions("Data engineer", "mid", competencies), "x.yaml")
    lines = []
    for n, line in enumerate(text.splitlines(keepends=True)):
        if "text: TODO" in line:
            line = (f"    text: How would you make loading the daily sales files reliable,"
                    f" case {n}?\n")
        lines.append(line)
    path = tmp_path / "data-engineer.yaml"
    path.write_text("".join(lines))
    return path


# ------------------------------------------------------------------ the whole flow


def test_new_fill_draft_accept_then_strict_validate_passes_and_test_runs(
        tmp_path: Path, server: FakeOpenAIServer) -> None:
    path = filled_scaffold(tmp_path)
    before = path.read_text()
    code, out, err = cli("draft", str(path), "--base-url", server.base_url)
    assert code == 0, err
    assert "drafted 6 questions" in out
    assert "drafting 6 questions with gpt-4o-mini at" in err
    assert len(server.requests) == 6
    request = server.requests[0]
    assert request.raw["tool_choice"] == {"type": "function",
                                          "function": {"name": "submit_draft"}}
    # the author's text is all still there, in order: only lines were added
    after = path.read_text()
    assert yaml_edit.insertion_points(before.splitlines(True), after.splitlines(True))
    result = check_bytes(after.encode(), str(path))
    assert result.errors == []
    assert {p.code for p in result.warnings} == {"MF509"}  # unreviewed drafts only
    assert len(result.warnings) == 6
    assert cli("validate", "--strict", str(path))[0] == 1
    # accept one, then the rest
    first = "pipelines-junior"
    code, out, _ = cli("draft", str(path), "--accept", first)
    assert code == 0 and f"accepted the drafts of {first}" in out
    assert len(check_bytes(path.read_bytes()).warnings) == 5
    code, out, _ = cli("draft", str(path), "--accept-all")
    assert code == 0
    accepted = path.read_text()
    assert [line for line in after.splitlines() if "drafted:" not in line] == \
        accepted.splitlines()
    code, out, err = cli("validate", "--strict", str(path))
    assert code == 0, out + err
    code, out, err = cli("test", str(path), "--seeds", "1-3")
    assert code == 0, out + err
    assert "scoring calibrated for 6 of 6 questions" in out


def test_the_drafted_parts_are_marked_and_in_the_docs_order(
        tmp_path: Path, server: FakeOpenAIServer) -> None:
    path = filled_scaffold(tmp_path, ("Pipelines",))
    assert cli("draft", str(path), "--base-url", server.base_url)[0] == 0
    text = path.read_text()
    data = load_text(text).data or {}
    question = data["questions"][0]
    assert list(question) == ["id", "competency", "level", "text", "drafted",
                              "clarification", "follow_ups", "key_points", "examples"]
    assert question["drafted"] == ["clarification", "follow_ups", "key_points", "examples"]
    marker = next(line for line in text.splitlines() if "drafted:" in line)
    assert marker.endswith("  # by mockflow draft (gpt-4o-mini): review, then mockflow draft"
                           " <file> --accept pipelines-junior")
    labels = [k[0] for k in question["key_points"]]
    assert question["follow_ups"][0]["probes"][0] in labels
    assert set(question["examples"]) == {"strong", "average", "weak"}


# ------------------------------------------------------------------ byte for byte


def _key_ranges(text: str) -> dict[tuple[Any, ...], tuple[int, int]]:
    """For every key of every question (and every example grade): the 0-based lines
    [start, end) its key and value take, without trailing blank or comment lines."""
    doc = load_text(text)
    lines = text.splitlines()
    data = doc.data or {}
    top = sorted(doc.key_positions[(k,)][0] - 1 for k in data)
    ranges: dict[tuple[Any, ...], tuple[int, int]] = {}

    def region(keys: list[tuple[Any, ...]], limit: int) -> None:
        starts = [doc.key_positions[k][0] - 1 for k in keys]
        for n, key in enumerate(keys):
            end = starts[n + 1] if n + 1 < len(keys) else limit
            while end > starts[n] + 1 and (not lines[end - 1].strip()
                                           or lines[end - 1].lstrip().startswith("#")):
                end -= 1
            ranges[key] = (starts[n], end)

    questions = data["questions"]
    q_start = [doc.positions[("questions", i)][0] - 1 for i in range(len(questions))]
    q_line = doc.key_positions[("questions",)][0] - 1
    after = next((t for t in top if t > q_line), len(lines))
    for i, q in enumerate(questions):
        limit = q_start[i + 1] if i + 1 < len(questions) else after
        region([("questions", i, k) for k in q], limit)
        if "examples" in q:
            ex_start, ex_end = ranges[("questions", i, "examples")]
            region([("questions", i, "examples", g) for g in q["examples"]], ex_end)
    return ranges


def strip(text: str) -> tuple[str, dict[str, set[str]]]:
    """The shipped file with parts removed from its questions, in four patterns, and the
    parts each question then lacks."""
    data = load_text(text).data or {}
    ranges = _key_ranges(text)
    drop: set[int] = set()
    lacking: dict[str, set[str]] = {}
    for i, q in enumerate(data["questions"]):
        pattern = i % 4
        keys: list[tuple[Any, ...]] = []
        if pattern == 0:
            keys = [("questions", i, k) for k in PARTS if k in q]
        elif pattern == 1:
            keys = [("questions", i, "examples")]
        elif pattern == 2 and "weak" in q.get("examples", {}):
            keys = [("questions", i, "examples", "weak")]
        elif pattern == 3:
            keys = [("questions", i, k) for k in ("clarification", "follow_ups") if k in q]
        for key in keys:
            start, end = ranges[key]
            drop.update(range(start, end))
        if keys:
            lacking[q["id"]] = {k[2] for k in keys}
    lines = text.splitlines(keepends=True)
    return "".join(line for n, line in enumerate(lines) if n not in drop), lacking


@pytest.mark.parametrize("source", INTERVIEWS, ids=lambda p: p.name)
def test_draft_keeps_every_byte_of_a_shipped_interview(
        tmp_path: Path, server: FakeOpenAIServer, source: Path) -> None:
    stripped, lacking = strip(source.read_text())
    assert check_bytes(stripped.encode()).errors == []
    path = tmp_path / source.name
    path.write_text(stripped)
    code, _, err = cli("draft", str(path), "--base-url", server.base_url)
    assert code == 0, err
    drafted = path.read_text()
    old, new = stripped.splitlines(True), drafted.splitlines(True)
    blocks = yaml_edit.insertion_points(old, new)
    assert blocks, "lines of the author's file changed or went missing"
    # every original line, comment and blank line is there, in order, unchanged
    rebuilt = list(old)
    for position, block in reversed(blocks):
        rebuilt[position:position] = block
    assert rebuilt == new
    # each block sits inside a question that lacked something (never between sections)
    before = load_text(stripped)
    after = load_text(drafted).data or {}
    q_lines = sorted(before.positions[("questions", i)][0] - 1
                     for i in range(len((before.data or {})["questions"])))
    for position, block in blocks:
        assert all(line.startswith("    ") or not line.strip() for line in block), block
        owner = max(i for i, start in enumerate(q_lines) if start < position)
        assert (before.data or {})["questions"][owner]["id"] in lacking
    # the data is the stripped file's plus exactly the drafted parts
    for old_q, new_q in zip((before.data or {})["questions"], after["questions"],
                            strict=True):
        expected = {k for k in ("clarification", "follow_ups", "key_points")
                    if k not in old_q}
        if set(old_q.get("examples", {})) != {"strong", "average", "weak"}:
            expected.add("examples")
        if not expected:
            assert new_q == old_q
            continue
        assert set(new_q["drafted"]) == expected
        for key, value in old_q.items():
            if key == "examples":
                assert {g: new_q["examples"][g] for g in value} == value
            else:
                assert new_q[key] == value, key
    # accepting everything leaves a file that passes --strict
    assert cli("draft", str(path), "--accept-all")[0] == 0
    result = check_bytes(path.read_bytes())
    assert result.problems == [], [(p.code, p.message) for p in result.problems]


def test_shipped_interviews_round_trip_unchanged() -> None:
    for source in INTERVIEWS:
        text = source.read_text()
        trip = yaml_edit.load(text, source.name)
        assert trip.text == text


# ------------------------------------------------------------------ failures: nothing written


def _unchanged(path: Path, before: str) -> None:
    assert path.read_text() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp files


def test_no_key_and_no_endpoint_says_what_is_needed(tmp_path: Path) -> None:
    path = filled_scaffold(tmp_path)
    before = path.read_text()
    code, _, err = cli("draft", str(path))
    assert code == 2
    assert ("mockflow draft needs a model and none can be reached: gpt-4o-mini (from the"
            " file's voice.llm) needs an API key in OPENAI_API_KEY. Set OPENAI_API_KEY, or"
            " point --base-url at an OpenAI-compatible endpoint") in err
    assert "Nothing was written" in err
    _unchanged(path, before)


def test_a_judge_section_names_the_model_and_its_key(tmp_path: Path) -> None:
    path = filled_scaffold(tmp_path)
    text = path.read_text().replace("timing:\n", "judge:\n  model: gpt-4o\n  api_key_env:"
                                    " ACME_KEY\n\ntiming:\n", 1)
    path.write_text(text)
    code, _, err = cli("draft", str(path))
    assert code == 2
    assert "gpt-4o (from the file's judge) needs an API key in ACME_KEY" in err


def test_a_malformed_draft_is_retried_once_then_nothing_is_written(
        tmp_path: Path) -> None:
    path = filled_scaffold(tmp_path)
    before = path.read_text()
    with serve_in_thread(malformed_drafting_policy) as fake:
        code, _, err = cli("draft", str(path), "--base-url", fake.base_url)
        assert len(fake.requests) == 2
        retry = fake.requests[1].messages[-1]
    assert code == 2
    assert ("returned an unusable draft for question 'pipelines-junior' twice (the"
            " arguments are not valid JSON") in err
    assert "nothing was written" in err
    assert retry["role"] == "system" and "could not be used: the arguments are not valid" \
        in retry["content"]
    _unchanged(path, before)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda a: {**a, "follow_ups": [{"text": "Why?", "probes": ["nothing like it"]}]},
     "probes 'nothing like it', which is not a key point's label"),
    (lambda a: {**a, "key_points": [["ab", "abc"], *a["key_points"][1:]]},
     "key_points/0/0: 'ab' is too short"),
    (lambda a: {**a, "clarification": "Do you have children at home?"},
     "it adds problems to the file: mentions 'children' (family status)"),
    (lambda a: {**a, "clarification": "Say {{ role.title }} twice."},
     "clarification contains template syntax"),
    (lambda a: {k: v for k, v in a.items() if k != "examples"},
     "the arguments: 'examples' is a required property"),
    (lambda a: {**a, "examples": {**a["examples"], "weak": "No."}},
     "examples/weak is not an answer of a sentence or more"),
])
def test_a_draft_that_would_harm_the_file_is_sent_back(
        tmp_path: Path, change: Any, reason: str) -> None:
    """A bad draft is sent back with the reason; a good second one is used."""
    path = filled_scaffold(tmp_path, ("Pipelines",))
    calls: list[ChatRequest] = []

    def policy(request: ChatRequest) -> Reply:
        calls.append(request)
        good = drafting_policy(request)
        if len(calls) > 1:
            return good
        arguments = change(json.loads(good.tool_calls[0].arguments))
        return Reply(tool_calls=(ToolCall("submit_draft", json.dumps(arguments)),))

    with serve_in_thread(policy) as fake:
        code, _, err = cli("draft", str(path), "--base-url", fake.base_url,
                           "--question", "pipelines-junior")
    assert code == 0, err
    assert len(calls) == 2
    assert reason in str(calls[1].messages[-1]["content"])
    question = (load_text(path.read_text()).data or {})["questions"][0]
    assert question["drafted"] == ["clarification", "follow_ups", "key_points", "examples"]


def test_a_timeout_writes_nothing(tmp_path: Path, server: FakeOpenAIServer) -> None:
    path = filled_scaffold(tmp_path)
    before = path.read_text()
    server.stall_next(30)
    code, _, err = cli("draft", str(path), "--base-url", server.base_url, "--timeout", "0.5")
    assert code == 2
    assert (f"gpt-4o-mini at {server.base_url} did not answer within 0.5 s while drafting"
            " question 'pipelines-junior'; nothing was written") in err
    _unchanged(path, before)


def test_a_model_error_after_some_drafts_writes_nothing(
        tmp_path: Path, server: FakeOpenAIServer) -> None:
    path = filled_scaffold(tmp_path)
    before = path.read_text()
    calls = {"n": 0}

    def policy(request: ChatRequest) -> Reply:
        calls["n"] += 1
        return drafting_policy(request) if calls["n"] < 4 else Reply(status=503,
                                                                     error="overloaded")

    server.policy = policy
    code, _, err = cli("draft", str(path), "--base-url", server.base_url)
    assert code == 2
    assert (f"gpt-4o-mini at {server.base_url} answered HTTP 503 (InternalServerError) while"
            " drafting question 'data_modelling-junior'; nothing was written") in err
    _unchanged(path, before)


def test_a_file_with_errors_is_not_drafted(tmp_path: Path, server: FakeOpenAIServer) -> None:
    path = filled_scaffold(tmp_path)
    text = path.read_text().replace("competency: pipelines", "competency: pipeline", 1)
    path.write_text(text)
    code, _, err = cli("draft", str(path), "--base-url", server.base_url)
    assert code == 1
    assert "error[MF101] question 'pipelines-junior' refers to unknown competency" in err
    assert "fix the 1 error above before drafting; nothing was written" in err
    assert server.requests == []
    _unchanged(path, text)


def test_a_file_ruamel_would_reformat_is_refused_before_any_request(
        tmp_path: Path, server: FakeOpenAIServer) -> None:
    path = filled_scaffold(tmp_path)
    # one list indented differently from all the others
    text = path.read_text().replace("  levels: [junior, mid, senior]",
                                    "  levels:\n      - junior\n      - mid\n      - senior")
    path.write_text(text)
    assert check_bytes(text.encode()).errors == []
    code, _, err = cli("draft", str(path), "--base-url", server.base_url)
    assert code == 2
    assert "mockflow draft can't edit" in err and "without reformatting it" in err
    assert "nothing was written" in err
    assert server.requests == []
    _unchanged(path, text)


def test_without_the_extra_it_names_the_extra(tmp_path: Path, monkeypatch:
                                               pytest.MonkeyPatch) -> None:
    path = filled_scaffold(tmp_path)
    real = builtins.__import__

    def no_ruamel(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("ruamel"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ruamel)
    code, _, err = cli("draft", str(path), "--base-url", "http://127.0.0.1:9/v1")
    assert code == 2
    assert "in the optional 'authoring' extra: pip install 'mockflow[authoring]'" in err


def test_placeholder_questions_are_skipped(tmp_path: Path, server: FakeOpenAIServer) -> None:
    _, text = scaffold(ScaffoldOptions("Data engineer", "mid", ("Pipelines",)), "x.yaml")
    path = tmp_path / "x.yaml"
    path.write_text(text)
    code, _, err = cli("draft", str(path), "--base-url", server.base_url)
    assert code == 1
    assert ("skipped pipelines-junior: its text is still a placeholder: write the question"
            " first") in err
    assert server.requests == []
    assert path.read_text() == text


def test_nothing_to_draft_in_a_complete_file(tmp_path: Path,
                                             server: FakeOpenAIServer) -> None:
    path = tmp_path / "backend.yaml"
    shutil.copy(ROOT / "interviews" / "backend.yaml", path)
    # the shipped questions have examples, key points and follow-ups, few a clarification
    for part in ("examples", "key_points", "follow_ups"):
        code, out, _ = cli("draft", str(path), "--base-url", server.base_url, "--part", part)
        assert code == 0 and "nothing to draft" in out
    assert server.requests == []
    code, _, err = cli("draft", str(path), "--base-url", server.base_url, "--part", "hints")
    assert code == 2 and "--part 'hints' is not a part mockflow draft writes" in err


def test_only_the_parts_asked_for(tmp_path: Path, server: FakeOpenAIServer) -> None:
    path = tmp_path / "backend.yaml"
    shutil.copy(ROOT / "interviews" / "backend.yaml", path)
    code, out, _ = cli("draft", str(path), "--base-url", server.base_url, "--part",
                       "clarification", "--question", "sd-cache")
    assert code == 0
    assert len(server.requests) == 1
    question = next(q for q in (load_text(path.read_text()).data or {})["questions"]
                    if q["id"] == "sd-cache")
    assert question["drafted"] == ["clarification"]
    code, _, err = cli("draft", str(path), "--base-url", server.base_url, "--question",
                       "sd-cahce")
    assert code == 2 and "did you mean 'sd-cache'?" in err


def test_dry_run_prints_the_additions_and_writes_nothing(
        tmp_path: Path, server: FakeOpenAIServer) -> None:
    path = filled_scaffold(tmp_path, ("Pipelines",))
    before = path.read_text()
    code, out, _ = cli("draft", str(path), "--base-url", server.base_url, "--dry-run")
    assert code == 0
    added = [line for line in out.splitlines() if line.startswith("+") and
             not line.startswith("+++")]
    removed = [line for line in out.splitlines() if line.startswith("-") and
               not line.startswith("---")]
    assert added and not removed
    assert any("drafted: [clarification, follow_ups, key_points, examples]" in line
               for line in added)
    _unchanged(path, before)


def test_accept_refuses_unknown_or_undrafted_questions(tmp_path: Path) -> None:
    path = filled_scaffold(tmp_path)
    before = path.read_text()
    code, _, err = cli("draft", str(path), "--accept", "pipelines-junoir")
    assert code == 2
    assert "question 'pipelines-junoir' is not in" in err
    assert "did you mean 'pipelines-junior'?" in err
    code, _, err = cli("draft", str(path), "--accept", "pipelines-junior")
    assert code == 2
    assert "question 'pipelines-junior' has nothing drafted to accept" in err
    code, out, _ = cli("draft", str(path), "--accept-all")
    assert code == 0 and "no question has drafted parts waiting for review" in out
    code, _, err = cli("draft", str(path), "--accept", "x", "--model", "m")
    assert code == 2 and "--accept takes no --question, --part, --model or --base-url" in err
    _unchanged(path, before)


def test_removing_the_marker_by_hand_accepts_too(tmp_path: Path,
                                                 server: FakeOpenAIServer) -> None:
    path = filled_scaffold(tmp_path, ("Pipelines",))
    assert cli("draft", str(path), "--base-url", server.base_url)[0] == 0
    text = "".join(line for line in path.read_text().splitlines(True)
                   if "drafted:" not in line)
    assert check_bytes(text.encode()).ok(strict=True)


def test_windows_line_endings_and_a_byte_order_mark_are_kept(
        tmp_path: Path, server: FakeOpenAIServer) -> None:
    path = filled_scaffold(tmp_path, ("Pipelines",))
    text = "\ufeff" + path.read_text().replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-8"))
    code, _, err = cli("draft", str(path), "--base-url", server.base_url)
    assert code == 0, err
    drafted = path.read_bytes().decode("utf-8")
    assert drafted.startswith("\ufeff") and drafted.count("\r\n") == drafted.count("\n")
    assert yaml_edit.insertion_points(text.splitlines(True), drafted.splitlines(True))
    assert cli("draft", str(path), "--accept-all")[0] == 0
    accepted = path.read_bytes().decode("utf-8")
    assert accepted.startswith("\ufeff") and "\r\n" in accepted
    assert [line for line in drafted.splitlines() if "drafted:" not in line] == \
        accepted.splitlines()
