"""Hypothesis mutates valid interview files; the front end only ever returns problems."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockflow.format.errors import CODES, INTERNAL
from mockflow.format.validate import check_bytes

SEEDS = [p.read_bytes() for p in sorted((ROOT / "interviews").glob("*.yaml"))]
SEEDS += [p.read_bytes() for p in sorted((ROOT / "tests" / "cases" / "valid").glob("*.yaml"))]

INSERTS = [
    b"&a ", b"*a", b"!!python/object ", b"<<: ", b"---\n", b"[" * 80, b"{", b"\t", b": ",
    b"- ", b"\x00", b"\xff\xfe", b"'", b'"', b"\n  ", b"{{ candidate.name }}", b"{% for %}",
    b"yes", b"1e999", b"99999999999999999999", b"? [a]\n: 1\n", b"\xe9", b"{{ x ** 9 }}",
]


def _check(raw: bytes) -> None:
    result = check_bytes(raw, "fuzz.yaml")
    for problem in result.problems:
        # MF000 is check_bytes turning an exception inside mockflow into a problem: it is a
        # known code, so it must be refused by name or a crash would pass as a finding
        assert problem.code != INTERNAL, f"mockflow crashed on this input: {problem.message}"
        assert problem.code in CODES
        assert problem.line >= 1 and problem.column >= 1
        assert problem.message
    if result.compiled is not None:
        assert not result.errors


def test_the_check_fails_on_a_planted_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fuzz tests can fail: an exception planted in the semantic checks (reported by
    check_bytes as MF000, a known code) makes ``_check`` fail, for every seed."""
    import mockflow.format.checks as checks

    def planted(r: object, iv: object) -> None:
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(checks, "CHECKS", (*checks.CHECKS, planted))
    assert check_bytes(SEEDS[0], "seed.yaml").problems[0].code == INTERNAL
    for raw in SEEDS:
        with pytest.raises(AssertionError, match="mockflow crashed on this input"):
            _check(raw)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "dup"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(INSERTS))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_never_raise(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 120), st.sampled_from([b"[", b"{a: ", b"- ", b"a:\n  "]))
def test_deep_nesting_never_raises(depth: int, opener: bytes) -> None:
    _check(b"mockflow: 1\nx: " + opener * depth + b"\n")


def test_alias_bomb_is_rejected_without_expansion() -> None:
    lines = [b'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 30):
        refs = b", ".join([b"*a%d" % (i - 1)] * 9)
        lines.append(b"a%d: &a%d [%s]" % (i, i, refs))
    result = check_bytes(b"\n".join(lines) + b"\n")
    assert {p.code for p in result.problems} == {"MF006"}


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 1000) | st.floats(-5, 5, allow_nan=False)
    | st.text(max_size=30) | st.sampled_from(["mid", "junior", "senior", "{{ candidate.name }}",
                                              "system_design", "x", "{{ role.titel }}"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(node: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


# The seeds parsed once (a fresh deep copy per example: the same data as parsing again),
# and dumped by libyaml's emitter when there is one: it writes the seeds byte for byte as
# PyYAML's pure-Python one does, ten times faster (the pure-Python round trip was most of
# each example's time).
PARSED = [yaml.safe_load(seed) for seed in SEEDS]
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@st.composite
def structurally_mutated(draw: st.DrawFn) -> bytes:
    data = copy.deepcopy(draw(st.sampled_from(PARSED)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent: object = data
        for step in path[:-1]:
            parent = parent[step]  # type: ignore[index]
        op = draw(st.sampled_from(["replace", "delete"]))
        if op == "delete":
            del parent[path[-1]]  # type: ignore[attr-defined]
        else:
            parent[path[-1]] = draw(JSON_VALUES)  # type: ignore[index]
    return yaml.dump(data, Dumper=DUMPER, sort_keys=False, allow_unicode=True).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structurally_mutated())
def test_structurally_mutated_files_never_raise(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structurally_mutated())
def test_fast_and_reference_schema_validators_agree(raw: bytes) -> None:
    from mockflow.format.schema import fast_validator, validator
    from mockflow.format.yaml_io import load_bytes

    doc = load_bytes(raw)
    if doc.data is None:
        return
    reference = next(iter(validator().iter_errors(doc.data)), None)
    assert fast_validator().is_valid(doc.data) == (reference is None), reference
