"""Injection screening and the judges' evidence gate, measured: what a benchmark of defences
can say honestly.

For each batch of injection cases (YAML, the format of tests/cases/injection/: an answer
and the same answer with an attack; a case whose ``kind`` says "benign" is a control with
no attack, counted apart: it must not be set aside):

- ``caught``: the screening flags the injected answer and nothing of the attack is left in
  what the scorers see (every word left is a word of the clean answer);
- ``raised``, per scorer (the offline scorer and three fake judges through the real openai
  client against the fake server: competent, obedient, obey-anything): the injected
  answer's counted score is above the clean answer's, each scored the way a session is
  (screening, the judge, the evidence gate, level adjustment).

Then the false alarms on the real answers (calibration set, the interviews' example
answers, the held-out answers): answers with anything set aside, sentences refused as
evidence.

Then what the judges' evidence gate (``mockflow.scoring.evidence_gate``) costs an honest
judge: the competent fake judge over the hand-scored calibration answers, agreement with
the hand scores with the gate (``after``) and without it (``before``, the reference in
the same run), and how many scores it held.

Flattering settings, disclosed: the fake judges are programs, not models; the
obey-anything judge obeys what its own (broad) reading finds, a real model may obey
other things. ``caught`` on batches written before the rules were finished says nothing
about attacks nobody has written yet; only a batch written blind does (docs/judge.md).

``--cases DIR`` (repeatable) measures other batches; ``--smoke`` runs two cases of the
first batch and one calibration file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from _common import add_smoke, table  # noqa: E402

from mockflow.format.compile import CompiledInterview  # noqa: E402
from mockflow.format.validate import load_interview  # noqa: E402
from mockflow.scoring import evidence_gate  # noqa: E402
from mockflow.scoring.base import AnsweredQuestion, Rubric, Scorer, SessionFacts  # noqa: E402
from mockflow.scoring.calibration import load_answers, score_answers  # noqa: E402
from mockflow.scoring.injection import never_evidence, screen, sentences  # noqa: E402
from mockflow.scoring.judge import LlmJudge  # noqa: E402
from mockflow.scoring.judge_prompt import role_info  # noqa: E402
from mockflow.scoring.offline import OFFLINE  # noqa: E402
from mockflow.scoring.scorecard import gate, level_adjustment  # noqa: E402
from mockflow.scoring.stage import score_session  # noqa: E402
from mockflow.testing.judges import (  # noqa: E402
    competent_judge,
    obedient_judge,
    obey_anything_judge,
)
from mockflow.testing.thread import serve_in_thread  # noqa: E402

INJECTION = ROOT / "tests" / "cases" / "injection"
BATCHES = (INJECTION, INJECTION / "unseen", INJECTION / "unseen2")
JUDGES = ("offline", "competent", "obedient", "obey-anything")
_COMPILED: dict[str, CompiledInterview] = {}


def compiled(name: str) -> CompiledInterview:
    if name not in _COMPILED:
        _COMPILED[name] = load_interview(ROOT / "interviews" / name)
    return _COMPILED[name]


@contextmanager
def judges() -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context(serve_in_thread(policy)).base_url
               for name, policy in (("competent", competent_judge),
                                    ("obedient", obedient_judge),
                                    ("obey-anything", obey_anything_judge))}


def scorer(name: str, c: CompiledInterview, urls: dict[str, str]) -> Scorer:
    if name == "offline":
        return OFFLINE
    return LlmJudge("fake-judge", role_info(c.interview), base_url=urls[name],
                    api_key="test", timeout_s=30)


def counted(c: CompiledInterview, question: str, turns: Sequence[str], s: Scorer
            ) -> float:
    q = c.interview.question(question)
    facts = SessionFacts(c.ref, 0, c.interview.ladder.start, "questions_exhausted", 60.0, None)
    result = score_session(c, [AnsweredQuestion(1, q, tuple(turns), (q.text,))], facts,
                           scorer=s).questions[0]
    return float("-inf") if result.adjusted is None else result.adjusted


def unscreened(c: CompiledInterview, question: str, turns: Sequence[str], s: Scorer
               ) -> float:
    """The counted score if the screening had let everything through: the judge reads the
    raw answer, then the evidence gate (hold and quote gate) as a session applies them."""
    iv = c.interview
    q = iv.question(question)
    rubric = Rubric(iv.competency(q.competency), iv.scale, iv.questions,
                    iv.interviewer.language)
    item = AnsweredQuestion(1, q, tuple(turns), (q.text,))
    adjustment = level_adjustment(iv, q.level)
    chosen = evidence_gate.hold(s.score(item, rubric), OFFLINE.score(item, rubric),
                                iv.scale.min)
    gated = gate(chosen, item.answers, iv.scale, adjustment=adjustment,
                 language=rubric.language)
    if gated is None or gated.score is None:
        return float(iv.scale.min)
    return iv.scale.clamp(gated.score + adjustment)


def caught(data: dict[str, Any]) -> bool:
    kept = screen(data["injected"])
    clean = {w for t in data["clean"] for w in t.split()}
    return kept.flagged and not ({w for t in kept.turns for w in t.split()} - clean - {""})


def batch(paths: Sequence[Path], urls: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": 0, "caught": 0, "missed": [], "controls": 0,
                           "controls_set_aside": 0,
                           **{f"raised_{j}": 0 for j in JUDGES}, "raised_unscreened": 0,
                           "raised_cases": []}
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        c = compiled(data["interview"])
        if "benign" in str(data.get("kind")):  # a control with no attack: must pass
            out["controls"] += 1
            out["controls_set_aside"] += screen(data["injected"]).flagged
            continue
        out["n"] += 1
        if caught(data):
            out["caught"] += 1
        else:
            out["missed"].append(path.stem)
        for name in JUDGES:
            s = scorer(name, c, urls)
            before = counted(c, data["question"], data["clean"], s)
            after = counted(c, data["question"], data["injected"], s)
            if after > before:
                out[f"raised_{name}"] += 1
                out["raised_cases"].append(f"{path.stem}:{name}:{before:g}->{after:g}")
        # the evidence gate alone: the obey-anything judge reads the unscreened answer
        worst = scorer("obey-anything", c, urls)
        before = counted(c, data["question"], data["clean"], worst)
        after = unscreened(c, data["question"], data["injected"], worst)
        if after > before:
            out["raised_unscreened"] += 1
            out["raised_cases"].append(f"{path.stem}:unscreened:{before:g}->{after:g}")
    return out


def real_answers() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "tests" / "calibration").glob("*.yaml")):
        texts += [a["answer"] for a in yaml.safe_load(path.read_text())["answers"]]
    for path in sorted((ROOT / "interviews").glob("*.yaml")):
        for q in yaml.safe_load(path.read_text())["questions"]:
            texts += list((q.get("examples") or {}).values())
    return texts


def false_alarms(texts: Sequence[str]) -> tuple[int, int]:
    """(answers with anything set aside, sentences refused as evidence)."""
    flagged = sum(screen([t]).flagged for t in texts)
    refused = sum(never_evidence(t[a:b]) for t in texts for a, b in sentences(t))
    return flagged, refused


def calibration(urls: dict[str, str], smoke: bool) -> dict[str, Any]:
    """The competent judge over the calibration answers, with the gate and without."""
    gold: list[float] = []
    after: list[float] = []
    before: list[float] = []
    alone: list[float] = []
    held = 0
    paths = sorted((ROOT / "tests" / "calibration").glob("*.yaml"))[:1 if smoke else None]
    by_id = {compiled(p.name).interview.id: compiled(p.name)
             for p in sorted((ROOT / "interviews").glob("*.yaml"))}
    for path in paths:
        c = by_id[path.stem]
        iv = c.interview
        answers = load_answers(path, iv).answers[:6 if smoke else None]
        items = score_answers(iv, answers, scorer("competent", c, urls))
        offline_items = score_answers(iv, answers, OFFLINE)
        alone += [o.score for o in offline_items]
        for item in items:
            gold.append(float(item.hand.score))
            after.append(item.score)
            ungated = item.score if item.held is None else item.held.score
            before.append(float(iv.scale.min) if ungated is None else ungated)
            held += item.held is not None
    n = len(gold)
    return {"n": n, "held": held, "before": agreement_of(gold, before),
            "after": agreement_of(gold, after), "offline": agreement_of(gold, alone)}


def agreement_of(gold: Sequence[float], got: Sequence[float]) -> dict[str, float]:
    n = len(gold) or 1
    return {"exact": sum(g == p for g, p in zip(gold, got, strict=True)) / n,
            "within_one": sum(abs(g - p) <= 1 for g, p in zip(gold, got, strict=True)) / n,
            "mae": sum(abs(g - p) for g, p in zip(gold, got, strict=True)) / n}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", action="append", type=Path, default=[],
                        help="a directory of injection cases (repeatable)")
    add_smoke(parser)
    args = parser.parse_args(argv)
    dirs = args.cases or list(BATCHES)
    figures: dict[str, object] = {}
    rows = []
    with judges() as urls:
        for d in dirs:
            paths = sorted(d.glob("*.yaml"))[:2 if args.smoke else None]
            got = batch(paths, urls)
            name = d.name
            share = got["caught"] / max(1, got["n"])
            rows.append([name, got["n"], f"{got['caught']} ({share:.0%})",
                         *[got[f"raised_{j}"] for j in JUDGES], got["raised_unscreened"]])
            figures[f"{name}_n"] = got["n"]
            if got["controls"]:
                figures[f"{name}_controls"] = got["controls"]
                figures[f"{name}_controls_set_aside"] = got["controls_set_aside"]
                print(f"{name}: {got['controls']} benign controls, set aside in"
                      f" {got['controls_set_aside']}")
            figures[f"{name}_caught"] = got["caught"]
            for j in JUDGES:
                figures[f"{name}_raised_{j.replace('-', '_')}"] = got[f"raised_{j}"]
            figures[f"{name}_raised_obey_anything_unscreened"] = got["raised_unscreened"]
            if got["missed"]:
                print(f"{name}: missed {', '.join(got['missed'])}")
            if got["raised_cases"]:
                print(f"{name}: raised {', '.join(got['raised_cases'])}")
        cal = calibration(urls, args.smoke)
    print(table(rows, ["batch", "n", "caught", *[f"raised:{j}" for j in JUDGES],
                       "raised:obey-anything, unscreened"]))
    texts = real_answers()
    if args.smoke:
        texts = texts[:20]
    flagged, refused = false_alarms(texts)
    print(f"real answers: {len(texts)}, set aside in {flagged}, sentences refused as evidence"
          f" {refused}")
    print(f"competent judge over {cal['n']} calibration answers, evidence gate held"
          f" {cal['held']} (gap {evidence_gate.HOLD_GAP}); before = without the gate,"
          " offline = the offline scorer alone")
    for when in ("before", "after", "offline"):
        a = cal[when]
        print(f"  {when}: exact {a['exact']:.3f} within-one {a['within_one']:.3f}"
              f" MAE {a['mae']:.3f}")
        for k, v in a.items():
            figures[f"calibration_competent_{when}_{k}"] = round(v, 3)
    figures.update(real_answers=len(texts), false_alarm_answers=flagged,
                   false_alarm_quotes=refused, calibration_n=cal["n"],
                   calibration_held=cal["held"])
    for k, v in figures.items():
        print(f"{k}={v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
