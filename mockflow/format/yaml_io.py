"""A safe YAML loader built on the libyaml event stream.

Why not ``yaml.safe_load``: it accepts aliases (billion-laughs bombs), YAML 1.1 scalars
(``no`` becomes ``False``, ``010`` an octal), silently keeps the last duplicate key,
recurses on nesting and forgets where every value came from. This loader walks the
event stream with an explicit stack and builds plain JSON data (dict, list, str, int,
float, bool, None) plus the 1-based line and column of every node and every mapping key.

It never raises on bad input: problems come back as values (``MF0xx`` codes). Fatal
problems (syntax, encoding, size, depth, node count, several documents) stop the load;
the others are collected so the author sees all of them at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from mockflow.format.colons import syntax_fix
from mockflow.format.errors import MockflowError, Problem
from mockflow.format.indentation import indentation_problem

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_SAFE_INT = 2**53
MAX_NUMBER_CHARS = 40  # a plain number longer than this is refused before conversion

Path = tuple[str | int, ...]
Position = tuple[int, int]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# YAML 1.2 core schema, restricted to what JSON can hold.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
# The first characters of every plain scalar above that is not text.
_SCALAR_STARTS = frozenset("~nNtTfF0123456789+-.")
_PLAIN = (None, "")
_CONTAINER_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CONTAINER_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_IGNORED = (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)


def _shown(value: str) -> str:
    """A long scalar, shortened for a message."""
    return value if len(value) <= 24 else f"{value[:10]}…{value[-6:]}"


def pointer(path: Path) -> str:
    """RFC 6901 JSON pointer of a path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def node_at(data: Any, path: Path) -> Any:
    """The part of loaded data at ``path``, or None when the path leads nowhere (a key
    that isn't there, an index past the end, a step into a scalar)."""
    for step in path:
        if isinstance(data, dict) and isinstance(step, str):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and step < len(data):
            data = data[step]
        else:
            return None
    return data


@dataclass(slots=True)
class Document:
    """Loaded data and where each part of it came from."""

    data: dict[str, Any] | None
    positions: dict[Path, Position] = field(default_factory=dict)
    # Literal (|) and folded (>) scalars: their text starts on the line after the indicator.
    block_scalars: set[Path] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)
    key_positions: dict[Path, Position] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def position(self, path: Path) -> Position:
        """Position of the node at ``path``, or of its nearest located ancestor."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))

    def offset_position(self, path: Path, offset: int) -> Position:
        """Source position of character ``offset`` of the text at ``path``.

        Folding (``>``), block indentation and line breaks in plain or quoted text change
        only whitespace, so the position is found by counting the non-space characters
        before ``offset`` in the value and walking as many in the source. In quoted text an
        escape (``\\"``, ``''``) counts as one character.
        """
        line, column = self.position(path)
        value = node_at(self.data, path)
        if not isinstance(value, str) or not self.lines:
            return line, column
        wanted = sum(1 for ch in value[:offset] if not ch.isspace())
        if path in self.block_scalars:  # the text starts on the line after '|' or '>'
            row, col, quote = line + 1, 0, ""
        else:
            row, col = line, column - 1
            source = self.lines[row - 1] if row <= len(self.lines) else ""
            quote = source[col] if col < len(source) and source[col] in "'\"" else ""
            if quote:
                col += 1
        seen = 0
        while row <= len(self.lines):
            text = self.lines[row - 1]
            while col < len(text):
                ch = text[col]
                if ch.isspace():
                    col += 1
                    continue
                if seen == wanted:
                    return row, col + 1
                step = 1
                if quote == "'" and text.startswith("''", col):
                    step = 2
                elif quote == '"' and ch == "\\" and col + 1 < len(text):
                    step = 2
                seen += 1
                col += step
            row, col = row + 1, 0
        return line, column

    def key_position(self, path: Path) -> Position:
        """Position of the mapping key whose value sits at ``path``."""
        found = self.key_positions.get(path)
        return found if found is not None else self.position(path)


class _Stop(MockflowError):
    """A fatal problem was recorded; stop reading events (caught in ``load``)."""


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        # Frames: [container, path, pending key, pending key position]. The key slot is
        # only used by mappings; ``_SKIP`` marks a complex key being skipped.
        self.stack: list[list[Any]] = []
        self.nodes = 0
        self.documents = 0
        self.root: Any = None
        self.have_root = False
        self.skip_depth = 0

    def problem(self, code: str, message: str, mark: Any, path: Path = ()) -> None:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.doc.problems.append(Problem(code, message, line, column, pointer(path)))

    def fatal(self, code: str, message: str, mark: Any, path: Path = ()) -> None:
        self.problem(code, message, mark, path)
        raise _Stop

    # -- scalars -------------------------------------------------------------------------

    def resolve(self, event: Any, path: Path) -> Any:
        value: str = event.value
        if not event.implicit[0] or event.style not in (None, ""):
            return value  # quoted or block scalar: always a string
        if value and value[0] not in _SCALAR_STARTS:
            return value  # plain text: no null, boolean or number starts this way
        if _NULL.match(value):
            return None
        if value in _BOOL:
            return _BOOL[value]
        if len(value) > MAX_NUMBER_CHARS and (_INT.match(value) or _FLOAT.match(value)):
            # Counted before converting: int() of thousands of digits is slow or refused.
            self.problem(
                "MF013",
                f"number {_shown(value)} has {len(value):,} characters, more than any"
                f" setting needs (at most {MAX_NUMBER_CHARS}); use a smaller number, or"
                " quote it if it is text",
                event.start_mark,
                path,
            )
            return value
        if _INT.match(value):
            number = int(value)
            if abs(number) > MAX_SAFE_INT:
                self.problem(
                    "MF013",
                    f"integer {value} is too large (JSON tools lose precision beyond 2**53);"
                    f" quote it if it is text: '{value}'",
                    event.start_mark,
                    path,
                )
            return number
        if _FLOAT.match(value):
            number_f = float(value)
            if not math.isfinite(number_f):
                self.problem(
                    "MF013",
                    f"number {value} is out of range; use a smaller number",
                    event.start_mark,
                    path,
                )
            return number_f
        if _SPECIAL_FLOAT.match(value):
            self.problem(
                "MF013",
                f"'{value}' is not a finite number; use a number, or quote it if it is text",
                event.start_mark,
                path,
            )
            return value
        return value

    # -- events --------------------------------------------------------------------------

    def check_node(self, event: Any, path: Path) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fatal(
                "MF012",
                f"the file has more than {MAX_NODES:,} values; split the question bank",
                event.start_mark,
                path,
            )
        if getattr(event, "anchor", None) is not None:
            self.problem(
                "MF006",
                f"anchor '&{event.anchor}' is not allowed; write the value out in full",
                event.start_mark,
                path,
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            self.problem(
                "MF005",
                f"tag '{shown}' is not allowed; remove it (mockflow files hold plain text,"
                " numbers, true/false, lists and mappings)",
                event.start_mark,
                path,
            )

    def current_path(self) -> Path:
        if not self.stack:
            return ()
        frame = self.stack[-1]
        container = frame[0]
        if isinstance(container, list):
            return (*frame[1], len(container))
        key = frame[2]
        # A rejected key's value still gets a path of its own, so nothing it holds is
        # confused with the real keys beside it.
        return (*frame[1], key if isinstance(key, str) else "\x00rejected")

    def add_value(self, value: Any, mark: Any, path: Path) -> None:
        self.doc.positions[path] = (mark.line + 1, mark.column + 1)
        if not self.stack:
            self.root = value
            self.have_root = True
            return
        frame = self.stack[-1]
        container = frame[0]
        if isinstance(container, list):
            container.append(value)
            return
        key = frame[2]
        if isinstance(key, str) and key not in container:
            container[key] = value
        frame[2] = None  # the mapping expects a key next

    def expecting_key(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1][0], dict) and (
            self.stack[-1][2] is None
        )

    def take_key(self, event: Any) -> None:
        frame = self.stack[-1]
        mapping: dict[str, Any] = frame[0]
        parent: Path = frame[1]
        mark = event.start_mark
        value: Any = getattr(event, "value", None)
        if isinstance(event, yaml.ScalarEvent):
            self.check_node(event, parent)
            if event.implicit[0] and event.style in (None, "") and value == "<<":
                self.problem(
                    "MF007",
                    "merge key '<<' is not allowed; write the keys out in full",
                    mark,
                    parent,
                )
                frame[2] = _DROP
                return
            resolved = self.resolve(event, parent)
            if not isinstance(resolved, str):
                self.problem(
                    "MF010",
                    f"mapping key {value!r} is read as {value_kind(resolved)}, not text;"
                    f" quote it: '{value}'",
                    mark,
                    parent,
                )
                frame[2] = _DROP
                return
            if resolved in mapping:
                first = self.doc.key_positions.get((*parent, resolved), (0, 0))
                self.problem(
                    "MF004",
                    f"duplicate key '{resolved}' (first defined at line {first[0]});"
                    " remove one of them or merge their contents",
                    mark,
                    (*parent, resolved),
                )
                frame[2] = _DROP
                return
            frame[2] = resolved
            self.doc.key_positions[(*parent, resolved)] = (mark.line + 1, mark.column + 1)
            return
        if isinstance(event, yaml.AliasEvent):
            self.problem(
                "MF006",
                f"alias '*{event.anchor}' is not allowed; write the value out in full",
                mark,
                parent,
            )
            frame[2] = _DROP
            return
        # A list or mapping used as a key: skip the whole key.
        self.check_node(event, parent)
        self.problem(
            "MF010",
            "a list or mapping cannot be a key; use a plain text key",
            mark,
            parent,
        )
        frame[2] = _DROP
        self.skip_depth = 1

    def run(self, events: Iterator[Any]) -> None:
        # The hot path (a plain scalar value inside a container, about half of all events)
        # is written out here; everything else goes through the methods above.
        scalar_event = yaml.ScalarEvent
        stack = self.stack
        positions = self.doc.positions
        key_positions = self.doc.key_positions
        for event in events:
            kind = type(event)
            if self.skip_depth:
                if issubclass(kind, _CONTAINER_START):
                    self.skip_depth += 1
                elif issubclass(kind, _CONTAINER_END):
                    self.skip_depth -= 1
                continue
            if kind is scalar_event and stack:
                frame = stack[-1]
                container = frame[0]
                if type(container) is dict:
                    key = frame[2]
                    if key is None:
                        text = event.value
                        if (text and text[0] not in _SCALAR_STARTS and text != "<<"
                                and text not in container
                                and event.implicit[0] and event.style in _PLAIN
                                and event.anchor is None and event.tag is None
                                and self.nodes < MAX_NODES):
                            # a plain text key, new in its mapping: nothing to report
                            self.nodes += 1
                            frame[2] = text
                            mark = event.start_mark
                            key_positions[(*frame[1], text)] = (mark.line + 1,
                                                                mark.column + 1)
                        else:
                            self.take_key(event)
                        continue
                    path = (*frame[1], key if type(key) is str else "\x00rejected")
                else:
                    path = (*frame[1], len(container))
                self.nodes += 1
                if (self.nodes > MAX_NODES or event.anchor is not None
                        or event.tag is not None):
                    self.nodes -= 1
                    self.check_node(event, path)
                value = event.value
                style = event.style
                if (style in _PLAIN and event.implicit[0]) and (
                        not value or value[0] in _SCALAR_STARTS):
                    value = self.resolve(event, path)  # may be a null, boolean or number
                mark = event.start_mark
                positions[path] = (mark.line + 1, mark.column + 1)
                if type(container) is list:
                    container.append(value)
                else:
                    if type(key) is str and key not in container:
                        container[key] = value
                    frame[2] = None  # the mapping expects a key next
                if style in ("|", ">"):
                    self.doc.block_scalars.add(path)
                continue
            if issubclass(kind, _CONTAINER_END):
                stack.pop()
                continue
            if issubclass(kind, _IGNORED):
                continue
            if kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    self.fatal(
                        "MF008",
                        "the file holds more than one YAML document ('---'); keep one"
                        " interview per file",
                        event.start_mark,
                    )
                continue
            if self.expecting_key():
                self.take_key(event)
                continue
            path = self.current_path()
            if kind is scalar_event:
                self.check_node(event, path)
                self.add_value(self.resolve(event, path), event.start_mark, path)
                if event.style in ("|", ">"):
                    self.doc.block_scalars.add(path)
            elif kind is yaml.AliasEvent:
                self.problem(
                    "MF006",
                    f"alias '*{event.anchor}' is not allowed; write the value out in full",
                    event.start_mark,
                    path,
                )
                self.add_value(None, event.start_mark, path)
            elif issubclass(kind, _CONTAINER_START):
                self.check_node(event, path)
                if len(stack) >= MAX_DEPTH:
                    self.fatal(
                        "MF011",
                        f"nesting is deeper than {MAX_DEPTH} levels; flatten the structure",
                        event.start_mark,
                        path,
                    )
                container = {} if kind is yaml.MappingStartEvent else []
                self.add_value(container, event.start_mark, path)
                stack.append([container, path, None])


class _Drop:
    """Marker: the pending key was rejected; its value is read and thrown away."""


_DROP = _Drop()


def value_kind(value: Any) -> str:
    """What a loaded value is, in the words messages use ("an integer", "a list", "text")."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _decode(raw: bytes, doc: Document) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        doc.problems.append(
            Problem("MF002", "the file is UTF-16; save it as UTF-8", 1, 1)
        )
        return None
    if raw.count(b"\x00") * 4 > len(raw) >= 4:  # ASCII text in UTF-16/32 is half NULs
        doc.problems.append(
            Problem("MF002", "the file looks like UTF-16 (it is full of NUL bytes); save it"
                    " as UTF-8", 1, 1)
        )
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        doc.problems.append(
            Problem(
                "MF002",
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8 (is the file Latin-1 or"
                " binary?); save it as UTF-8",
                line,
                column,
            )
        )
        return None


def _error_mark(exc: yaml.MarkedYAMLError) -> Any:
    """Where the author has to look: an unclosed quote or bracket is reported by libyaml
    where it gave up (often the end of the file); point at what was left open instead."""
    problem, context = exc.problem_mark, exc.context_mark
    if problem is None:
        return context
    opened = (exc.context or "").startswith(("while scanning a quoted", "while parsing a flow"))
    if context is not None and opened and problem.line > context.line:
        return context
    return problem


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    problem = (exc.problem or "invalid YAML").strip()
    context = (exc.context or "").strip()
    mark = exc.problem_mark
    at = mark.index if mark is not None else -1
    if "cannot start any token" in problem and 0 <= at < len(text) and text[at] == "\t":
        return "a tab character is used for indentation; YAML needs spaces, replace tabs"
    text = f"invalid YAML: {problem}"
    if context:
        text += f" ({context})"
    if "quoted scalar" in context and "end of stream" in problem:
        return text + "; this quote is never closed: add the closing quote"
    if context.startswith("while parsing a flow") and exc.context_mark is not None and (
        exc.problem_mark is not None and exc.problem_mark.line > exc.context_mark.line
    ):
        return text + (
            "; this '[' or '{' is not closed on its line: close it, or write a block list"
            " ('- item' per line)"
        )
    if "flow" in context:
        return text + (
            "; inside [ ] or { } a comma separates items and a colon starts a key: remove"
            " the stray comma, or put an item that contains commas or colons in quotes"
        )
    if "found unexpected end of stream" in problem or "found unexpected end" in problem:
        return text + "; a quote or bracket is not closed"
    if "mapping values are not allowed" in problem:
        return text + "; a value contains ': ' — put the whole value in quotes"
    return text + "; check the indentation and quoting here"


def load_bytes(raw: bytes) -> Document:
    """Load an interview file's bytes. Never raises on bad input."""
    doc = Document(data=None)
    if len(raw) > MAX_BYTES:
        doc.problems.append(
            Problem(
                "MF003",
                f"the file is {len(raw):,} bytes; interview files are limited to"
                f" {MAX_BYTES:,} bytes — split the question bank",
                1,
                1,
            )
        )
        return doc
    text = _decode(raw, doc)
    if text is None:
        return doc
    return load_text(text, doc)


def load_text(text: str, doc: Document | None = None) -> Document:
    """Load YAML text. Never raises on bad input."""
    doc = doc if doc is not None else Document(data=None)
    doc.lines = text.splitlines()
    builder = _Builder(doc)
    loader: Any = None
    try:
        # the parser's events until it has none: yaml.parse() without its generator and
        # check_event() call per event
        loader = _Loader(text)
        builder.run(iter(loader.get_event, None))
    except _Stop:
        pass
    except yaml.MarkedYAMLError as exc:
        mark = _error_mark(exc)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        where = pointer(builder.current_path())
        if "maximum nesting depth" in (exc.problem or ""):
            doc.problems.append(
                Problem(
                    "MF011",
                    f"nesting is deeper than {MAX_DEPTH} levels; flatten the structure",
                    line,
                    column,
                    where,
                )
            )
        else:
            indented = None
            if exc.problem_mark is not None:
                mark_at = (exc.problem_mark.line + 1, exc.problem_mark.column + 1)
                indented = syntax_fix(doc.lines, *mark_at, exc.problem or "") or \
                    indentation_problem(doc.lines, mark_at[0], exc.problem or "")
            if indented is not None:
                message, line, column = indented
            else:
                message = _syntax_message(exc, text)
            doc.problems.append(Problem("MF001", message, line, column, where))
    except yaml.YAMLError as exc:  # reader errors: control characters and the like
        position = getattr(exc, "position", None)
        line, column = _line_col(text, position) if isinstance(position, int) else (1, 1)
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        doc.problems.append(
            Problem(
                "MF001",
                f"invalid YAML: {reason}; remove the control character",
                line,
                column,
            )
        )
    finally:
        if loader is not None:
            loader.dispose()
    if any(p.code in _FATAL for p in doc.problems):
        return doc
    root = builder.root
    if not builder.have_root or root is None:
        doc.problems.append(
            Problem(
                "MF009",
                "the file is empty; an interview starts with 'mockflow: 1' (copy"
                " interviews/backend.yaml from the mockflow repository to start)",
                1,
                1,
            )
        )
        return doc
    if not isinstance(root, dict):
        line, column = doc.positions.get((), (1, 1))
        doc.problems.append(
            Problem(
                "MF009",
                f"the top level is {value_kind(root)}; an interview is a mapping of keys"
                " such as 'mockflow: 1', 'id:' and 'questions:'",
                line,
                column,
            )
        )
        return doc
    doc.data = root
    return doc


_FATAL = {"MF001", "MF002", "MF003", "MF008", "MF011", "MF012"}


def _line_col(text: str, index: int) -> Position:
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1
