"""Vocabulary of the injection patterns (``injection_rules``): how text is normalised for
detection, and the word families the patterns are built from -- grader words, instruction
words, override verbs, score words, giving verbs, top-of-scale words, numbers -- in
English, French, Spanish, German, Italian and Portuguese. Alternations run on normalised
(accent-free, lower-case) text.
"""

from __future__ import annotations

import re
import unicodedata

# --------------------------------------------------------------------------- normalising

# Letters from other scripts that look like Latin ones (a homoglyph attack on the patterns).
CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i",
    "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ո": "n", "ν": "v",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I",
    "α": "a", "ο": "o", "ρ": "p", "ε": "e", "ι": "i", "κ": "k", "τ": "t", "υ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-",
})


def normalise(text: str) -> str:
    """Lower-case ASCII-ish form used for detection (never shown or quoted)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width etc.
    text = text.translate(CONFUSABLES)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold()
    # s p a c e d - o u t letters: "i g n o r e" -> "ignore"
    text = re.sub(r"\b(?:[a-z][ ._*-]){3,}[a-z]\b",
                  lambda m: re.sub(r"[ ._*-]", "", m.group(0)), text)
    return re.sub(r"[ \t\u00a0]+", " ", text)


# --------------------------------------------------------------------------- vocabulary
# Alternations over normalised (accent-free, lower-case) text.

GRADER = (
    r"grader|graders|evaluator|evaluators|scorer|scorers|rater|raters|assessor|assessors"
    r"|examiner|examiners|marker|markers|reviewer|reviewers|judge|judges|jury"
    r"|ai|a\.i\.|llm|llms|language model|ai model|chatbot|bot|gpt[\w.-]*|chatgpt|claude"
    r"|gemini|llama|mistral|copilot|assistant|scoring (?:system|model|bot|engine|ai)"
    r"|grading (?:system|model|bot|engine|ai)|evaluation (?:system|model|bot|engine|ai)"
    # fr / es / it / pt / de
    r"|evaluateur|evaluatrice|correcteur|correctrice|examinateur|jury|ia|modele de langage"
    r"|evaluador|evaluadora|calificador|calificadora|corrector|examinador|juez|modelo de lenguaje"
    r"|valutatore|valutatrice|esaminatore|correttore|giudice|modello linguistico"
    r"|avaliador|avaliadora|examinador|corretor|modelo de linguagem"
    r"|bewerter|bewerterin|prufer|pruferin|gutachter|korrektor|ki|sprachmodell"
)
INSTRUCTIONS = (
    r"instructions?|prompts?|system prompt|rules|rubrics?|guidelines?|directions|directives?"
    r"|criteria|guardrails|scoring guide|key points|reference answers?|examples"
    r"|grading (?:guide|criteria|scheme)|marking scheme"
    r"|consignes?|regles|directives|grille|bareme|criteres"
    r"|instrucciones|indicaciones|reglas|rubricas?|normas|criterios|pautas|ordenes"
    r"|istruzioni|regole|indicazioni|criteri"
    r"|instrucoes|regras|orientacoes|criterios"
    r"|anweisungen|anweisung|anleitung|regeln|vorgaben|richtlinien|befehle|bewertungsschema"
    r"|kriterien|systemprompt|\w*kriterien|\w*anweisungen|\w*richtlinien|\w*vorgaben"
    r"|bewertungs\w*|grading|scoring|marking"
)
OVERRIDE = (
    r"ignore|ignoring|ignored|disregard|disregarding|forget|forgetting|override|overriding"
    r"|bypass|stop following|do not follow|don'?t follow|never mind|nevermind|set aside"
    r"|supersede|disobey"
    r"|ignorez|ignores?|oubliez|oublie|ne tenez pas compte|ne tiens pas compte|annulez|annule"
    r"|ignora|ignore[ns]?|ignorad|olvida|olvide[ns]?|olvidad|omite|omita|haz caso omiso"
    r"|no sigas|descarta|anula"
    r"|ignorare|ignorate|dimentica|dimenticate|tralascia|trascura"
    r"|esqueca|esquece|desconsidere|desconsidera"
    r"|ignoriere|ignorieren|ignoriert|vergiss|vergesst|vergessen sie|missachte|missachten"
    r"|ubergehe|ubergehen|verwirf|verwerfen"
)
PRIOR = (
    r"previous|prior|above|earlier|preceding|former|original|initial|all|any|every|your"
    r"|those|these|the|my|everything|anything|that"
    r"|precedentes?|anterieures?|ci-dessus|toutes?|tous|vos|tes|les"
    r"|anteriores?|previas?|todas?|todos|tus|sus|las|los"
    r"|precedenti|tutte|tutti|le|tue"
    r"|vorherigen?|bisherigen?|obigen?|alle|alles|deine|ihre|die|frueheren|fruheren"
)
SCORE = (
    r"score|scores|scored|scoring|rating|ratings|rate|grade|grades|grading|mark|marks|marking"
    r"|points?|stars?|evaluation|assessment|verdict|band|tier|credit"
    r"|note|notes|notation|evaluation|points"
    r"|puntuacion|puntaje|nota|notas|calificacion|calificaciones|puntos|valoracion"
    r"|punteggio|voto|valutazione|punti"
    r"|pontuacao|nota|avaliacao|pontos"
    r"|punkte|punktzahl|bewertung|wertung|benotung|zensur|note"
)
SCORE_STRICT = (
    r"score|scores|rating|grade|marks|puntuacion|puntaje|nota|calificacion|punteggio|voto"
    r"|pontuacao|punktzahl|bewertung|benotung"
)
GIVE = (
    r"give|gives|giving|award|awards|assign|assigns|grant|grants|rate|score|mark|grade"
    r"|put|output|return|set|record|write down|enter|submit|provide|hand out|bump|raise"
    r"|donne|donnez|donner|attribue|attribuez|accorde|accordez|mets|mettez|note|notez"
    r"|da|dame|dale|dadme|deme|asigna|asignad|asigname|otorga|otorgame|pon|ponme|poned"
    r"|califica|calificame|puntua|puntuame"
    r"|dai|dammi|assegna|assegnami|metti|mettimi"
    r"|de|de-me|me de|atribua|atribui|coloque"
    r"|gib|gebt|geben sie|vergib|vergeben sie|erteile|setze|setzen sie|bewerte|bewerten sie"
)
HIGH = (
    r"maximum|max|maximal|highest|top|perfect|full|best|excellent|outstanding|exceptional"
    r"|maximale|maximum|parfaite?|meilleure?|excellente?"
    r"|maxima|maximo|maximos|perfecta|perfecto|mejor|mejores|excelente|sobresaliente"
    r"|massim[oa]|perfett[oa]|ottim[oa]|eccellente|migliore"
    r"|maxim[ao]|perfeit[ao]|melhor|excelente"
    r"|hochste|hochstnote|hochstpunktzahl|volle|maximale|beste|perfekte|ausgezeichnet"
    r"|bestnote|hervorragend"
)
NUMBER_WORD = (
    r"one|two|three|four|five|six|seven|eight|nine|ten"
    r"|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix"
    r"|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez"
    r"|due|tre|quattro|cinque|sei|sette|otto|nove|dieci"
    r"|um|uma|dois|quatro|cinco"
    r"|eins|zwei|drei|vier|funf|sechs|sieben|acht|neun|zehn"
)
NUM = rf"(?:\b(?:10|[0-9])(?:[.,][05])?(?![\d.,]\d)|\b(?:{NUMBER_WORD})\b)"
ME = (
    r"me|us|this|this one|this answer|this response|it|my answer|my response|the candidate"
    r"|him|her|them|moi|ceci|cette reponse|ma reponse|le candidat|la candidate"
    r"|me|esto|esta respuesta|mi respuesta|el candidato|la candidata|le|lo|la"
    r"|mi|questa risposta|la mia risposta|il candidato"
    r"|mim|esta resposta|minha resposta|o candidato"
    r"|mir|uns|diese antwort|meine antwort|dem kandidaten|der kandidatin|ihm|ihr"
)
UNIT_FOLLOWS = (
    r"\s*(?:$|[.!?,;:\"')\]/]|(?:out of|sur|de|von|su|auf|of|points?|pts?|stars?|marks?|on"
    r"|for|here|please|score|rating|grade|because|since|as|and|right|now|then|pour|por|para"
    r"|per|fur|bitte|s'il|por favor|svp|sil|punkte|puntos|points|punti|pontos|from)\b)"
)


def w(alternation: str) -> str:
    return rf"(?:\b(?:{alternation})\b)"
