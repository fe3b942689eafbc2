"""Which question fits next: the per-interview plan, the per-session order, choosing.

``Plan`` is built once per compiled interview and shared by every session (the question
pools per stage, levels, rubrics, how many questions each stage plans). ``rank_for`` is a
session's seeded order among equals; ``choose`` picks a stage's next question from the
state, the ladder level and the time left. All pure.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from mockflow.format.compile import CompiledInterview
from mockflow.format.model import Interview, Question
from mockflow.interview.state import State
from mockflow.scoring.base import Rubric


@dataclass(frozen=True, slots=True)
class Plan:
    """Per compiled interview, built once and shared by every session."""

    pools: tuple[tuple[Question, ...], ...]  # per stage: fixed questions, or the pick pool
    level_of: Mapping[str, int]
    rubrics: Mapping[str, Rubric]
    planned: tuple[int, ...]  # questions planned per stage
    titles: tuple[str, ...]
    rank_ids: tuple[str, ...]  # question ids in a fixed order, shuffled per seed

    @property
    def total(self) -> int:
        """Questions planned in all."""
        return sum(self.planned)


_PLANS: dict[int, tuple[CompiledInterview, Plan]] = {}


def plan_for(compiled: CompiledInterview) -> Plan:
    """The interview's plan (cached per compiled interview)."""
    hit = _PLANS.get(id(compiled))
    if hit is not None and hit[0] is compiled:
        return hit[1]
    iv = compiled.interview
    levels = iv.ladder.levels
    fixed = {qid for s in iv.stages for qid in s.questions}
    pools: list[tuple[Question, ...]] = []
    for stage in iv.stages:
        if stage.is_fixed:
            pools.append(tuple(iv.question(q) for q in stage.questions))
        else:
            comps = set(stage.competencies)
            pools.append(tuple(q for q in iv.questions
                               if q.competency in comps and q.id not in fixed))
    start = levels.index(iv.ladder.start)
    plan = Plan(
        pools=tuple(pools),
        level_of={q.id: levels.index(q.level) if q.level in levels else start
                  for q in iv.questions},
        rubrics={c.id: Rubric(c, iv.scale, iv.questions) for c in iv.competencies},
        planned=tuple(len(s.questions) if s.is_fixed else min(s.pick or 0, len(p))
                      for s, p in zip(iv.stages, pools, strict=True)),
        titles=tuple(s.title or s.id for s in iv.stages),
        rank_ids=tuple(sorted(q.id for q in iv.questions)),
    )
    if len(_PLANS) >= 64:
        _PLANS.clear()
    _PLANS[id(compiled)] = (compiled, plan)
    return plan


def rank_for(plan: Plan, seed: int) -> dict[str, int]:
    """A session's order among otherwise equal questions (``random.Random(seed)``)."""
    ids = list(plan.rank_ids)
    random.Random(seed).shuffle(ids)
    return {qid: i for i, qid in enumerate(ids)}


def choose(iv: Interview, plan: Plan, rank: Mapping[str, int], s: State, stage_i: int,
           at: float, stage_started: float, asked_in_stage: int, asked: set[str]
           ) -> tuple[Question | None, bool]:
    """The next question of a stage that fits the time left, and whether time (the
    stage's or the total's) left a planned question out."""
    stage = iv.stages[stage_i]
    limit = iv.timing.total_seconds - iv.timing.wrap_up_seconds - at
    if stage.minutes is not None and asked_in_stage:
        # a stage's first question only has to fit the total
        limit = min(limit, stage.minutes * 60.0 - (at - stage_started))
    cut = False
    pool = plan.pools[stage_i]
    if stage.is_fixed:
        for q in pool:
            if q.id in asked:
                continue
            if q.answer_seconds <= limit:
                return q, cut
            cut = True
        return None, cut
    if asked_in_stage >= (stage.pick or 0):
        return None, False
    in_stage = Counter(r.competency for r in s.records if r.stage_id == stage.id)
    level_of = plan.level_of
    best: Question | None = None
    best_key: tuple[int, int, bool, int] | None = None
    for q in pool:
        if q.id in asked:
            continue
        if q.answer_seconds > limit:
            cut = True
            continue
        lv = level_of[q.id]
        key = (in_stage[q.competency], abs(lv - s.level), lv > s.level, rank[q.id])
        if best_key is None or key < best_key:
            best, best_key = q, key
    return best, cut and best is None
