"""What a question without graded example answers costs the offline scorer, measured.

The shipped calibration set (tests/calibration/, hand-scored answers that are never the
interviews' own examples) is scored leave-one-interview-out, exactly as
``benchmarks/scoring.py`` does it: for each interview, the scorer's two fitted parameters
are chosen on the other two interviews (with their examples), then the held-out
interview's answers are scored. That is the baseline. Each variant then removes one set
of example grades (all three, or one or two of them) from **every question of the
held-out interview** before scoring it, with the same fitted parameters: what a new
interview written without them gets.

The figures are what ``mockflow validate`` quotes in its MF502 warning
(``mockflow/format/readiness.py``) and what docs/calibration.md tabulates; a test
(tests/test_readiness.py) recomputes them and fails when they drift, so after a change to
the offline scorer run::

    .venv/bin/python scripts/measure_readiness.py --write

which rewrites the figures in both places, with the commit they were measured on.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import scoring as bench  # noqa: E402  (benchmarks/scoring.py: the LOIO machinery)

from mockflow.format.model import Examples, Interview  # noqa: E402
from mockflow.format.readiness import GRADES, Figures  # noqa: E402
from mockflow.scoring.calibration import Scored, score_answers  # noqa: E402
from mockflow.scoring.offline import OfflineScorer  # noqa: E402

READINESS = ROOT / "mockflow" / "format" / "readiness.py"
DOC = ROOT / "docs" / "calibration.md"
BEGIN, END = "# -- measured: begin", "# -- measured: end"
DOC_BEGIN, DOC_END = "<!-- readiness: begin -->", "<!-- readiness: end -->"

# every non-empty set of missing grades, all three first
VARIANTS: tuple[tuple[str, ...], ...] = tuple(
    combo for size in (3, 2, 1) for combo in itertools.combinations(GRADES, size))


def without(iv: Interview, missing: Sequence[str]) -> Interview:
    """The interview with the ``missing`` example grades removed from every question."""
    questions = tuple(
        dataclasses.replace(q, examples=Examples(**{
            g: None if g in missing else q.examples.get(g) for g in GRADES}))
        for q in iv.questions)
    return dataclasses.replace(iv, questions=questions,
                               questions_by_id={q.id: q for q in questions})


def figures(items: list[Scored]) -> Figures:
    a = bench.agree(items)
    return Figures(n=a.n, exact=round(a.exact, 3), within_one=round(a.within_one, 3),
                   mae=round(a.mae, 3), spearman=round(a.spearman, 3), qwk=round(a.qwk, 3))


def measure() -> tuple[Figures, dict[tuple[str, ...], Figures], dict[str, tuple[float, float]]]:
    """(baseline LOIO figures, figures per missing-grade variant, parameters per
    held-out interview)."""
    sets = bench.load()
    by_setting = {p: bench.scored(sets, *p) for p in bench.GRID}
    chosen: dict[str, tuple[float, float]] = {}
    baseline: list[Scored] = []
    for held in sets:
        def fit(p: tuple[float, float], held: str = held) -> tuple[float, float]:
            a = bench.agree([s for name, items in by_setting[p].items() if name != held
                             for s in items])
            return a.within_one, -a.mae
        chosen[held] = max(bench.GRID, key=fit)
        baseline += by_setting[chosen[held]][held]
    variants: dict[tuple[str, ...], Figures] = {}
    for missing in VARIANTS:
        pooled: list[Scored] = []
        for held, (iv, answers) in sets.items():
            with bench.parameters(*chosen[held]):
                pooled += score_answers(without(iv, missing), answers, OfflineScorer())
        variants[missing] = figures(pooled)
    return figures(baseline), variants, chosen


def commit() -> str:
    """The commit measured, and whether the scorer differed from it."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                                "mockflow/scoring", "benchmarks/scoring.py",
                                "tests/calibration", "interviews"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+changes" if dirty else head


def _code(base: Figures, variants: dict[tuple[str, ...], Figures], at: str) -> str:
    lines = [BEGIN, f'MEASURED_ON = "{at}"', "WITH_EXAMPLES = (", f"    {base!r})",
             "WITHOUT: dict[tuple[str, ...], Figures] = {"]
    lines += [f"    {missing!r}:\n        {fig!r}," for missing, fig in variants.items()]
    lines += ["}", END]
    return "\n".join(lines)


def _table(base: Figures, variants: dict[tuple[str, ...], Figures], at: str) -> str:
    rows = [DOC_BEGIN,
            f"Measured on commit `{at}` by `scripts/measure_readiness.py` ({base.n} answers,"
            " leave-one-interview-out):", "",
            "| example answers of every question | exact | within one | MAE | Spearman"
            " | QWK |", "|---|---|---|---|---|---|",
            f"| all three (baseline) | {base.exact:.3f} | {base.within_one:.3f} |"
            f" {base.mae:.2f} | {base.spearman:.2f} | {base.qwk:.2f} |"]
    for missing, f in variants.items():
        kept = [g for g in GRADES if g not in missing]
        label = "none (key points only)" if not kept else \
            f"{' and '.join(kept)} only (no {'/'.join(missing)})"
        rows.append(f"| {label} | {f.exact:.3f} | {f.within_one:.3f} | {f.mae:.2f} |"
                    f" {f.spearman:.2f} | {f.qwk:.2f} |")
    rows.append(DOC_END)
    return "\n".join(rows)


def _replace(text: str, begin: str, end: str, block: str, where: Path) -> str:
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{where}: no '{begin}' ... '{end}' block to replace")
    return pattern.sub(lambda _: block, text, count=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true",
                        help="rewrite the figures in mockflow/format/readiness.py and"
                             " docs/calibration.md")
    args = parser.parse_args()
    base, variants, chosen = measure()
    at = commit()
    print(f"measured on {at}; parameters per held-out interview: "
          + ", ".join(f"{k} {w:g}/{t:g}" for k, (w, t) in chosen.items()))
    print(_table(base, variants, at))
    if args.write:
        READINESS.write_text(_replace(READINESS.read_text("utf-8"), BEGIN, END,
                                      _code(base, variants, at), READINESS), "utf-8")
        DOC.write_text(_replace(DOC.read_text("utf-8"), DOC_BEGIN, DOC_END,
                                _table(base, variants, at), DOC), "utf-8")
        print(f"wrote {READINESS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
