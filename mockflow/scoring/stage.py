"""The scoring stage: a finished (or interrupted) session's answered questions -> Scorecard.

Order inside the stage, for every scorer alike: screen each answer (sentences addressed
to the scorer removed, ``mockflow.scoring.injection``) -> score it (a judge's score when
one was given for that question number, else ``scorer``) -> level adjustment ->
the evidence gate *after* adjustment -> aggregation (``mockflow.scoring.scorecard``).
The engine never builds the scorecard; the stage never changes the interview's path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from mockflow.format.compile import CompiledInterview
from mockflow.format.limits import clip_for_scoring
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Rubric, Scorer, SessionFacts
from mockflow.scoring.injection import screen_item
from mockflow.scoring.offline import OFFLINE
from mockflow.scoring.scorecard import Scorecard, aggregate


def score_question(compiled: CompiledInterview, item: AnsweredQuestion, scorer: Scorer
                   ) -> QuestionScore | None:
    """One question's raw score from ``scorer``; None when the candidate said nothing.

    Every scorer sees the answer screened (``injection.screen_item``): sentences addressed
    to the scorer are gone. The engine already scored every answer offline for its own
    decisions: for a question taken from a session record, the offline scorer reuses that
    score when screening removed nothing (else it scores the screened answer afresh).
    """
    iv = compiled.interview
    rubric = Rubric(iv.competency(item.competency), iv.scale, iv.questions,
                    iv.interviewer.language)
    seen, screened = screen_item(item, rubric)
    if scorer is OFFLINE and item.facts is not None and not screened.flagged:
        return item.engine_score  # taken from a session record
    if not seen.answers:
        return None
    answers, clipped = clip_for_scoring(seen.answers)
    score = scorer.score(replace(seen, answers=answers), rubric)
    if clipped is not None:
        score = replace(score, rationale=f"{score.rationale} ({clipped})".strip())
    return score


def score_session(compiled: CompiledInterview, answered: Sequence[AnsweredQuestion],
                  session: SessionFacts, *, scorer: Scorer = OFFLINE,
                  scores: Mapping[int, QuestionScore] | None = None,
                  created_at: str | None = None) -> Scorecard:
    """Score every answered question and aggregate them into a ``Scorecard``.

    ``scores`` are per-question scores already made (by question number), e.g. a judge's
    results that arrived while the session ran; the rest are scored by ``scorer``.
    """
    scored: list[tuple[AnsweredQuestion, QuestionScore | None]] = []
    for item in answered:
        given = None if scores is None else scores.get(item.number)
        scored.append((item, given if given is not None
                       else score_question(compiled, item, scorer)))
    return aggregate(compiled, session, scored, created_at=created_at)
