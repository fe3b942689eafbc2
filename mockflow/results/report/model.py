"""What a report shows, computed once from a loaded session (the HTML and Markdown
renderers only lay it out).

Everything here is plain data; candidate text is kept verbatim (the renderers escape
it). Evidence quotes are located in the transcript so that each score can link to the
words it rests on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockflow.results.current import flag_text, fmt_when, who_said
from mockflow.results.load import Session
from mockflow.results.reviews import Review
from mockflow.scoring.scorecard import score_breakdown

STATUS_TEXT = {
    "complete": "complete",
    "candidate_ended": "ended by the candidate",
    "dropped": "dropped (the candidate left)",
    "time_up": "time ran out",
    "error": "ended by an error",
    "interrupted": "interrupted (the session was killed)",
    "running": "still running",
}
OUTCOME_TEXT = {
    "answered": "answered",
    "moved_on": "moved on (time)",
    "skipped": "skipped",
    "stopped": "interview stopped",
    "time_up": "time ran out",
    None: "open",
}


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def fmt_score(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    total = max(0, round(value))
    return f"{total // 60}:{total % 60:02d}"


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    marked: bool
    anchors: tuple[str, ...] = ()  # evidence anchors that start here


@dataclass(frozen=True, slots=True)
class Turn:
    seq: int
    role: str
    kind: str | None
    request: str | None
    question: int | None
    offset: str
    wall: str
    segments: tuple[Segment, ...]
    anchor: str


@dataclass(frozen=True, slots=True)
class Evidence:
    quote: str
    anchor: str  # fragment id in the transcript (or the question's heading)
    found: bool


@dataclass(frozen=True, slots=True)
class QuestionRow:
    number: int
    id: str
    competency: str
    level: str
    ladder_level: str
    outcome: str
    raw: float | None
    score: float | None
    state: str  # answered-ok | low | not-observed | not-answered
    evidence: tuple[Evidence, ...]
    rationale: str
    source: str | None
    seconds: float | None
    budget: float | None
    hints: int
    follow_ups: int
    flags: tuple[str, ...]
    adjustment: float = 0.0  # level credit (+) or adjustment (-), points
    hint_penalty: float = 0.0
    breakdown: str = ""  # "3 on a senior question, +1 level credit -> 4"
    reviewed: str | None = None  # "4 (counts 5) by Kim, 2026-...: why"


@dataclass(frozen=True, slots=True)
class CompetencyRow:
    id: str
    name: str
    weight: float | None
    score: float | None
    observations: int
    state: str  # ok | low | not-observed
    reviewed: float | None
    reviewer: str | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Report:
    session: Session
    candidate: str
    identity: str | None
    title: str
    interview_id: str
    version: str  # short content hash
    interview_ref: str
    mockflow: str
    date: str
    duration: str
    status: str
    status_key: str
    simulated: bool
    scale: tuple[float, float]
    overall: float | None
    overall_state: str
    overall_reviewed: float | None
    competencies: tuple[CompetencyRow, ...]
    questions: tuple[QuestionRow, ...]
    turns: tuple[Turn, ...]
    levels: tuple[str, ...]
    trajectory: tuple[tuple[int, str, str | None, float | None], ...]
    flags: tuple[str, ...]
    reviews: tuple[Review, ...]
    sources: tuple[str, ...]
    adjustment_rule: str | None
    level_reached: str | None = None  # the ladder's level at the end
    extra: Mapping[str, Any] = field(default_factory=dict)


def state_of(score: float | None, scale: tuple[float, float]) -> str:
    if score is None:
        return "not-observed"
    low, high = scale
    return "low" if score <= low + (high - low) / 3 else "ok"


def _segments(text: str, quotes: Sequence[tuple[str, str]]) -> tuple[Segment, ...]:
    """Split ``text`` so that every (quote, anchor) located in it is marked."""
    spans: list[tuple[int, int, str]] = []
    for quote, anchor in quotes:
        at = text.find(quote)
        if at >= 0 and quote:
            spans.append((at, at + len(quote), anchor))
    if not spans:
        return (Segment(text, False),)
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out: list[Segment] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        marked = any(s <= start and end <= e for s, e, _ in spans)
        anchors = tuple(a for s, _, a in spans if s == start)
        out.append(Segment(text[start:end], marked, anchors))
    return tuple(out)


def voice_flags(voice: object) -> list[str]:
    """What a reviewer must know about a voice session's audio (``session.json``'s
    ``voice``): the interviewer talking over the candidate, and audio problems."""
    if not isinstance(voice, Mapping):
        return []
    flags = []
    cut_ins = voice.get("cut_ins")
    if isinstance(cut_ins, int) and cut_ins > 0:
        flags.append(f"voice: the interviewer started speaking {cut_ins} time(s) while the"
                     " candidate was still speaking; an answer may have been cut short"
                     " (compare the transcript with the audio)")
    wer = voice.get("wer")
    if isinstance(wer, int | float) and wer > 0.2:
        flags.append(f"voice: the speech recogniser misheard {wer:.0%} of the simulated"
                     " candidate's words; scores rest on what it heard")
    for warning in voice.get("warnings") or []:
        flags.append(f"audio: {warning}")
    return flags


def build_report(session: Session) -> Report:
    # the current scorecard with the reviews applied (``results.current``, the one place
    # reviews are applied): overrides and resolved flags, who and why
    current = session.current
    card = current.card
    meta = session.session
    scale_d = card.get("scale") or {}
    scale = (_num(scale_d.get("min")) or 0.0, _num(scale_d.get("max")) or 1.0)
    turns_raw = [t for t in session.transcript if isinstance(t.get("text"), str)]
    by_id = {str(q.get("id")): q.get("number") for q in card["questions"]}

    def question_of(turn: Mapping[str, Any]) -> int | None:
        n = turn.get("question")
        if isinstance(n, int) and not isinstance(n, bool):
            return n
        qid = turn.get("question_id")
        found = by_id.get(str(qid)) if qid is not None else None
        return found if isinstance(found, int) else None

    # locate evidence: (question number, quote) -> (turn seq, anchor)
    pending: dict[int, list[tuple[str, str]]] = {}  # turn index -> [(quote, anchor)]
    located: dict[tuple[int, str], Evidence] = {}
    flags: list[str] = []
    candidate_turns = [(i, t) for i, t in enumerate(turns_raw) if t.get("role") == "candidate"]
    for q in card["questions"]:
        number = q["number"]
        for k, quote in enumerate(q.get("evidence") or []):
            if not isinstance(quote, str) or (number, quote) in located:
                continue
            anchor = f"ev-{number}-{k + 1}"
            where = next((i for i, t in candidate_turns
                          if question_of(t) == number and quote in t["text"]), None)
            if where is None:
                where = next((i for i, t in candidate_turns if quote in t["text"]), None)
            if where is None:
                located[(number, quote)] = Evidence(quote, f"q-{number}", False)
                flags.append(f"question {number}: an evidence quote is not in the"
                             " transcript (check the transcript file)")
                continue
            pending.setdefault(where, []).append((quote, anchor))
            located[(number, quote)] = Evidence(quote, anchor, True)

    turns: list[Turn] = []
    for i, t in enumerate(turns_raw):
        seq = t.get("seq")
        turns.append(Turn(
            seq=seq if isinstance(seq, int) else i + 1, role=str(t.get("role", "")),
            kind=t.get("kind") if isinstance(t.get("kind"), str) else None,
            request=t.get("request") if isinstance(t.get("request"), str) else None,
            question=question_of(t), offset=fmt_seconds(_num(t.get("start_s"))),
            wall=str(t.get("started_at") or ""),
            segments=_segments(t["text"], pending.get(i, [])), anchor=f"t-{i + 1}"))

    comps: list[CompetencyRow] = []
    number_of = {str(q.get("id")): q["number"] for q in card["questions"]}
    for c in card["competencies"]:
        score = _num(c.get("score"))
        evidence = []
        for ev in c.get("evidence") or []:
            if isinstance(ev, Mapping) and isinstance(ev.get("quote"), str):
                n = number_of.get(str(ev.get("question")))
                got = located.get((n, ev["quote"])) if n is not None else None
                if got is not None:
                    evidence.append(got)
        r = c.get("reviewed") if isinstance(c.get("reviewed"), Mapping) else None
        comps.append(CompetencyRow(
            id=c["id"], name=str(c.get("name") or c["id"]), weight=_num(c.get("weight")),
            score=score, observations=int(c.get("observations") or 0),
            state=state_of(score, scale), reviewed=None if r is None else _num(r.get("score")),
            reviewer=None if r is None else str(r.get("reviewer") or "a reviewer"),
            evidence=tuple(evidence)))

    said: dict[int, int] = {}
    for shown in turns:
        if shown.role == "candidate" and shown.question is not None and shown.request is None:
            said[shown.question] = said.get(shown.question, 0) + 1
    rows: list[QuestionRow] = []
    sources: set[str] = set()
    comp_names = {c.id: c.name for c in comps}
    for q in card["questions"]:
        number = q["number"]
        raw, score = _num(q.get("raw_score")), _num(q.get("score"))
        timing = q.get("timing") or {}
        if q.get("not_answered"):
            state = "not-answered"  # counts at the minimum, but nothing was scored
        elif score is not None:
            state = state_of(score, scale)
        elif q.get("outcome") == "skipped" or not said.get(number) or q.get("source") is None:
            state = "not-answered"
        else:
            state = "not-observed"
        qflags = tuple(flag_text(f) for f in (q.get("review") or []))
        if isinstance(q.get("source"), str):
            sources.add(q["source"])
        adjustment = _num(q.get("adjustment")) or 0.0
        penalty = _num(q.get("hint_penalty")) or 0.0
        override = q.get("reviewed") if isinstance(q.get("reviewed"), Mapping) else None
        rows.append(QuestionRow(
            adjustment=adjustment, hint_penalty=penalty,
            reviewed=None if override is None else who_said(
                f"{fmt_score(_num(override.get('raw_score')))} (counts"
                f" {fmt_score(_num(override.get('score')))})", override),
            breakdown=str(q.get("breakdown") or score_breakdown(
                raw, adjustment, penalty, score, str(q.get("level")),
                not_answered=bool(q.get("not_answered")))),
            number=number, id=str(q.get("id")),
            competency=comp_names.get(str(q.get("competency")), str(q.get("competency"))),
            level=str(q.get("level")), ladder_level=str(q.get("ladder_level")),
            outcome=OUTCOME_TEXT.get(q.get("outcome"), str(q.get("outcome"))),
            raw=raw, score=score, state=state,
            evidence=tuple(located[(number, e)] for e in (q.get("evidence") or [])
                           if isinstance(e, str) and (number, e) in located),
            rationale=str(q.get("rationale") or ""), source=q.get("source"),
            seconds=_num(timing.get("seconds")), budget=_num(timing.get("budget_seconds")),
            hints=len(q.get("hints_used") or []), follow_ups=int(q.get("follow_ups") or 0),
            flags=qflags))

    question_flags = [f for f in current.flags if f.startswith("question ")]
    top = [f for f in current.flags if not f.startswith("question ")]
    flags += question_flags
    status_key = str(meta.get("status") or "unknown")
    if status_key != "complete":
        top.append("the interview did not finish normally: "
                   + STATUS_TEXT.get(status_key, status_key))
    if session.skipped:
        top.append(f"{len(session.skipped)} transcript line(s) could not be read and were"
                   " skipped: " + "; ".join(str(s) for s in session.skipped[:5]))
    if current.skipped_reviews:
        top.append(f"{len(current.skipped_reviews)} line(s) of reviews.jsonl could not be"
                   " read and were skipped: "
                   + "; ".join(str(s) for s in current.skipped_reviews[:5]))
    unanswered = [r.number for r in rows if r.state == "not-answered"]
    if unanswered:
        top.append("not answered: question " + ", ".join(map(str, unanswered)))
    top += voice_flags(meta.get("voice"))
    simulated = meta.get("kind") == "simulation"
    if simulated:
        top.insert(0, "simulated session: the candidate is a scripted persona")
    # question-level flags after the session-level ones, without repeats
    all_flags = list(dict.fromkeys([*top, *flags]))

    ladder = card.get("ladder") or {}
    trajectory = tuple(
        (int(step.get("number", 0)), str(step.get("ladder_level")),
         None if step.get("next_level") is None else str(step.get("next_level")),
         _num(step.get("raw_score")))
        for step in ladder.get("trajectory") or [] if isinstance(step, Mapping))

    interview = meta.get("interview")
    ref = card.get("interview") if isinstance(card.get("interview"), str) else ""
    iid, _, digest = str(ref).partition("@")
    cand = meta.get("candidate") if isinstance(meta.get("candidate"), Mapping) else {}
    assert isinstance(cand, Mapping)
    name = cand.get("name") or cand.get("identity") or "unnamed candidate"
    duration = _num(meta.get("duration_seconds"))
    if duration is None:
        duration = _num((card.get("timing") or {}).get("elapsed_seconds"))
    overall = _num((card.get("overall") or {}).get("score"))
    overall_reviewed = current.reviewed_overall
    return Report(
        session=session, candidate=str(name),
        identity=None if cand.get("identity") is None else str(cand.get("identity")),
        title=str(card.get("title") or (interview or {}).get("title") or iid),
        interview_id=iid, version=digest.removeprefix("sha256:")[:12],
        interview_ref=str(ref), mockflow=str(meta.get("mockflow") or card.get("mockflow")),
        date=fmt_when(meta.get("started_at")), duration=fmt_seconds(duration),
        status=STATUS_TEXT.get(status_key, status_key), status_key=status_key,
        simulated=simulated, scale=scale, overall=overall,
        overall_state=state_of(overall, scale), overall_reviewed=overall_reviewed,
        competencies=tuple(comps), questions=tuple(rows), turns=tuple(turns),
        levels=tuple(str(x) for x in ladder.get("levels") or []), trajectory=trajectory,
        flags=tuple(all_flags), reviews=tuple(session.reviews),
        sources=tuple(sorted(sources)),
        adjustment_rule=(card.get("adjustment") or {}).get("rule"),
        level_reached=None if ladder.get("final") is None else str(ladder.get("final")))
