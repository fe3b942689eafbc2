"""Where in a template a static problem is: the character offset of the offending
expression (Jinja reports only a line, and folded YAML text is all one line).
``Document.offset_position`` turns the offset into the file's line and column."""

from __future__ import annotations

import re

from jinja2 import Environment, TemplateSyntaxError, nodes

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_SEP = r"\s*(?:\.\s*|\[\s*['\"]?)"


def _needle(node: nodes.Node) -> str | None:
    """A pattern for the source text of the expression a node stands for."""
    if isinstance(node, nodes.Filter):
        return rf"\|\s*{re.escape(node.name)}\b"
    if isinstance(node, nodes.Test):
        return rf"\bis\s+(?:not\s+)?{re.escape(node.name)}\b"
    if isinstance(node, nodes.For):
        return r"\{%-?\s*for\b"
    if isinstance(node, nodes.Call):
        return _needle(node.node)
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const):
                parts.append(str(node.arg.value))
            node = node.node
        elif isinstance(node, nodes.Name):
            parts.append(node.name)
            return r"\b" + _SEP.join(re.escape(p) for p in reversed(parts)) + r"\b"
        else:
            return None


def _line_span(source: str, lineno: int) -> tuple[int, int]:
    starts = [0, *(m.end() for m in re.finditer("\n", source))]
    index = min(max(lineno, 1), len(starts)) - 1
    end = starts[index + 1] if index + 1 < len(starts) else len(source)
    return starts[index], end


def locate(source: str, lineno: int, node: nodes.Node, used: set[int],
            tree: nodes.Template) -> int:
    """Offset of the expression an issue is about. Nodes come in source order, so the
    k-th node with the same text is the k-th match of that text inside the tags; failing
    that, the first unused match on its line, the first tag on the line, the line."""
    start, end = _line_span(source, lineno)
    spans = [m.span() for m in _TAG.finditer(source) if m.start() < end and m.end() > start]
    needle = _needle(node)
    if needle is not None:
        pattern = re.compile(needle)
        same = [n for n in tree.find_all(type(node)) if _needle(n) == needle]
        matches = [m.start() for t in _TAG.finditer(source)
                   for m in pattern.finditer(source, t.start(), t.end())]
        ordinal = next((i for i, n in enumerate(same) if n is node), None)
        if ordinal is not None and len(matches) == len(same) and matches[ordinal] not in used:
            used.add(matches[ordinal])
            return matches[ordinal]
        # a variable is usually misused where it is printed: try {{ }} tags first
        printed = [span for span in spans if source.startswith("{{", span[0])]
        for a, b in [*printed, *spans]:
            for match in pattern.finditer(source, a, b):
                if match.start() not in used:
                    used.add(match.start())
                    return match.start()
    return max(spans[0][0], start) if spans else start


def syntax_offset(source: str, lineno: int, env: Environment) -> int:
    """Where a syntax error is: the first tag on its line that does not parse on its own
    (an expression tag), else the first tag on the line."""
    start, end = _line_span(source, lineno)
    spans = [m for m in _TAG.finditer(source) if m.start() < end and m.end() > start]
    for match in spans:
        if match.group().startswith("{{"):
            try:
                env.parse(match.group())
            except TemplateSyntaxError:
                return match.start()
    opened = source.find("{", start, end)
    return spans[0].start() if spans else (opened if opened >= 0 else start)


