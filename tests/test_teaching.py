"""Validation that teaches: one warning per design problem, the fix for a ': ' inside an
unquoted text, placeholders and unreviewed drafts; every message checked for its code,
line, column, the thing it names and the fix it gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import INTERVIEWS, ROOT

from mockflow.format import readiness
from mockflow.format.errors import Problem
from mockflow.format.validate import check_bytes

CASES = ROOT / "tests" / "cases"
MINIMAL = (CASES / "valid" / "minimal.yaml").read_text()


def problems(text: str) -> list[Problem]:
    return check_bytes(text.encode(), "x.yaml").problems


def only(text: str) -> Problem:
    found = problems(text)
    assert len(found) == 1, [(p.code, p.line, p.column, p.message) for p in found]
    return found[0]


def case(name: str) -> str:
    text = (CASES / "invalid" / name).read_text()
    return text.split("\n", 1)[1]  # without the '# expect:' line (positions shift by one)


# ------------------------------------------------------------------ one warning per problem


def test_missing_levels_across_competencies_are_one_warning() -> None:
    """The issue's design (six questions, two per competency, a stage per competency)
    gave three MF503 and three MF506 warnings; it is one problem, reported once."""
    p = only(case("MF503-several-competencies.yaml"))
    assert (p.code, p.line, p.column) == ("MF503", 15, 9)
    assert p.message == (
        "3 competencies have no question at some ladder level, so the ladder can't reach"
        " them there: 'pipelines' at 'junior'; 'modelling' (line 20) at 'junior'; 'quality'"
        " (line 25) at 'junior' — add a question at each of those levels (3 in all)")


def test_pool_shortfalls_across_stages_and_levels_are_one_warning() -> None:
    p = only(case("MF506-several-stages.yaml"))
    assert (p.code, p.line, p.column) == ("MF506", 35, 11)
    assert p.message == (
        "2 pool stages can't fill their pick at 'junior', 'mid' and 'senior' on their own,"
        " so the engine will borrow from the nearest level: stage 'build' picks 2 but has"
        " only 1 at 'junior', 'mid' and 'senior'; stage 'design' (line 38) picks 2 but has"
        " only 1 at 'junior', 'mid' and 'senior' — add questions: 1 at 'junior', 'mid' and"
        " 'senior' for 'build' (pipelines); 1 at 'junior', 'mid' and 'senior' for 'design'"
        " (modelling); or lower their pick")


def test_a_pool_shortfall_beyond_the_missing_levels_is_still_reported() -> None:
    """MF503's fix (one question per missing level) leaves a pick-2 stage short: that
    remaining shortfall is MF506, at the stage's pick."""
    text = case("MF503-several-competencies.yaml").replace(
        "  - id: pipelines\n    pick: 1\n", "  - id: pipelines\n    pick: 2\n")
    found = problems(text)
    assert [(p.code, p.line, p.column) for p in found] == [("MF503", 15, 9),
                                                           ("MF506", 35, 11)]
    assert found[1].message == (
        "1 pool stage can't fill its pick at 'junior', 'mid' and 'senior' on its own, so the"
        " engine will borrow from the nearest level: stage 'pipelines' picks 2 but has only 0"
        " at 'junior', 1 at 'mid' and 'senior' — add questions besides those MF503 asks for:"
        " 1 at 'junior', 'mid' and 'senior' for 'pipelines' (pipelines); or lower its pick")


def test_one_competency_missing_one_level_keeps_the_short_message() -> None:
    p = only(case("MF503-no-question-at-level.yaml"))
    assert (p.code, p.line, p.column) == ("MF503", 13, 9)
    assert p.message == ("competency 'design' has no question at level 'junior'; add one so"
                         " the ladder can reach it")


# ------------------------------------------------------------------ ': ' inside a text


@pytest.mark.parametrize(("before", "after", "where", "message"), [
    ("      weak: Just add Redis.", "      weak: Just add Redis: it is fast.", (34, 27),
     "the text of 'weak' contains ': ', which YAML reads as the start of a key; put the"
     " whole text in quotes: weak: 'Just add Redis: it is fast.' (or write it as a block:"
     " 'weak: >-' with the text on the lines below it, indented)"),
    ("      weak: Just add Redis.", "      weak: It's: fast  # a note", (34, 17),
     "put the whole text in quotes: weak: 'It''s: fast' (or write it as a block"),
    ("title: Minimal interview", "title: Design: the basics", (3, 14),
     "put the whole text in quotes: title: 'Design: the basics'"),
    ("    text: How would you put a cache in front of a slow service?",
     "    text: How would you put a cache\n      in front of a slow service: think big?",
     (29, 33), "line 29 continues the text of 'text' (line 28) and contains ': ', which YAML"
               " reads as a key; write the text as a block: put '>-' after 'text:' and the"
               " text on the lines below it, indented (text: >-), or put the whole text in"
               " quotes"),
    ("      - {score: 1, behaviour: Names parts without saying how they fit.}",
     "      - {score: 1, behaviour: Names parts: no fit.}", (16, 42),
     "inside { } the text of 'behaviour' contains ': ', which YAML reads as the start of a"
     " key; put the text in quotes: - {score: 1, behaviour: 'Names parts: no fit.'}"),
    ("    key_points:\n      - expiry", "    key_points:\n      - Note: expiry: soon",
     (30, 21), "this list item is a text with ': ' in it, which YAML reads as a key; put the"
               " whole item in quotes: - 'Note: expiry: soon'"),
])
def test_a_colon_in_unquoted_text_shows_the_corrected_line(
        before: str, after: str, where: tuple[int, int], message: str) -> None:
    assert before in MINIMAL
    p = only(MINIMAL.replace(before, after))
    assert (p.code, p.line, p.column) == ("MF001", *where)
    assert message in p.message


def test_a_text_read_as_a_mapping_shows_the_quoted_line() -> None:
    text = MINIMAL.replace("    key_points:\n      - expiry",
                           "    hints:\n      - 'Hint: in quotes is fine'\n"
                           "      - Hint: think about expiry  # why\n"
                           "    key_points:\n      - expiry")
    p = only(text)
    assert (p.code, p.line, p.column) == ("MF201", 31, 9)
    assert p.message == (
        "questions[0].hints[1] (question 'q-cache') must be text, not a mapping"
        " {\"Hint\": \"think about expiry\"}; 'Hint: think about expiry' looks like a text"
        " with ': ' in it, which YAML reads as a key and its value; if it is text, put it in"
        " quotes: - 'Hint: think about expiry'")


def test_an_over_indented_key_is_still_an_indentation_problem() -> None:
    p = only(MINIMAL.replace("  level: mid\ninterviewer:", "    level: mid\ninterviewer:"))
    assert (p.code, p.line, p.column) == ("MF001", 6, 1)
    assert "line 6 is indented 4 spaces, more than 'title:' on line 5" in p.message


# ------------------------------------------------------------------ placeholders, drafts


def test_placeholders_are_warned_where_they_are() -> None:
    text = MINIMAL.replace("  title: Engineer", "  title: TODO the job title").replace(
        "behaviour: Drives the design and weighs trade-offs.",
        "behaviour: 'TBD: what a 5 sounds like'")
    found = problems(text)
    assert [(p.code, p.line, p.column) for p in found] == [("MF508", 5, 10),
                                                           ("MF508", 17, 31)]
    assert found[0].message == ("role.title is still a placeholder, \"TODO the job title\";"
                                " write the real text (see docs/authoring.md)")
    assert found[1].message.startswith(
        "competencies[0].anchors[1].behaviour (anchor '5') is still a placeholder, \"TBD")


def test_a_todo_inside_a_sentence_is_not_a_placeholder() -> None:
    text = MINIMAL.replace("Just add Redis.", "Just add Redis, and a TODO list.")
    assert problems(text) == []


def test_unreviewed_drafts_warn_at_the_drafted_key() -> None:
    p = only(case("MF509-drafted-not-reviewed.yaml"))
    assert (p.code, p.line, p.column) == ("MF509", 29, 5)
    assert p.message == (
        "question 'q-cache' has drafted examples, key_points that nobody has reviewed yet;"
        " read and correct them, then run `mockflow draft <file> --accept q-cache` (or"
        " delete the 'drafted:' line)")
    assert not check_bytes(case("MF509-drafted-not-reviewed.yaml").encode()).ok(strict=True)


# ------------------------------------------------------------------ readiness in numbers


def test_missing_examples_warn_with_the_measured_cost() -> None:
    text = MINIMAL.split("    examples:")[0]
    p = only(text)
    base = readiness.WITH_EXAMPLES
    none = readiness.WITHOUT[("strong", "average", "weak")]
    assert (p.code, p.line, p.column) == ("MF502", 25, 9)
    assert p.message == (
        "question 'q-cache' has no strong/average/weak example answers: on the calibration"
        f" set, answers scored on key points alone agreed with the hand score within one"
        f" point {none.within_one * 100:.0f}% of the time instead of"
        f" {base.within_one * 100:.0f}%, with rank correlation {none.spearman:.2f} instead of"
        f" {base.spearman:.2f} (docs/calibration.md); simulated candidates have nothing to"
        " say to it either — write them, or let `mockflow draft` suggest them for your"
        " review")


def test_a_missing_grade_quotes_its_own_figures() -> None:
    p = only(MINIMAL.replace("      average: Redis with a TTL.\n", ""))
    avg = readiness.WITHOUT[("average",)]
    assert p.code == "MF502"
    assert p.message.startswith("question 'q-cache' has no average example answer: on the"
                                " calibration set, answers scored without it agreed")
    assert f"within one point {avg.within_one * 100:.0f}% of the time" in p.message
    assert p.message.endswith("— write it, or let `mockflow draft` suggest it for your review")


@pytest.mark.parametrize("path", INTERVIEWS, ids=lambda p: p.name)
def test_shipped_interviews_still_check_clean(path: Path) -> None:
    assert check_bytes(path.read_bytes(), str(path)).problems == []
