"""Persona expectations (plain Python, no livekit): check an interview's ``expect``
section against simulated scorecards, and report misses as a diff or JUnit XML.

``expect`` gives, per persona (``strong``, ``average``, ``weak``), ranges for the
overall score and for competency scores (level-adjusted, as in the scorecard), and an
``order`` such as ``[strong, average, weak]``. ``mockflow test`` simulates every persona
the section names over seeds 1–10 and checks **every seed**: a range holds when each
seed's score is inside it, an order when each seed's overall scores are strictly in
that order. A miss names the persona, the seed, the value and what was expected::

    persona strong seed 3: overall 3.2 not in 3.5..4.5

``summarise`` gives the mean and spread of scores over runs (``mockflow simulate
--runs``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from mockflow.format.model import PERSONAS, Expectations, Interview, ScoreRange
from mockflow.simulate.readiness import QuestionReadiness

SEEDS: tuple[int, ...] = tuple(range(1, 11))
EPSILON = 1e-9

Scorecards = Mapping[tuple[str, int], Mapping[str, Any]]
"""Scorecard dicts by (persona, seed)."""


def personas_needed(expect: Expectations) -> tuple[str, ...]:
    """The personas an ``expect`` section names, best first."""
    named = set(expect.personas) | set(expect.order)
    return tuple(p for p in PERSONAS if p in named)


def fmt_score(value: float | None) -> str:
    return "not observed" if value is None else f"{value:g}"


def fmt_range(rng: ScoreRange) -> str:
    return f"{rng.min:g}..{rng.max:g}"


def overall_of(card: Mapping[str, Any]) -> float | None:
    score = (card.get("overall") or {}).get("score")
    return None if score is None else float(score)


def competency_of(card: Mapping[str, Any], competency: str) -> float | None:
    for comp in card.get("competencies", []):
        if comp.get("id") == competency:
            score = comp.get("score")
            return None if score is None else float(score)
    return None


@dataclass(frozen=True, slots=True)
class Miss:
    seed: int
    value: str  # what was seen, as shown
    message: str


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation over all seeds: a persona's range for a target, or an order."""

    name: str  # "strong overall", "strong system_design", "order strong > average > weak"
    persona: str | None
    target: str  # "overall", a competency id, or "order"
    expected: str
    seeds: tuple[int, ...]
    misses: tuple[Miss, ...] = ()
    values: tuple[str, ...] = ()  # per seed, as shown

    @property
    def passed(self) -> bool:
        return not self.misses


@dataclass(slots=True)
class FileReport:
    path: str
    interview: str | None = None  # id@hash
    personas: tuple[str, ...] = ()
    seeds: tuple[int, ...] = SEEDS
    checks: list[Check] = field(default_factory=list)
    error: str | None = None  # the file could not be tested at all
    seconds: float = 0.0
    questions: list[QuestionReadiness] = field(default_factory=list)  # scoring readiness

    @property
    def misses(self) -> list[tuple[Check, Miss]]:
        return [(c, m) for c in self.checks for m in c.misses]

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "interview": self.interview,
            "passed": self.passed,
            "error": self.error,
            "personas": list(self.personas),
            "seeds": list(self.seeds),
            "seconds": round(self.seconds, 3),
            "checks": [{"name": c.name, "persona": c.persona, "target": c.target,
                        "expected": c.expected, "passed": c.passed,
                        "values": dict(zip(map(str, c.seeds), c.values, strict=True)),
                        "misses": [{"seed": m.seed, "value": m.value, "message": m.message}
                                   for m in c.misses]}
                       for c in self.checks],
            "questions": [q.to_dict() for q in self.questions],
        }


def _range_check(persona: str, target: str, rng: ScoreRange, seeds: Sequence[int],
                 cards: Scorecards) -> Check:
    misses: list[Miss] = []
    values: list[str] = []
    for seed in seeds:
        card = cards[(persona, seed)]
        value = overall_of(card) if target == "overall" else competency_of(card, target)
        shown = fmt_score(value)
        values.append(shown)
        if value is None or not rng.min - EPSILON <= value <= rng.max + EPSILON:
            if value is None:
                message = (f"persona {persona} seed {seed}: {target} not observed, expected"
                           f" {fmt_range(rng)}")
            else:
                message = f"persona {persona} seed {seed}: {target} {shown} not in" \
                          f" {fmt_range(rng)}"
            misses.append(Miss(seed, shown, message))
    return Check(f"{persona} {target}", persona, target, fmt_range(rng), tuple(seeds),
                 tuple(misses), tuple(values))


def _order_check(order: Sequence[str], seeds: Sequence[int], cards: Scorecards) -> Check:
    expected = " > ".join(order)
    misses: list[Miss] = []
    values: list[str] = []
    for seed in seeds:
        scores = [overall_of(cards[(p, seed)]) for p in order]
        shown = ", ".join(f"{p} {fmt_score(s)}" for p, s in zip(order, scores, strict=True))
        values.append(shown)
        ok = all(s is not None for s in scores) and all(
            a is not None and b is not None and a > b + EPSILON
            for a, b in zip(scores, scores[1:], strict=False))
        if not ok:
            misses.append(Miss(seed, shown, f"seed {seed}: overall {expected} does not hold:"
                                            f" {shown}"))
    return Check(f"order {expected}", None, "order", expected, tuple(seeds), tuple(misses),
                 tuple(values))


def evaluate(interview: Interview, cards: Scorecards, seeds: Sequence[int] = SEEDS
             ) -> list[Check]:
    """Every expectation of the interview against the scorecards of every seed."""
    checks: list[Check] = []
    expect = interview.expect
    for persona in PERSONAS:
        exp = expect.personas.get(persona)
        if exp is None:
            continue
        if exp.overall is not None:
            checks.append(_range_check(persona, "overall", exp.overall, seeds, cards))
        for comp in interview.competencies:  # in the file's order
            rng = exp.competencies.get(comp.id)
            if rng is not None:
                checks.append(_range_check(persona, comp.id, rng, seeds, cards))
    if len(expect.order) >= 2:
        checks.append(_order_check(expect.order, seeds, cards))
    return checks


# ------------------------------------------------------------------ reports


def report_lines(report: FileReport) -> list[str]:
    """The text report of one file: a summary line, then one line per miss."""
    if report.error is not None:
        return [f"{report.path}: error: {report.error}", *readiness_lines(report)]
    seeds = _seed_text(report.seeds)
    passed = sum(c.passed for c in report.checks)
    head = (f"{report.path}: {'ok' if report.passed else 'FAILED'}: {passed} of"
            f" {len(report.checks)} expectations hold over seeds {seeds}"
            f" ({', '.join(report.personas)}; {report.seconds:.1f} s)")
    lines = [head]
    for check in report.checks:
        if check.passed:
            continue
        lines.append(f"  {check.name}: expected {check.expected}; missed on"
                     f" {len(check.misses)} of {len(check.seeds)} seeds")
        lines += [f"    {m.message}" for m in check.misses]
    return lines + readiness_lines(report)


def readiness_lines(report: FileReport) -> list[str]:
    """Per question: is its scoring calibrated (``mockflow.simulate.readiness``)?"""
    if not report.questions:
        return []
    good = [q.id for q in report.questions if q.calibrated]
    bad = [q for q in report.questions if not q.calibrated]
    lines = [f"  scoring calibrated for {len(good)} of {len(report.questions)} questions"
             f" (examples for each grade; simulated strong > average > weak on every seed,"
             f" offline scorer)"]
    if good:
        lines.append(f"    calibrated: {', '.join(good)}")
    lines += [f"    not calibrated: {q.id}: {q.reason}" for q in bad]
    return lines


def _seed_text(seeds: Sequence[int]) -> str:
    s = list(seeds)
    if s and s == list(range(s[0], s[-1] + 1)) and len(s) > 2:
        return f"{s[0]}-{s[-1]}"
    return ",".join(map(str, s))


def junit_xml(reports: Sequence[FileReport]) -> str:
    """JUnit XML: a test suite per file, a test case per expectation (all seeds)."""
    suites = ET.Element("testsuites", name="mockflow test")
    total = failures = errors = 0
    for report in reports:
        suite = ET.SubElement(suites, "testsuite", name=report.path,
                              time=f"{report.seconds:.3f}")
        n_fail = n_err = 0
        if report.error is not None:
            case = ET.SubElement(suite, "testcase", classname=report.path, name="expect")
            ET.SubElement(case, "error", message=report.error).text = report.error
            n_err = 1
            cases = 1
        else:
            cases = len(report.checks)
            for check in report.checks:
                case = ET.SubElement(suite, "testcase", classname=report.path,
                                     name=check.name, time="0")
                if not check.passed:
                    n_fail += 1
                    text = "\n".join(m.message for m in check.misses)
                    ET.SubElement(case, "failure", type="ExpectationMiss",
                                  message=f"expected {check.expected}; missed on"
                                          f" {len(check.misses)} of {len(check.seeds)} seeds"
                                  ).text = text
        suite.set("tests", str(cases))
        suite.set("failures", str(n_fail))
        suite.set("errors", str(n_err))
        total += cases
        failures += n_fail
        errors += n_err
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


# ------------------------------------------------------------------ summaries


@dataclass(frozen=True, slots=True)
class Stat:
    mean: float | None
    sd: float | None  # sample standard deviation (0 for one run)
    min: float | None
    max: float | None
    observed: int  # runs in which it was observed
    runs: int

    def to_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 3)

        return {"mean": r(self.mean), "sd": r(self.sd), "min": r(self.min), "max": r(self.max),
                "observed": self.observed, "runs": self.runs}


def stat(values: Iterable[float | None]) -> Stat:
    all_values = list(values)
    seen = [v for v in all_values if v is not None and not math.isnan(v)]
    if not seen:
        return Stat(None, None, None, None, 0, len(all_values))
    sd = statistics.stdev(seen) if len(seen) > 1 else 0.0
    return Stat(statistics.fmean(seen), sd, min(seen), max(seen), len(seen), len(all_values))


def summarise(interview: Interview, cards: Sequence[Mapping[str, Any]]
              ) -> dict[str, tuple[str, Stat]]:
    """Per competency (file order) and ``overall``: (display name, statistics)."""
    out: dict[str, tuple[str, Stat]] = {}
    for comp in interview.competencies:
        out[comp.id] = (comp.name, stat(competency_of(c, comp.id) for c in cards))
    out["overall"] = ("Overall", stat(overall_of(c) for c in cards))
    return out
