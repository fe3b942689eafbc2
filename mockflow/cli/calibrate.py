"""``mockflow calibrate``: score hand-scored answers and report how well a judge agrees.

The answers files' format is in docs/calibration.md; the statistics live in
``mockflow.scoring.calibration``. Exit 0 when it ran, 1 only when ``--min-within-one``
is given and missed, 2 for a usage or input problem (a bad answers file, a judge that
isn't available).
"""

from __future__ import annotations

import json
import math
import os
from enum import StrEnum
from typing import Annotated

import typer

from mockflow.cli.common import ExitCode, Format, err, load_or_exit, out, plural
from mockflow.format.errors import InputError
from mockflow.format.model import Interview
from mockflow.scoring.base import Scorer
from mockflow.scoring.calibration import (
    Agreement,
    AnswersFile,
    Calibration,
    CalibrationFileError,
    FlagFigures,
    calibrate,
    load_answers,
)
from mockflow.scoring.offline import OFFLINE


class Judge(StrEnum):
    offline = "offline"
    llm = "llm"


def judge_scorer(interview: Interview, judge: Judge, model: str | None,
                 base_url: str | None) -> Scorer:
    """The scorer behind ``--judge``: the offline scorer, or the LLM judge (any
    OpenAI-compatible endpoint; the key from the file's ``judge.api_key_env``)."""
    if judge is Judge.offline:
        if model or base_url:
            err("mockflow: error: --judge-model and --judge-base-url need --judge llm")
            raise typer.Exit(ExitCode.USAGE)
        return OFFLINE
    from mockflow.scoring.judge import JudgeUnavailable, choose

    try:
        return choose(interview, os.environ, mode="llm", model=model, base_url=base_url).scorer
    except JudgeUnavailable as exc:
        err(f"mockflow: error: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _agreement_line(a: Agreement) -> str:
    return (f"exact {_num(a.exact)}  within one {_num(a.within_one)}  MAE {_num(a.mae)}"
            f"  Spearman {_num(a.spearman)}  QWK {_num(a.qwk)}")


def _flags_line(f: FlagFigures) -> str:
    recall = "—" if f.flag_recall is None else f"{f.flag_recall:.2f}"
    return (f"bias {f.bias:+.2f}  flagged {f.flag_rate:.2f}  flag recall {recall}"
            f" ({f.far} off by 2+)")


def text_report(result: Calibration, files: list[AnswersFile]) -> list[str]:
    lines = [f"{result.interview}: {plural(result.overall.n, 'answer')} from"
             f" {plural(len(files), 'file')}, judge {result.judge}",
             "  " + _agreement_line(result.overall),
             "  " + _flags_line(result.flags)]
    width = max((len(name) for name, _ in (*result.by_competency, *result.by_kind)),
                default=8)
    flags = dict(result.flags_by_kind)
    for title, groups in (("per competency", result.by_competency),
                          ("per kind", result.by_kind)):
        lines.append(f"{title}:")
        for name, a in groups:
            lines.append(f"  {name:<{width}}  n={a.n:<3} " + _agreement_line(a))
            if name in flags and title == "per kind":
                lines.append(f"  {'':<{width}}        " + _flags_line(flags[name]))
    lines.append(f"ordering (a higher hand score scored lower on the same question):"
                 f" {plural(len(result.violations), 'violation')}")
    for v in result.violations:
        lines.append(f"  {v.question}: hand {v.higher.hand.score} scored {v.higher.score:g}"
                     f" < hand {v.lower.hand.score} scored {v.lower.score:g}")
    far = [s for s in result.items if abs(s.score - s.hand.score) >= 2]
    lines.append(f"two or more points apart: {len(far)}"
                 f" ({sum(1 for s in far if s.flagged)} flagged for review)")
    for s in far:
        kind = f" ({s.hand.kind})" if s.hand.kind else ""
        why = "Not observed." if s.result is None else s.result.rationale
        mark = "flagged" if s.flagged else "NOT flagged"
        lines.append(f"  {s.hand.question}{kind}: hand {s.hand.score}, scored {s.score:g},"
                     f" confidence {s.confidence:.2f}, {mark}. {why}")
    flagged = [s for s in result.items if s.flagged]
    lines.append(f"flagged for review: {len(flagged)}")
    for s in flagged:
        kind = f" ({s.hand.kind})" if s.hand.kind else ""
        lines.append(f"  {s.hand.question}{kind}: hand {s.hand.score}, scored {s.score:g}: "
                     + "; ".join(f"{flag}: {detail}" for flag, detail in s.flags))
    return lines


def calibrate_command(
    interview: Annotated[str, typer.Argument(help="Interview file.")],
    answers: Annotated[list[str], typer.Argument(help="Answers files (docs/calibration.md).")],
    judge: Annotated[Judge, typer.Option(help="Who scores: the offline scorer or the LLM"
                                              " judge.")] = Judge.offline,
    judge_model: Annotated[str | None, typer.Option(
        "--judge-model", help="With --judge llm: the judge's model (replaces the file's).")]
    = None,
    judge_base_url: Annotated[str | None, typer.Option(
        "--judge-base-url", help="With --judge llm: an OpenAI-compatible endpoint.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    min_within_one: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Exit 1 when within-one agreement"
                                                          " is below this (for CI).")
    ] = None,
) -> None:
    """Score hand-scored answers and report agreement with the hand scores."""
    compiled = load_or_exit(interview)
    iv = compiled.interview
    files: list[AnswersFile] = []
    failed = False
    for path in answers:
        try:
            files.append(load_answers(path, iv))
        except CalibrationFileError as exc:
            for line in exc.lines():
                err(line)
            failed = True
        except InputError as exc:
            err(f"mockflow: error: {exc}")
            failed = True
    if failed:
        err("mockflow: error: fix the answers files above first")
        raise typer.Exit(ExitCode.USAGE)
    scorer = judge_scorer(iv, judge, judge_model, judge_base_url)
    result = calibrate(iv, files, scorer)
    if fmt is Format.json:
        out(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        for line in text_report(result, files):
            out(line)
    if min_within_one is not None and not result.overall.within_one >= min_within_one:
        err(f"mockflow: within-one agreement {_num(result.overall.within_one, 3)} is below"
            f" --min-within-one {min_within_one:g}")
        raise typer.Exit(ExitCode.PROBLEMS)
