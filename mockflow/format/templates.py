"""The one sandboxed Jinja2 environment, its render contexts, and static template analysis.

Recruiters write templates (greeting, closing, extra instructions, question texts,
follow-ups, hints). They run inside an ``ImmutableSandboxedEnvironment`` and must pass a
static check first, so no template can fail in the middle of a live interview:

- allow-listed syntax only: output, ``if``/``for``, names, attribute and constant item
  access, string concatenation (``~``, ``+``), comparisons, ``and``/``or``/``not`` and a
  short list of filters and tests; no calls, no ``**``, no macros, includes or ``set``;
- no attribute or item whose name starts with ``_``;
- only the variables of that template kind's context (see ``CONTEXT_SHAPES``);
- every ``candidate.*`` use behind ``| default(...)`` or an ``if`` that tests it, because
  candidate fields that were not given are absent, never ``None``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import field, replace
from typing import Any

from jinja2 import Template, TemplateSyntaxError, Undefined, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mockflow.format.errors import close_matches
from mockflow.format.frozen import frozen
from mockflow.format.limits import bound_candidate
from mockflow.format.template_budget import GUARDED_FILTERS, render_within_budget
from mockflow.format.template_cost import analyze_cost
from mockflow.format.template_positions import locate, syntax_offset
from mockflow.format.template_values import Val

# The render contexts. A dict maps a name to its fields; ``None`` is a leaf; ``"map"`` is
# a free-form map of text (candidate.attributes); ``"list"`` a list of text.
Shape = Mapping[str, Any]

_BASE_SHAPE: dict[str, Any] = {
    "role": {"title": None, "level": None, "company": None, "summary": None},
    "interviewer": {"name": None, "style": None, "language": None},
    "candidate": {"name": None, "attributes": "map"},
    "timing": {"total_minutes": None, "wrap_up_minutes": None, "default_answer_seconds": None},
    "facts": "list",
}
_QUESTION_SHAPE: dict[str, Any] = {
    **_BASE_SHAPE,
    "stage": {"id": None, "title": None, "index": None, "count": None},
    "question": {"id": None, "competency": None, "level": None, "number": None},
}
CONTEXT_SHAPES: dict[str, Shape] = {
    "greeting": _BASE_SHAPE,
    "closing": _BASE_SHAPE,
    "instructions": _BASE_SHAPE,
    "question": _QUESTION_SHAPE,
}

ALLOWED_FILTERS = frozenset(
    {
        "default", "d", "upper", "lower", "title", "capitalize", "trim", "join", "length",
        "replace", "first", "last", "round", "int", "string", "truncate", "wordcount",
    }
)
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "number", "string"})

_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const,
    nodes.Getattr, nodes.Getitem, nodes.If, nodes.CondExpr, nodes.Filter, nodes.Test,
    nodes.For, nodes.Concat, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not,
    nodes.Add, nodes.Sub, nodes.Neg, nodes.Pos, nodes.List, nodes.Tuple, nodes.Keyword,
)


class _Env(ImmutableSandboxedEnvironment):
    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return not attr.startswith("_") and super().is_safe_attribute(obj, attr, value)


def make_environment() -> ImmutableSandboxedEnvironment:
    """The single template environment (autoescape off: output is speech, not HTML)."""
    env = _Env(autoescape=False, undefined=Undefined, keep_trailing_newline=False)
    env.filters = {k: v for k, v in env.filters.items() if k in ALLOWED_FILTERS}
    env.filters.update(GUARDED_FILTERS)
    env.tests = {k: v for k, v in env.tests.items() if k in ALLOWED_TESTS}
    env.globals.clear()
    return env


ENV = make_environment()


@frozen
class TemplateIssue:
    """A static problem in one template; ``line`` is 1-based within the template and
    ``offset`` the character in it where the offending expression starts."""

    code: str
    message: str
    line: int = 1
    offset: int = 0


def _access_path(node: nodes.Node) -> tuple[str, ...] | None:
    """``candidate.attributes.team`` → ('candidate', 'attributes', 'team')."""
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            parts.append(str(node.arg.value))
            node = node.node
        elif isinstance(node, nodes.Name):
            parts.append(node.name)
            return tuple(reversed(parts))
        else:
            return None


def _tested_paths(test: nodes.Node) -> set[tuple[str, ...]]:
    """Access paths an ``if`` test guards (``a.b``, ``a.b is defined``, ``a.b and c``)."""
    found: set[tuple[str, ...]] = set()
    stack = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.Not):
            continue  # `if not candidate.name` does not make candidate.name safe inside
        path = _access_path(node)
        if path is not None:
            found.add(path)
            continue
        if isinstance(node, nodes.Test) and node.name in {"defined"}:
            stack.append(node.node)
        elif isinstance(node, nodes.And):
            stack.extend([node.left, node.right])
        elif isinstance(node, nodes.Filter) and node.node is not None:
            stack.append(node.node)
        elif isinstance(node, nodes.Compare):
            stack.append(node.expr)
    return found


def _guarded(path: tuple[str, ...], guards: frozenset[tuple[str, ...]]) -> bool:
    return any(path[: len(g)] == g for g in guards)


MAX_NESTING = 30  # nested expressions / blocks; Jinja and Python give up at about 100


def _negated_paths(test: nodes.Node) -> set[tuple[str, ...]]:
    """Paths guarded in the ``else`` branch: ``if not x`` / ``if x is undefined``."""
    if isinstance(test, nodes.Not):
        return _tested_paths(test.node)
    if isinstance(test, nodes.Test) and test.name == "undefined":
        path = _access_path(test.node)
        return {path} if path is not None else set()
    return set()


class _Analyzer:
    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.issues: list[TemplateIssue] = []
        self.nodes: list[nodes.Node] = []  # the node each issue is about
        self.loop_names: set[str] = set()
        self.depth = 0
        self.too_deep = False

    def issue(self, code: str, message: str, node: nodes.Node) -> None:
        self.issues.append(TemplateIssue(code, message, getattr(node, "lineno", 1) or 1))
        self.nodes.append(node)

    def check_path(self, path: tuple[str, ...], node: nodes.Node,
                   guards: frozenset[tuple[str, ...]], defaulted: bool) -> None:
        for part in path:
            if part.startswith("_"):
                self.issue("MF302", f"'{part}' starts with '_'; such names are not allowed",
                           node)
                return
        head = path[0]
        if head in self.loop_names:
            return
        if head not in self.shape:
            hint = close_matches(head, self.shape)
            self.issue(
                "MF303",
                f"unknown variable '{head}'"
                + (f"; did you mean '{hint[0]}'?" if hint else "")
                + f" (this template can use: {', '.join(sorted(self.shape))})",
                node,
            )
            return
        spec: Any = self.shape[head]
        for depth, part in enumerate(path[1:], start=1):
            if isinstance(spec, dict):
                if part not in spec:
                    hint = close_matches(part, spec)
                    name = ".".join(path[:depth])
                    self.issue(
                        "MF303",
                        f"'{name}' has no field '{part}'"
                        + (f"; did you mean '{name}.{hint[0]}'?" if hint else "")
                        + f" (fields: {', '.join(spec)})",
                        node,
                    )
                    return
                spec = spec[part]
            else:
                break  # free-form map or list: any key
        if head == "candidate" and len(path) > 1 and not defaulted:
            if not _guarded(path, guards):
                dotted = ".".join(path)
                self.issue(
                    "MF304",
                    f"'{dotted}' may be absent (candidate fields come from the invite);"
                    f" write '{dotted} | default(\"...\")' or put it inside"
                    f" '{{% if {dotted} %}}'",
                    node,
                )

    def visit(self, node: nodes.Node, guards: frozenset[tuple[str, ...]],
              defaulted: bool = False) -> None:
        if self.too_deep:
            return
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                self.too_deep = True
                self.issue("MF302", f"the template nests more than {MAX_NESTING} levels deep;"
                           " simplify it", node)
                return
            self._visit(node, guards, defaulted)
        finally:
            self.depth -= 1

    def _visit(self, node: nodes.Node, guards: frozenset[tuple[str, ...]],
               defaulted: bool) -> None:
        if not isinstance(node, _ALLOWED_NODES):
            self.issue("MF302", _disallowed_message(node), node)
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name):
            if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
                self.issue("MF302", "item access with a computed key is not allowed;"
                           " use a fixed key such as x['team']", node)
                return
            path = _access_path(node)
            if path is None:
                self.issue("MF302", "attributes can only be read from variables", node)
                return
            if isinstance(node, nodes.Name) and node.ctx != "load":
                return
            self.check_path(path, node, guards, defaulted)
            return
        if isinstance(node, nodes.Filter):
            if node.name not in ALLOWED_FILTERS:
                self.issue("MF302", f"filter '{node.name}' is not allowed; allowed filters:"
                           f" {', '.join(sorted(ALLOWED_FILTERS))}", node)
                return
            is_default = node.name in {"default", "d"}
            if node.node is not None:
                self.visit(node.node, guards, defaulted or is_default)
            for child in [*node.args, *node.kwargs]:
                self.visit(child, guards)
            return
        if isinstance(node, nodes.Test):
            if node.name not in ALLOWED_TESTS:
                self.issue("MF302", f"test '{node.name}' is not allowed; allowed tests:"
                           f" {', '.join(sorted(ALLOWED_TESTS))}", node)
                return
            # `x is defined` / `x is undefined` are how one guards: reading x is fine.
            self.visit(node.node, guards, defaulted or node.name in {"defined", "undefined"})
            return
        if isinstance(node, nodes.If):
            self.visit(node.test, guards, defaulted=True)
            inner = guards | _tested_paths(node.test)
            for child in node.body:
                self.visit(child, inner)
            for elif_node in node.elif_:
                self.visit(elif_node, guards)
            otherwise = guards | _negated_paths(node.test)
            for child in node.else_:
                self.visit(child, otherwise)
            return
        if isinstance(node, nodes.CondExpr):
            self.visit(node.test, guards, defaulted=True)
            self.visit(node.expr1, guards | _tested_paths(node.test))
            if node.expr2 is not None:
                self.visit(node.expr2, guards | _negated_paths(node.test))
            return
        if isinstance(node, nodes.For):
            if node.recursive or node.test is not None:
                self.issue("MF302", "only plain '{% for x in list %}' loops are allowed", node)
                return
            self.visit(node.iter, guards)
            targets = [node.target, *node.target.find_all(nodes.Name)]
            names = {n.name for n in targets if isinstance(n, nodes.Name)}
            outer = self.loop_names
            self.loop_names = outer | names | {"loop"}
            for child in node.body:
                self.visit(child, guards)
            self.loop_names = outer  # loop variables end with the loop
            for child in node.else_:
                self.visit(child, guards)
            return
        passes_default = isinstance(node, nodes.And | nodes.Or | nodes.Not)
        for child in node.iter_child_nodes():
            self.visit(child, guards, defaulted if passes_default else False)


_OPERATORS: dict[type[nodes.Node], str] = {
    nodes.Pow: "**", nodes.Mul: "*", nodes.Div: "/", nodes.FloorDiv: "//", nodes.Mod: "%",
}


def _disallowed_message(node: nodes.Node) -> str:
    operator = _OPERATORS.get(type(node))
    if operator is not None:
        return f"'{operator}' is not allowed in templates; use text, '~' or '+'"
    if isinstance(node, nodes.Call):
        return "calling functions or methods is not allowed in templates; use a filter"
    if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
        return "templates cannot include, import or extend other templates"
    if isinstance(node, nodes.Macro | nodes.CallBlock | nodes.Block):
        return "macros and blocks are not allowed in templates"
    if isinstance(node, nodes.Assign | nodes.AssignBlock):
        return "'{% set %}' is not allowed in templates; compute the text directly"
    name = type(node).__name__
    return f"'{name}' is not allowed in templates; use plain text, {{{{ variables }}}}," \
           " filters, if and for"


def is_template(source: str) -> bool:
    """Plain text needs no compiling: most question texts are plain text."""
    return "{{" in source or "{%" in source or "{#" in source


def analyze(source: str, kind: str,
            bounds: Mapping[str, Val] | None = None) -> list[TemplateIssue]:
    """Static problems of one template of the given kind ('greeting', 'question', ...).
    With ``bounds`` (the sizes of its render context, ``context_bounds``), also what it
    reads and what it can cost (``mockflow.format.template_cost``)."""
    if not is_template(source):
        return []
    try:
        tree = ENV.parse(source)
    except TemplateSyntaxError as exc:
        return [TemplateIssue("MF301", f"template syntax error: {exc.message}", exc.lineno,
                              syntax_offset(source, exc.lineno or 1, ENV))]
    except RecursionError:
        return [TemplateIssue("MF302", f"the template nests more than {MAX_NESTING} levels"
                              " deep; simplify it")]
    analyzer = _Analyzer(CONTEXT_SHAPES[kind])
    analyzer.visit(tree, frozenset())
    used: set[int] = set()
    issues = [replace(issue, offset=locate(source, issue.line, node, used, tree))
              for issue, node in zip(analyzer.issues, analyzer.nodes, strict=True)]
    if issues or bounds is None:
        return issues
    # a cost issue is about a whole loop or filter chain: point at the start of its line
    starts = [0]
    for line in source.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    return [TemplateIssue(i.code, i.message, i.line, starts[min(i.line, len(starts)) - 1])
            for i in analyze_cost(tree, bounds)]


@frozen
class Candidate:
    """What the invite says about the candidate. Absent fields stay absent."""

    name: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def bounded(self) -> tuple[Candidate, tuple[str, ...]]:
        """This candidate within the limits (``mockflow.format.limits``), and a warning for
        each thing that was cut (none when nothing was)."""
        cut = bound_candidate(self.name, self.attributes)
        if not cut.warnings:
            return self, ()
        return Candidate(cut.name, cut.attributes), cut.warnings

    def context(self) -> dict[str, Any]:
        data: dict[str, Any] = {"attributes": dict(self.attributes)}
        if self.name:
            data["name"] = self.name
        return data


_COMPILING = threading.Lock()


class CompiledTemplate:
    """A template compiled once per worker; plain text renders as itself.

    Jinja's compile (code generation and Python's ``compile``, about 1 ms a template) runs
    on first use or in ``warm()``, not when the file is checked: ``validate`` has already
    parsed and vetted every template, and most of a question bank is never asked in one
    session. Workers warm every template once, before jobs share the interview."""

    __slots__ = ("source", "_template", "_needs")

    def __init__(self, source: str) -> None:
        self.source = source
        self._needs = is_template(source)
        self._template: Template | None = None

    @property
    def needs_context(self) -> bool:
        return self._needs

    def warm(self) -> None:
        """Compile now (idempotent; safe from several threads)."""
        if self._needs and self._template is None:
            with _COMPILING:
                if self._template is None:
                    self._template = ENV.from_string(self.source)

    def render(self, context: Mapping[str, Any]) -> str:
        if not self._needs:
            return self.source
        self.warm()
        assert self._template is not None
        text = render_within_budget(self._template, context)
        return " ".join(text.split()) if "\n" in text else text.strip()


def iter_template_fields(data: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, kind) of every template in validated interview data."""
    interviewer = data.get("interviewer")
    for key in ("greeting", "closing", "instructions"):
        if isinstance(interviewer, Mapping) and key in interviewer:
            yield ("interviewer", key), key
    for i, q in enumerate(_list(data.get("questions"))):
        if not isinstance(q, Mapping):
            continue
        yield ("questions", i, "text"), "question"
        if "clarification" in q:
            yield ("questions", i, "clarification"), "question"
        for j, _ in enumerate(_list(q.get("hints"))):
            yield ("questions", i, "hints", j), "question"
        for j, item in enumerate(_list(q.get("follow_ups"))):
            if isinstance(item, Mapping):
                for key in ("text", "hint"):
                    if key in item:
                        yield ("questions", i, "follow_ups", j, key), "question"
            else:
                yield ("questions", i, "follow_ups", j), "question"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
