"""Text interviews through the real session path (agent layer): the console and any
other front end that feeds answers (simulated candidates, tests).

``run_interview`` builds the interview as the voice worker does (``live.session``), in a
room-less text ``AgentSession`` (``vad=None``, manual turns), feeds it the candidate's
answers one turn at a time and returns when the interview has ended and its results are
on disk. ``console`` is the terminal front end: our own input loop, no PortAudio, no TTY
needed, piped stdin answers one per line.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from livekit.agents import AgentSession, ConversationItemAddedEvent, llm

from mockflow.format.compile import CompiledInterview
from mockflow.format.templates import Candidate
from mockflow.interview.engine import InterviewEngine, RequestRejected
from mockflow.live import privacy
from mockflow.live.agent import InterviewerAgent
from mockflow.live.session import prepare_interview, text_session
from mockflow.results.files import SessionRecorder
from mockflow.results.judging import DEFAULT_WAIT_S
from mockflow.results.notify.flush import INTERACTIVE_DEADLINE, flush_all
from mockflow.results.store.backend import CheckpointPolicy
from mockflow.scoring.judge import OFFLINE_CHOICE, JudgeChoice


@dataclass(frozen=True, slots=True)
class Prompt:
    """Where the interview is when the candidate's next answer is wanted."""

    number: int | None  # question number, None before the first / after the last
    total: int | None
    stage: str | None
    question_id: str | None
    phase: str
    elapsed: float


AnswerSource = Callable[[Prompt], Awaitable[str | None]]
"""Returns the candidate's next message; None means they left (EOF, Ctrl-C)."""


@dataclass(frozen=True, slots=True)
class ConsoleResult:
    engine: InterviewEngine
    agent: InterviewerAgent
    recorder: SessionRecorder
    scorecard: dict[str, Any]
    requests: int  # model requests made


COMMANDS = {"/repeat": "repeat", "/hint": "hint", "/skip": "skip", "/quit": "stop",
            "/stop": "stop"}
HELP = ("Answer in your own words, one message per turn. Commands: /repeat the question,"
        " /hint, /skip this question, /quit to end the interview, /help.")


async def _settled(session: AgentSession[Any], timeout: float = 30.0) -> None:
    """Wait until the interviewer has finished speaking (its words come before ours)."""
    async def wait() -> None:
        await asyncio.sleep(0)
        while (speech := session.current_speech) is not None:
            await speech.wait_for_playout()
            await asyncio.sleep(0)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wait(), timeout)


def prompt_for(engine: InterviewEngine) -> Prompt:
    """Where the interview is now, as a front end asks the candidate."""
    current = engine.current
    stage = None
    if current is not None:
        iv = engine.compiled.interview
        st = next((s for s in iv.stages if s.id == current.stage_id), None)
        stage = (st.title or st.id) if st else current.stage_id
    total = engine.session().stages
    planned = sum(p for _, p, _ in total) if total else None
    return Prompt(
        number=current.number if current else None,
        total=planned,
        stage=stage,
        question_id=current.question_id if current else None,
        phase=str(engine.phase),
        elapsed=engine.elapsed(),
    )


async def run_interview(
    compiled: CompiledInterview,
    *,
    model: llm.LLM[Any],
    answers: AnswerSource,
    results_root: Path,
    seed: int = 0,
    candidate: Candidate | None = None,
    on_interviewer: Callable[[str], None] | None = None,
    on_agent: Callable[[InterviewerAgent], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    tick_interval: float = 1.0,
    session_id: str | None = None,
    close_timeout: float = 15.0,
    judge: JudgeChoice = OFFLINE_CHOICE,
    judge_wait_s: float = DEFAULT_WAIT_S,
    interview_source: bytes | None = None,
    kind: str = "console",
    simulation: Mapping[str, Any] | None = None,
    store: str | None = None,
    checkpoint: CheckpointPolicy | None = None,
) -> ConsoleResult:
    """One whole interview through the real session path; results are written on exit,
    whatever happens (EOF, Ctrl-C, a signal, errors). ``judge`` scores each question in the
    background as it closes (``interview_source``: the file's bytes, kept for rescore).
    ``store``: an s3:// spec the session's files are queued for, after each local write
    (``mockflow.results.store.uploads``)."""
    privacy.install()
    closed = asyncio.Event()
    interview = prepare_interview(
        compiled, candidate=candidate, results=results_root, session_id=session_id,
        store=store, checkpoint=checkpoint, seed=seed, clock=clock, judge=judge,
        judge_wait_s=judge_wait_s, interview_source=interview_source,
        tick_interval=tick_interval, on_finished=lambda _: closed.set(), kind=kind,
        simulation=simulation)
    engine, agent = interview.engine, interview.agent
    recorder, judging = interview.recorder, interview.judging
    assert recorder is not None and judging is not None  # results_root: both are made
    if on_agent is not None:
        on_agent(agent)
    session = text_session(model, compiled)

    def shown(ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if isinstance(item, llm.ChatMessage) and item.role == "assistant" and on_interviewer:
            on_interviewer(item.text_content or "")

    session.on("conversation_item_added", shown)
    requests_before = getattr(model, "requests", 0)
    try:
        await interview.start(session)
        while not engine.ended:
            await _settled(session)
            agent.turn_begins()
            answer = await answers(prompt_for(engine))
            if engine.ended:
                break
            if answer is None:  # the candidate left: no one to confirm with
                agent.take_request("stop", confirmed=True)
                break
            text = answer.strip()
            command = COMMANDS.get(text.split()[0].lower()) if text.startswith("/") else None
            if command is not None:
                with contextlib.suppress(RequestRejected):
                    # /quit is a deliberate command: it ends without asking again
                    agent.take_request(command, typed=text, confirmed=command == "stop")
                continue
            if not text:
                continue
            await session.run(user_input=text)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closed.wait(), close_timeout + judge_wait_s)
    finally:
        await session.aclose()
        if not closed.is_set():
            await judging.finish()
            agent.finish_results()
            judging.close()
    scorecard = interview.scorecard()
    requests = getattr(model, "requests", 0) - requests_before
    return ConsoleResult(engine, agent, recorder, scorecard, requests)


# ------------------------------------------------------------------ the terminal

CLOSING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminal:
    """Prints the interview; reads answers from a TTY or a pipe."""

    def __init__(self, compiled: CompiledInterview, *, out: TextIO, inp: TextIO,
                 shown: str | None = None) -> None:
        self.compiled = compiled
        self._shown = shown  # the opening, already printed by the caller
        self.out = out
        self.inp = inp
        self.interactive = inp.isatty()
        self.name = compiled.interview.interviewer.name
        self._last_header: tuple[int | None, str | None] = (None, None)
        self._stop = asyncio.Event()
        self.agent: InterviewerAgent | None = None

    def write(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def interviewer(self, text: str) -> None:
        if self._shown is not None:
            shown, self._shown = self._shown, None
            if text == shown:
                return
        self.write(f"{self.name}: {text}")

    async def answer(self, prompt: Prompt) -> str | None:
        header = (prompt.number, prompt.stage)
        if prompt.number is not None and header != self._last_header:
            total = f"/{prompt.total}" if prompt.total else ""
            self.write(f"  [question {prompt.number}{total} · {prompt.stage}]")
            self._last_header = header
        while True:
            if self.interactive:
                self.out.write("you> ")
                self.out.flush()
            read = asyncio.ensure_future(asyncio.to_thread(self.inp.readline))
            stop = asyncio.ensure_future(self._stop.wait())
            done, _ = await asyncio.wait({read, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if read not in done:
                read.cancel()
                self.write()
                return None
            line = read.result()
            if not line:  # EOF
                if self.interactive:
                    self.write()
                return None
            text = line.strip()
            if text == "/help":
                self.write(HELP)
                continue
            if not self.interactive and text:
                self.write(f"you> {text}")
            return text

    def interrupt(self, reason: str = "SIGINT") -> None:
        """Close the session as the candidate leaving (Ctrl-C, a closed terminal, a
        SIGTERM): the interview stops and every record is written."""
        if self.agent is not None and self.agent.close_reason is None:
            self.agent.close_reason = reason
        self._stop.set()

    def attach(self, agent: InterviewerAgent) -> None:
        self.agent = agent


def summary_lines(outcome: ConsoleResult) -> list[str]:
    card = outcome.scorecard
    lines = ["", "— scorecard —"]
    overall = (card.get("overall") or {}).get("score")
    scale = card.get("scale", {})
    top = f"/{scale.get('max')}" if isinstance(scale, dict) and scale.get("max") else ""
    lines.append(f"overall: {'not observed' if overall is None else f'{overall}{top}'}")
    for comp in card.get("competencies", []):
        score = comp.get("score")
        shown = "not observed" if score is None else f"{score}{top}"
        n = comp.get('questions', comp.get('observations', 0))
        rests = f"{n} question{'' if n == 1 else 's'}"
        if comp.get("not_answered"):
            rests += f", {comp['not_answered']} not answered"
        lines.append(f"  {comp.get('name', comp.get('id'))}: {shown} ({rests})")
    if card.get("hints_used"):
        lines.append(f"hints used: {card['hints_used']}")
    lines.append(f"end: {card.get('end_reason')}")
    lines.append(f"results: {outcome.recorder.directory}")
    return lines


async def console(compiled: CompiledInterview, *, model: llm.LLM[Any], results_root: Path,
                  seed: int, candidate: Candidate, shown: str | None = None,
                  out: TextIO = sys.stdout, inp: TextIO = sys.stdin,
                  judge: JudgeChoice = OFFLINE_CHOICE,
                  interview_source: bytes | None = None,
                  store: str | None = None, checkpoint: CheckpointPolicy | None = None
                  ) -> ConsoleResult:
    """The interview in the terminal. ``shown``: the opening words the caller already
    printed with the header (the CLI shows them while livekit loads); they are not
    printed again."""
    term = Terminal(compiled, out=out, inp=inp, shown=shown)
    loop = asyncio.get_running_loop()
    for sig in CLOSING_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, term.interrupt, sig.name)
    try:
        outcome = await run_interview(compiled, model=model, answers=term.answer,
                                      results_root=results_root, seed=seed,
                                      candidate=candidate, on_interviewer=term.interviewer,
                                      judge=judge, interview_source=interview_source,
                                      on_agent=term.attach, store=store,
                                      checkpoint=checkpoint)
    finally:
        for sig in CLOSING_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
    for line in summary_lines(outcome):
        term.write(line)
    # the webhook, if the interview has one: bounded, the person at the terminal waits
    for queue in await flush_all(results_root, deadline=INTERACTIVE_DEADLINE):
        report = queue.report
        if report.sent:
            term.write(f"{queue.name}: {report.sent} delivered")
        for problem in report.errors:
            term.write(f"{queue.name}: not delivered yet ({problem}); it stays queued:"
                       f" mockflow sessions --results {results_root} --flush")
    return outcome
