"""Validation stays linear in the size of the file: a guard that can't rot with the machine.

Time is not measured (the suite runs on busy machines): the work is counted instead, as the
number of Python function calls (generator resumptions included) that ``check_bytes``
makes, with cProfile, for a file of n questions and one of 4n. Linear work gives a ratio
of at most 4 (less, with the fixed costs); the template bound check that recomputed the
whole file's context for every template gave 10 and more, and a did-you-mean for every
unknown reference against every id is quadratic too. Each shape of file exercises one
path: plain, templated, schema errors in every question (the template checks skip the
damaged texts), unknown references, template errors.
"""

from __future__ import annotations

import cProfile
import re
import sys
from collections.abc import Callable

import pytest
from conftest import ROOT

from mockflow.format.validate import check_bytes

sys.path.append(str(ROOT / "benchmarks"))

from compile import generate  # noqa: E402

SMALL = 50
LINEAR = 4.4  # 4.0 is linear; the margin covers what grows a little faster (sorting)


def _plain(n: int) -> bytes:
    return generate(n, templated_every=0)


def _templated(n: int) -> bytes:
    return generate(n, templated_every=1)


def _schema_errors(n: int) -> bytes:
    return generate(n).replace(b"answer_seconds: 60", b"answer_seconds: -5")


def _unknown_references(n: int) -> bytes:
    refs = ", ".join(f"x-{i:04d}" for i in range(n))
    return generate(n).replace(
        b"  - {id: craft, pick: 4, competencies: [apis, testing]}",
        f"  - {{id: craft, questions: [{refs}]}}".encode())


def _template_errors(n: int) -> bytes:
    return re.sub(rb"text: \"How would you approach problem number (\d+)",
                  rb'text: "Hi {{ nope }} \1', generate(n, templated_every=0))


def calls(raw: bytes) -> tuple[int, list[str]]:
    profile = cProfile.Profile()
    profile.enable()
    try:
        result = check_bytes(raw, "generated.yaml")
    finally:
        profile.disable()
    return sum(entry.callcount for entry in profile.getstats()), [p.code for p in
                                                                   result.problems]


@pytest.mark.parametrize(("make", "n", "codes"), [
    (_plain, SMALL, set()),
    (_templated, SMALL, set()),
    (_schema_errors, SMALL, {"MF205"}),
    # from 150 on, the did-you-mean budget is spent: its work stays constant
    (_unknown_references, 150, {"MF102", "MF507"}),
    (_template_errors, SMALL, {"MF303"}),
], ids=["plain", "templated", "schema-errors", "unknown-references", "template-errors"])
def test_validation_work_grows_linearly(make: Callable[[int], bytes], n: int,
                                        codes: set[str]) -> None:
    small, small_codes = calls(make(n))
    large, large_codes = calls(make(4 * n))
    assert set(large_codes) == set(small_codes) == codes  # the shape does what it says
    assert large / small <= LINEAR, (
        f"{4 * n} questions cost {large:,} calls, {large / small:.2f}x the {small:,} of"
        f" {n}: validation is no longer linear in the file's size")


def test_the_plain_fix_follows_the_hint_budget() -> None:
    """Past the budget of did-you-mean comparisons, unknown references still get their
    message with the plain fix, at their own position."""
    result = check_bytes(_unknown_references(400), "generated.yaml")
    unknown = [p for p in result.problems if p.code == "MF102"]
    assert len(unknown) == 400
    assert "did you mean 'q-0000'?" in unknown[0].message
    assert unknown[-1].message == ("stage 'craft' lists unknown question 'x-0399'; add it"
                                   " under questions: or fix the id")
    assert len({(p.line, p.column) for p in unknown}) == 400
