"""What a candidate's message asks of the interviewer: an answer, or a request (English).

Used by the offline interviewer and the tests' scripted model (through
``mockflow.interview.prompting.competent_reply``) and by the engine (confirming a stop,
finding the answer part of a mixed message). The rules, in order (docs/requests.md):

1. A message that starts with a console command (``/repeat``, ``/hint``, ``/skip``,
   ``/quit``, ``/stop``, ``/clarify``) is that request.
2. The message is split into sentences (``. ! ?``, ``;`` and line breaks), and each
   sentence loses its leading fillers ("sorry,", "okay,", "um,", "before I answer,").
3. Each sentence is classified on its own. A sentence is a request only when it is
   addressed to the interviewer: an imperative or a question aimed at them ("could you
   repeat that?", "skip this one, please"), a first-person wish about the interview ("I'd
   like a hint", "I want to stop the interview"), a statement of not hearing or not
   understanding the question ("I didn't catch that"), or a question about the team, the
   role or the company. The object decides: "skip this one" is a request, "skip this step
   in staging" is narration; "I would quit the process" describes a technical action and
   is never a request, whatever its verb.
4. Sentences that carry nothing (fillers, thanks, "does that make sense?") are set aside.
   The message is a request when its last remaining sentence is one, or when its first
   is one and every other sentence is a request or a remark about not understanding.
   Otherwise it is an answer, however many request words it mentions.

Limits: English only; a request buried in the middle of an answer is read as part of the
answer; a question to the interviewer needs a cue that it is about the job (the team, the
role, the company, "can I ask ...") — a bare "how do you do that here?" is read as part of
an answer. A stop is always confirmed before the interview ends, so a misread stop costs
one question, not the interview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    REPEAT = "repeat"
    CLARIFY = "clarify"
    HINT = "hint"
    SKIP = "skip"
    STOP = "stop"
    QUESTION = "question"  # a question to the interviewer (about the team, role, ...)


SLASH_COMMANDS: dict[str, Intent] = {
    "/repeat": Intent.REPEAT, "/hint": Intent.HINT, "/skip": Intent.SKIP,
    "/quit": Intent.STOP, "/stop": Intent.STOP, "/clarify": Intent.CLARIFY,
}

# ------------------------------------------------------------------ building blocks

_FILLER = (
    r"(?:sorry|so sorry|apologies|excuse me|pardon me|um+|uh+|erm|er|hm+|okay|ok|so|well|"
    r"right|alright|all right|yeah|oh|ah|hey|hi|actually|honestly|look|listen|alex|wait|"
    r"hang on|one second|one sec|just a second|and|but|also|then|anyway|anyways|quick question|"
    r"before i answer|before i start|before we go on|before we continue|sorry to interrupt|"
    r"to be honest|i'?m sorry|my apologies|real quick|just quickly|one thing|i think|i guess|"
    r"i'?m afraid|i believe|maybe|perhaps|actually)"
)
_LEADING = re.compile(rf"^(?:{_FILLER}\b[\s,:\-–—.!]*)+")
_TRAILING_POLITE = re.compile(
    r"(?:[\s,]+(?:please|if you (?:don'?t|do not) mind|if (?:that'?s|it'?s) (?:ok(?:ay)?|alright|"
    r"fine)|if possible|for me|thanks|thank you|again|sorry|slower|more slowly|slowly|"
    r"for now|for the moment|if there'?s time|"
    r"and come back (?:to it )?later(?: if there'?s time)?|"
    r"and maybe come back (?:to it )?later))+$")

# What a request is about: the question, or what the interviewer just said.
_Q_OBJ = (r"(?:this|that|it|this one|that one|the question|this question|that question|"
          r"the last question|the previous question|the last part|the last bit|that last part|"
          r"that last bit|the second part|the first part|the end|what you said|the whole thing|"
          r"the whole question)(?: of (?:the|your|that|this) question)?")
_ASK_YOU = (r"(?:(?:can|could|would|will) you(?: please| maybe| just)?|please|would you mind|"
            r"do you mind|(?:can|could) i ask you to|i'?d like you to|i would like you to|"
            r"i want you to|i need you to|(?:would|is) it be possible to|is it possible to)")
_ASK_ME = (r"(?:(?:can|could|may|might) i(?: please| maybe| just)?|is it ok(?:ay)? if i|"
           r"is it alright if i)")
_ASK_WE = (r"(?:(?:can|could|may|shall|should) we(?: please| maybe| just)?|"
           r"is it ok(?:ay)? if we|let'?s|let us|how about we|why don'?t we|"
           r"maybe we (?:can|could))")
_WISH = (r"(?:i'?d like|i would like|i'?d love|i want|i wanna|i need|i'?d prefer|i would prefer|"
         r"i'?d rather|i would rather|i think i'?d like|i think i want|i wish)")
_HINT_NOUN = r"(?:hint|clue|pointer|nudge|tip|hand)"
_THE_INTERVIEW = (r"(?:the|this|our|today'?s) (?:interview|call|session|conversation|chat|meeting)"
                  r"|things|it (?:here|there)|here|there|now|for (?:now|today)|today|early|a day")


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


_PATTERNS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.STOP, _rx(
        rf"^(?:{_ASK_YOU} )?(?:stop|end|finish|terminate|close|wrap up|cut short) "
        rf"(?:{_THE_INTERVIEW})(?: here| now| early| for today| please)*$",
        rf"^{_ASK_WE} (?:stop|end|finish|quit|wrap up|wrap this up|call it|leave it|end it|"
        rf"stop it|finish early|stop early)(?: (?:{_THE_INTERVIEW}))?(?: here| there| now| early|"
        r" for today| please)*$",
        rf"^{_WISH} to (?:stop|end|quit|leave|finish|go|drop out|withdraw|wrap up|call it a day|"
        rf"end it|stop it|stop here|end here)(?: (?:{_THE_INTERVIEW}))?(?: here| now| early| "
        r"for today| please)*$",
        rf"^{_ASK_ME} (?:stop|leave|go|end (?:{_THE_INTERVIEW})|drop (?:off|out))"
        rf"(?: (?:{_THE_INTERVIEW}))?(?: here| now| early| please)*$",
        r"^i (?:have|need|got|gotta|'ve got|must) (?:to )?(?:go|leave|run|drop off|hop off|"
        r"head out|stop|end (?:the|this) (?:interview|call))(?: now| right now| soon| early)?$",
        r"^i'?m (?:going to have to|gonna have to) (?:go|leave|stop|drop off)(?: now)?$",
        r"^(?:i quit|i give up|i'?m out|count me out|i'?m withdrawing|i withdraw)"
        r"(?: (?:from )?(?:the|this) (?:interview|process))?$",
        r"^i (?:don'?t|do not) want to (?:continue|go on|carry on|keep going|do this)"
        r"(?: (?:anymore|any more|any longer))?$",
        r"^i'?m (?:done|finished|through) (?:with (?:the|this) (?:interview|call|session)|"
        r"for today)$",
        r"^(?:stop|end|quit|end the interview|stop the interview)$",
        r"^(?:that'?s enough|enough) for (?:me|today)$",
        r"^(?:i think )?(?:we should|i should|we can|we could) (?:stop|end|call it a day)"
        r"(?: here| now| the interview)?$",
    )),
    (Intent.SKIP, _rx(
        rf"^(?:{_ASK_YOU} )?(?:skip|pass on|pass over|drop) {_Q_OBJ}(?: one)?(?: for now)?$",
        rf"^{_ASK_WE} (?:skip|pass on) {_Q_OBJ}(?: one)?(?: for now)?$",
        rf"^{_ASK_WE} (?:skip|pass)(?: it| this one| that one)?$",
        rf"^{_ASK_WE} (?:move on|go on|go to the next (?:one|question)|move to the next "
        r"(?:one|question)|try (?:another|a different) (?:one|question)|"
        r"do the next (?:one|question))"
        r"(?: to the next (?:one|question))?$",
        rf"^{_ASK_ME} (?:skip|pass on|pass)(?: {_Q_OBJ})?(?: one)?$",
        rf"^(?:{_ASK_YOU} )?(?:move on|go on|go to the next (?:one|question)|ask (?:me )?"
        r"(?:the next|another|a different) (?:one|question))(?: to the next (?:one|question))?$",
        rf"^{_WISH} to (?:skip|pass on|pass|move on)(?: {_Q_OBJ})?(?: one)?$",
        r"^(?:i'?d|i would|i'?ll|i will|i think i'?ll|i'?m going to|i'?m gonna) (?:rather )?"
        r"(?:skip|pass on|pass)(?: (?:this one|that one|this question|that question|the question|"
        r"on this one|on that one|on this|on that|for now))?$",
        r"^(?:i'?d|i would) (?:rather not|prefer not to) (?:answer|do|take|try) (?:this|that|"
        r"this one|that one|this question|that question|the question)$",
        r"^(?:skip|pass|next|next question|next one|skip it|skip this|skip this one|"
        r"skip that one|skip the question|another question|different question|moving on)$",
        r"^(?:that'?s|that is) (?:all|everything|it) (?:i (?:have|got|can say|can think of)|"
        r"from me) (?:for|on) (?:this|that)(?: one| question)?$",
        r"^(?:i have|i'?ve got) nothing (?:more|else) (?:to add|to say)?(?: (?:on|for) "
        r"(?:this|that)(?: one)?)?$",
        r"^(?:no idea|i have no idea|i don'?t know),? (?:can|could|shall) we (?:skip|move on)"
        r"(?: (?:this|that)(?: one)?)?$",
    )),
    (Intent.HINT, _rx(
        rf"^(?:{_ASK_YOU} )?(?:give|offer|share|throw|drop) (?:me |us )?(?:a|another|one more|"
        rf"some|any|a little|a small|a quick)? ?(?:little |small |quick )?{_HINT_NOUN}s?"
        r"(?: (?:here|on (?:this|that)(?: one)?|about .{1,60}|for .{1,60}|to get me started))?$",
        rf"^{_ASK_ME} (?:get|have|ask for|get you to give me) (?:a|another|one more|some|any)"
        rf" ?(?:little |small |quick )?{_HINT_NOUN}s?(?: .{{0,60}})?$",
        rf"^{_WISH} (?:a|another|one more|some|a little|a small)? ?(?:little |small )?"
        rf"(?:{_HINT_NOUN}s?|help)(?: .{{0,60}})?$",
        rf"^(?:i could use|could i use) (?:a|another|some) (?:{_HINT_NOUN}|help)(?: .{{0,60}})?$",
        rf"^(?:is there|do you have|have you got|any chance of|got) (?:a|any|another) "
        rf"{_HINT_NOUN}s?(?: .{{0,60}})?$",
        rf"^(?:a |another |one more |any )?{_HINT_NOUN}s?$",
        r"^(?:can|could|would) you help me(?: out)?(?: (?:a bit|a little|here|with (?:this|that)"
        r"(?: one)?))*$",
        r"^(?:i'?m|i am) (?:a bit |a little |kind of |really |totally |completely )?"
        r"(?:stuck|lost|blanking|drawing a blank)(?: (?:here|on (?:this|that)(?: one)?))?$",
        r"^(?:any|some) (?:help|pointers|ideas|tips)(?: (?:here|on (?:this|that)))?$",
        r"^(?:where|how) (?:should|would|do) i (?:start|begin)(?: (?:with )?(?:this|that)"
        r"(?: one)?)?$",
    )),
    (Intent.REPEAT, _rx(
        rf"^(?:{_ASK_YOU} )?(?:repeat|say|read|ask)(?: {_Q_OBJ})?"
        r"(?: again| one more time| once more)?"
        r"(?: (?:more )?slowly)?$",
        rf"^(?:{_ASK_YOU} )?(?:repeat|say|read|ask) (?:me )?{_Q_OBJ}"
        r"(?: again| one more time| once more)?(?: (?:more )?slowly)?$",
        rf"^{_ASK_ME} (?:hear|have) {_Q_OBJ} (?:again|one more time|once more)$",
        r"^(?:come again|pardon|pardon me|sorry|excuse me|say again|what|huh|again)$",
        r"^(?:one more time|once more)$",
        rf"^i (?:didn'?t|did not|couldn'?t|could not|can'?t|cannot) (?:quite )?(?:catch|hear|get)"
        rf" (?:{_Q_OBJ}|you|all of (?:that|it)|what you said|the end of (?:that|it|the question))"
        r"(?: (?:properly|clearly|fully|there))?$",
        rf"^i (?:missed|lost) {_Q_OBJ}$",
        r"^(?:you|it) (?:cut out|broke up|were breaking up|was breaking up|froze)"
        r"(?: there| a bit)?$",
        r"^what (?:was|is|'?s) (?:the|that|your) (?:question|last question|first part|last part|"
        r"second part)(?: again)?$",
        r"^what was (?:that|the question)(?: again)?$",
        r"^(?:repeat|repeat please|please repeat)$",
    )),
    (Intent.CLARIFY, _rx(
        r"^what do you mean(?: by .{1,80}| exactly| there| here)?$",
        r"^what (?:exactly )?(?:do|did) you mean(?: by .{1,80})?$",
        r"^what does (?:that|it|this|.{1,40}) mean(?: (?:here|in this context|exactly))?$",
        r"^what (?:exactly )?are you (?:asking|looking for)(?: here| for)?$",
        r"^what (?:is|'?s) (?:the question|being asked) (?:asking|exactly)$",
        rf"^(?:{_ASK_YOU} )?(?:clarify|rephrase|explain|reword|put)(?: {_Q_OBJ}| what you mean)?"
        r"(?: (?:another|a different) way| differently| in other words| a bit more| more)?$",
        rf"^(?:{_ASK_YOU} )?(?:be more specific|give (?:me )?(?:an example|more context|"
        r"some context))"
        r"(?: of what you mean)?$",
        r"^i'?m (?:not sure|unsure) (?:what|what exactly|which) (?:you mean|you'?re asking|you are "
        r"asking|the question is asking|you'?re looking for|you want)(?: .{1,80})?$",
        r"^i (?:don'?t|do not) (?:understand|get|follow) (?:the question|what you mean|"
        r"what you'?re "
        r"asking|what you are asking|the last part|that|it|the part about .{1,60})$",
        r"^i (?:don'?t|do not) (?:quite |really )?(?:understand|follow)(?: the question)?$",
        r"^(?:in what sense|meaning what|like how|how do you mean)$",
        r"^do you mean .{1,100}$",
        r"^(?:is|was) (?:this|that|it|the question) (?:about|asking about|referring to) .{1,100}$",
        r"^(?:are you asking|is the question) (?:about|whether|if) .{1,100}$",
        r"^(?:by|when you say) .{1,60},? (?:do you mean|what do you mean|you mean) .{0,80}$",
    )),
)

# A question to the interviewer: a question about the job, or announced as one.
_ABOUT_THE_JOB = re.compile(
    r"\b(?:the team|your team|this team|the company|your company|this company|the role|this role|"
    r"the position|this position|the job|this job|i'?d be (?:joining|working|doing|reporting)|"
    r"would i be|will i be|am i going to|the office|your office|office days?|remote|hybrid|"
    r"on-?call|salary|pay range|compensation|benefits|equity|visa|sponsorship|relocat\w+|"
    r"next steps?|hear back|the interview process|the process from here|your stack|the stack|"
    r"tech stack|your (?:product|customers|codebase|services|engineers|managers?)|"
    r"how many (?:engineers|people|developers|of you)|how big is|how large is|"
    r"do you (?:use|have|offer|work|deploy|run|support|allow|provide|pay|hire)|"
    r"does (?:the|your) (?:team|company)|do (?:the|your) (?:teams?|engineers)|"
    r"(?:you|y'?all) (?:guys )?(?:use|deploy|run) |who would i|what would my|what does a typical|"
    r"day to day|day-to-day|work from home|working hours|four-day|4-day|holiday|vacation|"
    r"parental leave|training budget|career|promotion|manager)\b")
_ANNOUNCED = re.compile(
    r"^(?:can|could|may|might) i ask(?: you)?(?: a question)?|^i (?:have|'?ve got) a "
    r"question|^(?:i was|i'?m) (?:wondering|curious)|^out of curiosity|^just curious")
_CHECK_IN = re.compile(
    r"^(?:does (?:that|this) make sense|is (?:that|this) (?:ok|okay|alright|fine|enough|clear|"
    r"what you (?:meant|mean|were looking for|wanted|are looking for))|did (?:that|i) answer"
    r"(?: (?:it|the question|your question))?|should i (?:go on|continue|keep going|go deeper|"
    r"elaborate)|do you want (?:me to (?:go on|continue|elaborate|go deeper)|more(?: detail)?)|"
    r"want (?:more|me to go on)|(?:am i|was i) on the right track|make sense|right|you know|"
    r"shall i (?:go on|continue)|anything else(?: you want to know)?|"
    r"(?:is|was) (?:that|this) (?:the kind of|the sort of) (?:thing|answer|example) you.*)$")
_EMPTY = re.compile(
    r"^(?:|ok|okay|sure|right|alright|yes|yeah|yep|no|nope|thanks|thank you|cool|great|good|"
    r"good question|great question|interesting|interesting question|hmm+|um+|uh+|let me think|"
    r"let me think about (?:it|that)|give me a (?:second|moment|sec)|one moment|"
    r"that'?s a (?:good|great|tough|hard|interesting) (?:one|question)|tough one|hard one|"
    r"i see|got it|understood)$")
# Remarks that go with a request about the question ("I didn't catch the end").
_AUX = re.compile(
    r"^(?:i'?m not sure|i'?m (?:a bit )?confused|it'?s not clear(?: to me)?|i'?m lost|"
    r"i (?:didn'?t|did not|couldn'?t) (?:catch|hear|get|understand) .{0,60}|"
    r"the (?:line|connection|audio) .{0,40}|you (?:cut|broke) .{0,30}|"
    r"i'?m not sure (?:what|which|how|where) .{0,80}|i (?:don'?t|do not) (?:know|understand) "
    r"(?:what|which|where|how) .{0,80}|i'?m (?:a bit |really |kind of )?stuck.{0,40}|"
    r"i (?:don'?t|do not) know where to (?:start|begin).{0,20}|i (?:have|'?ve got) no idea "
    r"(?:where|how) to (?:start|begin).{0,20})$")

_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=[.!?])(?=[A-Z])")


_GERUNDS = {"repeating": "repeat", "saying": "say", "rephrasing": "rephrase",
            "clarifying": "clarify", "explaining": "explain", "skipping": "skip",
            "giving": "give", "reading": "read", "asking": "ask", "ending": "end",
            "stopping": "stop", "moving": "move", "going": "go", "passing": "pass"}
_GERUND = re.compile(rf"^(?:would|do) you mind(?: if you)? ({'|'.join(_GERUNDS)})\b")


def split_sentences(text: str) -> list[str]:
    """Sentences of a message (``. ! ? ;`` and line breaks end one)."""
    return [s.strip() for s in _SPLIT.split(text) if s and s.strip()]


def normalize(sentence: str) -> tuple[str, bool]:
    """Lower-case words without fillers or end punctuation, and whether it asked ('?')."""
    text = sentence.lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    asked = "?" in text
    text = re.sub(r"[\"“”«»()\[\]*_]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = _LEADING.sub("", text)
    text = re.sub(r"[\s.!?;:,…\-–—]+$", "", text)
    text = _TRAILING_POLITE.sub("", text)
    text = re.sub(r"^(?:please)[\s,]+", "please ", text)
    text = text.replace(" , ", ", ")
    text = _GERUND.sub(lambda m: "could you " + _GERUNDS[m.group(1)], text)
    return text.strip(" ,"), asked


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str  # as written
    intent: Intent | None
    role: str  # "request", "empty" (carries nothing), "aux" (not understanding), "answer"


# "I'm done (with this one)" on its own: finished with the question, not the interview.
# Only a whole sentence: "That covers it, I'm done." is the end of an answer.
_DONE = re.compile(r"^(?:i'?m|i am) (?:done|finished|through)(?: with (?:this|that)"
                   r"(?: one| question| part)?)?$")
_CLAUSE = re.compile(r",\s*|\s+(?:so|but|and|then)\s+|\s+[-–—]+\s+")


# "Just to make sure I understand: ...?" -- checking the question before answering it.
# With a question mark, whatever follows is a clarification request ("... are we talking
# about the read path?", "... you want me to design the write path?").
_UNDERSTAND_LEAD = re.compile(
    r"^(?:so |ok(?:ay)? |right |sorry |and )*(?:(?:just )?(?:to|so) (?:make sure|check|confirm"
    r"|be (?:clear|sure)|clarify)(?: (?:that )?i(?:'m| am)? (?:understand|understood|"
    r"following|follow|clear|get (?:it|this|you)|got (?:it|this|you)(?: right)?|have (?:it|this|"
    r"that) right)(?: correctly| properly| right)?)?|(?:can|could|may) i (?:just )?(?:check|"
    r"confirm|clarify)(?: (?:that )?i(?:'ve| have)? (?:understood|got (?:it|this|that)"
    r"(?: right)?|understand))?|let me (?:just )?(?:make sure|check|confirm)(?: (?:that )?i"
    r"(?: understand|'ve understood| have understood|'ve got (?:it|this) right))?|if i "
    r"(?:understand|understood|follow|heard)(?: you)?(?: correctly| right)?|so i(?:'m| am) "
    r"clear|quick (?:check|clarification))"
    r"(?:\s*[:,;.\-–—]\s*|\s+)(?P<rest>.+)$")


def _request_in(text: str) -> Intent | None:
    for intent, pattern in _PATTERNS:
        if pattern.search(text):
            return intent
    return None


def classify_sentence(sentence: str) -> Sentence:
    norm, asked = normalize(sentence)
    if sentence.strip().startswith("/"):
        command = sentence.strip().split()[0].lower()
        if command in SLASH_COMMANDS:
            return Sentence(sentence, SLASH_COMMANDS[command], "request")
    bare = re.sub(r",", "", norm)
    lead = _UNDERSTAND_LEAD.match(norm)
    if asked and lead is not None and len(lead.group("rest").split()) >= 2:
        return Sentence(sentence, Intent.CLARIFY, "request")
    intent = Intent.SKIP if _DONE.match(bare) else _request_in(bare)
    if intent is None:
        # "..., could you repeat the whole question?" / "I need to leave, something came
        # up": a request in a clause of at least three words, or in all after a boundary.
        cuts = [0, *(b.end() for b in _CLAUSE.finditer(norm)), len(norm)]
        pieces = [norm[a:] for a in cuts[1:-1]]
        pieces += [norm[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
        for piece in pieces:
            clause = normalize(piece)[0].replace(",", "")
            if len(clause.split()) >= 3:
                intent = _request_in(clause)
                if intent is not None:
                    break
    if intent is not None:
        return Sentence(sentence, intent, "request")
    if _CHECK_IN.match(bare) or _EMPTY.match(bare):
        return Sentence(sentence, None, "empty")
    if asked and (_ANNOUNCED.search(bare) or _ABOUT_THE_JOB.search(bare)) and \
            not re.match(r"^(?:so |then )?(?:what|how|why|where|when) (?:would|should|could|"
                         r"did) (?:i|we)\b", bare):
        return Sentence(sentence, Intent.QUESTION, "request")
    if _AUX.match(bare):
        return Sentence(sentence, None, "aux")
    return Sentence(sentence, None, "answer")


@dataclass(frozen=True, slots=True)
class Reading:
    """How a message reads: ``intent`` None is an answer. ``request`` is the sentence
    that makes the request; ``answer`` what else the message says that is an answer."""

    intent: Intent | None
    request: str = ""
    answer: str = ""


def read_message(text: str) -> Reading:
    """Classify a whole candidate message (see the module docstring for the rules)."""
    stripped = text.strip()
    if not stripped:
        return Reading(None)
    first_word = stripped.split()[0].lower()
    if first_word in SLASH_COMMANDS:
        return Reading(SLASH_COMMANDS[first_word], stripped)
    sentences = [classify_sentence(s) for s in split_sentences(stripped)]
    body = [s for s in sentences if s.role != "empty"]
    if not body:
        # Only fillers: "Sorry?" asks to hear it again; "ok" and "thanks" are no request.
        for s in sentences:
            word = re.sub(r"[^a-z' ]", "", s.text.lower()).strip()
            if word in {"sorry", "pardon", "pardon me", "what", "huh", "excuse me"}:
                return Reading(Intent.REPEAT, s.text)
        return Reading(None, answer=stripped)
    last = body[-1]
    if last.role == "request" and last.intent is not None:
        rest = " ".join(s.text for s in sentences if s is not last and s.role == "answer")
        return Reading(last.intent, last.text, rest)
    first = body[0]
    if first.role == "request" and first.intent is not None and \
            all(s.role in ("request", "aux") for s in body[1:]):
        return Reading(first.intent, first.text)
    if all(s.role == "aux" for s in body) and len(body) <= 2:
        # "I'm not sure what you mean." / "I'm stuck." on their own.
        return Reading(_aux_intent(body[-1].text), body[-1].text)
    return Reading(None, answer=stripped)


def _aux_intent(sentence: str) -> Intent | None:
    norm = normalize(sentence)[0]
    if re.search(r"\b(?:catch|hear|cut|broke|line|connection|audio)\b", norm):
        return Intent.REPEAT
    if re.search(r"\b(?:stuck|start|begin)\b", norm):
        return Intent.HINT
    if re.search(r"\b(?:mean|asking|understand|confused|clear|not sure what|which)\b", norm):
        return Intent.CLARIFY
    return None


def answer_part(text: str) -> str | None:
    """What a message that makes a request also says as an answer ("I'd use Redis with a
    TTL." in "I'd use Redis with a TTL. Could you repeat the last part?"), or None."""
    reading = read_message(text)
    if reading.intent is None or not reading.answer:
        return None
    return reading.answer


def detect_request(text: str) -> str | None:
    """The request a candidate message makes, or None for an answer."""
    intent = read_message(text).intent
    return None if intent is None else intent.value


_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|yes please|sure|ok|okay|correct|right|that'?s right|i do|"
    r"definitely|absolutely|please|please do|go ahead|do it|end it|stop|let'?s|let'?s do that|"
    r"let'?s stop|let'?s end|i'?m sure|affirmative|confirm|confirmed|that'?s what i want|"
    r"i think so|i'?d like that|i would|i want to|indeed)\b")
_NOT = re.compile(r"\b(?:no|not|nope|don'?t|do not|wait|actually|never ?mind|continue|carry on|"
                  r"keep going|go on|rather not|changed my mind|mistake|misspoke)\b")


def is_yes(text: str) -> bool:
    """Whether a reply to "Do you want to end the interview here?" confirms it."""
    norm, _ = normalize(" ".join(text.split()))
    raw = " ".join(text.lower().replace("’", "'").split())
    if not norm and not raw:
        return False
    if _NOT.search(norm):
        return False
    if _YES.match(norm) or _YES.match(raw.strip(" ,.!")):
        return True
    return read_message(text).intent is Intent.STOP
