"""Putting drafted parts into an interview file without touching anything else.

``mockflow draft`` edits the author's file, so what is already there (comments, blank
lines, key order, quoting, folded text) must stay byte for byte. ruamel.yaml's round-trip
mode loads the file into ordered maps that keep their comments; the drafted keys are
inserted at their place in each question, and the file is dumped again. Two checks make
the guarantee, not ruamel's good behaviour:

- before anything is drafted, the file must round-trip unchanged with the layout guessed
  from it (indentation of maps and lists); otherwise ``DraftEditError`` says which line
  would change, and nothing is asked of the model;
- after the edit, the original lines must all be there, in order, with new lines only
  inserted between them (``insertion_points``); each inserted block is moved above blank
  lines and less-indented comments that ruamel attached to the end of the question
  before (such a comment heads what follows, as ``# --- system design`` does), so the
  result is the original text with blocks added, by construction.

ruamel.yaml is the optional ``authoring`` extra: only this module imports it.
"""

from __future__ import annotations

import difflib
import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockflow.authoring.draft import Draft
from mockflow.authoring.errors import DraftEditError, DraftUnavailable

# the order the docs give a question's keys (docs/format.md, "questions")
CANONICAL = ("id", "competency", "level", "text", "drafted", "clarification", "follow_ups",
             "max_follow_ups", "key_points", "hints", "examples", "answer_seconds")
WRAP = 88  # folded text is wrapped at this column, as in the shipped interviews
INSTALL = "pip install 'mockflow[authoring]'"


def ruamel() -> Any:
    """The ruamel.yaml module, or ``DraftUnavailable`` naming the extra to install."""
    try:
        import ruamel.yaml
    except ImportError:
        raise DraftUnavailable(
            "mockflow draft edits your file with ruamel.yaml (it keeps your comments and"
            f" layout), which is in the optional 'authoring' extra: {INSTALL}") from None
    return ruamel.yaml


# ------------------------------------------------------------------ round trip


def _guesses(text: str) -> list[tuple[int, int, int]]:
    """(mapping, sequence, offset) indents to try: the guessed layout first."""
    util = ruamel().util
    try:
        _, indent, block_seq = util.load_yaml_guess_indent(text)
    except Exception:  # a file it can't read: the candidates below still apply
        indent, block_seq = 4, 2
    indent = indent or 2
    block_seq = block_seq or 0
    found = [(m, indent, block_seq) for m in (2, 4)]
    found += [(2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 4, 0), (4, 6, 4)]
    return list(dict.fromkeys(found))


def _yaml(layout: tuple[int, int, int]) -> Any:
    y = ruamel().YAML()
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    return y


def _dump(y: Any, data: Any) -> str:
    buffer = io.StringIO()
    y.dump(data, buffer)
    return buffer.getvalue()


@dataclass(slots=True)
class RoundTrip:
    """A file loaded for editing, with the layout that reproduces it exactly."""

    text: str
    data: Any
    yaml: Any


def load(text: str, path: str = "the file") -> RoundTrip:
    """Load ``text`` for editing; ``DraftEditError`` when no layout reproduces it."""
    first_change = ""
    for layout in _guesses(text):
        y = _yaml(layout)
        try:
            data = y.load(text)
        except Exception as exc:  # validated before: only a ruamel-specific quirk lands here
            raise DraftEditError(f"ruamel.yaml can't read {path} ({type(exc).__name__});"
                                 " nothing was written") from None
        again = _dump(y, data)
        if again == text:
            return RoundTrip(text, data, y)
        if not first_change:
            first_change = _first_change(text, again)
    raise DraftEditError(
        f"mockflow draft can't edit {path} without reformatting it ({first_change}); nothing"
        " was written. Make the indentation consistent (2 spaces per level, list items"
        " indented under their key, as `mockflow new` writes), or add the parts by hand")


def _first_change(before: str, after: str) -> str:
    old, new = before.splitlines(), after.splitlines()
    for number, (a, b) in enumerate(zip(old, new, strict=False), 1):
        if a != b:
            return f"line {number} would become {b.strip()[:60]!r}"
    return f"the file would end at line {len(new)} instead of {len(old)}"


# ------------------------------------------------------------------ values


def _folded(text: str, indent: int) -> Any:
    """``text`` as a ``>-`` block wrapped at ``WRAP`` columns (at ``indent`` spaces)."""
    scalars = ruamel().scalarstring
    words = " ".join(text.split())
    value = scalars.FoldedScalarString(words)
    width = max(40, WRAP - indent)
    folds, position = [], 0
    for line in textwrap.wrap(words, width=width, break_long_words=False,
                              break_on_hyphens=False)[:-1]:
        position += len(line)
        folds.append(position)  # the space after this line becomes a line break
        position += 1
    value.fold_pos = folds
    return value


def _text(text: str, indent: int, key_length: int) -> Any:
    """A short text on the key's line, a long one (or one YAML would need to quote) as
    a folded block, like the shipped interviews write it."""
    words = " ".join(text.split())
    if indent + key_length + 2 + len(words) + 2 <= WRAP:
        return words if _plain_ok(words) else ruamel().scalarstring.SingleQuotedScalarString(
            words)
    return _folded(words, indent + 2)


def _plain_ok(text: str) -> bool:
    return not (": " in text or " #" in text or text.endswith(":")
                or text[:1] in "-?:,[]{}#&*!|>'\"%@`" or text != text.strip())


def _flow_list(items: Sequence[str]) -> Any:
    """``[a, b, c]``, quoting an item that brackets would misread (``'a, b'``)."""
    yaml = ruamel()
    seq = yaml.comments.CommentedSeq(
        [item if _flow_ok(item) else yaml.scalarstring.SingleQuotedScalarString(item)
         for item in items])
    seq.fa.set_flow_style()
    return seq


def _flow_ok(item: str) -> bool:
    """Whether a phrase can stand unquoted inside ``[ ]``."""
    return bool(item) and _plain_ok(item) and not any(c in item for c in ",[]{}#'\"") \
        and _scalar_is_text(item)


def _scalar_is_text(item: str) -> bool:
    """Not a number, boolean or null when unquoted (``'301'``, ``'true'``)."""
    from mockflow.format.yaml_io import load_text

    doc = load_text(f"k: [{item}]\n")
    return not doc.problems and doc.data == {"k": [item]}


def _values(draft: Draft, indent: int) -> dict[str, Any]:
    """The drafted parts as ruamel values, for a question whose keys sit at ``indent``."""
    comments = ruamel().comments
    out: dict[str, Any] = {}
    if draft.clarification is not None:
        out["clarification"] = _text(draft.clarification, indent, len("clarification"))
    if draft.follow_ups:
        items = comments.CommentedSeq()
        for follow_up in draft.follow_ups:
            item = comments.CommentedMap()
            item["text"] = _text(follow_up.text, indent + 4, len("text"))
            item["probes"] = _flow_list(follow_up.probes)
            items.append(item)
        out["follow_ups"] = items
    if draft.key_points:
        points = comments.CommentedSeq()
        for point in draft.key_points:
            points.append(_flow_list(point))
        out["key_points"] = points
    if draft.examples:
        examples = comments.CommentedMap()
        for grade in ("strong", "average", "weak"):
            if grade in draft.examples:
                examples[grade] = _folded(draft.examples[grade], indent + 4)
        out["examples"] = examples
    return out


# ------------------------------------------------------------------ edits


def insert_drafts(text: str, drafts: Mapping[str, Draft], *, note: str,
                  path: str = "the file") -> str:
    """``text`` with each question's drafted parts inserted and marked
    ``drafted: [...]  # <note>`` (``<id>`` in the note becomes the question's id); raises
    ``DraftEditError`` if anything else would change."""
    trip = load(text, path)
    questions = trip.data.get("questions") if hasattr(trip.data, "get") else None
    by_id = {q.get("id"): q for q in questions or () if hasattr(q, "get")}
    for qid, draft in drafts.items():
        question = by_id.get(qid)
        if question is None:
            raise DraftEditError(f"question '{qid}' is not in {path}; nothing was written")
        indent = question.lc.col
        values = {"drafted": _flow_list(draft.parts), **_values(draft, indent)}
        for key, value in values.items():
            if key == "examples" and hasattr(question.get(key), "insert"):
                _add_grades(question[key], value, qid)  # some grades are written already
                continue
            if key in question:
                raise DraftEditError(f"question '{qid}' already has '{key}'; nothing was"
                                     " written")
            question.insert(_position(question, key), key, value)
        marker = f"drafted: [{', '.join(draft.parts)}]"
        question.yaml_add_eol_comment(note.replace("<id>", str(qid)), "drafted",
                                      column=indent + len(marker) + 2)
    return _insertions_only(text, _dump(trip.yaml, trip.data), path)


def _add_grades(examples: Any, drafted: Any, qid: str) -> None:
    order = ("strong", "average", "weak")
    for grade, text in drafted.items():
        if grade in examples:
            raise DraftEditError(f"question '{qid}' already has a {grade} example; nothing"
                                 " was written")
        rank = order.index(grade)
        before = [i for i, k in enumerate(examples) if k in order and order.index(k) < rank]
        examples.insert((max(before) + 1) if before else 0, grade, text)


def _position(question: Any, key: str) -> int:
    rank = CANONICAL.index(key)
    before = [i for i, k in enumerate(question) if k in CANONICAL and CANONICAL.index(k) < rank]
    return (max(before) + 1) if before else len(question)


def _insertions_only(before: str, after: str, path: str) -> str:
    """``before`` with the blocks ``after`` adds, each placed above trailing blank lines
    and less-indented comments; ``DraftEditError`` if ``after`` changes any line."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    blocks = insertion_points(old, new)
    if blocks is None:
        raise DraftEditError(f"inserting the drafts would change other lines of {path}"
                             f" ({_first_change(before, after)}); nothing was written")
    result: list[str] = []
    at = 0
    for position, block in sorted(_lifted(old, blocks)):
        result += old[at:position] + block
        at = position
    result += old[at:]
    text = "".join(result)
    return text


def insertion_points(old: list[str], new: list[str]) -> list[tuple[int, list[str]]] | None:
    """Where ``new`` inserts lines into ``old`` as (line index in old, lines), or None
    when ``new`` also changes or removes lines of ``old``."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    blocks: list[tuple[int, list[str]]] = []
    for tag, i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag != "insert":
            return _greedy(old, new)
        blocks.append((i1, new[j1:j2]))
    return blocks


def _greedy(old: list[str], new: list[str]) -> list[tuple[int, list[str]]] | None:
    """The same, matching ``old`` as a subsequence of ``new`` left to right."""
    blocks: list[tuple[int, list[str]]] = []
    i = 0
    pending: list[str] = []
    for line in new:
        if i < len(old) and line == old[i]:
            if pending:
                blocks.append((i, pending))
                pending = []
            i += 1
        else:
            pending.append(line)
    if i < len(old):
        return None
    if pending:
        blocks.append((i, pending))
    return blocks


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _lifted(old: list[str], blocks: list[tuple[int, list[str]]]
            ) -> list[tuple[int, list[str]]]:
    """Each block moved above the blank lines and less-indented comments just before
    it: those end the previous part of the file or head the next one."""
    out = []
    for position, block in blocks:
        first = next((line for line in block if line.strip()), "")
        depth = _indent(first)
        # a block ends with the blank lines that belonged before it: keep them after
        while block and not block[-1].strip() and position > 0 and \
                not old[position - 1].strip():
            block = block[:-1]
        while position > 0:
            line = old[position - 1]
            stripped = line.strip()
            if stripped and not (stripped.startswith("#") and _indent(line) < depth):
                break
            position -= 1
        out.append((position, block))
    return out


def accept(text: str, question_ids: Sequence[str], path: str = "the file") -> str:
    """``text`` without the ``drafted`` lines of those questions; ``AcceptError`` when a
    question doesn't exist or has nothing drafted."""
    from mockflow.authoring.errors import AcceptError

    trip = load(text, path)
    questions = [q for q in trip.data.get("questions") or () if hasattr(q, "get")]
    by_id = {q.get("id"): q for q in questions}
    lines = text.splitlines(keepends=True)
    remove: set[int] = set()
    for qid in question_ids:
        question = by_id.get(qid)
        if question is None:
            close = difflib.get_close_matches(qid, [str(k) for k in by_id], n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise AcceptError(f"question '{qid}' is not in {path}{hint}")
        if "drafted" not in question:
            raise AcceptError(f"question '{qid}' has nothing drafted to accept (no"
                              " 'drafted:' list)")
        line, column = question.lc.key("drafted")
        if lines[line][:column].strip():
            raise DraftEditError(f"question '{qid}': 'drafted:' shares line {line + 1} with"
                                 " another key; put it on its own line, or delete it by hand")
        value = question["drafted"]
        last = line
        if hasattr(value, "lc") and len(value):
            last = max(line, *(value.lc.item(i)[0] for i in range(len(value))))
        remove.update(range(line, last + 1))
    return "".join(line for n, line in enumerate(lines) if n not in remove)
