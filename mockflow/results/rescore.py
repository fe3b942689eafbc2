"""Re-scoring a finished or interrupted session from its files (``mockflow rescore``).

Reads ``questions.jsonl`` (every closed question, as the engine recorded it), the
transcript for the question still open when the session stopped, and the judgements
already on disk; scores the questions with the chosen judge -- reusing a judgement made
by that same judge, so a session killed mid-way is completed, not redone -- and writes a
**new** scorecard version beside the old ones (``scorecard.v2.json``, ``v3`` ...; the
session's own ``scorecard.json`` is version 1). Nothing is ever overwritten; each version
records its judge, models and time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockflow.format.compile import CompiledInterview
from mockflow.format.errors import MockflowError
from mockflow.format.templates import Candidate
from mockflow.format.validate import load_interview
from mockflow.interview.records import (
    AnswerTurn,
    QuestionRecord,
    SessionRecord,
    TurnKind,
    answered_questions,
    session_facts,
)
from mockflow.results import durable, safe_json
from mockflow.results.durable import ResultsError
from mockflow.results.files import read_transcript, scorecard_versions
from mockflow.results.scoring_files import JUDGEMENTS, QUESTIONS, read_jsonl
from mockflow.scoring.base import QuestionScore
from mockflow.scoring.judge import JudgeChoice
from mockflow.scoring.stage import score_question, score_session


@dataclass
class StoredSession:
    """What a session directory holds for scoring."""

    directory: Path
    header: dict[str, Any]
    records: list[QuestionRecord]
    nudges: dict[int, float]
    judgements: dict[int, tuple[str | None, QuestionScore | None]]  # number -> (source, score)
    transcript: list[dict[str, Any]] = field(default_factory=list)

    @property
    def interview(self) -> str:
        return str(self.header.get("interview", ""))


def load_stored(directory: Path) -> StoredSession:
    """Read a session directory; ``ResultsError`` when it has nothing to score from."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ResultsError(f"{directory} is not a session directory")
    lines = read_jsonl(directory / QUESTIONS)
    header = next((r for r in lines if r.get("type") == "session"), None)
    if header is None:
        raise ResultsError(f"{directory} has no {QUESTIONS} (sessions recorded before"
                           " mockflow wrote it can't be re-scored)")
    records: list[QuestionRecord] = []
    nudges: dict[int, float] = {}
    for line in lines:
        if line.get("type") != "question":
            continue
        try:
            rec = QuestionRecord.from_dict(line["record"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsError(f"{directory / QUESTIONS} has a malformed question line:"
                               f" {exc!r}") from exc
        records.append(rec)
        if line.get("nudged_at") is not None:
            nudges[rec.number] = float(line["nudged_at"])
    judgements: dict[int, tuple[str | None, QuestionScore | None]] = {}
    for line in read_jsonl(directory / JUDGEMENTS):
        try:
            score = None if line["score"] is None else QuestionScore.from_dict(line["score"])
            source = str(line["judge"]["source"])
            judgements[int(line["number"])] = (source, score)
        except (KeyError, TypeError, ValueError):
            continue  # a line from another version: not reused
    transcript: list[dict[str, Any]] = []
    if (directory / "transcript.jsonl").is_file():
        transcript = read_transcript(directory / "transcript.jsonl")
    return StoredSession(directory, header, sorted(records, key=lambda r: r.number), nudges,
                         judgements, transcript)


def compiled_for(stored: StoredSession, interview: Path | None = None) -> CompiledInterview:
    """The interview the session ran: ``interview`` or the session's own copy; it must be
    the same version (``id@sha256``)."""
    path = interview
    if path is None:
        name = stored.header.get("interview_file")
        if not name:
            raise ResultsError(f"{stored.directory} has no copy of its interview file;"
                               " pass the file it ran with --interview PATH")
        path = stored.directory / str(name)
    try:
        compiled = load_interview(path)
    except MockflowError as exc:
        raise ResultsError(f"cannot load the interview {path}: {exc}") from exc
    except OSError as exc:
        raise ResultsError(f"cannot read the interview {path}: {exc.strerror or exc}"
                           ) from exc
    if compiled.ref != stored.interview:
        raise ResultsError(f"{path} is {compiled.ref}, but the session ran {stored.interview};"
                           " pass the version it ran with --interview PATH")
    return compiled


def _open_question(stored: StoredSession, compiled: CompiledInterview) -> QuestionRecord | None:
    """The question the session was on when it stopped, rebuilt from the transcript."""
    closed = {r.question_id for r in stored.records}
    asked = [t.get("question_id") for t in stored.transcript if t.get("question_id")]
    if not asked or asked[-1] in closed:
        return None
    qid = str(asked[-1])
    iv = compiled.interview
    if qid not in iv.questions_by_id:
        return None
    question = iv.question(qid)
    stage = next((s for s in iv.stages if qid in s.questions), None) or next(
        (s for s in iv.stages if question.competency in s.competencies), iv.stages[0])
    number = len(stored.records) + 1
    said = [str(t.get("text", "")) for t in stored.transcript
            if t.get("role") == "candidate" and t.get("question_id") == qid
            and str(t.get("text", "")).strip()]
    last = stored.records[-1] if stored.records else None
    at = last.closed_at or 0.0 if last is not None else 0.0
    turns = tuple(AnswerTurn(text, TurnKind.ANSWER if i == 0 else TurnKind.FOLLOW_UP, at)
                  for i, text in enumerate(said))
    text = compiled.question_text(qid, stage_id=stage.id, number=number,
                                  candidate=Candidate())
    ladder = last.ladder_after if last is not None and last.ladder_after else \
        str(stored.header.get("ladder_start", iv.ladder.start))
    return QuestionRecord(number=number, question_id=qid, stage_id=stage.id,
                          competency=question.competency, level=question.level,
                          ladder_level=ladder, borrowed=False, asked_at=at,
                          budget=float(question.answer_seconds), prompts=(text,), turns=turns)


def session_record(stored: StoredSession, compiled: CompiledInterview) -> SessionRecord:
    """The session as far as its files tell (with the open question, if any)."""
    records = list(stored.records)
    open_q = _open_question(stored, compiled)
    if open_q is not None:
        records.append(open_q)
    planned = {str(s): int(n) for s, n in stored.header.get("stages", [])}
    asked = {sid: sum(r.stage_id == sid for r in records) for sid in planned}
    end = _previous(stored.directory)
    return SessionRecord(
        interview=stored.interview, seed=int(stored.header.get("seed", 0)),
        ladder_start=str(stored.header.get("ladder_start", compiled.interview.ladder.start)),
        questions=tuple(records), nudges=dict(stored.nudges),
        end_reason=None if end is None else end[1].get("end_reason"),
        elapsed=max((r.closed_at or r.asked_at for r in records), default=0.0),
        wrap_up_at=None,
        stages=tuple((sid, planned[sid], asked[sid]) for sid in planned),
    )


def versions(directory: Path) -> list[tuple[int, Path]]:
    """The scorecard versions in a session directory, oldest first."""
    return scorecard_versions(directory)


def _previous(directory: Path) -> tuple[Path, dict[str, Any]] | None:
    found = versions(directory)
    for _, path in reversed(found):
        try:
            data = safe_json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return path, data
    return None


def _write_new(directory: Path, data: dict[str, Any]) -> tuple[int, Path]:
    """Write the next version without ever replacing a file (``durable.create_new``
    fails if the name is taken: another rescore got there first, try the next)."""
    body = (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    for _ in range(100):
        number = max((n for n, _ in versions(directory)), default=1) + 1
        path = directory / f"scorecard.v{number}.json"
        try:
            durable.create_new(path, body)
        except FileExistsError:
            continue  # another rescore took this number
        return number, path
    raise ResultsError(f"cannot find a free scorecard version in {directory}")


@dataclass(frozen=True)
class Rescored:
    directory: Path
    version: int
    path: Path
    scorecard: dict[str, Any]
    previous: dict[str, Any] | None
    previous_path: Path | None
    reused: int  # judgements taken from judgements.jsonl
    scored: int  # questions scored now


def rescore(directory: Path, choice: JudgeChoice, *, interview: Path | None = None,
            now: str) -> Rescored:
    """Score a stored session with ``choice`` and write the result as a new version."""
    stored = load_stored(directory)
    compiled = compiled_for(stored, interview)
    record = session_record(stored, compiled)
    items = answered_questions(compiled, record)
    scores: dict[int, QuestionScore] = {}
    reused = scored = 0
    for item in items:
        source, kept = stored.judgements.get(item.number, (None, None))
        if kept is not None and source == choice.scorer.source and choice.kind != "offline":
            scores[item.number] = kept
            reused += 1
            continue
        score = score_question(compiled, item, choice.scorer)
        scored += 1
        if score is not None:
            scores[item.number] = score
    card = score_session(compiled, items, session_facts(record), scores=scores,
                         created_at=now).to_dict()
    before = _previous(Path(directory))
    card["judge"] = choice.describe()
    card["rescore"] = {"at": now, "judge": choice.describe(), "reused_judgements": reused,
                       "scored_now": scored,
                       "previous": None if before is None else before[0].name,
                       "open_question_from_transcript": len(record.questions)
                       > len(stored.records)}
    version, path = _write_new(Path(directory), card)
    return Rescored(Path(directory), version, path, card, None if before is None
                    else before[1], None if before is None else before[0], reused, scored)


def competency_diff(before: dict[str, Any] | None, after: dict[str, Any]
                    ) -> list[tuple[str, float | None, float | None]]:
    """(competency name, score before, score after), then the overall score."""
    old = {c["id"]: c.get("score") for c in (before or {}).get("competencies", [])}
    rows = [(str(c.get("name", c["id"])), old.get(c["id"]), c.get("score"))
            for c in after.get("competencies", [])]
    rows.append(("overall", ((before or {}).get("overall") or {}).get("score"),
                 (after.get("overall") or {}).get("score")))
    return rows
