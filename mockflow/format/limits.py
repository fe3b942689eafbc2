"""Size limits on what reaches an interview from outside the file: the candidate's name and
attributes (from the invite), and the answers that get scored.

``invite`` refuses a candidate over these limits; a session (worker, console) that
receives one anyway truncates it and records a warning, so nothing downstream (templates,
prompts, scoring) ever sees more. The template cost analysis bounds ``candidate.*`` with
the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field

from mockflow.format.frozen import frozen

MAX_NAME_CHARS = 200
MAX_ATTRIBUTES_BYTES = 4096  # keys and values, UTF-8
MAX_ATTRIBUTES = 32
MAX_ATTRIBUTE_KEY_CHARS = 64
MAX_SCORED_ANSWER_CHARS = 20_000  # per answer turn


@frozen
class Bounded:
    """A candidate's name and attributes within the limits, and what was cut."""

    name: str | None
    attributes: dict[str, str]
    warnings: tuple[str, ...] = field(default=())


def candidate_problems(name: str | None, attributes: Mapping[str, str]) -> list[str]:
    """Why these are over the limits (empty when they are within them)."""
    problems: list[str] = []
    if name is not None and len(name) > MAX_NAME_CHARS:
        problems.append(f"the candidate name is {len(name):,} characters; the limit is"
                        f" {MAX_NAME_CHARS}")
    if len(attributes) > MAX_ATTRIBUTES:
        problems.append(f"{len(attributes)} attributes; the limit is {MAX_ATTRIBUTES}")
    long_keys = [k for k in attributes if len(k) > MAX_ATTRIBUTE_KEY_CHARS]
    if long_keys:
        problems.append(f"attribute name '{long_keys[0][:20]}…' is {len(long_keys[0])}"
                        f" characters; the limit is {MAX_ATTRIBUTE_KEY_CHARS}")
    size = attributes_bytes(attributes)
    if size > MAX_ATTRIBUTES_BYTES:
        problems.append(f"the attributes take {size:,} bytes; the limit is"
                        f" {MAX_ATTRIBUTES_BYTES:,}")
    return problems


def attributes_bytes(attributes: Mapping[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in attributes.items())


def _cut(text: str, max_bytes: int) -> str:
    return text.encode()[:max(max_bytes, 0)].decode("utf-8", errors="ignore")


def bound_candidate(name: str | None, attributes: Mapping[str, str]) -> Bounded:
    """Truncate to the limits: the name to its first characters, attributes in order
    while they fit (the one that crosses the limit cut short, later ones dropped)."""
    warnings: list[str] = []
    if name is not None and len(name) > MAX_NAME_CHARS:
        warnings.append(f"candidate name truncated from {len(name):,} to"
                        f" {MAX_NAME_CHARS} characters")
        name = name[:MAX_NAME_CHARS]
    kept: dict[str, str] = {}
    used = 0
    dropped = 0
    for key, value in attributes.items():
        if len(kept) >= MAX_ATTRIBUTES or len(key) > MAX_ATTRIBUTE_KEY_CHARS:
            dropped += 1
            continue
        room = MAX_ATTRIBUTES_BYTES - used - len(key.encode())
        if room <= 0:
            dropped += 1
            continue
        if len(value.encode()) > room:
            warnings.append(f"candidate attribute '{key}' truncated from"
                            f" {len(value.encode()):,} to {room:,} bytes")
            value = _cut(value, room)
        kept[key] = value
        used += len(key.encode()) + len(value.encode())
    if dropped:
        warnings.append(f"{dropped} candidate attribute(s) dropped (limits:"
                        f" {MAX_ATTRIBUTES} attributes, names of at most"
                        f" {MAX_ATTRIBUTE_KEY_CHARS} characters,"
                        f" {MAX_ATTRIBUTES_BYTES:,} bytes in all)")
    return Bounded(name, kept, tuple(warnings))


def clip_for_scoring(answers: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """The first ``MAX_SCORED_ANSWER_CHARS`` characters of an answer (its turns in order),
    and a note saying so when anything was left out (None when nothing was)."""
    total = sum(len(a) for a in answers)
    if total <= MAX_SCORED_ANSWER_CHARS:
        return answers, None
    kept: list[str] = []
    room = MAX_SCORED_ANSWER_CHARS
    for answer in answers:
        if room <= 0:
            break
        kept.append(answer[:room])
        room -= len(kept[-1])
    note = (f"scored on the first {MAX_SCORED_ANSWER_CHARS:,} of {total:,} characters of"
            " the answer")
    return tuple(kept), note
