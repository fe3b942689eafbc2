"""The patterns behind ``mockflow.scoring.injection``: sentences that address the scorer.

Every pattern runs on ``normalise(text)``: compatibility forms folded, invisible
characters dropped, look-alike letters from other scripts mapped to Latin, accents
removed, lower-cased, s p a c e d - o u t letters joined. They are families over shared
vocabularies (grader words, instruction words, override verbs, score words, giving verbs,
top-of-scale words, numbers), in English, French, Spanish, German, Italian and Portuguese,
so a new phrasing of a known idea is caught without being listed. ``rules()`` pairs each
pattern with the family name shown to reviewers; ``neighbour()`` is the scoring
vocabulary that carries an instruction split over several sentences.
"""

from __future__ import annotations

import re
from functools import cache

from mockflow.scoring.injection_vocab import (
    GIVE,
    GRADER,
    HIGH,
    INSTRUCTIONS,
    ME,
    NUM,
    NUMBER_WORD,
    OVERRIDE,
    PRIOR,
    SCORE,
    SCORE_STRICT,
    UNIT_FOLLOWS,
    w,
)

GIVE_THIRD = (
    r"gives|giving|awards|assigns|grants|rates|scores|marks|puts|returns|sets|records"
    r"|provides|raises|bumps|outputs|enters|submits"
)

_PATTERNS: tuple[tuple[str, str], ...] = (
        # "ignore all previous instructions", "forget the rubric", "vergiss alle Anweisungen"
        ("override", rf"{w(OVERRIDE)}(?:\W+\w+){{0,5}}?\W+{w(INSTRUCTIONS)}"),
        ("override", rf"{w(OVERRIDE)}\W+(?:(?:{PRIOR})\W+){{0,3}}"
                     r"(?:(?:everything|anything|all|what(?:ever)?|tout|todo|tutto|alles)\W+)?"
                     r"(?:(?:you(?:'ve| have)? (?:been |were )?(?:told|given|said)|that came before"
                     r"|above|before this|so far|said before|ci-dessus|dessus|arriba|anterior"
                     r"|sopra|acima|oben|zuvor|bisher))\b"),
        ("override", r"\b(?:new|updated|revised|real|actual|true|hidden|secret|priority"
                     r"|additional|important|override|overriding)\s+(?:system\s+)?"
                     r"(?:instructions?|directives?|prompt)\b"),
        ("override", r"\b(?:nouvelles? consignes|nouvelles instructions|nuevas instrucciones"
                     r"|nuove istruzioni|novas instrucoes|neue anweisungen)\b"),
        ("override", r"\b(?:instructions?|prompt|rules|rubric|anweisungen|consignes"
                     r"|instrucciones|istruzioni|instrucoes)\s+(?:override|update|change|reset"
                     r"|no longer appl\w*|are void|do not apply|don'?t apply)\b"),
        # "system prompt", "debug mode", "system message" are everyday technical words: on
        # their own they count only as a header ("System message: ..."); "override",
        # "notice" and the jailbreak names count anywhere.
        ("override", r"\b(?:god|jailbreak|dan)\s+"
                     r"(?:override|mode|prompt|message|update|instruction|command|notice)\b"),
        ("override", r"\b(?:system|admin|developer|debug)\s+(?:override|notice)\b"),
        ("override", r"(?:^|[\n\r]|[.!?]\s+)\W{0,3}(?:new\s+|updated\s+)?(?:system|admin"
                     r"|developer|debug)\s+(?:mode|prompt|message|update|instructions?"
                     r"|command)\s*[:\-\u2013\u2014]"),
        # role markers and chat-template tokens
        ("role marker", r"(?:^|[\n\r]|[.!?]\s+|[\]>)\"'-]\s*)\W{0,3}(?:system|assistant|user"
                        r"|developer|human|ai|tool|function|judge|grader|evaluator|scorer"
                        r"|instruction|instructions|systeme|sistema|asistente|assistente"
                        r"|interviewer|recruiter|hiring manager|rubric|verdict"
                        r"|note to (?:the )?\w+|admin|administrator|operator|moderator"
                        r"|assistent|benutzer|usuario|utilisateur|modelo|model)"
                        r"\s*(?:\([^()]{0,30}\))?\s*[:>\]|]"),
        ("role marker", r"<\|[^|>]{0,40}\|>|\[/?inst\]|<</?sys>>|<\s*/?\s*(?:system|assistant"
                        r"|user|developer|human|instructions?|rubric|score|answer|response"
                        r"|candidate|transcript|input|output|data|context|s|im_start|im_end"
                        r"|eot|bos|eos)\b[^<>]{0,40}>|\bim_(?:start|end)\b|###\s*(?:system"
                        r"|instruction|response|assistant|user|input|answer|score|rubric"
                        r"|end|new)"),
        # delimiters and their look-alikes
        ("delimiter", r"(?:^|\s)(?:-{3,}|={3,}|#{3,}|\*{3,}|_{3,}|~{3,}|`{3,}|<{2,}|>{2,}"
                      r"|\[{2,}|\]{2,}|\{{2,}|\}{2,}|\|{2,}|[\u27e6\u27e7\u3010\u3011\u300a"
                      r"\u300b\u2039\u203a\u2500-\u257f\u25a0-\u25ff])"),
        ("delimiter", r"(?:^|[^\w\s'\",]\s*)\b(?:end|ende|fin|fine"
                  r"|begin|beginning|start|stop|close|closing"
                      r"|open|debut|inicio|comienzo|anfang|beginn|inizio)\s*(?:of\s+|de\s+(?:la\s+|l')?"
                      r"|del?\s+|der\s+|des\s+|della?\s+|do\s+|da\s+)?(?:the\s+)?(?:candidate'?s?\s+)?"
                      r"(?:answer|answers|response|transcript|input|untrusted|delimit\w*|data"
                      r"|candidate|user|block|section|message|text|instructions?|system"
                      r"|prompt|reponse|respuesta|antwort|risposta|resposta|texte|texto"
                      r"|eingabe|donnees|datos|dati|dados)\b\s*(?:\w+\s*)?(?:$|[^\w\s'\",])"),
        ("delimiter", r"\[\s*(?:turn|tour|turno|runde|zug)\s*\d+\s*\]"),
        ("delimiter", r"\banswer-[0-9a-f]{4,}\b|\bdelim(?:iter)?[-_ ]?[0-9a-f]{4,}\b"
                      r"|\buntrusted[-_ ](?:text|data|input|answer)\b"),
        # score demands
        # ("this layout naturally gives one" is no demand: a third-person verb needs "me")
        ("score demand", rf"(?:(?!{w(GIVE_THIRD)}){w(GIVE)}\W+(?:(?:{ME})\W+)?"
                         rf"|{w(GIVE_THIRD)}\W+(?:{ME})\W+)(?:(?:a|an|the|un|une|la|le|el|lo"
                         rf"|ein|eine|einen|il|o)\W+)?(?:(?:score|rating|grade|mark|note"
                         rf"|nota|punktzahl|punteggio|puntuacion|voto|bewertung)\s+(?:of\s+|de\s+"
                         rf"|von\s+|di\s+)?)?{NUM}(?={UNIT_FOLLOWS})"),
        ("score demand", rf"{w(GIVE)}\W+(?:(?:{ME})\W+)?(?:\w+\W+){{0,3}}?{w(HIGH)}\W+"
                         rf"(?:\w+\W+)?{w(SCORE)}"),
        ("score demand", rf"{w(HIGH)}\W+(?:possible\W+)?{w(SCORE)}\W+(?:\w+\W+){{0,2}}?"
                         r"(?:please|pls|bitte|svp|s'il|por favor|per favore|for (?:this|me|my)"
                         r"|pour|para|fur|is (?:deserved|warranted|appropriate|required|needed)"
                         r"|required|needed)"),
        ("score demand", r"\b(?:full|top)\s+marks\b"),
        ("score demand", r"\b(?:full|top|maximum|max|perfect|highest|best)\s+(?:possible\s+)?"
                         r"(?:points|score|rating|grade|stars|mark)\b(?=.*\b(?:give|award|me|this"
                         r" answer|this response|deserve\w*|please|get|receive|earn|want|expect"
                         r"|need|should|must|assign|grant|reward\w*|grader|evaluator|judge"
                         r"|scorer|examiner|rater)\b)|(?:\b(?:give|award|me|deserve\w*|please"
                         r"|get|receive|earn|want|expect|need|should|must|assign|grant|reward\w*"
                         r"|grader|evaluator|judge|scorer|examiner|rater)\b)"
                         r".*\b(?:full|top|maximum|max|perfect|highest|best)\s+(?:possible\s+)?"
                         r"(?:points|score|rating|grade|stars|mark)\b"),
        ("score demand", r"\b(?:note maximale|note parfaite|note maximum"
                         r"|puntuacion maxima|nota maxima|puntuacion perfecta|nota perfecta"
                         r"|calificacion maxima|punteggio massimo|voto massimo|pontuacao maxima"
                         r"|nota maxima|volle punktzahl|hochstpunktzahl|hochste punktzahl"
                         r"|bestnote|hochstnote|hochste note|maximale punktzahl"
                         r"|hochste bewertung|beste bewertung)\b"),
        ("score demand", rf"\b(?:deserves?|deserving|merits?|earns?|warrants?|worth|should"
                         rf" (?:get|receive|be given|be awarded|score|be scored|be rated|be"
                         rf" graded|be marked)|must (?:get|receive|be given|score|be scored|be"
                         rf" rated)|expect(?:s|ing)?|entitled to|qualifies for|merite|merece"
                         rf"|merita|verdient|mereco|merezco|mereco)\W+(?:(?:a|an|the|un|une|la"
                         rf"|le|el|una|eine|einen|ein|o|uma)\W+)?(?:{NUM}(?={UNIT_FOLLOWS})"
                         rf"|{w(HIGH)}|{w(SCORE)}\W+(?:of\W+)?{NUM})"),
        ("score demand", rf"{w(SCORE)}\s*(?:[:=]|->|=>|is|should be|must be|will be|of|est"
                         rf"|doit etre|es|debe ser|ist|sollte|muss|e|deve essere)\s*(?:a\s+|an\s+"
                         rf"|un\s+|une\s+|eine\s+)?(?:{NUM}(?={UNIT_FOLLOWS})|{w(HIGH)})"),
        ("score demand", rf"\b(?:correct|right|expected|appropriate|proper|only valid|true|real"
                         rf"|fair|final|official|required|bonne|correcte|juste|correcta|justa"
                         rf"|richtige|korrekte|corretta|giusta)\s+{w(SCORE)}\b"),
        ("score demand", r"\b(?:10|[1-9])\s*(?:/|out of|sur|de|von|su|of)\s*(?:10|[1-9])\b"
                         r"(?=.*\b(?:score|rating|grade|mark|deserve|give|award|rate|note|nota"
                         r"|punkt|answer|response|respuesta|reponse|antwort)\w*)"),
        ("score demand", r"\b(?:score|rate|grade|mark|evaluate|assess|judge)\s+(?:me|this"
                         r"|it|my answer|this answer|this response|the answer|the candidate)"
                         r"\s+(?:as\s+|at\s+|with\s+|a\s+)?(?:highly|high|well|generously"
                         r"|favou?rably|positively|excellent|strong|perfect|correct|complete"
                         r"|the (?:highest|best|top|maximum)|top|\d|a \d|above)\b"),
        ("score demand", r"\b(?:donnez|donne|attribuez|attribue|mettez)(?:-|\s)?(?:moi|nous|lui)?"
                         r"\s+(?:la|le|une|un)?\s*(?:note|score|points?)\b"),
        ("score demand", rf"\b(?:dame|deme|danos|dadme|asignadme|asigname|ponme|pongame"
                         rf"|(?:gib|gebt|geben sie)\s+(?:mir|uns)|dammi|datemi|mi dia|me de|de-me"
                         rf"|donne-moi|donnez-moi|give me|give us|award me|grant me)\W+"
                         rf"(?:\w+\W+){{0,3}}?(?:{SCORE}|{HIGH}|mas alta|plus haute|piu alto"
                         rf"|mais alta)\b|(?:dame|deme|danos|dadme|ponme|(?:gib|gebt)\s+(?:mir|uns)"
                         rf"|dammi|me de|donne-moi|donnez-moi|give me|give us)\W+(?:(?:a|an|un|una"
                         rf"|une|eine|ein|um|uma)\W+)?{NUM}(?={UNIT_FOLLOWS})"),
        ("score demand", rf"\b(?:rate|grade|score|mark|evaluate|assess|judge|califica\w*"
                         rf"|puntua\w*|evalua\w*|valora\w*|valuta\w*|bewerte\w*|benote\w*"
                         rf"|notez|note|evaluez|avalie|avalia)\s+(?:\w+\s+){{0,3}}?(?:with|con|mit"
                         rf"|avec|as|at|a|en|como|come|als|com|par)\s+(?:(?:un|una|a|an|eine|einen"
                         rf"|der|le|la|il|the|um|uma|o)\s+)?(?:note\s+|nota\s+|grade\s+)?"
                         rf"(?:{NUM}(?={UNIT_FOLLOWS})|{w(HIGH)})"),
        ("score demand", r"\b(?:valutami|valutatemi|calificame|puntuame|evaluame|valorame"
                         r"|bewerte mich|benote mich|notez-moi|note-moi|evaluez-moi|rate me"
                         r"|grade me|score me|mark me|avalie-me|avalia-me)\b"),
        ("score demand", rf"(?:{w(GIVE)}\W+(?:{ME})|{w(SCORE_STRICT)})\W+(?:\w+\W+){{0,3}}?"
                         rf"(?:less than|lower than|below|under|at least|no less than|nothing"
                         rf" less than|anything (?:but|other than|below|less than)|minimum of"
                         rf"|moins de|menos de|weniger als|unter|meno di|inferior a)\W+"
                         rf"(?:(?:a|an)\W+)?(?:{NUM}|{w(HIGH)})"),
        ("score demand", rf"{w(SCORE_STRICT)}(?=.*(?:{NUM}(?={UNIT_FOLLOWS})|{w(HIGH)}))"
                         rf"(?=.*\b(?:you|your|please|must|unfair|fair|deserve\w*|vous|tu"
                         rf"|bitte|por favor|per favore|s'il)\b)"),
        ("score demand", rf"\bmy\s+(?:final\s+|overall\s+)?(?:score|grade|rating|mark"
                         rf"|note|nota)\b(?=.*(?:{NUM}(?={UNIT_FOLLOWS})|{w(HIGH)}))"),
        ("score demand", rf"(?:^|[:;]\s*|\b(?:and|then|now|just|simply|please|only)\s+)"
                         rf"(?:say|output|print|return|respond with|reply with|answer with|write"
                         rf"|emit|type|produce)\s+(?:only\s+|just\s+)?(?:the\s+)?(?:number\s+|word"
                         rf"\s+|value\s+)?(?:{NUM}(?={UNIT_FOLLOWS})|{w(HIGH)}|{w(SCORE)}"
                         rf"|json|yes\b|pass\b)"),
        ("override", r"\b(?:stop|cease|quit)\s+(?:reading|evaluating|scoring|grading|analy[sz]ing"
                     r"|processing|checking)\b"),
        ("override", r"^\W*(?:please\s+|kindly\s+|just\s+)?(?:ignore|disregard|overlook|forgive"
                     r"|excuse|don'?t penali[sz]e|do not penali[sz]e|don'?t count|do not count"
                     r"|don'?t deduct|do not deduct|never mind)\b.*\b(?:missed|mistakes?|errors?"
                     r"|wrong|gaps?|omissions?|missing|forgot|didn'?t mention|did not mention"
                     r"|left out|incomplete|brevity|length|typos?|shortcomings?)\b"),
        ("override", r"(?:^|\b(?:please|now|just|you must|you should|you will|simply)\s+)"
                     r"(?:follow|obey|comply with|heed|execute)\s+(?:only\s+)?(?:my|these|the"
                     r" following|this|the new|the instructions|the rules|the steps)\b"),
        ("override", r"\b(?:instead of|rather than|not)\s+(?:yours|your (?:own )?(?:instructions"
                     r"|rules|rubric|guidelines|prompt|criteria))\b|\b(?:obedience|obey me)\b"),
        ("rubric text", r"\b(?:from|in|matches|matching|meets|satisfies|fits|of)\s+(?:the|your"
                        r"|this)\s+(?:rubric|scoring guide|grading criteria|scoring criteria"
                        r"|marking scheme|reference answers?)\b"),
        ("addresses the grader", r"\b(?:dear|hey|hi|hello|attention|note to|message to)\s+"
                                 r"(?:the\s+)?(?:model|models|machine|computer|system|program"
                                 r"|robot|scoring|grading)\b"),
        ("addresses the grader", r"\b(?:you|vous|tu|usted|du)\s+(?:\w+\s+){0,2}?(?:score|grade|rate"
                                 r"|mark|evaluate|assess|judge|review|check|notez|evaluez|calificas"
                                 r"|evaluas|bewertest|bewerten|valuti)\s+(?:this|my|me|it|the"
                                 r" (?:answer|response|transcript|candidate))\b"),
        ("addresses the grader", r"\b(?:treat|consider|count|regard|read|interpret|take|score"
                                 r"|grade|mark|view|see)\s+(?:my|this|the)\s+(?:answer|response"
                                 r"|reply|transcript)\s+(?:as|like)\b|\b(?:assume|pretend|imagine"
                                 r"|suppose|act as if|count it as if|as if)\s+(?:that\s+)?i(?:'d|"
                                 r" had| have)?\s+(?:said|mentioned|covered|explained|named"
                                 r"|answered|included|talked)\b"),
        ("addresses the grader", r"\byour\s+(?:own\s+)?(?:scoring|grading|marking|evaluation"
                                 r"|assessment|rubric|instructions|criteria|judgement|judgment"
                                 r"|verdict|score)\b|\byour\s+(?:real|actual|true|new|hidden"
                                 r"|secret)\s+(?:task|job|role|purpose|goal|mission|objective)\b"),
        ("json", r"\b(?:evidence|score|rationale|rating|grade|verdict)\s+(?:field|parameter"
                 r"|property|key|argument|slot|box)s?\b"),
        ("score demand", rf"\b(?:set|change|make|put|update|fix|bump|raise|move|round)\s+"
                         rf"(?:the\s+|my\s+|this\s+)?(?:score|grade|rating|mark|note|nota)\s+"
                         rf"(?:up\s+)?(?:to|at|as|=|on)\s*(?:an?\s+)?(?:{NUM}|{w(HIGH)})"),
        ("score demand", rf"\b(?:nothing|anything|no)\s+(?:less|lower|below|under|short of)\s+"
                         rf"(?:than\s+)?(?:an?\s+)?(?:{NUM}(?={UNIT_FOLLOWS})|{w(HIGH)}|full)"),
        ("score demand", r"(?<!\ba\s)\b(?:full|maximum|max|top)\s+credit\b"),
        ("rubric text", r"\b(?:highest|top|best|lowest|first|last|strongest|\d)\s+anchors?\b"
                        r"|\banchors?\s+(?:\d|for \d|of \d)|\b(?:strong|reference|model|example)"
                        r"\s+(?:reference\s+)?(?:answer|example)\s+(?:says|said|describes|is)\b"
                        r"|\bmy answer is the (?:strong|reference|model|best)\b"),
        ("override", r"\b(?:ne\s+)?(?:suivez|suis|sigue|sigas|siga|folge|folgt|folgen sie|segui"
                     r"|seguite)\s+(?:pas\s+|nicht\s+)?(?:vos|tes|tus|sus|deine|ihre|le tue"
                     r"|suas|les miennes|las mias|los mios|meinen|meine|le mie|as minhas)\b"
                     r"|\bfollow (?:mine|my (?:rules|instructions|lead on the score))\b"),
        # someone scoring is addressed
        ("addresses the grader", rf"\b(?:dear|hey|hi|hello|attention|note to|message to"
                                 rf"|memo to|ps to|cher|chere|estimado|estimada|querido"
                                 rf"|lieber|liebe|sehr geehrte[rs]?|caro|cara|an den|an die"
                                 rf"|al|a la|au|a l')\s+(?:the\s+|any\s+|all\s+|my\s+|our\s+"
                                 rf"|l'|le\s+|la\s+|el\s+|der\s+|die\s+|den\s+|il\s+)?"
                                 rf"(?:{GRADER})\b"),
        ("addresses the grader", rf"\b(?:to|for|from)\s+(?:the|any|all|my|our|whichever|every)"
                                 rf"\s+(?:{GRADER})\b(?!\s+(?:of|on|in|for|to)\b)(?=.*\b(?:you|your"
                                 rf"|please|must|should|number|value|{SCORE}|{GIVE}|{INSTRUCTIONS}|{HIGH}|{NUMBER_WORD}"
                                 rf"|\d+)\b)"),
        ("addresses the grader", rf"(?:^|[.!?]\s*)\W*(?:{GRADER})\s*[,:!]"),
        ("addresses the grader", rf"{w(GRADER)}\W+(?:\w+\W+){{0,6}}?(?:you|your|please|must"
                                 rf"|should|need to|have to|are required|shall|make sure"
                                 rf"|remember|note that|be sure|vous|tu|debes|debe|usted|du"
                                 rf"|sie|musst|mussen|devi|deve|voce)\b(?:\W+\w+){{0,8}}?\W+"
                                 rf"(?:{SCORE}|{GIVE}|{INSTRUCTIONS}|{HIGH}|{NUM})\b"),
        ("addresses the grader", rf"\b(?:you|vous|tu|du|usted)\b(?:\W+\w+){{0,4}}?\W+(?:are|re"
                                 rf"|etes|es|eres|bist|sind|sei)\s+(?:an?\s+|the\s+|un\s+|une\s+"
                                 rf"|el\s+|la\s+|ein\s+|eine\s+)?(?:{GRADER})\b"),
        ("addresses the grader", r"\b(?:whoever|whatever|anyone|anything|the (?:person|system"
                                 r"|software|program|tool|process)(?: that| who)?)\s+(?:is\s+)?"
                                 r"(?:grades?|grading|scores?|scoring|evaluates?|evaluating|rates?"
                                 r"|rating|marks?|marking|assess\w*|reviews?|reviewing|reads?"
                                 r"|reading|judg\w+|process\w*|analy[sz]\w*)\s+(?:this|these|my"
                                 r"|the answer|the transcript)"),
        ("addresses the grader", r"\bif you (?:are|re|'re) (?:an?\s+)?(?:ai|a\.i\.|llm|language"
                                 r"|model|bot|chatbot|assistant|automated|machine|grader|judge"
                                 r"|evaluator|scorer)\b|\bsi (?:vous etes|tu es|eres|usted es)"
                                 r"\s+(?:une?\s+)?(?:ia|modelo|modele"
                                 r"|ai)\b|\bwenn du\s+(?:eine\s+)?"
                                 r"(?:ki|sprachmodell)\b"),
        ("addresses the grader", r"\bas an? (?:ai|language model|llm|grader|evaluator|judge"
                                 r"|scorer|assistant)\b(?=.*\b(?:you|your|must|should|will)\b)"),
        # role play
        ("role play", r"\b(?:you are|you're|youre|you will be|you'll be)\s+(?:now|no longer"
                      r"|henceforth|from now on|actually|really|going to be|hereby)\s+"
                      r"(?:(?:a|an|the|my|in|bound|restricted|limited|required|free|allowed"
                      r"|able)\s+)?(?:\w+\s+){0,2}?(?:grader|judge|evaluator|scorer|rater"
                      r"|examiner|assistant|model|ai|bot|system|mode|dan|named|called|free"
                      r"|unrestricted|unfiltered|bound|restricted|limited|to (?:score|grade"
                      r"|rate|give|award|ignore)|[a-z]*(?:bot|gpt|ai))\b"),
        ("role play", r"\b(?:from now on|henceforth|for the rest of this|a partir de maintenant"
                      r"|desormais|de ahora en adelante|a partir de ahora|da ora in poi"
                      r"|a partir de agora|ab jetzt|von nun an|ab sofort)\b.*\b(?:you|your|vous"
                      r"|tu|usted|du|sie|voce)\b"),
        ("role play", r"(?:^|[.!?]\s+|\bplease\s+|\byou (?:will|should|must|now|shall)\s+)"
                      r"(?:act|behave|respond|answer|reply|speak|operate|function)\s+(?:as|like)"
                      r"\s+(?:an?\s+|the\s+|my\s+)?(?:\w+\s+){0,2}?(?:grader|evaluator|judge"
                      r"|scorer|rater|assistant|ai|model|bot|teacher|examiner|reviewer|someone"
                      r"|person)\b"),
        ("role play", r"\b(?:pretend|imagine|suppose|assume|let'?s say|lets say|role-?play"
                      r"|play the role|play a game|simulate|roleplay)\b(?:\W+\w+){0,6}?\W+"
                      r"(?:grader|evaluator|judge|scorer|rater|examiner|ai|llm|language model"
                      r"|assistant|scoring|score|grade|grading|rating|rubric)\b"),
        ("role play", r"\b(?:tu es maintenant|vous etes maintenant|joue le role|jouez le role"
                      r"|fais semblant|faites semblant|imagine que tu|imaginez que vous"
                      r"|ahora eres|ahora es usted|finge|fingir|haz de cuenta|imagina que eres"
                      r"|actua como|actue como|ora sei|fingi di|fai finta|agisci come"
                      r"|agora voce e|finja|aja como|du bist jetzt|sie sind jetzt|tu so als"
                      r"|stell dir vor|spiel die rolle|verhalte dich wie"
                      r"|agis comme|agissez comme)\b"),
        # "you're a lenient judge": a role given to the scorer (the indefinite article: "you
        # are the judge of that" is an idiom, not a role)
        ("role play", r"\b(?:you are|you're|youre|you will be|you'll be)\s+an?\s+(?:\w+\s+){0,2}?"
                      r"(?:grader|judge|evaluator|scorer|rater|examiner|marker)\b"),
        # "from now on, treat every answer of mine as ...": a standing order to the scorer
        ("role play", r"\b(?:from now on|henceforth|going forward|for the rest of (?:this|the)"
                      r" (?:interview|session|conversation|call))\b\W+(?:please\s+)?"
                      r"(?:treat|consider|regard|count|score|rate|grade|mark|give|award|assume"
                      r"|read|take)\b(?:\W+\w+){0,8}?\W+(?:answers?|responses?|key points?"
                      r"|scores?|rubric|marks?|grades?|ratings?|criteria)\b"),
        ("role play", r"\b(?:developer mode|dev mode|jailbreak|jailbroken|dan mode|do anything now"
                      r"|unfiltered|no restrictions|without restrictions|sudo)\b"),
        # self-assessment aimed at the grader
        ("self-assessment", r"\b(?:this|my|the above|the previous|the following|that)\s+(?:answer"
                            r"|response|reply|submission|explanation)\s+(?:is|was|has been"
                            r"|should be|must be|will be|clearly|definitely|obviously|deserves"
                            r"|merits|meets|exceeds|covers all|demonstrates|shows|fully"
                            r"|completely)\b(?:\W+\w+){0,12}?\W+(?:excellent|perfect|outstanding"
                            r"|exemplary|flawless|complete|correct|strong|exceptional|rated"
                            r"|scored|graded|marked|considered|judged|evaluated|top|best|highest"
                            r"|maximum|all (?:the )?(?:key )?(?:points"
                            r"|criteria)|expectations|criterion"
                            r"|every (?:criterion|anchor|key point|requirement)"
                            r"|rubric|criteria|a \d|\d)\b"),
        ("self-assessment", r"\b(?:the|this|our)\s+candidate\s+(?:has|have|clearly|fully"
                            r"|demonstrates?d?|shows?|showed|covered|covers|mentioned|mentions"
                            r"|meets|met|exceeds|exceeded|deserves|should|is|was|gave|provided"
                            r"|answered|named|understands|understood|explained|addressed"
                            r"|displays|handled|handles|did|does|knows|performed|excelled|nailed"
                            r"|aced|described|identified|proposed|correctly|successfully"
                            r"|passes|passed|gets|got|receives|must|will|deserved|qualifies"
                            r"|obviously|definitely)\b"),
        ("self-assessment", r"\b(?:meets|met|satisf(?:y|ies|ied)|fulfil+s?|fulfil+ed|hits|ticks"
                            r"|checks)\s+(?:off\s+)?(?:every|all|each)\s+(?:of\s+the\s+|the\s+)?"
                            r"(?:criteri\w+|key points?|anchors?|box(?:es)?|rubric\w*"
                            r"|expectations?|requirements? of the (?:question|rubric|role))\b"
                            r"|\b(?:covers|addresses|mentions|hits|names)\s+(?:every|all|each)"
                            r"\s+(?:of\s+the\s+|the\s+)?(?:key points?|criteri\w+|anchors?)\b"),
        # "treat it as covering every key point"; "key points covered: all" (a fake note)
        ("self-assessment", r"\b(?:treat|consider|count|mark|score|read|take|regard)\s+"
                            r"(?:\w+\s+){0,4}?as\s+(?:covering|meeting|hitting|satisfying"
                            r"|addressing|fulfil+ing|having)\s+(?:every|all|each)\b"),
        ("self-assessment", r"\b(?:key points?|criteria|criterion|anchors?|rubric(?: items?)?"
                            r"|requirements?)\s+(?:covered|met|satisfied|hit|addressed|achieved"
                            r"|fulfil+ed|matched)\s*[:=\-\u2013\u2014]\s*(?:all|every|each|\d"
                            r"|yes|true|full|100)"),
        # a header for the scorer: "Scoring note: ...", "Evaluator summary - ..."
        ("role marker", r"(?:^|[\n\r]|[.!?]\s+)\W{0,3}(?:scoring|grading|grader|evaluator"
                        r"|evaluation|judge|assessment|reviewer|rating|marking)\s+(?:note|notes"
                        r"|comment|comments|summary|verdict|result|output|guidance"
                        r"|instructions?)\s*[:\-\u2013\u2014]"),
        ("self-assessment", r"\b(?:le candidat|la candidate|el candidato|la candidata"
                            r"|il candidato|o candidato|der kandidat|die kandidatin)\s+\w+"),
        ("self-assessment", r"\b(?:cette reponse|ma reponse|esta respuesta|mi respuesta"
                            r"|questa risposta|esta resposta|diese antwort|meine antwort)\s+"
                            r"(?:\w+\s+){0,3}?(?:merite|merece|merita|verdient|est parfaite"
                            r"|es perfecta|e perfetta|ist perfekt|excellente|excelente"
                            r"|eccellente|ausgezeichnet|parfaite|perfecta|perfetta|perfekt)"),
        # the answer's grade, claimed or asked for in other words
        ("score demand", r"\b(?:this|that|it|my answer|this answer|my response|this response"
                         r"|i|me)\s+(?:\w+\s+){0,2}?(?:should|must|ought to|deserves? to"
                         r"|needs? to)\s+(?:\w+\s+)?(?:be\s+)?(?:(?:scored|graded|rated|marked)"
                         r"\s+(?:as\s+|at\s+(?:least\s+)?)?(?:an?\s+)?(?:\d\b|top\b|full\b|high\b|highest\b"
                         r"|max\b|maximum\b|five\b|four\b|pass\b|passing\b)|(?:given|awarded)"
                         r"\s+(?:an?\s+|the\s+)?(?:\d+(?:\s*/\s*\d+)?\s*(?:[.!,;]|$)|five\b"
                         r"|four\b|full marks|top marks|(?:top|highest|maximum|full) (?:score|mark"
                         r"|rating|grade)))"),
        ("score demand", r"\b(?:recogni[sz]e|see|consider|view|treat|regard|count|accept"
                         r"|confirm|record|mark|log|classify|categori[sz]e|flag|tag|list)\s+"
                         r"(?:this|my answer|this answer|my response|this response|it|me|the"
                         r" candidate)\s+as\s+(?:an?\s+|the\s+)?(?:top|strong|excellent|perfect"
                         r"|exemplary|outstanding|exceptional|correct|complete|passing|pass|hire"
                         r"|best|highest|maximum|flawless|model answer)"),
        ("score demand", r"\b(?:score|grade|rate|mark|evaluate|assess|judge|review)\w*\s+"
                         r"(?:\w+\s+){0,2}?(?:generously|leniently|kindly|favou?rably|highly"
                         r"|positively|gently|softly|charitably)\b|\bbe\s+(?:lenient|generous"
                         r"|kind|gentle|charitable|nice)\s+(?:with|in|when|on)\s+(?:your\s+"
                         r"|the\s+)?(?:scor\w+|grad\w+|mark\w+|me|this|my answer|evaluat\w+)\b"),
        ("score demand", rf"\bi\s+(?:get|got|receive|received|earn|earned|should get|will get"
                         rf"|am getting|have been given|was given|am owed)\s+(?:an?\s+|the\s+)?"
                         rf"(?:{NUM}(?={UNIT_FOLLOWS})|{w(HIGH)}\s+(?:{SCORE})|full marks"
                         rf"|top marks)"),
        ("score demand", rf"\b(?:go|settle|round|bump|push|move)\s+(?:it\s+|me\s+)?(?:up\s+)?"
                         rf"(?:with|on|to|for)\s+(?:an?\s+|the\s+)?(?:{NUM}(?={UNIT_FOLLOWS})"
                         rf"|maximum|max|top score|highest)|\bgive\s+(?:me|us|this|my answer|it)"
                         rf"\s+the benefit of the doubt\b"),
        ("score demand", rf"\b(?:all|every|each|any)\s+(?:the\s+)?(?:candidates?|answers?"
                         rf"|responses?|applicants?)\s+(?:\w+\s+){{0,2}}?(?:receives?|gets?"
                         rf"|should get|must get|are given|is given|scores?|deserves?|earns?)\s+"
                         rf"(?:an?\s+|the\s+)?(?:{NUM}(?={UNIT_FOLLOWS})|{w(HIGH)}"
                         rf"|full marks)"),
        ("self-assessment", r"\ball\s+(?:the\s+|of the\s+)?(?:criteria|key points|anchors"
                            r"|rubric points)\s+(?:are\s+|were\s+|have been\s+)?(?:satisfied|met"
                            r"|covered|fulfill?ed|addressed|ticked|checked)\b"),
        ("addresses the grader", r"\b(?:note|message|memo|ps|p\.s\.|attention|hint|reminder"
                                 r"|instructions?)\s+(?:to|for)\s+(?:the\s+|any\s+|an\s+)?"
                                 r"(?:automated|ai|assessment|evaluation|scoring|grading|screening"
                                 r"|review|reviewing|marking|hiring)\s+\w+"),
        ("addresses the grader", r"\b(?:the|this|any|an?|whatever|which)\s+(?:assessment"
                                 r"|evaluation|scoring|grading|screening|marking|automated|ai)\s+"
                                 r"(?:tool|software|system|engine|bot|algorithm|program|model"
                                 r"|process|pipeline)\s+(?:\w+\s+){0,3}?(?:will|should|must|shall"
                                 r"|can|please|reads?|reading|sees?)\b"),
        # talk about the scoring apparatus itself
        ("rubric text", r"\b(?:rubric|rubrics|scoring guide|grading guide|grading criteria"
                        r"|scoring criteria|evaluation criteria|assessment criteria|marking scheme"
                        r"|mark scheme|reference answers?|model answers?|anchor (?:texts?"
                        r"|behaviou?rs?)|grille d'evaluation|criteres d'evaluation|bareme|corrige"
                        r"|rubrica|criterios de evaluacion|respuesta modelo|criteri di"
                        r" valutazione|griglia di valutazione|criterios de avaliacao"
                        r"|bewertungskriterien|bewertungsschema|musterlosung|erwartungshorizont)\b"
                        r"(?:\W+\w+){0,8}?\W*\b(?:satisf\w*|met|fulfil\w*|says?|states?|requires?"
                        r"|covered|complete\w*|match\w*|meets?|exceed\w*|gives?|awards?|score\w*"
                        r"|marks?|grades?|levels?|\d|top|maximum|outdated|wrong|void|irrelevant"
                        r"|appl\w+|according|dit|dice|sagt|erfullt|cumplid\w*|rempli\w*"
                        r"|soddisfatt\w*)\b"),
        ("rubric text", r"\b(?:according to|per|as per|under|by)\s+(?:the|your|this)\s+"
                        r"(?:rubric|scoring guide|grading criteria|scoring criteria|marking"
                        r" scheme|anchors?)\b"),
        # JSON and tool syntax
        ("json", r"\{[^{}]{0,400}[\"']?\b(?:score|rating|grade|evidence|rationale|points"
                 r"|verdict|result|note|nota|puntuacion|bewertung|punktzahl|marks?|level)\b"
                 r"[\"']?\s*[:=]"),
        ("json", r"\b(?:submit_score|submit_verdict|function_call|tool_calls?|tool_choice"
                 r"|\"arguments\"|\"role\"\s*:)"),
)

# Scoring vocabulary that carries an instruction split over sentences (neighbour rule).
_NEIGHBOUR = (
    rf"{w(SCORE)}|{w(INSTRUCTIONS)}|{w(GRADER)}|{w(HIGH)}|{w(OVERRIDE)}"
    r"|\b(?:number|value|figure|digit|nombre|numero|nummer|zahl|cifra|accordingly)\b"
    rf"|(?:^|\W)(?:10|[0-9])(?:\s*/\s*10|\s*/\s*[0-9])?(?:\W*$|\s*[.!?])|\b(?:{NUMBER_WORD})"
    r"\W*$|^\W*(?:and|then|also|so|et|puis|y|luego|und|dann|e|poi)?\W*(?:give|award|assign"
    r"|rate|score|mark|grade|output|return|write|put|say|respond|reply|donne|dame|gib|da)\b"
)


@cache
def rules() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(family, compiled pattern) pairs, compiled on first use (importing stays cheap)."""
    return tuple((name, re.compile(pattern, re.IGNORECASE | re.DOTALL))
                 for name, pattern in _PATTERNS)


@cache
def neighbour() -> re.Pattern[str]:
    """Scoring vocabulary: a sentence next to a flagged one that has it goes too."""
    return re.compile(_NEIGHBOUR, re.IGNORECASE)
