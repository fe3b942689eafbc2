"""Text a scorer can't read as the interview's language: quarantined, not scored.

A scorer that reads words (the offline scorer) can't see what a passage in base64, ROT13
or another language says; a language model can, and may obey it. Either way such text is
not evidence an interviewer could have heard and weighed, so it is taken out of what
every scorer sees, shown to the reviewer, and flagged. What counts, per sentence (or per
passage, for markup):

- **markup**: HTML or XML comments and tags, markdown comments (``[//]: # (...)``);
- **encoded**: base64, hex, URL-encoding, ``\\u``/``\\x`` escapes, binary octets or Morse
  that decode to text;
- **enciphered**: a sentence that isn't the interview's language but becomes it under
  ROT13 (or any letter shift), reversal or Atbash;
- **leetspeak**: words spelt with digits for letters that turn into ordinary words;
- **obfuscated characters**: zero-width or other invisible characters, words mixing
  Latin with Cyrillic or Greek look-alikes, full-width or mathematical letters, stacked
  combining marks;
- **another language**: a sentence in another script, or whose function words are
  another language's (English, French, Spanish, German, Italian, Portuguese, Dutch,
  Polish, Turkish, Indonesian, Swedish, Danish, Norwegian, Finnish, Hungarian, Czech,
  Romanian, Swahili, Tagalog and Latin are told apart). A candidate who answers in
  another language is flagged for a person who reads it, not silently scored 1.

Limits: language is told from function words, so a sentence of under ``MIN_WORDS`` words
is judged another language only when it has none of the interview language's small words
and two words with letters it doesn't write or a third of another's small words; a
language without a list here is caught only when its script or its letters differ.
Detection is per sentence: one foreign word inside an English sentence stays.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

MIN_WORDS = 4  # a sentence shorter than this is never judged another language
OWN_SHARE = 0.12  # below this share of the interview language's function words ...
OTHER_SHARE = 0.25  # ... and this share of another's, a sentence is that other language
SCRIPT_SHARE = 0.5  # letters of another script above this share: another language
SPACED_LETTERS = 6  # this many one-letter words, most of a sentence: "g i v e  m e ..."
ACCENTED_WORDS = 2  # ... or this many words with letters English doesn't write
SHORT_SHARE = 0.33  # a two- or three-word sentence with this share of another's small words
CLEAR_SHARE = 0.45  # another language's share this high, twice the interview's: that one
ACCENTED_SHARE = 0.25  # (and this share of them, when some English small words appear)
ASCII_LANGUAGES = frozenset({"en"})  # languages written without accented letters

FUNCTION_WORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in {
    "en": "the a an and or but of to in on at for with by from as is are was were be been"
          " it its this that these those i you he she we they me my your our their not no do"
          " does did have has had will would can could should so if then than just also there"
          " here what how when where which who why all some any about into up out over more"
          " very im id ive dont its thats theyre were youre",
    "fr": "le la les un une des et ou mais de du au aux en dans sur pour par avec est sont"
          " etait etre il elle ils elles je tu nous vous ne pas que qui quoi ce cette ces mon"
          " ma mes son sa ses leur tres plus aussi comme donc si cest jai",
    "es": "el la los las un una unos unas y o pero de del al en con por para es son era ser"
          " esta estan yo tu el ella nosotros ellos no que se lo le mi mis su sus muy mas"
          " tambien como porque si",
    "de": "der die das den dem des ein eine einen und oder aber von zu im in mit fur auf ist"
          " sind war sein ich du er sie wir ihr nicht kein dass was wie auch sehr noch nur es"
          " mein meine wenn weil",
    "it": "il lo la i gli le un una e o ma di del della da in con per su e sono era essere io"
          " tu lui lei noi voi non che chi questo questa mio mia molto piu anche come perche"
          " se",
    "pt": "o a os as um uma e ou mas de do da dos das em no na com por para e sao era ser eu"
          " tu ele ela nos eles nao que se meu minha muito mais tambem como porque",
    "nl": "de het een en of maar van in op met voor is zijn was ik jij hij zij wij niet dat"
          " die wat hoe ook zeer mijn je we dit deze",
    "pl": "i w z na sie nie to jest ze do o jak co ale tak czy po od sa jestem mnie moj",
    "tr": "bir ve bu da de icin ile cok ne var degil ben sen biz siz onlar ama gibi daha",
    "id": "yang dan di ini itu dengan untuk tidak dari dalam akan saya kami adalah ke bisa"
          " juga",
    "sv": "och att det som en pa ar av for med till den har de inte jag vi om sa men",
    "da": "og at det som en et den de er var til af med for pa ikke jeg vi du han hun"
          " har kan vil skal meget dette denne venligst",
    "no": "og at det som en et den de er var til av med for pa ikke jeg vi du han hun"
          " har kan vil skal veldig dette denne",
    "fi": "ja on ei se etta kuin mutta tai niin myos han me te he olen oli ovat tama"
          " tassa talle mina sina",
    "hu": "a az es hogy nem is egy de mint meg van volt ez azt en te o mi ti ok ennek"
          " kerem",
    "cs": "a v na se je to ze s z do o jak ale by jsem jsou tak pro ten tato teto tuto"
          " prosim",
    "ro": "si in la cu de pe nu este sunt a al ai ale un o ca dar mai pentru acest"
          " aceasta acestui va rog",
    "sw": "na ya wa kwa la za ni katika hii hili huu ile kama lakini au pia sana tafadhali"
          " yangu wangu",
    "tl": "ang ng sa na at mga ay ito si ni para hindi ko mo ako ikaw siya kami tayo"
          " pakibigyan",
    "la": "et in est non ad cum quod ut sed sunt esse hic haec hoc huic quaeso",
}.items()}

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LATIN_SCRIPTS = ("LATIN",)


@dataclass(frozen=True, slots=True)
class Unreadable:
    kind: str  # "another language" or one of the quarantine kinds
    detail: str  # e.g. "base64-encoded text", "French"


LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish", "de": "German",
                  "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "pl": "Polish",
                  "tr": "Turkish", "id": "Indonesian", "sv": "Swedish", "da": "Danish",
                  "no": "Norwegian", "fi": "Finnish", "hu": "Hungarian", "cs": "Czech",
                  "ro": "Romanian", "sw": "Swahili", "tl": "Tagalog", "la": "Latin"}
ANOTHER_LANGUAGE = "another language"
QUARANTINE = "quarantined"

# ----------------------------------------------------------------------------- markup

MARKUP = re.compile(
    r"<!--.*?(?:-->|$)"  # an HTML comment (or one left open)
    r"|\[(?://|comment|#)\]:\s*(?:#|<>)\s*(?:\([^)\n]*\)|\"[^\"\n]*\")"  # markdown comments
    r"|(?<!<)</?[A-Za-z][\w:-]*(?:\s[^<>]{0,400})?/?>(?!>)",  # an HTML or XML tag
    re.DOTALL)


def markup_spans(text: str) -> list[tuple[int, int]]:
    """Spans of comments and tags in ``text`` (taken out before sentences are split)."""
    return [(m.start(), m.end()) for m in MARKUP.finditer(text)]


# ----------------------------------------------------------------------------- words


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def words(text: str) -> list[str]:
    return [w.replace("'", "") for w in _WORD.findall(_fold(text).replace("'", ""))]


def share(tokens: list[str], language: str) -> float:
    vocab = FUNCTION_WORDS.get(language)
    if not tokens or vocab is None:
        return 0.0
    return sum(t in vocab for t in tokens) / len(tokens)


def reads_as(text: str, language: str) -> bool:
    """Ordinary prose in ``language`` (enough of its function words)."""
    tokens = words(text)
    return len(tokens) >= 3 and share(tokens, language) >= OTHER_SHARE


# ----------------------------------------------------------------------------- encodings

_BASE64 = re.compile(r"(?<![\w+/=])[A-Za-z0-9+/]{16,}={0,2}(?![\w+/=])")
_BASE64URL = re.compile(r"(?<![\w=-])[A-Za-z0-9_-]{20,}={0,2}(?![\w=-])")
_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}[ :]?){8,}\b")
_URLENC = re.compile(r"(?:%[0-9A-Fa-f]{2}){3,}")
_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4}){2,}|(?:\\x[0-9a-fA-F]{2}){3,}")
_BINARY = re.compile(r"(?:\b[01]{8}\b[\s,]*){3,}")
_MORSE = re.compile(r"(?:(?<!\S)[.\-·•]{1,6}(?:\s+|\s*/\s*)){6,}[.\-·•]{1,6}(?!\S)")
_MORSE_CODE = {
    ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g",
    "....": "h", "..": "i", ".---": "j", "-.-": "k", ".-..": "l", "--": "m", "-.": "n",
    "---": "o", ".--.": "p", "--.-": "q", ".-.": "r", "...": "s", "-": "t", "..-": "u",
    "...-": "v", ".--": "w", "-..-": "x", "-.--": "y", "--..": "z", ".----": "1",
    "..---": "2", "...--": "3", "....-": "4", ".....": "5", "-....": "6", "--...": "7",
    "---..": "8", "----.": "9", "-----": "0"}


def _texty(raw: bytes) -> str | None:
    """Decoded bytes that read as text (mostly printable, with letters)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 4:
        return None
    printable = sum(ch.isprintable() or ch in "\n\t" for ch in text) / len(text)
    letters = sum(ch.isalpha() for ch in text) / len(text)
    return text if printable >= 0.95 and letters >= 0.5 else None


def _b64(token: str, alt: bytes | None = None) -> str | None:
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.b64decode(padded, altchars=alt, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _texty(raw)


def encoded(text: str) -> str | None:
    """What encoding hides text in this sentence, if any."""
    for m in _BASE64.finditer(text):
        token = m.group()
        if not (any(c.isdigit() for c in token) or any(c in "+/=" for c in token)
                or (any(c.isupper() for c in token) and any(c.islower() for c in token))):
            continue
        if _b64(token.rstrip("=")):
            return "base64-encoded text"
    for m in _BASE64URL.finditer(text):
        if _b64(m.group().rstrip("="), b"-_"):
            return "base64-encoded text"
    for m in _HEX.finditer(text):
        try:
            raw = bytes.fromhex(re.sub(r"[ :]", "", m.group()))
        except ValueError:
            continue
        if _texty(raw):
            return "hex-encoded text"
    if _URLENC.search(text) and _texty(unquote(text).encode("utf-8")):
        return "URL-encoded text"
    if _ESCAPES.search(text):
        return "escaped characters"
    for m in _BINARY.finditer(text):
        raw = bytes(int(b, 2) for b in re.findall(r"[01]{8}", m.group()))
        if _texty(raw):
            return "binary-encoded text"
    for m in _MORSE.finditer(text):
        letters = [_MORSE_CODE.get(g.replace("·", ".").replace("•", "."), "")
                   for g in re.split(r"\s+|\s*/\s*", m.group().strip())]
        if sum(1 for c in letters if c) >= 6:
            return "Morse code"
    return None


# ----------------------------------------------------------------------------- ciphers


def _shift(text: str, n: int) -> str:
    def one(ch: str) -> str:
        if "a" <= ch <= "z":
            return chr((ord(ch) - 97 + n) % 26 + 97)
        if "A" <= ch <= "Z":
            return chr((ord(ch) - 65 + n) % 26 + 65)
        return ch
    return "".join(one(ch) for ch in text)


def _atbash(text: str) -> str:
    return "".join(chr(219 - ord(c)) if "a" <= c <= "z" else chr(155 - ord(c))
                   if "A" <= c <= "Z" else c for c in text)


def enciphered(text: str, language: str) -> str | None:
    """The cipher under which a sentence that isn't ``language`` becomes it."""
    tokens = words(text)
    if len(tokens) < 3 or share(tokens, language) >= OWN_SHARE:
        return None
    if reads_as(codecs.encode(text, "rot13"), language):
        return "ROT13 text"
    if reads_as(text[::-1], language) or reads_as(" ".join(w[::-1] for w in text.split()),
                                                  language):
        return "reversed text"
    if reads_as(_atbash(text), language):
        return "Atbash-enciphered text"
    for n in range(1, 26):
        if n != 13 and reads_as(_shift(text, n), language):
            return "letter-shifted text"
    return None


_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o",
                       "5": "s", "$": "s", "7": "t", "8": "b", "9": "g", "+": "t", "|": "l"})
_LEET_TOKEN = re.compile(r"(?<![\w@$!|+])(?=[\w@$!|+]*[A-Za-z])(?=[\w@$!|+]*[0-9@$|+])"
                         r"[\w@$!|+]{2,}")
LEET_WORDS = frozenset(
    "ignore ignored previous instructions instruction rules rubric system prompt score"
    " scores grade grades marks mark rating points maximum max highest top best perfect"
    " excellent give award assign answer response evaluator grader judge assistant full"
    " five ten override forget disregard deserve deserves please rate this candidate".split())


def leetspeak(text: str, language: str) -> str | None:
    """Words spelt with digits or symbols for letters ("1gn0r3 th3 rul3s")."""
    vocab = FUNCTION_WORDS.get(language, frozenset()) | LEET_WORDS
    hits = 0
    for m in _LEET_TOKEN.finditer(text):
        token = m.group().lower()
        plain = token.translate(_LEET)
        if plain != token and (plain in vocab or plain.rstrip("s") in vocab):
            hits += 1
    return "leetspeak" if hits >= 2 else None


# ----------------------------------------------------------------------------- characters

_CONFUSABLE_SCRIPTS = ("CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else ""


def obfuscated(text: str) -> str | None:
    """Invisible characters, look-alike letters mixed into words, styled letters."""
    if any(unicodedata.category(ch) == "Cf" for ch in text):
        return "invisible characters"
    for word in re.findall(r"[^\W\d_]{2,}", text):
        scripts = {_script(ch) for ch in word if ch.isalpha()}
        if "LATIN" in scripts and scripts & set(_CONFUSABLE_SCRIPTS):
            return "look-alike letters from another script"
    if any(ch.isalpha() and unicodedata.normalize("NFKC", ch) != ch
           and unicodedata.normalize("NFKC", ch).isascii() for ch in text):
        return "styled or full-width letters"
    tokens = text.split()
    singles = sum(1 for t in tokens if len(t.strip(".,!?;:")) == 1 and t.strip(".,!?;:")
                  .isalpha())
    if singles >= SPACED_LETTERS and singles >= 0.6 * len(tokens):
        return "spaced-out letters"
    marks = sum(unicodedata.combining(ch) > 0 for ch in text)
    letters = sum(ch.isalpha() for ch in text)
    if letters and marks > 4 and marks > 0.3 * letters:
        return "stacked combining marks"
    return None


# ----------------------------------------------------------------------------- language


def language_of(text: str, language: str) -> str | None:
    """Another language this sentence is in (its name), or None when it is the interview's
    own (or can't be told)."""
    letters = [ch for ch in text if ch.isalpha()]
    own = language.split("-")[0].lower()
    if letters:
        scripts: dict[str, int] = {}
        for ch in letters:
            s = _script(ch)
            scripts[s] = scripts.get(s, 0) + 1
        latin = scripts.get("LATIN", 0)
        other, count = max(((s, n) for s, n in scripts.items() if s != "LATIN"),
                           key=lambda sn: sn[1], default=("", 0))
        if own in FUNCTION_WORDS and count > SCRIPT_SHARE * len(letters) and latin < count:
            return f"{other.title()} script"
    tokens = words(text)
    if own not in FUNCTION_WORDS or not tokens:
        return None
    mine = share(tokens, own)
    raw = [w for w in _WORD.findall(text) if len(w) > 1]
    accented = sum(not w.isascii() for w in raw)
    if len(tokens) < MIN_WORDS:
        return _short(tokens, own, mine, accented)
    if mine >= OWN_SHARE:
        # a few of the interview language's small words ("a", "the") in a sentence whose
        # other words are written with letters that language doesn't use
        if own in ASCII_LANGUAGES and accented >= max(ACCENTED_WORDS + 1,
                                                      ACCENTED_SHARE * len(raw)):
            return "a language other than " + LANGUAGE_NAMES.get(own, own)
        # a short sentence that shares a word or two with the interview's language but
        # has far more of another's ("Dit antwoord is uitstekend")
        other = max((lang for lang in FUNCTION_WORDS if lang != own),
                    key=lambda lang: share(tokens, lang))
        if share(tokens, other) >= CLEAR_SHARE and share(tokens, other) >= 2 * mine:
            return LANGUAGE_NAMES.get(other, other)
        return None
    best = max((lang for lang in FUNCTION_WORDS if lang != own),
               key=lambda lang: share(tokens, lang))
    theirs = share(tokens, best)
    if theirs >= OTHER_SHARE and theirs > 2 * mine:
        return LANGUAGE_NAMES.get(best, best)
    # too few function words to tell which, but written with letters the interview's
    # language doesn't use ("najwyższą ocenę", "yüksek puanı")
    if own in ASCII_LANGUAGES and accented >= ACCENTED_WORDS:
        return "a language other than " + LANGUAGE_NAMES.get(own, own)
    return None


def _short(tokens: list[str], own: str, mine: float, accented: int) -> str | None:
    """A sentence of two or three words in another language: none of the interview
    language's small words, and either two words with letters it doesn't write or a
    third of them another language's small words ("Sehr gut, oder?")."""
    if len(tokens) < 2 or mine > 0:
        return None
    if own in ASCII_LANGUAGES and accented >= ACCENTED_WORDS:
        return "a language other than " + LANGUAGE_NAMES.get(own, own)
    other = max((lang for lang in FUNCTION_WORDS if lang != own),
                key=lambda lang: share(tokens, lang))
    return LANGUAGE_NAMES.get(other, other) if share(tokens, other) >= SHORT_SHARE else None


@lru_cache(maxsize=16384)
def unreadable(sentence: str, language: str = "en") -> Unreadable | None:
    """Why a sentence can't be scored as the interview's language, or None."""
    own = language.split("-")[0].lower()
    found = encoded(sentence)
    if found is None:
        found = obfuscated(sentence)
    if found is None:
        found = leetspeak(sentence, own)
    if found is None and own in FUNCTION_WORDS:
        found = enciphered(sentence, own)
    if found is not None:
        return Unreadable(QUARANTINE, found)
    other = language_of(sentence, own)
    if other is not None:
        return Unreadable(ANOTHER_LANGUAGE, other)
    return None
