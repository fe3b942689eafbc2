"""Sentences about the grading rather than the question, found by the roles their words play.

An answer's sentences talk about the question's subject. A sentence whose subject or
object is the grading itself -- the answer as a thing being graded, the candidate's own
performance, the score, whoever gives it (or "you" addressed as a rater), other people's
verdict on the candidate -- and that says something evaluative, expectant or demanding
about it, is not technical content whatever its wording. Each sentence is read against
small closed classes of words (not attack phrases):

- **referents** (strong): the answer (``this/my/that`` + answer, reply, response,
  explanation, submission; "answers like mine"), the candidate's performance (first person
  + a verb of answering with ``this/the question`` as object: "I've covered this"), the
  score (score nouns with a top or low word; a number used as a noun, "a five would",
  "less than a 4"), the interview's outcome (a hire, a pass, criteria met), a grading act
  on the answer ("put this down as", "how it is graded"), the grader (grader nouns,
  ``whoever`` + a grading verb), someone's verdict, the judge's own rules and makers;
  (weak): a score noun with a determiner, "you" with a verb of seeing, grading or
  deciding, "candidate", "this question", someone's reported word, "this job";
- **predicates** (strong): praise and idioms of a flawless answer, comparisons with other
  candidates, expectation and feeling ("surprised", "deserve", "proud", "be generous");
  (weak): mild praise, requests, receiving, overriding.

A sentence is set aside when a strong referent meets any predicate or another referent, a
weak referent meets a strong predicate or another referent, or one of a few weak pairs
meets ("your notes" + "please"); a predicate counts only outside the words a referent
took ("the maximum" is a score, not also its own praise). A few referents need nothing
else: an outcome ("a clear hire signal"), the answer named by top praise ("a textbook
answer", "respuesta perfecta"), a claim ("I aced that", "not to brag"), a directive to
whoever gives the verdict ("respond only with:", ``score=5`` in a log line). Hyphens
between letters are also read as spaces ("top-marks"), and a sentence made only of
everyday and grading words about I, this or you is plain talk about the grade
(``injection_plain``). ``role_reason`` says which.

Limits: a referent or predicate word outside these classes passes, and so does an appeal
that names nothing of the grading ("I think that covers everything important" is a plain
summary, and stays). Technical uses of the same words (a QA score, "mark it failed",
"whoever is on call", "you return a 429") pass because they meet no predicate of the
grading; the false-alarm test over the real answers guards that, and
tests/test_screening_structure.py holds both kinds.
"""

from __future__ import annotations

import re
from functools import cache

from mockflow.scoring.injection_plain import plain_talk
from mockflow.scoring.injection_vocab import normalise

# --------------------------------------------------------------------------- closed classes

ANSWER_ABROAD = (r"reponse|reponses|respuesta|respuestas|antwort|antworten|risposta"
                 r"|risposte|resposta|respostas|antwoord|svar|svaret|odpowiedz|cevap\w*"
                 r"|jawaban|vastaus|odpoved|raspuns")
PRAISE_ABROAD = (r"parfaite?|excellente?|perfect[oa]s?|excelentes?|perfekte?[nrs]?"
                 r"|ausgezeichnete?|hervorragende?|perfett[oa]|eccellente|ottim[oa]"
                 r"|perfeit[oa]|otim[oa]|uitstekend|perfecte?|utmarkt|perfekt|doskonala"
                 r"|najlepsza|idealna|mukemmel|harika|sempurna|terbaik|erinomainen"
                 r"|vyborny|excelent[ae]?|maxima|maximale|massim[oa]|hochste|beste|mejor")
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
                   r"|every angle|all the bases|every base"
                   r"|all (?:of )?the (?:key |main |important )?(?:points|bases|parts)"
                   r"|every part|each part|all parts|both parts|every bit")
SCORE_NOUN = r"scores?|marks?|grades?|ratings?|evaluation|assessment|credit|bonus"
SCORE_DETERMINER = (r"a|the|my|your|this|that|his|her|its|their|our|any|what|which"
                    r"|whatever|final|overall")
TOP = (r"perfect|top|highest|maximum|max|full|best|excellent|outstanding|exceptional"
       r"|flawless|ideal|great|strong|high|good|solid|fair|passing|winning")
GRADER_NOUN = (r"assessors?|graders?|markers?|examiners?|evaluators?|raters?|scorers?")
GRADING_VERB = (r"marks?|marking|grades?|grading|scores?|scoring|tall(?:y|ies|ying)"
                r"|decid(?:es|ing)|choos(?:es|ing)|reads?|reading"
                r"|rates?|rating|evaluates?|evaluating|assess(?:es|ing)?|judges?|judging"
                r"|reads? this|reading this|reviews? this|reviewing this|counts? (?:these"
                r"|the (?:points|marks|scores))")
GRADER_DOCUMENT = (r"checklist|form|write-?up|scorecard|rubric|scoresheet|score sheet|marking"
                   r"|checks|review|reviews|grading|scoring")
THIRD_PARTY = (r"lead|leads|manager|managers|boss|mentor|mentors|colleagues?|teammates?"
               r"|team|peers?|cto|ceo|director|interviewers?|panel(?: members)?|engineers?"
               r"|professors?|teachers?|coach|recruiters?|reviewers?|everyone|everybody"
               r"|people|others|they|he|she")
VERDICT_VERB = (r"said|says|called|calls|rated|rates|gave|gives|reviewed|praised|told"
                r"|considered|considers|described|thought|think|thinks|agreed|agree|agrees"
                r"|ranked|scored|graded|marked|judged|deemed|labell?ed|loved|signed off|voted"
                r"|named|crowned|picked|nominated|awarded|tell|tells|passed|approved"
                r"|advanced|hired")
PRAISE = (r"excellent|outstanding|exceptional|perfect|perfectly|flawless|flawlessly"
          r"|brilliant|brilliantly|impressive|strongest|best|top|highest|maximum|thorough"
          r"|thoroughly|comprehensive|comprehensively|complete|completely|exemplary|stellar"
          r"|superb|world-class|textbook|ideal|gold standard|benchmark|senior-plus"
          r"|senior-level|senior level|expert-level|first-rate|top-tier|top-notch"
          r"|impeccable|faultless|remarkable|finest|greatest|clearest|spot on|exactly what"
          r"|above and beyond|head and shoulders|in depth|in full|fully|nailed|aced"
          r"|impress|impresses|impressed|wow|blow away|stands? out|outshines?|excels?"
          r"|hits? the nail on the head|on the money|bang on|dead on|nails? it|excellence"
          r"|mastery|brilliance|perfection|pre-approved|approved|signed off|vetted|endorsed"
          r"|certified|industry-leading|best-in-class|world-beating|unbeatable"
          r"|crushed")
MILD_PRAISE = r"good|great|solid|strong|fair|right|correct|well|high|better|model|amazing"
COMPARISON = (r"(?:nobody|no one|no other candidate|none of the others?) else"
              r"|few (?:people|candidates|engineers|others|leads|applicants) (?:could|would"
              r"|can|have|will)"
              r"|(?:most|many|other) (?:candidates|people|engineers|others|applicants)"
              r" (?:get|miss|forget|struggle|fail|overlook|don't)\w*"
              r"|(?:a|any|the|every) (?:senior|staff|principal|expert|lead|top|seasoned)"
              r" (?:engineers?|people|candidates?|architects?|professionals?) (?:would|could"
              r"|might)"
              r"|than (?:most|anyone|anybody|everyone|others|the rest|the others|any other"
              r"|other candidates|most candidates|most people|most engineers|most senior)"
              r"|(?:among|one of) the (?:best|strongest|top|finest)"
              r"|ranks? (?:with|among|alongside)")
AFFECT = (r"means? everything|meant everything|proud|pleased with|happy with|satisfied with"
          r"|recogni[sz]ed|acknowledged"
          r"|credited|rewarded|carry (?:more |real |some )?weight|count for more"
          r"|we both know|you and i both know|you know it|make my day|mean the world"
          r"|formality|done deal|in the bag|foregone conclusion"
          r"|surpris\w*|disappoint\w*|shock\w*|upset|unfair|fair|deserv\w*|merit\w*|earn\w*"
          r"|warrant\w*|worth|worthy|expect\w*|hop(?:e|ed|ing)|hopefully|appreciat\w*"
          r"|grateful|mean a lot|count on|confident|owed|entitled|justif\w*")
REQUEST = (r"please|kindly|think about|bear in mind|keep in mind|take into account|notice"
           r"|(?:could|would|can|will) (?:you|the|it|this|that|my)"
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

    word = r"[\w'-]+"
    answer = (rf"\b(?:{DETERMINER_SELF})\s+(?:(?:exact|whole|entire|full|own|very|last|one"
              rf"|particular|above|written|spoken)\s+){{0,2}}(?:{ANSWER_NOUN})\b"
              rf"|\b(?:answers?|responses?|solutions?) like (?:mine|this one|this)\b"
              rf"|\b(?:the|my) (?:answer|response|explanation)s? (?:above|so far|i (?:just )?gave"
              rf"|i've given|i have given)\b"
              rf"|\b(?:this|that|mine)(?: is|'s| was) (?:the|an?) (?:\w+ )?(?:answer"
              rf"|response)\b"
              rf"|\b(?:kind|sort|type|level|quality|calibre|caliber) of (?:answer|response"
              rf"|explanation)\b"
              rf"|\b(?:better|stronger|clearer|more complete|more thorough) (?:answer|response"
              rf"|explanation)\b"
              rf"|\bwhat i(?:'ve| have)? (?:just )?(?:said|written|explained|described"
              rf"|outlined|laid out|proposed)\b"
              # an answer named by its quality: "a textbook answer", "best work"
              rf"|\b(?:{PRAISE})\s+(?:{ANSWER_NOUN}|treatment|work"
              rf"|explanation)\b")
    performance = (rf"\bi(?:'ve| have| just|'ve just| have just| think i've)?\s+"
                   rf"(?:\w+ly\s+)?(?:{ANSWERING_VERB})\s+(?:{ANSWERED_OBJECT})\b"
                   rf"|\bi(?:'ve| have)\s+(?:\w+ly\s+)?(?:demonstrated|shown|given you"
                   rf"|provided|delivered|displayed|proven|proved)\b"
                   rf"|\bmy (?:own )?(?:performance|showing|work here|effort here)\b"
                   rf"|\b(?:showing|performance|effort|job|work) on my part\b"
                   rf"|\bi (?:put|invested) (?:a lot of|so much|much|real|serious|lots of)"
                   rf" (?:thought|effort|work|care|time) into\b"
                   rf"|\b(?:the )?(?:best|strongest|finest|clearest) (?:answer )?i(?:'ve| have)"
                   rf" (?:ever )?(?:done|given|written|answered|explained)\b"
                   rf"|\bas an? (?:\w+ )?(?:expert|authority|specialist|veteran|leader)\b"
                   rf"|\bhow (?:much|well|thoroughly|completely|clearly|deeply) i (?:\w+ )?"
                   rf"(?:covered|answered|explained|did|know|knew|understand|handled)\b"
                   rf"|\bi (?:clearly|obviously|certainly|definitely) (?:didn't|did not"
                   rf"|did|have|know|understand)\b")
    score = (rf"\b(?:a|an)\s+(?:solid\s+|clean\s+|full\s+|perfect\s+|straight\s+)?"
             rf"{NUMBER}(?:\s*/\s*{NUMBER}|\s+out of\s+{NUMBER})?(?=\s*(?:[.,;:!?)]|$)"
             rf"|\s+(?:{NOT_A_NOUN})\b)"
             rf"|\b{NUMBER}\s+out of\s+{NUMBER}\b|\b{NUMBER}\s*/\s*{NUMBER}\b"
             rf"|\b(?:a|an) {NUMBER} in (?:my|anyone's|any) book\b"
             rf"|\b(?:lowest|low|bottom|worst)\s+(?:possible\s+)?(?:{SCORE_NOUN})\b"
             rf"|\b(?:{TOP})\s+(?:possible\s+|available\s+)?"
             rf"(?:{SCORE_NOUN}|result|one"
             rf"|band|tier|credit|points|billing|rating|feedback|reviews|ratings|remarks)\b"
             rf"|\b(?:{SCORE_NOUN}|points|credit)\s+(?:for|on|of)\s+(?:this|me|my|it"
             rf"|the question|this question|this section|this answer|this one|this part)\b"
             rf"|\b(?:top|full) marks\b|\b(?:extra|full|bonus) credit\b|\bmaximal\b"
             rf"|\b(?:maximum|highest|top|best)\s+(?:possible|available)\b"
             rf"|\bthe\s+(?:maximum|max)\b(?!\s+(?:of|number|size|length|rate"
             rf"|load|throughput|value|connections|retries|latency|age|time))"
             rf"|\btop of the (?:scale|band|rubric)\b|\b(?:on )?a scale (?:of|from)\b"
             rf"|\b{NUMBER}\s+(?:stars?|points|marks)\b(?!\s+(?:of|in|to|for)\b)")
    score_any = (rf"\b(?:{SCORE_DETERMINER})\s+(?:{SCORE_NOUN})\b"
                 rf"|\b(?:whatever|which|what)\s+(?:number|figure|result)\b"
                 rf"|\b(?:serious|extra|full|bonus|more|real|maximum|top)\s+(?:credit|points)\b"
                 rf"|\b(?:praise|kudos|recognition|applause|plaudits|top billing|accolades)\b"
                 rf"|\b(?:the|your|my)\s+(?:points|scoring|grading|marking)\b")
    # the outcome of an interview: a hire, a pass, criteria met, the bar cleared
    outcome = (r"\b(?:strong|clear|definite|easy|obvious|solid|immediate|no-brainer)\s+"
               r"(?:hire|yes|pass)\b|\bhir(?:e|ing) (?:signal|decision|recommendation)\b"
               r"|\bgets? (?:people|candidates|me|you) hired\b|\bworth hiring\b"
               r"|\b(?:count|counts|go down|goes down|be recorded|be counted|be marked"
               r"|be treated|be considered|be seen|be logged)\s+as\s+(?:a\s+|an\s+)?"
               r"(?:pass|hire|win|success|strong|excellent|top|complete|correct)\b"
               r"|\b(?:meets?|met|exceeds?|exceeded|exceeding|clears?|cleared|ticks?"
               r"|ticked|checks?|checked|hits?|satisf\w+|fulfil\w*)\s+(?:off\s+)?"
               r"(?:all|every|each|the|your)?\s*(?:of\s+the\s+)?(?:criteria|criterion"
               r"|box|boxes|bar|expectations|requirements|key points|points|marks"
               r"|staff-level bar|senior bar|point)\b|\b(?:staff|senior|principal)-level hire\b"
               r"|\b(?:this|that|my answer|this answer|it all)\s+(?:covers|addresses|answers"
               r"|nails|handles|hits)\s+(?:everything|all (?:the )?(?:points|requirements"
               r"|aspects|bases)|every (?:point|aspect|requirement))\s+(?:required|needed"
               r"|asked|expected|wanted|you)\b"
               r"|\bi(?:'ve| have)? (?:\w+ )?(?:deserve|merit|earned|qualify for)\b"
               r"|\bi (?:\w+ )?(?:aced|nailed|crushed|smashed|killed) (?:it|that|this)\b"
               r"|\b(?:no|without) (?:further |more |additional )?(?:review|checks|checking"
               r"|evaluation|scrutiny|deductions?|marking) (?:is )?(?:needed|necessary"
               r"|required)\b|\bno deductions\b"
               r"|\b(?:look no further|case closed|mic drop|enough said|nuff said)\b"
               r"|\b(?:hire|pass|advance|promote|shortlist|accept)\s+(?:me|this candidate"
               r"|the candidate)\b")
    # grading done to the answer: an imperative or a passive ("mark this outstanding",
    # "how it is graded", "put this down as", "call this one a five")
    graded = (rf"\b(?:that's|this is|it's|that is|this was|that was|that'd be|this would be)"
              rf" (?:\w+ )?(?:a|an) {NUMBER}(?=\s*(?:[.,;:!?)]|$)|\s+(?:{NOT_A_NOUN}"
              rf"|in my|in anyone's|by any)\b)"
              rf"|\b(?:that|this|it)(?:'s| is| was| will be| should be| gets)? (?:\w+ )?"
              rf"(?:reflected|recogni[sz]ed|credited|rewarded|acknowledged|counted)\b"
              rf"|\b(?:this|it|that|my answer|this answer) (?:will|should|would|must|is going to"
              rf"|deserves to|ought to) be (?:scored|graded|marked|rated|assessed|evaluated"
              rf"|judged|ranked|counted|recorded)\b"
              rf"|\b(?:like|want) (?:it|that|this) (?:noted|recorded|on record|reflected"
              rf"|acknowledged|recogni[sz]ed)\b"
              rf"|\b(?:mark|grade|score|rate|rank|log|record|class|count|treat|put down"
              rf"|put|call|consider|regard|file|chalk|write)\s+(?:this|me|my answer"
              rf"|the answer|this answer|this one|this response|it|myself)(?:\s+(?:down|up))?"
              rf"\s+(?:as\s+|at\s+)?(?:a|an|the|my|{PRAISE}|{MILD_PRAISE}|{NUMBER}|highly"
              rf"|exceeding|excellent|top)\b"
              rf"|\b(?:dock|penali[sz]e|mark down|deduct from|hold (?:it|this) against"
              rf"|fail|downgrade|underrate|undervalue)\s+(?:me|this|it|my answer)\b"
              rf"|\b(?:how|what|whether)\s+(?:it|this|i|my answer|this answer)\s+"
              rf"(?:is|was|gets|will be|would be|'s)\s+(?:graded|scored|marked|rated"
              rf"|assessed|evaluated|judged|ranked)\b"
              rf"|\b(?:on|for) (?:the )?record\b|\b(?:scoring|grading|marking|evaluation"
              rf"|assessment|evaluator'?s|grader'?s|reviewer'?s|interviewer'?s|assessor'?s)"
              rf"\s+(?:note|notes|comment|comments|summary|remark|tip|tips|hint|hints|advice"
              rf"|reminder|guidance)\b")
    grader = (rf"\b(?:{GRADER_NOUN})\b"
              rf"|\b(?:whoever|whatever|anyone|anybody|someone)\s+(?:is\s+|who\s+|that\s+)?"
              rf"(?:{GRADING_VERB})\b"
              rf"|\b(?:a|any|every|the)\s+(?:fair|reasonable|honest|careful|thoughtful"
              rf"|sensible|objective|experienced|attentive)\s+(?:reviewers?|judges?"
              rf"|readers?|interviewers?|panel)\b"
              rf"|\b(?:the|my|your|all) (?:\w+ )?(?:previous|last|other|first|earlier|past)"
              rf" (?:\w+ )?interviewers?\b"
              rf"|\binterviewers? before you\b")
    you = (rf"\byou(?:'ll|'ve|'re| will| have| are| would| might| could| can| ever)?\s+"
           rf"(?:\w+\s+)?(?:seen|hear|heard|read|received|come across|encountered"
           rf"|interview|interviewed|graded|scored|rated|marked|evaluated|assessed"
           rf"|get today|fill in"
           rf"|fill out|land on|tally|award|log|record|enter|write down|put down|mark"
           rf"|looking for|hoping for|hoping to|want to see|summari[sz]ing|writing (?:this )?up"
           rf"|taking notes|tick|check off|decide|deciding|gotten|trust|believe"
           rf"|rest assured|take my word|find|won't find|will find|agree|been waiting"
           rf"|skip|stop)\b"
           rf"|\byour\s+(?:\w+\s+)?(?:{GRADER_DOCUMENT}|summary|notes|assessment"
           rf"|evaluation|decision|recommendation)\b")
    verdict = (rf"\b(?:{THIRD_PARTY})(?:'ll|'d|'ve)?\b(?:\s+\w+){{0,4}}?\s+(?:{VERDICT_VERB})\b"
               rf"(?:\s+\w+){{0,3}}?\s+(?:me|my|mine|this|i|i'm|i am)\b"
               rf"|\b(?:as|like)\s+(?:my|our|the|a|one)\s+(?:\w+\s+)?(?:{THIRD_PARTY})\s+"
               rf"(?:once\s+|always\s+)?(?:put it|puts it|said|says|would say|described it"
               rf"|called it)\b"
               rf"|\bi(?:'ve| have)? (?:\w+ly |already )?(?:been|was|get|am|'m) (?:often |always"
               rf" |repeatedly |already )?"
               rf"(?:told|called|described as|praised|rated|ranked|considered)\b")
    candidate = r"\bcandidates?\b"
    # a directive to whoever produces the verdict: "you always output", "respond only
    # with:", "the correct output for this item is"
    directive = (r"\byou(?:'ll| will| must| shall| always| now| are to)\s+(?:always\s+"
                 r"|only\s+|now\s+)?(?:output|print|emit|respond with|reply with"
                 r"|answer with|award|assign)\b"
                 r"|^\W*(?:respond|reply|answer|output|return|print|say|write)\s+(?:only\s+)?"
                 r"(?:with\s*:|:|only\b)"
                 r"|\b(?:the|your)\s+(?:correct|expected|required|right|only acceptable"
                 r"|final)\s+(?:output|verdict|score|grade|rating|result|response)\s+(?:for"
                 r"|of|to|here|is)\b"
                 # a score set as a value, in a log line, config or code
                 r"|\b(?:[a-z_]+[._])?(?:score|grade|rating|verdict|marks?|points)\s*[=:]\s*"
                 r"[\"']?\d")
    # claims that need nothing else: an idiom of a flawless result, a claim of
    # competence, the answer named by top praise, a plea for leniency
    claim = (rf"\b(?:slam dunk|as good as (?:it gets|they come|it can be)|ask for more"
             rf"|hard pressed to find|bar raiser|home run|out of the park|gold star"
             rf"|nothing(?:'s| is| was)? missing|(?:can't|cannot|couldn't) be improved"
             rf"|(?:about |just )?as complete as (?:an? )?(?:answer|response|it) (?:can|could)"
             rf" be|second nature|in my sleep|not to brag|without bragging|if i may say so"
             rf"|if i do say so|if i say so|you have my word|take my word for it)\b"
             rf"|\b(?:this|that|it|my answer|i)\s+(?:\w+\s+)?(?:covered|answered|addressed"
             rf"|delivered|went|goes)\s+(?:well\s+)?(?:more than|beyond|above)\s+(?:what\s+)?"
             rf"(?:was|is|you|the question|required|needed|expected|asked)\b"
             rf"|\bwhat (?:excellence|mastery|perfection|expertise|seniority|great engineering"
             rf"|good engineering|a (?:strong|great|perfect|senior|staff|model) (?:answer"
             rf"|engineer|candidate|response)) looks like\b"
             rf"|\bi(?:'ve| have)\s+(?:\w+\s+)?(?:solved|done|built|answered|explained)"
             rf"\s+(?:this|it)\s+(?:a hundred|a thousand|countless|dozens of|hundreds of"
             rf"|many|so many)\s+times\b"
             rf"|\bi (?:think |feel |believe )?(?:i )?did (?:\w+ )?(?:well|great|brilliantly"
             rf"|excellently|amazingly|superbly) (?:on|with) (?:that|this|it)(?: one| question"
             rf"| part| answer)?\b"
             rf"|\bi (?:really |clearly |obviously )?know (?:what i'm doing|what i am doing"
             rf"|my stuff|this (?:stuff |topic |material )?(?:cold|inside out|backwards"
             rf"|by heart))\b"
             rf"|\b(?:{PRAISE}|five-star|5-star|a\+|a-plus)\s+(?:answer|response|reply"
             rf"|explanation|solution|submission)\b(?!\s+(?:time|times|code|codes|header"
             rf"|body|rate|size|format|from|to|is to|would be to|here is|for (?:the|this) "
             rf"(?:problem|case)))"
             rf"|\b(?:please\s+)?(?:be|go)\s+(?:generous|lenient|easy|kind|gentle|forgiving"
             rf"|nice)(?:\s+(?:on|with)\s+(?:me|this|my \w+|the (?:score|scoring|marking"
             rf"|grading)))?(?=\s*(?:[,.;!?]|$))")
    # the answer praised in the languages the screening reads (accents folded)
    praised = (rf"\b(?:{ANSWER_ABROAD})\W+(?:\w+\W+)?(?:{PRAISE_ABROAD})\b"
               rf"|\b(?:{PRAISE_ABROAD})\W+(?:\w+\W+)?(?:{ANSWER_ABROAD})\b")
    # someone's word reported, and the job itself ("my recruiter said", "I got the job")
    report = (rf"\b(?:{THIRD_PARTY})\s+(?:\w+\s+)?(?:said|says|told|thinks|thought"
              rf"|agreed|reckons|assured|promised|confirmed)\b")
    job = (r"\bi(?:'ve| have)? (?:already )?(?:got|landed|won|been offered|secured)"
           r" (?:the|this) (?:job|role|offer|position)\b"
           r"|\bthis (?:job|role|position|opportunity|offer)\b")
    # the judge's own rules and makers, named to a reader who is meant to follow them
    rules = (r"\bwhatever (?:the|your) (?:rules|guidelines|rubric|criteria|instructions"
             r"|policy|process) (?:say|says|said)\b"
             r"|\b(?:who|that)\s+(?:\w+\s+)?(?:trained|built|made|created|programmed"
             r"|designed|deployed|configured|fine-tuned)\s+you\b"
             r"|\b(?:the|your|previous|prior|earlier|original|old)\s+(?:\w+\s+)?(?:rubric"
             r"|rubrics|system prompt|scoring rules|grading rules|scoring guide|anchors)\b"
             r"|\b(?:your|previous|prior|earlier|original|old|scoring|grading|marking"
             r"|evaluation)\s+(?:\w+\s+)?(?:guidance|guidelines|instructions|criteria"
             r"|directives|prompt|programming|training)\b"
             r"|\byour\s+(?:real\s+|actual\s+|only\s+|main\s+|true\s+)?(?:job|role|task"
             r"|purpose|goal|mission|duty|developer|developers|creator|creators|operator"
             r"|owner|maker|makers|programmers?|designers?)\b")
    unit = (r"\b(?:for|on|in)\s+(?:this|the)\s+(?:question|part|section|item|round"
            r"|exercise|interview)\b|\b(?:this|my)\s+(?:\w+\s+)?interview\b")
    praise = rf"\b(?:{PRAISE})\b|\b(?:{COMPARISON})\b"
    mild = rf"\b(?:{MILD_PRAISE})\b"
    feeling = (rf"\b(?:{AFFECT})\b|\b(?:enough|sufficient) for\b|\bqualif\w*"
               rf"|\b(?:anything|nothing) (?:below|less than|under|short of|lower than)\b"
               rf"|\b(?:stingy|lenient|generous|harsh|strict|charitable)\b"
               rf"|\bif i (?:do )?say so myself\b"
               rf"|\b(?:be kind|go easy|have mercy|cut me (?:some )?slack|i really need this"
               rf"|benefit of the doubt)\b")
    override = (r"\b(?:skip|skipping|ignore|ignoring|disregard|bypass|override|overrides"
                r"|replace|replaces|replaced|supersede\w*|outdated|obsolete|void|invalid"
                r"|no longer (?:apply|applies|valid|in force)|updated|suspended|waived"
                r"|authori[sz]e\w*|permit\w*|allowed to|free to|exempt\w*|helpful to)\b")
    request = rf"\b(?:{REQUEST})\b|^\W*(?:could|would|can|will|might)\s+(?:the|my|this|it)\b"
    received = (rf"\b(?:this|it|that|my answer|this answer|i)\s+(?:{word}\s+)?(?:{RECEIVE})\b"
                rf"|\b(?:gave|given|awarded|assigned|handed)\s+(?:me|this|my answer|my answers)\b")
    return tuple((name, p(pattern)) for name, pattern in (
        ("answer", answer), ("performance", performance), ("score", score),
        ("outcome", outcome), ("graded", graded), ("grader", grader), ("verdict", verdict),
        ("score noun", score_any), ("you as rater", you), ("candidate", candidate),
        ("this question", unit),
        ("praise", praise), ("feeling", feeling),
        ("praised answer", praised), ("claim", claim), ("directive", directive), ("rules", rules),
        ("report", report), ("the job", job), ("override", override),
        ("mild praise", mild), ("request", request), ("received", received)))


# A referent (what the sentence is about) meeting a predicate (what it says of it), or two
# different referents meeting, make a sentence about the grading -- except a weak referent
# with a weak predicate, which ordinary answers produce ("you get a score", "a good
# candidate for caching").
STRONG_REFERENTS = ("answer", "performance", "score", "outcome", "graded", "grader",
                    "verdict", "rules", "praised answer", "claim", "directive")
WEAK_REFERENTS = ("score noun", "you as rater", "candidate", "this question", "report",
                  "the job")
STRONG_PREDICATES = ("praise", "feeling")
WEAK_PREDICATES = ("mild praise", "request", "received", "override")
REFERENTS = frozenset({*STRONG_REFERENTS, *WEAK_REFERENTS})
SELF_SUFFICIENT = ("outcome", "praised answer", "claim", "directive")
WEAK_PAIRS_ALLOWED = frozenset({("score noun", "request"), ("score noun", "received"),
                                ("candidate", "mild praise"), ("you as rater", "request"),
                                ("you as rater", "override")})
REASONS = {"answer": "self-assessment (the answer)",
           "performance": "self-assessment (own performance)",
           "score": "score request (a score)", "score noun": "score request (a score)",
           "outcome": "score request (the interview's outcome)",
           "graded": "score request (grading the answer)",
           "grader": "addresses the grader", "you as rater": "addresses the rater",
           "verdict": "quoted praise (someone's verdict)",
           "candidate": "self-assessment (the candidate)",
           "this question": "about the question's grade",
           "rules": "addresses the grader (its rules)",
           "report": "quoted praise (someone's word)",
           "the job": "score request (the interview's outcome)",
           "praised answer": "self-assessment (the answer)",
           "claim": "self-assessment (a claim about the answer)",
           "directive": "addresses the grader (a directive)"}


def _meet(found: frozenset[str]) -> str | None:
    refs = [r for r in (*STRONG_REFERENTS, *WEAK_REFERENTS) if r in found
            and not (r == "report" and "verdict" in found)]  # one fact, named twice
    strong = [r for r in refs if r in STRONG_REFERENTS]
    if not refs:
        return None
    for alone in SELF_SUFFICIENT:  # "a clear hire signal", "respuesta perfecta",
        if alone in refs:  # "respond only with:": nothing else needed
            return REASONS[alone]
    if strong and (len(refs) >= 2 or found & {*STRONG_PREDICATES, *WEAK_PREDICATES}):
        return REASONS[strong[0]]
    if len(refs) >= 2 or found & set(STRONG_PREDICATES):
        return REASONS[refs[0]]
    if any((r, w) in WEAK_PAIRS_ALLOWED for r in refs for w in WEAK_PREDICATES if w in found):
        return REASONS[refs[0]]
    return None


def roles(sentence: str) -> frozenset[str]:
    """The roles the words of ``sentence`` play (see the module docstring): referents
    first, then predicates in the words no referent took ("the maximum" is a score, not
    also its own praise)."""
    norm = normalise(sentence)
    found: set[str] = set()
    spans: list[tuple[int, int]] = []
    for name, pattern in _patterns():
        if name in REFERENTS:
            for m in pattern.finditer(norm):
                found.add(name)
                spans.append(m.span())
    for name, pattern in _patterns():
        if name not in REFERENTS and any(
                not any(a <= m.start() and m.end() <= b for a, b in spans)
                for m in pattern.finditer(norm)):
            found.add(name)
    return frozenset(found)


def role_reason(sentence: str) -> str | None:
    """Why ``sentence`` is about the grading rather than the question, or None (read as
    written, and with hyphens between letters read as spaces: "top-marks territory")."""
    found = _meet(roles(sentence))
    spaced = re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", " ", sentence)
    if found is None and spaced != sentence:
        found = _meet(roles(spaced))
    if found is None and plain_talk(sentence):
        return "talks about the grade (only everyday and grading words)"
    return found
