"""The safe loader: YAML 1.2 core scalars, JSON types only, positions, collected problems."""

from __future__ import annotations

import pytest

from mockflow.format.yaml_io import MAX_DEPTH, load_bytes, load_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("NO", "NO"), ("y", "y"),
        ("true", True), ("False", False), ("TRUE", True),
        ("null", None), ("~", None), ("", None),
        ("42", 42), ("-7", -7), ("010", 10), ("0o17", "0o17"), ("0x1F", "0x1F"),
        ("1.5", 1.5), ("1e3", 1000.0), ("1:20", "1:20"), ("2001-12-14", "2001-12-14"),
        ("'true'", "true"), ('"42"', "42"), ("9007199254740992", 2**53),
    ],
)
def test_core_schema_scalars(text: str, expected: object) -> None:
    doc = load_text(f"v: {text}\n")
    assert doc.problems == []
    assert doc.data == {"v": expected}
    assert type(doc.data["v"]) is type(expected)


@pytest.mark.parametrize("text", ["9007199254740993", ".inf", "-.Inf", ".nan", "1e400"])
def test_numbers_json_cannot_hold_are_rejected(text: str) -> None:
    doc = load_text(f"v: {text}\n")
    assert [(p.code, p.line, p.column) for p in doc.problems] == [("MF013", 1, 4)]


def test_positions_of_values_and_keys() -> None:
    doc = load_text("a:\n  b: [1, {c: d}]\n  e: |\n    text\n")
    assert doc.positions[("a", "b", 1, "c")] == (2, 14)
    assert doc.key_positions[("a", "b", 1, "c")] == (2, 11)
    assert doc.key_positions[("a", "e")] == (3, 3)
    assert doc.position(("a", "missing", 3)) == doc.positions[("a",)]


def test_all_non_fatal_problems_are_collected() -> None:
    doc = load_text("a: 1\na: 2\nb: !!str x\nc: &x 1\nd: *x\n1: e\n")
    assert [(p.code, p.line) for p in doc.problems] == [
        ("MF004", 2), ("MF005", 3), ("MF006", 4), ("MF006", 5), ("MF010", 6),
    ]
    assert "first defined at line 1" in doc.problems[0].message


def test_duplicate_key_keeps_first_and_siblings_keep_positions() -> None:
    doc = load_text("role:\n  title: A\nrole:\n  title: B\n")
    assert doc.data == {"role": {"title": "A"}}
    assert doc.positions[("role", "title")] == (2, 10)


def test_complex_keys_are_skipped_whole() -> None:
    doc = load_text("? [a, {b: c}]\n: 1\nok: 2\n")
    assert doc.data == {"ok": 2}
    assert [p.code for p in doc.problems] == ["MF010"]


def test_depth_limit_is_exact() -> None:
    ok = "v: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert load_text(ok).problems == []
    deep = "v: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    assert [p.code for p in load_text(deep).problems] == ["MF011"]


def test_utf8_bom_is_accepted_and_bad_byte_is_located() -> None:
    assert load_bytes(b"\xef\xbb\xbfa: 1\n").data == {"a": 1}
    doc = load_bytes(b"a: 1\nb: caf\xe9\n")
    assert [(p.code, p.line, p.column) for p in doc.problems] == [("MF002", 2, 7)]


def test_tab_indentation_message_says_the_fix() -> None:
    doc = load_text("a:\n\tb: 1\n")
    assert doc.problems[0].code == "MF001"
    assert "tab" in doc.problems[0].message and "spaces" in doc.problems[0].message


def test_unclosed_flow_list_message_says_the_fix() -> None:
    doc = load_text("hints: [Think about expiry, invalidation\nlevel: mid\n")
    problem = doc.problems[0]
    assert (problem.code, problem.line, problem.column) == ("MF001", 1, 8)
    assert "is not closed on its line" in problem.message and "block list" in problem.message


def test_colon_in_plain_value_message_says_the_fix() -> None:
    doc = load_text("text: Question: how would you cache it?\n")
    problem = doc.problems[0]
    assert (problem.code, problem.line, problem.column) == ("MF001", 1, 15)
    assert "put the whole text in quotes: text: 'Question: how would you cache it?'" \
        in problem.message
    assert "or write it as a block: 'text: >-'" in problem.message
