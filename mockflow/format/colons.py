"""Explaining a ``: `` inside unquoted text, with the corrected line.

In YAML a colon followed by a space starts a key, so ``weak: Just add Redis: it is fast``
is a syntax error ("mapping values are not allowed here"), ``- Note: be brief`` in a list of
texts is read as a mapping ``{Note: be brief}``, and inside ``{ }`` the text stops at the
colon. In every case the fix is to quote the whole text or to write it as a ``>-`` block;
these functions find the text on its line and return the line as it should be written, so
the message can show it.

Keys of an interview file are lower-case identifiers (``text``, ``behaviour``); words
before a colon that aren't one (``Note``, ``in front of a service``) are part of a text.
"""

from __future__ import annotations

import re

_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
# indentation, list dashes, then an identifier key and ': ' (the value follows)
_KEYED = re.compile(r"^(?P<lead> *(?:- +)*)(?P<key>[a-z_][a-z0-9_]*):(?: +|$)")
_ITEM = re.compile(r"^(?P<lead> *(?:- +)+)")
_COMMENT = re.compile(r"\s+#.*$")
_BLOCK = (">", "|", "'", '"', "[", "{")


def quoted(text: str) -> str:
    """``text`` as a single-quoted YAML scalar (a ``'`` inside is doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _strip_comment(text: str) -> str:
    return _COMMENT.sub("", text).rstrip()


def _block_advice(key: str) -> str:
    return (f"or write it as a block: '{key}: >-' with the text on the lines below it,"
            " indented")


def syntax_fix(lines: list[str], line_no: int, column: int, problem: str
               ) -> tuple[str, int, int] | None:
    """An MF001 message for a ': ' inside an unquoted text at ``line_no``:``column``
    (1-based, where libyaml stopped), as (message, line, column); None when the error is
    something else."""
    if not 0 < line_no <= len(lines):
        return None
    line = lines[line_no - 1]
    at = column - 1
    if not (0 <= at < len(line) and line[at] == ":"):
        return None
    if "mapping values are not allowed" in problem:
        return _block_value(lines, line_no, at)
    if "did not find expected ','" in problem or "flow" in problem:
        return _flow_value(line, line_no, at)
    return None


def _block_value(lines: list[str], line_no: int, at: int) -> tuple[str, int, int] | None:
    line = lines[line_no - 1]
    keyed = _KEYED.match(line)
    if keyed is not None and keyed.end() <= at:
        # `key: text: more` on one line
        key, value = keyed.group("key"), _strip_comment(line[keyed.end():])
        if not value or value.startswith(_BLOCK):
            return None
        fixed = (line[:keyed.end()] + quoted(value)).strip()
        return (f"the text of '{key}' contains ': ', which YAML reads as the start of a"
                f" key; put the whole text in quotes: {fixed} ({_block_advice(key)})",
                line_no, at + 1)
    item = _ITEM.match(line)
    if item is not None and keyed is None:
        # `- Note: be brief: really` in a list of texts
        value = _strip_comment(line[item.end():])
        fixed = f"{item.group('lead').strip()} {quoted(value)}"
        return (f"this list item is a text with ': ' in it, which YAML reads as a key;"
                f" put the whole item in quotes: {fixed}", line_no, at + 1)
    if keyed is None:
        # a continuation line of a text that started on a line above
        owner = _owner(lines, line_no)
        if owner is None:
            return None
        key, key_line = owner
        return (f"line {line_no} continues the text of '{key}' (line {key_line}) and contains"
                " ': ', which YAML reads as a key; write the text as a block: put '>-' after"
                f" '{key}:' and the text on the lines below it, indented ({key}: >-), or put"
                " the whole text in quotes", line_no, at + 1)
    return None


def _owner(lines: list[str], line_no: int) -> tuple[str, int] | None:
    """The key whose plain text continues on ``line_no``: the nearest line above, less
    indented, that starts with ``key: text``."""
    here = lines[line_no - 1]
    indent = len(here) - len(here.lstrip(" "))
    for number in range(line_no - 1, 0, -1):
        text = lines[number - 1]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        keyed = _KEYED.match(text)
        own = len(text) - len(text.lstrip(" "))
        if keyed is not None:
            col = len(keyed.group("lead"))
            value = _strip_comment(text[keyed.end():])
            if col < indent and value and not value.startswith(_BLOCK):
                return keyed.group("key"), number
            return None
        if own < indent:
            return None
    return None


def _flow_value(line: str, line_no: int, at: int) -> tuple[str, int, int] | None:
    """`{score: 1, behaviour: Names parts: no fit.}`: the value that holds the colon."""
    start = None
    for found in re.finditer(r"(?:[{,]\s*)(?P<key>[a-z_][a-z0-9_]*):\s+", line[:at]):
        start = found
    if start is None:
        return None
    key = start.group("key")
    end = len(line)
    close = re.search(r",\s*[a-z_][a-z0-9_]*:\s|\s*[}\]]\s*(?:#.*)?$", line[at:])
    if close is not None:
        end = at + close.start()
    value = line[start.end():end].strip()
    if not value or value.startswith(_BLOCK):
        return None
    fixed = (line[:start.end()] + quoted(value) + line[end:]).strip()
    return (f"inside {{ }} the text of '{key}' contains ': ', which YAML reads as the start of"
            f" a key; put the text in quotes: {fixed}", line_no, at + 1)


def mapping_for_text(lines: list[str], line_no: int, column: int, key: str,
                     value: object) -> str | None:
    """The fix for a text read as a one-key mapping (``- Hint: think about expiry``):
    the corrected line, when the mapping sits on one line at ``line_no``:``column``."""
    if not 0 < line_no <= len(lines) or not isinstance(value, str | type(None)):
        return None
    line = lines[line_no - 1]
    text = _strip_comment(line[column - 1:])
    expected = f"{key}:" if value is None else f"{key}: {value}"
    if " ".join(text.split()) != " ".join(expected.split()):
        return None  # the value is a block or spans lines: no one-line fix to show
    fixed = (line[:column - 1] + quoted(text)).strip()
    return (f"'{text}' looks like a text with ': ' in it, which YAML reads as a key and its"
            f" value; if it is text, put it in quotes: {fixed}")


def is_identifier(word: str) -> bool:
    return _IDENT.fullmatch(word) is not None
