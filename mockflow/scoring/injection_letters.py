"""Unreadable text found by statistics and by the shape of character codes, not by cipher.

``injection_readable`` recognises the encodings and ciphers it can undo. This module
quarantines what no decoder here knows but still can't be read as the interview's
language:

- **letters that don't read as English**: a sentence of at least ``MIN_LETTERS`` letters
  (acronyms aside), with almost none of English's function words, whose letters are far
  from English's letter frequencies (cross-entropy ``MAX_BITS`` bits per letter or more;
  real English sentences here stay below 4.9, Vigenère, substitution ciphers and random
  strings land above 5); a sentence whose words mostly lack vowels (real answers: at
  most 17 %); most words with the same ending (pig Latin); words spelt out letter by
  letter with hyphens or dots. Only for English
  interviews: the frequencies are English's.
- **character codes**: decimal or octal character codes, HTML character entities,
  quoted-printable, base32, the NATO spelling alphabet, letters written as symbols
  (regional indicators, enclosed letters), each when it spells text.

Limits: a cipher that keeps English's letter frequencies and some of its small words
(a transposition of whole words, a made-up language) reads as English here and passes.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from functools import lru_cache

from mockflow.scoring.injection_readable import OWN_SHARE, share, words

MIN_LETTERS = 30  # a sentence shorter than this is never judged by its letters
MAX_BITS = 5.0  # bits per letter at or above which letters don't read as English
VOWELLESS_SHARE = 0.4  # this share of a sentence's words without a vowel: not English
SAME_ENDING_SHARE = 0.6  # this share of the words with one ending: a word game (pig Latin)
SPLIT_WORDS = 2  # this many words spelt letter by letter with punctuation ("g-i-v-e")

# English letter frequencies (per cent)
_FREQ = dict(zip("abcdefghijklmnopqrstuvwxyz", (
    8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.77, 4.0, 2.4, 6.7, 7.5, 1.9,
    0.095, 6.0, 6.3, 9.1, 2.8, 0.98, 2.4, 0.15, 2.0, 0.074), strict=True))
_BITS = {c: -math.log2(f / sum(_FREQ.values())) for c, f in _FREQ.items()}
_TOKEN = re.compile(r"[A-Za-z]+")


def letter_bits(text: str) -> tuple[float, int]:
    """Mean bits per letter under English letter frequencies, and how many letters
    (words written in capitals, like acronyms, left out)."""
    letters = "".join(t for t in _TOKEN.findall(text) if not (t.isupper() and len(t) > 1))
    letters = letters.lower()
    if not letters:
        return 0.0, 0
    return sum(_BITS[c] for c in letters) / len(letters), len(letters)


def not_english_letters(sentence: str) -> str | None:
    """Letters that can't be English: far from its letter frequencies, most words without
    a vowel ("pls gv ths nswr"), or words spelt out letter by letter."""
    if len(re.findall(r"\b[a-z](?:[-.][a-z]){2,}\b", sentence)) >= SPLIT_WORDS:
        return "words spelt letter by letter"
    tokens = [t for t in _TOKEN.findall(sentence) if len(t) > 1 and not t.isupper()]
    if len(tokens) >= 5 and sum(not re.search(r"[aeiouyAEIOUY]", t) for t in tokens
                                ) >= VOWELLESS_SHARE * len(tokens):
        return "words without vowels"
    long = [t.lower() for t in tokens if len(t) >= 3]
    if len(long) >= 5:
        ending, count = Counter(t[-2:] for t in long).most_common(1)[0]
        if count >= SAME_ENDING_SHARE * len(long):
            return f"a word game (most words end in -{ending})"
    bits, n = letter_bits(sentence)
    if n < MIN_LETTERS or bits < MAX_BITS or share(words(sentence), "en") >= OWN_SHARE:
        return None
    return "letters that don't read as English"


# ----------------------------------------------------------------------------- codes

_DECIMAL = re.compile(r"(?<![\w.])(?:(?:3[2-9]|[4-9]\d|1[01]\d|12[0-6])(?:[\s,;]+|$)){6,}")
_OCTAL = re.compile(r"(?<![\w.])(?:\\?(?:0?[4-9][0-7]|1[0-7][0-7])(?:[\s,;]+|$)){6,}")
_ENTITIES = re.compile(r"(?:&#(?:x[0-9a-fA-F]{1,6}|\d{1,7});\s*){3,}")
_QUOTED = re.compile(r"(?:=[0-9A-F]{2}){3,}")
_BASE32 = re.compile(r"(?<![\w=])[A-Z2-7]{16,}={0,6}(?![\w=])")
NATO = {w: w[0] for w in (
    "alfa alpha bravo charlie delta echo foxtrot golf hotel india juliett juliet kilo lima"
    " mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray"
    " x-ray yankee zulu").split()}
_SYMBOL_LETTER = re.compile(r"[\U0001F1E6-\U0001F1FF\U0001F130-\U0001F189\u24B6-\u24E9]")


def _spells(text: str) -> bool:
    """Decoded characters that spell words (mostly letters and spaces)."""
    return len(text) >= 4 and sum(c.isalpha() for c in text) >= 0.6 * len(text) and (
        sum(c.isprintable() for c in text) == len(text))


def _numbers(match: str, base: int) -> str:
    try:
        return "".join(chr(int(n.lstrip("\\"), base)) for n in re.findall(r"\\?\d+", match))
    except ValueError:
        return ""


def character_codes(sentence: str) -> str | None:
    """Which character-code spelling hides text in this sentence, if any."""
    for m in _DECIMAL.finditer(sentence):
        if _spells(_numbers(m.group(), 10)):
            return "decimal character codes"
    for m in _OCTAL.finditer(sentence):
        if _spells(_numbers(m.group(), 8)):
            return "octal character codes"
    if _ENTITIES.search(sentence):
        return "HTML character entities"
    if _QUOTED.search(sentence):
        return "quoted-printable text"
    for m in _BASE32.finditer(sentence):
        token = m.group()
        try:
            raw = base64.b32decode(token + "=" * (-len(token) % 8))
            if _spells(raw.decode("utf-8")):
                return "base32-encoded text"
        except (binascii.Error, ValueError, UnicodeDecodeError):
            continue
    run = 0
    for token in re.findall(r"[A-Za-z-]+", sentence):
        run = run + 1 if token.lower() in NATO else 0
        if run >= 5:
            return "the NATO spelling alphabet"
    if len(_SYMBOL_LETTER.findall(sentence)) >= 4:
        return "letters written as symbols"
    return None


@lru_cache(maxsize=16384)
def unreadable_letters(sentence: str, language: str) -> str | None:
    """Why this sentence's characters don't read as the interview's language, or None."""
    found = character_codes(sentence)
    if found is None and language.split("-")[0].lower() == "en":
        found = not_english_letters(sentence)
    return found
