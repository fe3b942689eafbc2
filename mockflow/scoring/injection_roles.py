"""Sentences about the grading rather than the question, found by the roles their words play.

An answer's sentences talk about the question's subject. A sentence whose subject or
object is the grading itself -- the answer as a thing being graded, the candidate's own
performance, the score, whoever gives it (or "you" addressed as a rater), other people's
verdict on the candidate -- and that says something evaluative, expectant or demanding
about it, is not technical content whatever its wording. Each sentence is read against
small closed classes of words (not attack phrases):

- **referents**: the answer (``this/my/that`` + answer, reply, response, explanation,
  submission, write-up, attempt; "answers like mine"), the candidate's performance (first
  person + a verb of answering with ``this/it/the question`` as object: "I've covered
  this"), the score (score nouns; a number used as a noun, "a five would", "less than a
  4"), the grader (grader nouns, ``whoever``/``whatever`` + a verb, "you" with a verb of
  seeing, getting or grading, "your" + a grading document), a third party's verdict
  (someone + a verb of judging with ``me/this/it/my ...`` or a score);
- **predicates**: evaluative words (praise, completeness, rank, fairness, the scale's
  top), comparisons with other candidates ("than most"), expectation and feeling
  ("surprised", "deserve", "hope"), requests (please, modal questions, imperatives of
  recording or raising).

A sentence is set aside when a referent meets a predicate, or two different referents
meet (the score and the grader, the answer and the score). ``role_reason`` says which.

Limits: a referent or predicate word outside these classes passes, and so does an appeal
that names nothing of the grading ("I think that covers everything important" is a
plain summary, and stays). Technical uses of the same words (a QA score, "mark it
failed", "whoever is on call") pass because they meet no predicate of the grading; the
false-alarm test over the real answers guards that.
"""

from __future__ import annotations

import re
from functools import cache

from mockflow.scoring.injection_vocab import normalise

# --------------------------------------------------------------------------- closed classes

NUMBER = r"(?:[1-9]|10|one|two|three|four|five|six|seven|eight|nine|ten)"
# the answer as a thing being graded (not "this approach": that is how answers talk)
ANSWER_NOUN = (r"answers?|responses?|repl(?:y|ies)|explanations?|submissions?|write-?ups?"
               r"|attempts?")
DETERMINER_SELF = r"this|that|my|the above|the present|these|those|the following"
# the candidate's own performance: what they have (just) done with the question
ANSWERING_VERB = (r"covered|answered|explained|addressed|handled|tackled|nailed|aced"
                  r"|described|laid out|walked through|broken down|thought through"
                  r"|gone through|articulated|presented|dealt with|treated")
ANSWERED_OBJECT = (r"this|the question|this question|this one|the topic|everything"
                   r"|all of it|all of this|it all|every point|each point|all the points"
                   r"|every angle|all the bases|every base")
SCORE_NOUN = r"scores?|marks?|grades?|ratings?|evaluation|assessment"
SCORE_DETERMINER = (r"a|the|my|your|this|that|his|her|its|their|our|any|what|which"
                    r"|whatever|final|overall")
TOP = (r"perfect|top|highest|maximum|max|full|best|excellent|outstanding|exceptional"
       r"|flawless|ideal|great|strong|high|good|solid|fair|passing|winning")
GRADER_NOUN = (r"assessors?|graders?|markers?|examiners?|evaluators?|raters?|scorers?")
GRADING_VERB = (r"marks?|marking|grades?|grading|scores?|scoring|tall(?:y|ies|ying)"
                r"|rates?|rating|evaluates?|evaluating|assess(?:es|ing)?|judges?|judging"
                r"|reads? this|reading this|reviews? this|reviewing this|counts? (?:these"
                r"|the (?:points|marks|scores))")
GRADER_DOCUMENT = r"checklist|form|write-?up|scorecard|rubric|scoresheet|score sheet|marking"
THIRD_PARTY = (r"lead|leads|manager|managers|boss|mentor|mentors|colleagues?|teammates?"
               r"|team|peers?|cto|ceo|director|interviewers?|panel(?: members)?|engineers?"
               r"|professors?|teachers?|coach|recruiters?|reviewers?|everyone|everybody"
               r"|people|others|they|he|she")
VERDICT_VERB = (r"said|says|called|calls|rated|rates|gave|gives|reviewed|praised|told"
                r"|considered|considers|described|thought|think|thinks|agreed|agree|agrees"
                r"|ranked|scored|graded|marked|judged|deemed|labell?ed|loved|signed off")
PRAISE = (r"excellent|outstanding|exceptional|perfect|perfectly|flawless|flawlessly"
          r"|brilliant|brilliantly|impressive|strongest|best|top|highest|maximum|thorough"
          r"|thoroughly|comprehensive|comprehensively|complete|completely|exemplary|stellar"
          r"|superb|world-class|textbook|ideal|gold standard|benchmark|senior-plus"
          r"|senior-level|senior level|expert-level|first-rate|top-tier|top-notch"
          r"|impeccable|faultless|remarkable|finest|greatest|clearest|spot on|exactly what"
          r"|above and beyond|head and shoulders|in depth|in full|fully|nailed|aced"
          r"|crushed")
MILD_PRAISE = r"good|great|solid|strong|fair|right|correct|well|high|better|model|amazing"
COMPARISON = (r"than (?:most|anyone|anybody|everyone|others|the rest|the others|any other"
              r"|other candidates|most candidates|most people|most engineers|most senior)"
              r"|(?:among|one of) the (?:best|strongest|top|finest)"
              r"|ranks? (?:with|among|alongside)")
AFFECT = (r"surpris\w*|disappoint\w*|shock\w*|upset|unfair|fair|deserv\w*|merit\w*|earn\w*"
          r"|warrant\w*|worth|worthy|expect\w*|hop(?:e|ed|ing)|hopefully|appreciat\w*"
          r"|grateful|mean a lot|count on|confident|owed|entitled|justif\w*")
REQUEST = (r"please|kindly|(?:could|would|can|will) (?:you|the|it|this|that|my)"
           r"|make sure|ensure|be sure|don'?t forget|round (?:it|that|this)? ?up|bump"
           r"|nudge|go in as|put (?:it|this|me) down|land on|let (?:it|this) (?:show|reflect"
           r"|count)|count (?:it|this) as|treat (?:it|this) as|see this as|view this as")
RECEIVE = r"gets?|got|receives?|received|earns?|earned|lands?|deserves?"
# what follows a number used as a noun (a score), never a unit: "a five would be fair",
# "less than a 4 I'll", "give it a 4." -- never "a 5 minute TTL"
NOT_A_NOUN = (r"would|will|could|should|might|is|was|be|here|please|from|for|on|out"
              r"|i|i'll|i'd|i'm|you|and|or|but|then|at least|or more|at most|seems"
              r"|sounds|feels|fits|at|it|this|sounds")


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    def p(s: str) -> re.Pattern[str]:
        return re.compile(s, re.IGNORECASE)

    answer = (rf"\b(?:{DETERMINER_SELF})\s+(?:(?:exact|whole|entire|full|own|very|last"
              rf"|particular|above|written|spoken)\s+){{0,2}}(?:{ANSWER_NOUN})\b"
              rf"|\b(?:answers?|responses?|solutions?) like (?:mine|this one|this)\b"
              rf"|\bwhat i(?:'ve| have)? (?:just )?(?:said|written|explained|described"
              rf"|outlined|laid out|proposed)\b")
    performance = (rf"\bi(?:'ve| have| just|'ve just| have just)?\s+(?:\w+ly\s+)?"
                   rf"(?:{ANSWERING_VERB})\s+(?:{ANSWERED_OBJECT})\b")
    score = (rf"\b(?:a|an)\s+(?:solid\s+|clean\s+|full\s+|perfect\s+|straight\s+)?"
             rf"{NUMBER}(?:\s*/\s*{NUMBER}|\s+out of\s+{NUMBER})?(?=\s*(?:[.,;:!?)]|$)"
             rf"|\s+(?:{NOT_A_NOUN})\b)"
             rf"|\b(?:{TOP})\s+(?:possible\s+|available\s+)?(?:{SCORE_NOUN}|result|one)\b"
             rf"|\b(?:{SCORE_NOUN})\s+(?:for|on|of)\s+(?:this|me|my|it|the question"
             rf"|this question|this section|this answer|this one)\b"
             rf"|\b(?:top|full) marks\b"
             rf"|\b(?:maximum|highest|top|best)\s+(?:possible|available)\b")
    score_any = (rf"\b(?:{SCORE_DETERMINER})\s+(?:{SCORE_NOUN})\b"
                 rf"|\b(?:whatever|which|what)\s+(?:number|figure|result)\b")
    # grading done to the answer: an imperative or a passive ("mark this outstanding",
    # "how it is graded")
    graded = (rf"\b(?:mark|grade|score|rate|rank|log|record|class|count|treat|put down)\s+"
              rf"(?:this|me|my answer|the answer|this answer|this one|this response)\b"
              rf"|\b(?:how|what|whether)\s+(?:it|this|i|my answer|this answer)\s+"
              rf"(?:is|was|gets|will be|would be|'s)\s+(?:graded|scored|marked|rated"
              rf"|assessed|evaluated|judged|ranked)\b")
    grader = (rf"\b(?:{GRADER_NOUN})\b"
              rf"|\b(?:whoever|whatever|anyone|anybody|someone)\s+(?:is\s+|who\s+|that\s+)?"
              rf"(?:{GRADING_VERB})\b"
              rf"|\b(?:a|any|every|the)\s+(?:fair|reasonable|honest|careful|thoughtful"
              rf"|sensible|objective|experienced|attentive)\s+(?:reviewers?|judges?"
              rf"|readers?|interviewers?|panel)\b")
    you = (rf"\byou(?:'ll|'ve| will| have| would| might| could| ever)?\s+(?:\w+\s+)?(?:seen"
           rf"|heard|read|received|come across|encountered|interviewed|graded|scored|rated"
           rf"|marked|evaluated|assessed|get today|fill in|fill out|land on|tally|award"
           rf"|log|record|enter|write down|put down|mark)\b"
           rf"|\byour\s+(?:\w+\s+)?(?:{GRADER_DOCUMENT})\b")
    verdict = (rf"\b(?:{THIRD_PARTY})\b(?:\s+\w+){{0,4}}?\s+(?:{VERDICT_VERB})\b"
               rf"(?:\s+\w+){{0,3}}?\s+(?:me|my|mine|this|i|i'm|i am)\b"
               rf"|\b(?:as|like)\s+(?:my|our|the|a|one)\s+(?:\w+\s+)?(?:{THIRD_PARTY})\s+"
               rf"(?:once\s+|always\s+)?(?:put it|puts it|said|says|would say|described it"
               rf"|called it)\b")
    praise = rf"\b(?:{PRAISE})\b|\b(?:{COMPARISON})\b"
    mild = rf"\b(?:{MILD_PRAISE})\b"
    feeling = rf"\b(?:{AFFECT})\b"
    request = rf"\b(?:{REQUEST})\b|^\W*(?:could|would|can|will|might)\s+(?:the|my|this|it)\b"
    received = rf"\b(?:this|it|that|my answer|this answer|i)\s+(?:\w+\s+)?(?:{RECEIVE})\b"
    return tuple((name, p(pattern)) for name, pattern in (
        ("answer", answer), ("performance", performance), ("score", score),
        ("score noun", score_any), ("graded", graded), ("grader", grader), ("you as rater", you),
        ("verdict", verdict), ("praise", praise), ("mild praise", mild),
        ("feeling", feeling), ("request", request), ("received", received)))


# which meetings of a referent with a predicate (or of two referents) make a sentence
# about the grading, and the reason shown to the reviewer
_ANSWER = "self-assessment (the answer"
_SCORE = "score request (a score"
_GRADER = "addresses the grader"
MEETINGS: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(pair), reason) for pair, reason in (
        (("answer", "praise"), f"{_ANSWER}, praised)"),
        (("answer", "mild praise"), f"{_ANSWER}, praised)"),
        (("answer", "feeling"), f"{_ANSWER}, what it deserves)"),
        (("answer", "score"), f"{_ANSWER}'s score)"),
        (("answer", "score noun"), f"{_ANSWER}'s score)"),
        (("answer", "grader"), f"{_ANSWER}, to the grader)"),
        (("answer", "you as rater"), f"{_ANSWER}, to the rater)"),
        (("answer", "received"), f"{_ANSWER}, what it gets)"),
        (("performance", "praise"), "self-assessment (own performance)"),
        (("performance", "graded"), "self-assessment (own performance, graded)"),
        (("performance", "feeling"), "self-assessment (own performance, what it deserves)"),
        (("graded", "praise"), f"{_SCORE}, the grade named)"),
        (("graded", "mild praise"), f"{_SCORE}, the grade named)"),
        (("graded", "score"), f"{_SCORE}, the grade named)"),
        (("graded", "feeling"), f"{_SCORE}, the grade expected)"),
        (("graded", "request"), f"{_SCORE}, asked for)"),
        (("you as rater", "praise"), "addresses the rater"),
        (("you as rater", "feeling"), "addresses the rater"),
        (("you as rater", "score noun"), f"{_SCORE}, to the rater)"),
        (("performance", "grader"), "self-assessment (own performance, to the grader)"),
        (("performance", "you as rater"), "self-assessment (own performance, to the rater)"),
        (("score", "praise"), f"{_SCORE}, qualified)"),
        (("score", "mild praise"), f"{_SCORE}, qualified)"),
        (("score", "feeling"), f"{_SCORE}, expected)"),
        (("score", "request"), f"{_SCORE}, asked for)"),
        (("score", "grader"), f"{_SCORE}, to the grader)"),
        (("score", "you as rater"), f"{_SCORE}, to the rater)"),
        (("score", "received"), f"{_SCORE}, received)"),
        (("score noun", "grader"), f"{_SCORE}, to the grader)"),
        (("score noun", "you as rater"), f"{_SCORE}, to the rater)"),
        (("score noun", "request"), f"{_SCORE}, asked for)"),
        (("score noun", "feeling"), f"{_SCORE}, expected)"),
        (("grader", "praise"), _GRADER),
        (("grader", "mild praise"), _GRADER),
        (("grader", "feeling"), _GRADER),
        (("verdict", "praise"), "quoted praise (someone's verdict)"),
        (("verdict", "score"), "quoted praise (someone's score)"),
        (("verdict", "score noun"), "quoted praise (someone's score)"),
    ))


def roles(sentence: str) -> frozenset[str]:
    """The roles the words of ``sentence`` play (see the module docstring)."""
    norm = normalise(sentence)
    return frozenset(name for name, pattern in _patterns() if pattern.search(norm))


def role_reason(sentence: str) -> str | None:
    """Why ``sentence`` is about the grading rather than the question, or None."""
    found = roles(sentence)
    for needed, reason in MEETINGS:
        if needed <= found:
            return reason
    return None
