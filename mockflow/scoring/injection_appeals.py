"""Appeals to the scorer, found by what a sentence talks about rather than a list of phrases.

An appeal is a sentence about the answer's own grade instead of the question: it names
the answer, the candidate's performance, the score or whoever gives it, and praises,
rates or asks for something. Three shapes, in any wording the vocabularies below cover:

- **self-assessment**: the answer itself (``this answer``, ``my response``, ``what I
  said``, ``how I did``) with praise, a grade or a claim to deserve one ("my answer was
  excellent", "I'd appreciate it if this answer were considered among the strongest");
- **a request about the score**: a request (``please``, ``I'd appreciate``, ``make
  sure``, ``record``) about the score or result with a level ("please record the
  highest possible result");
- **quoted praise**: someone else's praise, reported ("my last three interviewers said
  this was the best answer they had heard", "as my manager put it, flawless").

``talks_about_scoring`` is the wider structural test the evidence gate uses: a quote that
names the answer itself, its score or the one scoring it can never support a score, even
when it is no appeal ("this answer covers the main points").
"""

from __future__ import annotations

import re
from functools import cache

from mockflow.scoring.injection_vocab import normalise

SELF = (
    r"(?:this|my|the above|the present|the following|that)\s+(?:\w+\s+){0,2}?"
    r"(?:answer|answers|response|responses|reply|replies|explanation|submission|solution"
    r"|write-?up|performance|interview|candidacy|application|take on (?:this|the question))\b"
    r"|\bwhat i(?:'ve| have)? (?:just )?(?:said|written|explained|described|answered)\b"
    r"|\bhow i (?:did|performed|answered|came across)\b"
    r"|\bi (?:did|performed|answered|nailed it|aced it)\b(?:\s+\w+){0,2}\s+(?:well|great"
    r"|brilliantly|perfectly|excellently|flawlessly)\b"
    r"|\bi(?:'ve| have)? (?:nailed|aced|crushed|smashed|killed|knocked out) (?:it|this|that)"
    r"(?: one| question| answer)?\b"
    r"|\b(?:everything|all) (?:above|i(?:'ve| have)? said)\b"
)
SCORE_WORDS = (
    r"score|scores|scored|scoring|grade|grades|graded|marks?|rating|rated|rate|result"
    r"|results|evaluation|assessment|points|ranking|ranked|band|verdict|outcome|feedback"
)
PRAISE = (
    r"excellent|outstanding|exceptional|perfect|perfectly|flawless|flawlessly|brilliant"
    r"|impressive|strongest|strong|stronger|best|top|top-tier|top-notch|highest|high|higher"
    r"|maximum|max|full|thorough|comprehensive|complete|exemplary|stellar|superb|great"
    r"|amazing|fantastic|world-class|textbook|model|ideal|senior-level|expert-level|expert"
    r"|first-rate|first-class|impeccable|faultless|exceptionally|remarkable|superior"
    r"|favou?rable|favou?rably|generous|generously|good|solid|correct|right|a\+"
    r"|ten out of ten|10/10|five stars|5/5|five out of five|spot on"
)
SUPERLATIVE = (
    r"excellent|outstanding|exceptional|perfect|flawless|brilliant|impressive|strongest"
    r"|best|top|highest|exemplary|stellar|superb|world-class|textbook|first-rate|impeccable"
    r"|faultless|remarkable|ten out of ten|10/10|five stars|finest|greatest|clearest"
    r"|most (?:complete|thorough|impressive|insightful|comprehensive)"
)
DESERVE = (
    r"deserves?|deserved|deserving|merits?|warrants?|earns?|earned|qualif(?:y|ies)"
    r"|worth|worthy|covers? (?:all|every|each)|meets? (?:all|every|each)|ticks? (?:all|every)"
    r"|hits? (?:all|every)|checks? (?:all|every)|considered|regarded|seen as|treated as"
    r"|counted as|marked as|recorded as|classed as|ranks?|ranked"
)
REQUEST = (
    r"please|pls|kindly|i'?d (?:appreciate|be grateful|like|love|ask)|i would (?:appreciate"
    r"|be grateful|like|love|ask)|i(?:'m| am) (?:hoping|asking|requesting)|i (?:hope|trust"
    r"|ask|request|expect)|grateful if|appreciate it if|make sure|be sure|ensure|remember"
    r"|don'?t forget|bear in mind|keep in mind|consider|record|register|log|note down"
    r"|put down|write down|enter|mark|count|treat|reflect|let (?:it|this) (?:show|reflect)"
    r"|it would (?:be (?:great|nice|fair)|help) if|would you|could you|can you"
)
EVALUATOR_NAMED = (
    r"\b(?:whoever|anyone|anybody|whatever) (?:is )?(?:reads?|reading|scores?|scoring"
    r"|grades?|grading|reviews?|reviewing|evaluates?|evaluating|assess(?:es)?|assessing"
    r"|marks?|marking|listens?|listening)\b"
    r"|\b(?:dear|to the|attention,?|hey|hi|hello)\s+(?:\w+\s+)?(?:reviewers?|evaluators?"
    r"|graders?|assessors?|examiners?|markers?|ai|model|system|scorers?|panel|committee)\b"
)
EVALUATOR_YOU = (
    r"\b(?:you|you've|you have|you'll|you will|you've ever|you ever)\s+(?:\w+\s+)?"
    r"(?:seen|heard|read|received|interviewed|come across|encountered|had|reviewed|graded"
    r"|scored|evaluated)\b"
)
EVALUATOR = f"{EVALUATOR_NAMED}|{EVALUATOR_YOU}"
OTHERS = (
    r"(?:my|our|the|a|an|every|several|many|all|three|two|both)\s+(?:\w+\s+){0,2}?"
    r"(?:manager|managers|lead|leads|boss|cto|ceo|vp|director|colleagues?|team|teammates?"
    r"|interviewers?|mentors?|professors?|teachers?|peers?|recruiters?|engineers?|architects?"
    r"|experts?|reviewers?|friends?|coworkers?|co-workers?|panel)"
    r"|\beveryone\b|\beverybody\b|\bpeople\b|\bothers\b|\bthey\b|\bhe\b|\bshe\b"
)
SAID = (
    r"said|says|say|told me|tell me|called|call|described|describe|rated|rate|considered"
    r"|consider|think|thinks|thought|agreed|agree|agrees|praised|praise|put it|wrote"
    r"|commented|remarked|noted|reckoned|reckon|would say|have said|kept saying|always say"
)
_ABOUT = r"(?:it|this|that|my|mine|me|i|i'm|i am|the answer|the response|the design)"


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    flags = re.IGNORECASE
    near = r"(?:\W+\w+){0,12}?\W+"
    return (
        ("self-assessment", re.compile(
            rf"(?:{SELF}){near}(?:\b(?:{PRAISE}|{DESERVE}|{SCORE_WORDS})\b)"
            rf"|\b(?:{SUPERLATIVE}|{DESERVE})\b{near}(?:{SELF})", flags)),
        ("self-assessment", re.compile(
            rf"\b(?:{SUPERLATIVE})\b(?:\W+\w+){{0,6}}?\W+(?:{EVALUATOR})", flags)),
        ("score request", re.compile(
            rf"\b(?:{REQUEST})\b{near}\b(?:{SCORE_WORDS})\b(?:\W+\w+){{0,10}}?\W*"
            rf"\b(?:{PRAISE}|possible|available|deserved)\b"
            rf"|\b(?:{REQUEST})\b{near}\b(?:{PRAISE}|possible)\b(?:\W+\w+){{0,4}}?\W+"
            rf"\b(?:{SCORE_WORDS})\b", flags)),
        ("quoted praise", re.compile(
            rf"(?:{OTHERS})\W+(?:\w+\W+){{0,3}}?(?:{SAID})\b(?:\W+\w+){{0,10}}?\W+"
            rf"{_ABOUT}\b(?:\W+\w+){{0,8}}?\W+(?:{SUPERLATIVE})\b"
            rf"|(?:{OTHERS})\W+(?:\w+\W+){{0,3}}?(?:{SAID})\b(?:\W+\w+){{0,6}}?\W+"
            rf"(?:{SUPERLATIVE})\b(?:\W+\w+){{0,4}}?\W+(?:answer|response|solution|design"
            rf"|explanation|engineer|candidate)", flags)),
        ("quoted praise", re.compile(
            rf"\bas (?:{OTHERS})\W+(?:\w+\W+){{0,2}}?(?:put it|says?|said|would say)\b"
            rf"(?:\W+\w+){{0,6}}?\W+(?:{SUPERLATIVE})\b", flags)),
        ("addresses the grader", re.compile(EVALUATOR_NAMED, flags)),
        # added after the first unseen batch (docs/judge.md): what it let through, in
        # general form
        ("score request", re.compile(
            rf"\b(?:{REQUEST}|it would mean a lot|i hope|hopefully)\b{near}\b(?:the|my|your"
            rf"|this)\s+(?:{SCORE_WORDS})\s+(?:\w+\s+)?(?:reflects?|reflected|shows?"
            rf"|recogni[sz]es?|recogni[sz]ed|takes? into account|accounts? for|captures?)\b"
            rf"|\b(?:round|bump|nudge|push|move|tip)\s+(?:it|that|this|the (?:number|score"
            rf"|grade|mark|rating|result))\s+up\b"
            rf"|\b(?:rate|score|grade|mark|evaluate|assess|judge|weigh)\s+(?:it|this|me|that"
            rf"|my answer|the answer|this answer)?\s*accordingly\b", flags)),
        ("self-assessment", re.compile(r"[\u2605\u2606\u2b50\u2729-\u2730\U0001F31F]{3,}"
                                       r"|\b(?:10|ten)\s*(?:/|out of)\s*(?:10|ten)\b")),
        ("addresses the grader", re.compile(
            r"\bwhen you (?:fill (?:in|out)|write up|complete|submit|file)\s+(?:the|your)\s+"
            r"(?:form|scorecard|evaluation|assessment|write-?up|notes|feedback|review)\b",
            flags)),
    )


@cache
def _wide() -> re.Pattern[str]:
    """Names the answer itself, its grade, or whoever grades it."""
    return re.compile(
        rf"(?:{SELF})|{EVALUATOR}"
        rf"|\b(?:{SCORE_WORDS})\b\s+(?:for|of|on)\s+(?:this|my|me|it)\b"
        rf"|\b(?:give|award|assign|record)\s+(?:me|this answer|my answer|this response)\b",
        re.IGNORECASE)


def appeal_reason(sentence: str) -> str | None:
    """The kind of appeal to the scorer a sentence makes, or None."""
    norm = normalise(sentence)
    for name, pattern in _patterns():
        if pattern.search(norm):
            return name
    return None


def talks_about_scoring(text: str) -> bool:
    """Whether ``text`` names the answer itself, its score or whoever scores it (a quote
    that does can never be evidence)."""
    norm = normalise(text)
    return appeal_reason(text) is not None or _wide().search(norm) is not None
