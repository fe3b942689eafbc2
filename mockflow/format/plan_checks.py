"""What the plan can ask: stage pools (MF108, MF506), repeated fixed questions (MF110),
stage budgets (MF109), ladder levels a competency can't reach (MF503) and what is never asked
(MF507). One warning per design problem: the pool and level findings of a file are grouped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from mockflow.format.model import Interview, Question, Stage
from mockflow.format.reporter import Reporter
from mockflow.format.yaml_io import Path


def stage_pool(iv: Interview, stage: Stage, fixed: set[str]) -> list[Question]:
    comps = set(stage.competencies)
    return [q for q in iv.questions if q.competency in comps and q.id not in fixed]


def _level_gaps(iv: Interview) -> dict[str, list[str]]:
    """Ladder levels at which a competency that some stage draws from has no question
    (what MF503 reports), by competency id."""
    used = {c for s in iv.stages for c in s.competencies}
    per_level = Counter((q.competency, q.level) for q in iv.questions)
    return {c.id: lacking for c in iv.competencies if c.id in used
            and (lacking := [lv for lv in iv.ladder.levels if per_level[(c.id, lv)] == 0])}


def _levels_text(levels: Iterable[str]) -> str:
    names = [f"'{lv}'" for lv in levels]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _line_of(r: Reporter, path: Path) -> str:
    return f" (line {r.doc.position(r.damage.file_path(path))[0]})"


def _report_pools(r: Reporter,
                  shortfalls: list[tuple[int, Stage, list[tuple[str, int, int]]]],
                  ladder: tuple[str, ...]) -> None:
    """One MF506 for every pool stage that can't fill its pick at some level on its own,
    at the first such stage's pick, naming every stage and level with the fix."""
    if not shortfalls:
        return
    besides = any(c for _, _, levels in shortfalls for _, _, c in levels)
    also = " besides those MF503 asks for" if besides else ""
    s_i, stage, short = shortfalls[0]
    if len(shortfalls) == 1 and len(short) == 1:
        level, have, covered = short[0]
        r.at(("stages", s_i, "pick"), "MF506",
             f"stage '{stage.id}' picks {stage.pick} but level '{level}' has only {have}"
             f" question{'s' if have != 1 else ''} for it; the engine will borrow from"
             f" the nearest level — add {(stage.pick or 0) - have - covered} more at"
             f" '{level}'{also}")
        return
    parts, fixes = [], []
    for n, (i, st, levels) in enumerate(shortfalls):
        where = "" if n == 0 else _line_of(r, ("stages", i, "pick"))
        parts.append(f"stage '{st.id}'{where} picks {st.pick} but has only"
                     f" {_counts([(lv, h) for lv, h, _ in levels], lambda h: h)}")
        needed = [(lv, (st.pick or 0) - h - c) for lv, h, c in levels]
        fixes.append(f"{_counts(needed, lambda h: h)} for '{st.id}'"
                     f" ({', '.join(st.competencies)})")
    affected = [lv for lv in ladder
                if any(lv == x for _, _, ls in shortfalls for x, _, _ in ls)]
    several = len(shortfalls) > 1
    r.at(("stages", s_i, "pick"), "MF506",
         f"{len(shortfalls)} pool stage{'s' if several else ''} can't fill"
         f" {'their' if several else 'its'} pick at {_levels_text(affected)} on"
         f" {'their' if several else 'its'} own, so the engine will borrow from the nearest"
         f" level: {'; '.join(parts)} — add questions{also}: {'; '.join(fixes)}; or lower"
         f" {'their' if several else 'its'} pick")


def _counts(levels: list[tuple[str, int]], count: Callable[[int], int]) -> str:
    """'1 at 'junior' and 'mid', 0 at 'senior'': levels grouped by a count of questions."""
    groups: dict[int, list[str]] = {}
    for level, have in levels:
        groups.setdefault(count(have), []).append(level)
    return ", ".join(f"{n} at {_levels_text(lv)}" for n, lv in groups.items())


def stages(r: Reporter, iv: Interview) -> None:
    fixed: dict[str, str] = {}
    for s_i, stage in enumerate(iv.stages):
        for j, qid in enumerate(stage.questions):
            if qid in fixed:
                r.at(("stages", s_i, "questions", j), "MF110",
                     f"question '{qid}' is already asked in stage '{fixed[qid]}'; a question"
                     " is asked at most once: remove it here")
            else:
                fixed[qid] = stage.id
    levels = iv.ladder.levels
    # pool sizes need every question, competency and level (nothing cut out)
    pools_known = r.intact("questions", "competencies", "ladder")
    shortfalls: list[tuple[int, Stage, list[tuple[str, int, int]]]] = []
    # a level the ladder can't reach for some of a stage's competencies (MF503) is fixed by
    # adding those questions: only what that fix leaves short is a pool problem (MF506)
    gaps = _level_gaps(iv) if r.intact("stages", "questions", "competencies", "ladder") \
        else {}
    for s_i, stage in enumerate(iv.stages):
        if not pools_known or stage.pick is None or \
                any(c not in iv.competencies_by_id for c in stage.competencies):
            continue  # an unknown competency is reported on its own (MF101)
        pool = stage_pool(iv, stage, set(fixed))
        if len(pool) < stage.pick:
            r.at(("stages", s_i, "pick"), "MF108",
                 f"stage '{stage.id}' picks {stage.pick} questions but its competencies"
                 f" ({', '.join(stage.competencies)}) have only {len(pool)} that no fixed"
                 " stage uses; lower pick or add questions")
            continue
        short = []
        for lv in levels:
            have = sum(q.level == lv for q in pool)
            covered = sum(lv in gaps.get(c, ()) for c in stage.competencies)
            if have + covered < stage.pick:
                short.append((lv, have, covered))
        if short:
            shortfalls.append((s_i, stage, short))
    _report_pools(r, shortfalls, levels)
    if not r.intact("stages", "timing"):
        return
    budget = [(i, s.minutes) for i, s in enumerate(iv.stages) if s.minutes is not None]
    total = sum(m for _, m in budget)
    available = iv.timing.total_minutes - iv.timing.wrap_up_minutes
    if budget and total > available + 1e-9:
        last = budget[-1][0]
        r.at(("stages", last, "minutes"), "MF109",
             f"stage budgets add up to {total:g} minutes but only {available:g} are available"
             f" (total_minutes {iv.timing.total_minutes:g} minus wrap_up_minutes"
             f" {iv.timing.wrap_up_minutes:g}); shorten the stages or raise total_minutes")


def asked(r: Reporter, iv: Interview) -> None:
    """MF503 and MF507: what the plan can ask at which level, and what it never asks."""
    if not r.intact("stages", "questions", "competencies", "ladder"):
        return  # what is asked at which level needs the whole bank and plan
    used_comps = {c for s in iv.stages for c in s.competencies}
    fixed = {qid for s in iv.stages for qid in s.questions}
    _report_gaps(r, iv)
    for c_i, comp in enumerate(iv.competencies):
        asked = comp.id in used_comps or any(
            iv.questions_by_id[q].competency == comp.id for q in fixed
            if q in iv.questions_by_id)
        if not asked:
            r.at(("competencies", c_i, "id"), "MF507",
                 f"competency '{comp.id}' is never asked: no stage draws from it or lists"
                 " one of its questions; add it to a stage or remove it")
    for i, q in enumerate(iv.questions):
        if q.id not in fixed and q.competency not in used_comps and \
                q.competency in iv.competencies_by_id:
            r.at(("questions", i, "id"), "MF507",
                 f"question '{q.id}' is never asked: no stage lists it or draws from"
                 f" '{q.competency}'; add it to a stage or remove it")


def _report_gaps(r: Reporter, iv: Interview) -> None:
    """One MF503 for every competency a stage draws from that has no question at some
    ladder level, at the first one's id, naming every competency and level."""
    gaps = _level_gaps(iv)
    if not gaps:
        return
    index = {c.id: i for i, c in enumerate(iv.competencies)}
    first = next(iter(gaps))
    if len(gaps) == 1:
        lacking = gaps[first]
        r.at(("competencies", index[first], "id"), "MF503",
             f"competency '{first}' has no question at level {_levels_text(lacking)}; add"
             f" {'one' if len(lacking) == 1 else 'one at each'} so the ladder can reach it")
        return
    parts = [f"'{cid}'{'' if n == 0 else _line_of(r, ('competencies', index[cid], 'id'))}"
             f" at {_levels_text(lacking)}" for n, (cid, lacking) in enumerate(gaps.items())]
    total = sum(len(lacking) for lacking in gaps.values())
    r.at(("competencies", index[first], "id"), "MF503",
         f"{len(gaps)} competencies have no question at some ladder level, so the ladder"
         f" can't reach them there: {'; '.join(parts)} — add a question at each of those"
         f" levels ({total} in all)")
