"""Whether an answer heard so far looks finished, or the candidate is still going.

An interviewer who knows what a question asks for can tell a pause inside an answer from
the end of one. The cues, in order (``AnswerCheck.finished``):

1. **Still going** (never finished): the words so far end open, on a conjunction, an
   article, a preposition or possessive that needs its noun, a filler ("um"), or a comma,
   dash or ellipsis ("... and then we", "I'd put it behind the", "first, um,"). A
   speaker who stops there is mid-sentence, whatever else the answer covers.
2. **Hands the turn back** (finished):
   - says it is done: "that's it", "that's all I have", "I think I covered that",
     "nothing (more) to add", "I'm done", "I'll leave it there", "so yeah";
   - asks the interviewer whether that was what they wanted: "does that make sense?",
     "does that answer your question?", "want me to go deeper?";
   - gives up, the whole turn: "I don't know.", "no idea", "I've never used that" (a
     trailing "..." or "um" is still going: "I don't know... maybe a cache");
   - makes a request of the interviewer: repeat, clarify, a hint, skip, stop, or a
     question about the role (``interview.requests``; a request for time is not one:
     ``interview.thinking``, and the interviewer waits through it).
3. **Covers what the question asks** (finished): every key point of the question is in
   it. While the answer still misses one, a pause is most likely thinking, so the
   interviewer keeps waiting. Measured on the shipped interviews' strong example answers
   cut at their middle sentence boundary: the first half never covered every key point
   (0 of 88), the whole answer did in 24 of 88 (docs/voice.md).

Anything else, weak or strong, gets the longer wait: on fluent speech that pauses after
a complete sentence, nothing in the words tells a thinking pause from the end (the share
of key points covered at a mid-answer pause and at the end overlap heavily: 2 of 4 is
the most common count at both).

Key points are matched exactly as the offline scorer matches them
(``scoring.matching``). English only, like ``interview.requests``. Plain functions over
the format's model, no state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockflow.format.model import Question
from mockflow.interview.requests import detect_request
from mockflow.scoring.matching import Answer, Point, compile_points, match_point

_END = r"[\s.!,]*$"
_DONE = re.compile(
    r"(?:^|\b)(?:"
    r"(?:and |so |yeah,? |yeah so |i think |i guess )?that(?:'?s| is) "
    r"(?:it|all|about it|everything|pretty much it|pretty much everything|basically it|"
    r"my answer|my take|"
    r"all i (?:have|'?ve got|can think of|know|would say|'?d say)|"
    r"what i'?d do|what i would do|how i'?d do it|how i would do it|"
    r"how i'?d approach it|how i would approach it)"
    r"|(?:i think |i guess )?(?:i'?ve |i have )?(?:covered|answered) (?:it|that|everything|"
    r"the question|the main points|what i wanted to say)"
    r"|(?:i think )?that covers (?:it|everything)"
    r"|(?:i have |i'?ve got |there'?s )?nothing (?:more|else|further)(?: to add| from me)?"
    r"|(?:i have )?nothing to add"
    r"|i (?:don'?t|do not) have anything (?:more|else|further)(?: to add| to say)?"
    r"|i'?m (?:done|finished)|i am (?:done|finished)"
    r"|i'?ll (?:leave|stop|end) (?:it )?(?:there|at that)"
    r"|so yeah|yeah,? so that'?s it"
    rf"){_END}")
_HANDS_BACK = re.compile(
    r"(?:^|\b)(?:does (?:that|this) (?:make sense|answer (?:your|the) question|"
    r"cover (?:it|what you (?:were looking for|wanted|asked)))"
    r"|is (?:that|this) (?:what you (?:were looking for|wanted|meant|had in mind)|"
    r"the kind of (?:answer|thing) you (?:were looking for|wanted)|enough|ok(?:ay)?)"
    r"|(?:do you )?want me to (?:go (?:deeper|into (?:more )?detail|on)|elaborate|expand)"
    r"(?: on (?:any of )?(?:that|it|this|them|anything))?"
    r"|(?:should|shall) i (?:go (?:deeper|into (?:more )?detail|on)|elaborate|expand|continue)"
    r"(?: on (?:any of )?(?:that|it|this|them|anything))?"
    r")[\s.!,?]*$")
_GIVES_UP = re.compile(
    r"^(?:(?:um+|uh+|hm+|well|honestly|to be honest|sorry|i'?m sorry|so|yeah|no|"
    r"i'?m afraid|unfortunately)[\s,.]+)*"
    r"(?:i (?:really |honestly |just )?(?:don'?t|do not) know(?: (?:the answer|that one|"
    r"that|how|about that))?|i have no idea|no idea|no clue|i have no clue|"
    r"i'?m not familiar with (?:it|that|this)|"
    r"i (?:can'?t|cannot) (?:answer|think of anything)(?: (?:that|this))?|"
    r"i'?ve never (?:done|used|worked with) (?:that|it|this))"
    r"(?:[\s,.]+(?:sorry|honestly|to be honest|i'?m afraid|unfortunately|"
    r"i'?m sorry))*[\s.!,]*$")
# Words a sentence can't end on: it goes on after them (conjunctions, articles,
# prepositions, possessives, fillers; "then" and "so" only after a conjunction: "I'd
# restart it then." is whole).
_OPEN_WORDS = (
    "and", "but", "or", "nor", "because", "since", "unless", "whereas", "whether",
    "although", "if", "when", "while", "which", "whose", "where", "like",
    "the", "a", "an", "my", "our", "your", "their", "its",
    "of", "to", "with", "without", "for", "from", "into", "onto", "via", "between",
    "than", "um", "umm", "uh", "uhh", "er", "erm", "hmm",
)
_OPEN_PHRASES = ("and then", "and so", "and also", "but then", "but also", "or else",
                 "such as", "so that", "in order to", "as well as", "rather than")
_OPEN = re.compile(r"(?:\b(?:" + "|".join(_OPEN_WORDS + _OPEN_PHRASES) + r")[\s.]*"
                   r"|[,;:\-–—]\s*|\.\.\.\s*|…\s*)$")


def _tail(text: str, chars: int = 120) -> str:
    return " ".join(text.lower().replace("’", "'").split())[-chars:]


def still_going(text: str) -> bool:
    """The words so far end mid-sentence ("... and then we", "behind the", "um,")."""
    tail = _tail(text)
    return bool(tail) and bool(_OPEN.search(tail))


def says_done(text: str) -> bool:
    """The answer's last words say it is over ("... and that's it.", "nothing to add")."""
    return bool(_DONE.search(_tail(text, 80)))


def hands_back(text: str) -> bool:
    """The answer ends by asking the interviewer whether it was enough ("does that make
    sense?", "want me to go deeper?")."""
    return bool(_HANDS_BACK.search(_tail(text, 80)))


def gives_up(text: str) -> bool:
    """The whole turn says the candidate doesn't know ("Honestly, I don't know.")."""
    return bool(_GIVES_UP.match(" ".join(text.lower().replace("’", "'").split())))


def turn_handed_back(text: str) -> bool:
    """Cue 2 of the module doc: the candidate says they are done, asks whether it was
    enough, gives up, or asks something of the interviewer."""
    return (says_done(text) or hands_back(text) or gives_up(text)
            or detect_request(text) is not None)


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
        """The module doc's cues, in order: never while the words end open; then the
        candidate handing the turn back; then every key point covered (a question
        without key points: only the cues)."""
        if not text.strip() or still_going(text):
            return False
        if turn_handed_back(text):
            return True
        return bool(self.points) and self.covered(text) == len(self.points)
