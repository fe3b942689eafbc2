"""Listening: the candidate's turn that is still open.

When it began and what has been heard of it so far: the final transcript segments and
the latest interim one after them. Every source of the candidate's words goes through
``transcribed``: LiveKit's STT events on the audio path (``user_input_transcribed``) and
front ends without audio that hear the candidate live (simulated candidates:
``InterviewerAgent.hear``). A move-on for time keeps ``partial`` as the answer, so what
was heard counts the same on every path.

The turn's start is the first sign of the candidate: speech (``user_state_changed``), a
transcript, or a front end saying it is ready for their next message (``begin``: the
console and simulations, which have no speech events). A front end's wait that began
before the interviewer finished speaking restarts when the interviewer's own words go
out (``interviewer_spoke``).

Plain state, no LiveKit objects: the agent feeds it the events.
"""

from __future__ import annotations

from collections.abc import Callable


class Listening:
    """The open candidate turn of one session (times on the engine's clock)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.heard: list[str] = []  # final transcript segments of the open turn
        self.interim = ""  # the latest interim transcript after them
        self.since: float | None = None  # when the turn began (None: no turn open)
        self.waiting = False  # ``since`` is when a front end began waiting, not speech

    @property
    def partial(self) -> str:
        """Everything the candidate has said in the turn that is still open."""
        return " ".join([*self.heard, self.interim]).strip()

    def begin(self) -> None:
        """A front end without audio is ready for the candidate's next message: their
        turn's time starts now (unless it already has)."""
        if self.since is None:
            self.since = self.clock()
            self.waiting = True

    def speaking(self) -> None:
        """The candidate started speaking."""
        if self.since is None:
            self.since = self.clock()

    def transcribed(self, text: str, *, final: bool) -> None:
        """Words heard while the candidate talks: a final segment, or the interim
        transcript that follows the final ones (it replaces the previous interim)."""
        if self.since is None:
            self.since = self.clock()
        if final:
            self.heard.append(text)
            self.interim = ""
        else:
            self.interim = text

    def interviewer_spoke(self) -> None:
        """The interviewer's own words go out: a front end's candidate who hasn't said
        anything yet starts their turn after them, not when the front end began
        waiting."""
        if self.waiting and not self.partial:
            self.since = self.clock()

    def recorded(self) -> None:
        """The candidate's words were recorded: the turn's start is theirs now."""
        self.waiting = False

    def request_taken(self) -> None:
        """A typed request (the console's /hint ...) ended the turn's timing."""
        self.since = None

    def hold(self) -> None:
        """The words so far are recorded, but the turn's time goes on: the candidate
        asked for time, and their next words continue the same answer."""
        self.heard, self.interim = [], ""

    def close(self) -> None:
        """The turn is over (its words are in the history and the transcript)."""
        self.heard, self.interim, self.since = [], "", None
