"""Whether an answer heard so far looks finished: every key point of the question is in
it, or the candidate says they are done ("that's it", "so yeah, that's my answer").

An interviewer who knows what a question asks for can tell a pause inside an answer
from the end of one: while the answer still misses what the question asks for, a pause
is most likely thinking, so the interviewer keeps waiting; once it covers it (or the
candidate says so), a short silence is the end. Measured on the shipped interviews'
strong example answers cut at their middle sentence boundary: the first half never
covered every key point (0 of 88), the whole answer did in 24 of 88 (docs/voice.md).
Any other answer, weak or strong, just gets the longer wait.

Key points are matched exactly as the offline scorer matches them
(``scoring.matching``). Plain functions over the format's model, no state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockflow.format.model import Question
from mockflow.scoring.matching import Answer, Point, compile_points, match_point

_DONE = re.compile(
    r"(?:^|\b)(?:that'?s (?:it|all|about it|everything|my answer|what i'?d do|how i'?d do it"
    r"|how i would do it|what i would do)|(?:i think )?that covers it|i'?m done|"
    r"so yeah|yeah,? so that'?s it|and that'?s it|that'?s pretty much it)[\s.!,]*$")


def says_done(text: str) -> bool:
    """The answer's last words say it is over ("... and that's it.")."""
    tail = " ".join(text.lower().replace("’", "'").split())[-80:]
    return bool(_DONE.search(tail))


@dataclass(frozen=True, slots=True)
class AnswerCheck:
    """The finished-answer test for one question (its key points compiled once)."""

    points: tuple[Point, ...]

    @classmethod
    def of(cls, question: Question | None) -> AnswerCheck:
        if question is None:
            return cls(())
        return cls(compile_points(kp.phrases for kp in question.key_points))

    def covered(self, text: str) -> int:
        answer = Answer([text])
        return sum(match_point(answer, p) is not None for p in self.points)

    def finished(self, text: str) -> bool:
        """Every key point is in ``text`` (a question without key points: never), or
        the candidate says they are done."""
        if says_done(text):
            return True
        return bool(self.points) and self.covered(text) == len(self.points)
