"""The judges' evidence gate: a judge's score far above the offline evidence does not count
until a person confirms it.

The screening (``mockflow.scoring.injection``) can't catch every attack nobody has written
yet, and a judge that obeys whatever reaches it gives the maximum to any appeal that got
through. The last line doesn't depend on catching the attack: whatever a judge read, its
score may be at most ``HOLD_GAP - 1`` points above what the offline scorer finds in the
same screened answer (its key points and the example answers it resembles: evidence a
candidate's appeal can't raise, since appeals carry no key point). A judge's score
``HOLD_GAP`` or more points above that is **held**: the question counts the offline score,
with its quotes, and carries the review flag ``judge and evidence disagree`` showing both
scores; a reviewer who reads the answer and agrees with the judge sets the judge's score
with ``mockflow review``.

Rule, exactly: with ``J`` the judge's raw score (before level adjustment) and ``O`` the
offline raw score of the same screened answer (the scale minimum when it observed
nothing), the counted raw score is ``O`` when ``J - O >= HOLD_GAP``; when ``J`` is above
``O`` by less than that, ``J`` counts only if one of the judge's quotes is (part of) a
sentence the offline scorer quotes as evidence (``corroborated``), else ``O``; ``J`` at or
below ``O`` always counts. So a judge's score rises above the offline evidence only on
the sentences that carry the answer's content, never on an appeal alone.

The cost: where an honest judge is right and the offline scorer is far off (a good answer
in everyday words), the counted score is the offline one until a person looks; the
figures with the competent fake judge over the calibration set are in docs/judge.md
(``benchmarks/screening.py`` measures them with the gate and without).
"""

from __future__ import annotations

from dataclasses import replace

from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Rubric
from mockflow.scoring.offline import OFFLINE

HOLD_GAP = 2  # a judge this many points or more above the offline evidence is held
REVIEW_JUDGE_EVIDENCE = "judge and evidence disagree"
JUDGED = ("judge:", "panel:")  # the sources of an LLM judge's score (one model or a panel)


def offline_evidence(chosen: QuestionScore | None, seen: AnsweredQuestion, rubric: Rubric
                     ) -> QuestionScore | None:
    """The offline scorer's score of the screened answer ``seen`` when ``chosen`` is a
    judge's (the engine's own offline score when the session recorded one); else None."""
    if chosen is None or not chosen.source.startswith(JUDGED) or not seen.answers:
        return None
    engine = seen.engine_score
    return engine if engine is not None and engine.signals else OFFLINE.score(seen, rubric)


def hold(chosen: QuestionScore | None, offline: QuestionScore | None, minimum: int
         ) -> QuestionScore | None:
    """``chosen`` (a judge's score), or the offline score ``offline`` when the judge is
    ``HOLD_GAP`` or more points above it: flagged, with both scores and the offline
    rationale, so a person decides."""
    if chosen is None or chosen.score is None or offline is None \
            or not chosen.source.startswith(JUDGED):
        return chosen
    evidence = float(minimum) if offline.score is None else offline.score
    gap = chosen.score - evidence
    if gap <= 0 or (gap < HOLD_GAP and corroborated(chosen, offline)):
        return chosen
    why = "" if gap >= HOLD_GAP else (", and none of its quotes is a sentence the offline"
                                      " scorer found evidence in")
    detail = (f"the judge ({chosen.source}) gave {chosen.score:g}, the offline evidence"
              f" supports {evidence:g} ({offline.rationale}){why}; {evidence:g} counts until"
              " a person who reads the answer confirms the judge's score (mockflow review)")
    return replace(offline, score=evidence if offline.score is not None else None,
                   rationale=f"Held at the offline evidence: the judge gave {chosen.score:g}."
                             f" {offline.rationale}",
                   review=(*chosen.review, *offline.review, (REVIEW_JUDGE_EVIDENCE, detail)),
                   panel=chosen.panel, disagreement=chosen.disagreement)


def corroborated(chosen: QuestionScore, offline: QuestionScore) -> bool:
    """Whether one of the judge's quotes is (part of) a sentence the offline scorer
    quotes as evidence: what the judge found above the evidence is at least in the
    sentences that carry the answer's content."""
    def plain(text: str) -> str:
        return " ".join(text.casefold().split())

    found = [plain(e) for e in offline.evidence if e.strip()]
    return any(q and (q in e or e in q) for q in map(plain, chosen.evidence) for e in found)


def held(score: QuestionScore | None) -> bool:
    """Whether ``score`` is a judge's score held at the offline evidence."""
    return score is not None and any(f == REVIEW_JUDGE_EVIDENCE for f, _ in score.review)
