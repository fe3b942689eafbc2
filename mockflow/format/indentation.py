"""Explaining a YAML syntax error that is really an over- or under-indented line.

libyaml reports an over-indented ``key: value`` line as "mapping values are not allowed
here" (the line is read as the continuation of the value above, which then holds a
colon) and an under-indented one as "did not find expected key". Both are about
indentation, and the fix is to line the key up with its neighbours, so MF001 says that
and points at the start of the line.
"""

from __future__ import annotations

import re

_STRUCT = re.compile(r"^(?P<indent> *)(?P<dashes>(?:- +)*)(?P<rest>[^\s#].*)?$")
_KEY = re.compile(r"""^(?:"[^"]*"|'[^']*'|[^\s#'"{\[][^:#]*?)\s*:(?:\s|$)""")


def _content(line: str) -> tuple[int, str] | None:
    """(column of the first key or value, the text there) of a line with content, or None
    for a blank or comment line. A list item's column is its content's, after the '- '."""
    match = _STRUCT.match(line)
    if match is None or not match.group("rest"):
        return None
    indent = len(match.group("indent")) + len(match.group("dashes"))
    return indent, match.group("rest")


def indentation_problem(lines: list[str], line_no: int, syntax_problem: str
                        ) -> tuple[str, int, int] | None:
    """An over- or under-indented line near ``line_no`` (1-based) that explains a syntax
    error, as (message, line, column) pointing at the indentation; None if it isn't that."""
    if not 0 < line_no <= len(lines):
        return None
    here = _content(lines[line_no - 1])
    if here is None:
        return None
    indent, rest = here
    raw_indent = len(lines[line_no - 1]) - len(lines[line_no - 1].lstrip(" "))
    # The lines above that hold structure, nearest first (block scalar text is skipped by
    # only counting lines that start a key or a list item).
    above: list[tuple[int, int, str]] = []
    for number in range(line_no - 1, 0, -1):
        found = _content(lines[number - 1])
        if found is None:
            continue
        col, text = found
        is_item = lines[number - 1].lstrip(" ").startswith("-")
        if _KEY.match(text) or is_item:
            above.append((number, col, text))
    if not above:
        return None
    prev_no, prev_col, prev_text = above[0]
    key = _KEY.match(rest)
    name = rest.split(":", 1)[0].strip() if key else rest.split()[0]
    if "mapping values are not allowed" in syntax_problem and key and indent > prev_col:
        prev_key = _KEY.match(prev_text)
        value = prev_text[prev_key.end():].strip() if prev_key else ""
        if prev_key and value and not value.startswith(("|", ">", "#")):
            prev_name = prev_text.split(":", 1)[0].strip()
            return (f"line {line_no} is indented {_spaces(raw_indent)}, more than '{prev_name}:'"
                    f" on line {prev_no} ({_spaces(prev_col)}), so YAML reads '{name}:' as"
                    f" part of the value of '{prev_name}'; indent '{name}:' by"
                    f" {_spaces(prev_col)} to line it up with '{prev_name}:'",
                    line_no, 1)
        return None
    if any(p in syntax_problem for p in ("did not find expected key",
                                         "did not find expected '-' indicator",
                                         "expected <block end>")):
        levels: list[tuple[int, int, str]] = []
        seen: set[int] = set()
        limit = 10**9
        for number, col, text in above:
            if col < limit and col not in seen:
                levels.append((number, col, text))
                seen.add(col)
                limit = col
        if any(col == indent for _, col, _ in levels):
            return None
        number, col, text = min(levels, key=lambda item: (abs(item[1] - indent), -item[1]))
        other = text.split(":", 1)[0].strip() if _KEY.match(text) else text.split()[0]
        more_or_less = "more" if indent > col else "less"
        return (f"line {line_no} is indented {_spaces(raw_indent)}, {more_or_less} than the"
                f" '{other}' on line {number} it belongs with ({_spaces(col)}); keys of one"
                f" mapping and items of one list must line up: indent '{name}' by"
                f" {_spaces(col)}", line_no, 1)
    return None


def _spaces(n: int) -> str:
    return f"{n} space" + ("" if n == 1 else "s")
