"""Judging a live session off the critical path.

``SessionJudge`` watches the engine (``InterviewEngine.observe``): as soon as a question
closes, its record is appended to ``questions.jsonl`` and, with an LLM judge, the
question is judged in a background task (the judge's blocking client runs in a worker
thread), so candidate turns still cost one interviewer request. Each judgement is
appended to ``judgements.jsonl`` as it arrives. At the session's end ``finish`` waits for
the outstanding judgements up to a bound, then gives each question still waiting the
offline score with the reason (``offline-fallback``). The scorecard uses the judgements
by question number; the interview's path never depends on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from mockflow.format.compile import CompiledInterview
from mockflow.interview.engine import InterviewEngine
from mockflow.interview.records import answered_questions
from mockflow.results.scoring_files import ScoringFiles
from mockflow.scoring.base import AnsweredQuestion, QuestionScore, Rubric
from mockflow.scoring.judge import OFFLINE_CHOICE, JudgeChoice, fallback_score
from mockflow.scoring.offline import OFFLINE
from mockflow.scoring.stage import score_question

logger = logging.getLogger("mockflow.judging")

T = TypeVar("T")
DEFAULT_WAIT_S = 10.0  # how long the end of a session waits for judgements still running


async def _in_daemon_thread(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on a daemon thread: a judge still waiting on its endpoint never keeps
    the process alive after the session (``asyncio.to_thread`` would, until it timed out)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the awaiting task
            with contextlib.suppress(RuntimeError):  # the loop may be closed by now
                loop.call_soon_threadsafe(settle, None, exc)
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=run, name="mockflow-judge", daemon=True).start()
    return await future


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SessionJudge:
    """One session's judgements (see the module docstring)."""

    def __init__(self, compiled: CompiledInterview, choice: JudgeChoice = OFFLINE_CHOICE,
                 files: ScoringFiles | None = None, *, wait_s: float = DEFAULT_WAIT_S
                 ) -> None:
        self.compiled = compiled
        self.choice = choice
        self.files = files
        self.wait_s = wait_s
        self.scores: dict[int, QuestionScore] = {}
        self.judged = 0  # questions sent to the judge
        self._seen: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._items: dict[int, AnsweredQuestion] = {}
        self._requests_before = choice.requests

    @property
    def active(self) -> bool:
        """Whether an LLM judge scores the questions (else the engine's offline scores)."""
        return self.choice.kind != "offline"

    @property
    def requests(self) -> int:
        """Judge requests this session made (panel members and retries included)."""
        return self.choice.requests - self._requests_before

    @property
    def pending(self) -> int:
        return sum(not t.done() for t in self._tasks.values())

    def attach(self, engine: InterviewEngine, *, source: bytes | None = None) -> None:
        """Write the session header (and the interview file) and start watching."""
        if self.files is not None:
            session = engine.session()
            self.files.write_header({
                "interview": self.compiled.ref, "seed": engine.seed,
                "ladder_start": session.ladder_start,
                "stages": [[sid, planned] for sid, planned, _ in session.stages],
                "judge": self.choice.describe(), "started_at": _now(),
            }, source)
        engine.observe(self._on_commit)

    def _on_commit(self, engine: InterviewEngine) -> None:
        try:
            session = engine.session()
            closed = [r for r in session.questions
                      if r.outcome is not None and r.number not in self._seen]
            if not closed:
                return
            items = {i.number: i for i in answered_questions(self.compiled, session)}
            for rec in closed:
                self._seen.add(rec.number)
                if self.files is not None:
                    self.files.append_question(rec.to_dict(), session.nudges.get(rec.number))
                if self.active:
                    self._start(items[rec.number])
        except Exception:  # judging must never take the interview down with it
            logger.exception("mockflow: recording a closed question failed")

    def _start(self, item: AnsweredQuestion) -> None:
        self.judged += 1
        self._items[item.number] = item
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # driven without an event loop (tests): judge right here
            self._record(item, score_question(self.compiled, item, self.choice.scorer))
            return
        self._tasks[item.number] = loop.create_task(self._judge(item),
                                                    name=f"mockflow-judge-{item.number}")

    async def _judge(self, item: AnsweredQuestion) -> None:
        try:
            score = await _in_daemon_thread(score_question, self.compiled, item,
                                            self.choice.scorer)
        except Exception as exc:
            logger.exception("mockflow: the judge failed on question %d", item.number)
            score = self._fallback(item, f"the judge raised {type(exc).__name__}")
        self._record(item, score)

    def _fallback(self, item: AnsweredQuestion, reason: str) -> QuestionScore | None:
        if not item.answers:
            return None
        iv = self.compiled.interview
        rubric = Rubric(iv.competency(item.competency), iv.scale, iv.questions,
                        iv.interviewer.language)
        return fallback_score(OFFLINE, item, rubric, reason)

    def _record(self, item: AnsweredQuestion, score: QuestionScore | None) -> None:
        if score is not None:
            self.scores[item.number] = score
        if self.files is not None:
            try:
                self.files.append_judgement({
                    "number": item.number, "question_id": item.question.id,
                    "score": None if score is None else score.to_dict(),
                    "judge": self.choice.describe(), "at": _now(),
                })
            except Exception:
                logger.exception("mockflow: writing a judgement failed")

    async def finish(self) -> dict[int, QuestionScore]:
        """Wait up to ``wait_s`` for judgements still running; the rest fall back."""
        waiting = [t for t in self._tasks.values() if not t.done()]
        if waiting:
            await asyncio.wait(waiting, timeout=self.wait_s)
        for number, task in self._tasks.items():
            if task.done():
                continue
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            item = self._items[number]
            self._record(item, self._fallback(
                item, f"the judge had not answered {self.wait_s:g} s after the session"
                " ended"))
        return dict(self.scores)

    def close(self) -> None:
        if self.files is not None:
            self.files.close()

    def summary(self) -> dict[str, Any]:
        """For session.json: which judge, how many questions and requests."""
        return {**self.choice.describe(), "questions_judged": self.judged,
                "requests": self.requests,
                "fallbacks": sum(s.source == "offline-fallback" for s in self.scores.values())}


