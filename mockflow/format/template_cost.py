"""What a template can cost: a static upper bound on its output and work.

An abstract interpreter over the template's syntax tree. Every value is bounded by what
it can be at render time, from the sizes of the render context this interview can have
(its own role, facts, stages and questions; the candidate's name and attributes up to
their caps): a text of at most n characters, a number printed in at most n characters,
a list of at most n items each bounded, a map with bounded keys and values, a record of
named fields. Loops multiply their body by the number of items; filters that grow text
(``replace``, ``join``) are bounded by the product of their operands. ``work`` counts
evaluations plus the characters each one produces, so a template that builds a huge text
and then prints only its length is caught too.

It also types what it reads: an attribute of a text, number or list (``role.title.upper``,
``facts.append``) is a method, not data, and is reported; so are loops over numbers and
filters on values they fail on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes

from mockflow.format.template_values import (
    BOOL,
    TEXT0,
    UNKNOWN,
    Val,
    digits,
    loop_record,
    number,
    text,
)

MAX_OUTPUT_CHARS = 20_000
MAX_WORK = 1_000_000
TRUNCATE_LEEWAY = 5  # jinja's default policy 'truncate.leeway'
CASE_GROWTH = 3  # a case mapping turns one character into at most three ('ﬃ' -> 'FFI')


FILTER_NAMES = frozenset({"upper", "lower", "title", "capitalize", "trim", "join", "length",
                          "replace", "first", "last", "round", "int", "string", "truncate",
                          "wordcount"})


def _dotted(node: nodes.Node) -> str:
    """How an access reads in the template: role.title.upper, facts[0]."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_dotted(node.node)}[{node.arg.value!r}]"
    return "(value)"


@dataclass
class CostIssue:
    """A template the analysis refuses: its code, why, and the template's line."""

    code: str
    message: str
    line: int


@dataclass
class Cost:
    """An upper bound of what rendering writes (characters) and does (steps)."""

    out: int = 0
    work: int = 0


class CostAnalyzer:
    def __init__(self, context: Mapping[str, Val]) -> None:
        self.context = context
        self.issues: list[CostIssue] = []
        self.worst_loop: tuple[int, int] = (0, 0)  # (iterations, line)

    def issue(self, message: str, node: nodes.Node, code: str = "MF303") -> None:
        self.issues.append(CostIssue(code, message, getattr(node, "lineno", 1) or 1))

    # -- statements -------------------------------------------------------------------

    def body(self, items: list[nodes.Node], env: dict[str, Val], outer: int) -> Cost:
        total = Cost()
        for child in items:
            c = self.stmt(child, env, outer)
            total.out += c.out
            total.work += c.work
        return total

    def stmt(self, node: nodes.Node, env: dict[str, Val], outer: int) -> Cost:
        if isinstance(node, nodes.Output):
            cost = Cost()
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    cost.out += len(child.data)
                    cost.work += 1 + len(child.data)
                    continue
                value, work = self.expr(child, env)
                cost.out += value.printed()
                cost.work += work + value.printed()
            return cost
        if isinstance(node, nodes.If):
            _, test_work = self.expr(node.test, env)
            branches = [self.body(node.body, env, outer)]
            branches += [self.stmt(e, env, outer) for e in node.elif_]
            branches.append(self.body(node.else_, env, outer))
            return Cost(max(b.out for b in branches),
                        test_work + max(b.work for b in branches))
        if isinstance(node, nodes.For):
            iterable, iter_work = self.expr(node.iter, env)
            count, item = self.iteration(iterable, node)
            inner = dict(env)
            names = [n.name for n in node.target.find_all(nodes.Name)]
            if isinstance(node.target, nodes.Name):
                names = [node.target.name]
            for name in names:
                inner[name] = item if len(names) == 1 else self.unpacked(item)
            inner["loop"] = loop_record(count, item)
            total = outer * max(count, 1)
            if total > self.worst_loop[0]:
                self.worst_loop = (total, node.lineno)
            body = self.body(node.body, inner, total)
            other = self.body(node.else_, env, outer)
            return Cost(max(count * body.out, other.out),
                        iter_work + count * (body.work + 1) + other.work + 1)
        if isinstance(node, nodes.Template):
            return self.body(node.body, env, outer)
        return Cost(0, 1)

    def iteration(self, value: Val, node: nodes.Node) -> tuple[int, Val]:
        k = value.kind
        if k == "list":
            return value.size, value.item or UNKNOWN
        if k == "text":
            return value.size, text(1)
        if k == "map":
            return value.size, text(value.key)
        if k in ("record", "loop"):
            return len(value.fields), text(max((len(n) for n in value.fields), default=0))
        if k in ("unknown", "undefined"):
            return 0, UNKNOWN
        self.issue(f"a {k} cannot be looped over; loop over a list such as facts", node)
        return 0, UNKNOWN

    def unpacked(self, item: Val) -> Val:
        if item.kind == "list":
            return item.item or UNKNOWN
        if item.kind == "text":
            return text(1)
        return UNKNOWN

    # -- expressions ------------------------------------------------------------------

    def expr(self, node: nodes.Node, env: Mapping[str, Val]) -> tuple[Val, int]:
        value, work = self._expr(node, env)
        return value, work + 1 + (value.size if value.kind == "text" else 0)

    def _expr(self, node: nodes.Node, env: Mapping[str, Val]) -> tuple[Val, int]:
        if isinstance(node, nodes.Const):
            return self.const(node.value), 0
        if isinstance(node, nodes.Name):
            if node.name in env:
                return env[node.name], 0
            return self.context.get(node.name, UNKNOWN), 0
        if isinstance(node, nodes.Getattr):
            base, work = self.expr(node.node, env)
            return self.member(base, node.attr, node, dotted=True), work
        if isinstance(node, nodes.Getitem):
            base, work = self.expr(node.node, env)
            key = node.arg.value if isinstance(node.arg, nodes.Const) else None
            return self.member(base, key, node, dotted=False), work
        if isinstance(node, nodes.Filter):
            return self.filter(node, env)
        if isinstance(node, nodes.Test):
            _, work = self.expr(node.node, env)
            return BOOL, work
        if isinstance(node, nodes.Concat):
            parts = [self.expr(n, env) for n in node.nodes]
            return (text(sum(v.printed() for v, _ in parts)), sum(w for _, w in parts))
        if isinstance(node, nodes.Add):
            (a, wa), (b, wb) = self.expr(node.left, env), self.expr(node.right, env)
            return self.add(a, b, node), wa + wb
        if isinstance(node, nodes.Sub):
            (a, wa), (b, wb) = self.expr(node.left, env), self.expr(node.right, env)
            self.need_number(a, node, "-")
            self.need_number(b, node, "-")
            return number(max(a.size, b.size) + 1), wa + wb
        if isinstance(node, nodes.Neg | nodes.Pos):
            a, wa = self.expr(node.node, env)
            self.need_number(a, node, "-" if isinstance(node, nodes.Neg) else "+")
            return number(a.size + 1), wa
        if isinstance(node, nodes.Not):
            _, wa = self.expr(node.node, env)
            return BOOL, wa
        if isinstance(node, nodes.And | nodes.Or):
            (a, wa), (b, wb) = self.expr(node.left, env), self.expr(node.right, env)
            return self.either(a, b), wa + wb
        if isinstance(node, nodes.Compare):
            work = self.expr(node.expr, env)[1]
            work += sum(self.expr(op.expr, env)[1] for op in node.ops)
            return BOOL, work
        if isinstance(node, nodes.CondExpr):
            _, wt = self.expr(node.test, env)
            a, wa = self.expr(node.expr1, env)
            b, wb = self.expr(node.expr2, env) if node.expr2 is not None else (TEXT0, 0)
            return self.either(a, b), wt + max(wa, wb)
        if isinstance(node, nodes.List | nodes.Tuple):
            items = [self.expr(n, env) for n in node.items]
            item = UNKNOWN
            for v, _ in items:
                item = v if item is UNKNOWN else self.either(item, v)
            return Val("list", len(items), item), sum(w for _, w in items)
        return UNKNOWN, 1

    @staticmethod
    def const(value: Any) -> Val:
        if isinstance(value, bool):
            return BOOL
        if value is None:
            return Val("none")
        if isinstance(value, int | float):
            return number(len(str(value)))
        if isinstance(value, str):
            return text(len(value))
        return UNKNOWN

    @staticmethod
    def either(a: Val, b: Val) -> Val:
        if a.kind == b.kind and a.kind in ("text", "number"):
            return Val(a.kind, max(a.size, b.size))
        if a.kind in ("unknown", "undefined"):
            return b
        if b.kind in ("unknown", "undefined"):
            return a
        return text(max(a.printed(), b.printed()))  # printed the same way

    def member(self, base: Val, key: object, node: nodes.Node, *, dotted: bool) -> Val:
        k = base.kind
        if k in ("record", "loop"):
            if isinstance(key, str) and key in base.fields:
                return base.fields[key]
            if k == "record":  # an unknown field of the context is reported elsewhere
                return Val("undefined") if isinstance(key, str) else UNKNOWN
        if k == "map":
            return base.item or UNKNOWN
        if k in ("unknown", "undefined"):
            return UNKNOWN
        if isinstance(key, int) and not isinstance(key, bool) and k in ("list", "text"):
            return (base.item or UNKNOWN) if k == "list" else text(1)
        what = {"text": "text", "number": "a number", "bool": "true or false",
                "list": "a list", "none": "an empty value", "loop": "the loop"}.get(k, k)
        shown = _dotted(node)
        if isinstance(key, str) and key in FILTER_NAMES:
            fix = f"; to use the filter write '{_dotted(node.node)} | {key}'"  # type: ignore[attr-defined]
        else:
            fix = "; templates read data fields, not methods"
        self.issue(f"'{shown}' is not data: '{key}' would be a method of {what}{fix}", node)
        return UNKNOWN

    def need_number(self, value: Val, node: nodes.Node, op: str) -> None:
        if value.kind not in ("number", "bool", "unknown", "undefined"):
            self.issue(f"'{op}' needs numbers, not {value.kind}; use '~' to join text", node)

    def add(self, a: Val, b: Val, node: nodes.Node) -> Val:
        kinds = {a.kind, b.kind} - {"unknown", "undefined"}  # absent: guarded, or MF303
        if kinds <= {"number", "bool"}:
            return number(max(a.size, b.size, 5) + 1)
        if kinds == {"text"}:
            return text(a.size + b.size)
        if kinds == {"list"}:
            return Val("list", a.size + b.size, self.either(a.item or UNKNOWN, b.item or UNKNOWN))
        if not kinds:
            return UNKNOWN
        self.issue("'+' needs two texts or two numbers; use '~' to join anything as text",
                   node)
        return text(a.printed() + b.printed())

    # -- filters ----------------------------------------------------------------------

    def filter(self, node: nodes.Filter, env: Mapping[str, Val]) -> tuple[Val, int]:
        base, work = self.expr(node.node, env) if node.node is not None else (UNKNOWN, 0)
        args = [self.expr(a, env) for a in node.args]
        kwargs = {kw.key: self.expr(kw.value, env) for kw in node.kwargs}
        work += sum(w for _, w in args) + sum(w for _, w in kwargs.values())
        consts = [a.value if isinstance(a, nodes.Const) else None for a in node.args]
        vals = [v for v, _ in args]
        name = node.name
        size = base.printed()
        if name in ("default", "d"):
            other = vals[0] if vals else TEXT0
            return self.either(base, other), work
        if name in ("upper", "lower", "title", "capitalize"):
            return text(CASE_GROWTH * size), work + size
        if name == "trim":
            return text(size), work + size
        if name == "truncate":
            length = consts[0] if consts and isinstance(consts[0], int) else None
            kw = node.kwargs
            for k in kw:
                if k.key == "length" and isinstance(k.value, nodes.Const):
                    length = k.value.value
            bound = size if not isinstance(length, int) else min(size, length + TRUNCATE_LEEWAY)
            return text(bound), work + size
        if name == "replace":
            new = vals[1].printed() if len(vals) > 1 else 0
            old = consts[0] if consts and isinstance(consts[0], str) else None
            # an empty 'old' inserts 'new' between every character and at both ends
            times = size + 1 if not old else size // len(old)
            count = consts[2] if len(consts) > 2 and isinstance(consts[2], int) else None
            if count is not None and count >= 0:
                times = min(times, count)
            out = size + times * new
            return text(out), work + out
        if name == "join":
            sep = vals[0].printed() if vals else 0
            if base.kind == "list":
                n, item = base.size, (base.item or UNKNOWN).printed()
            elif base.kind == "text":
                n, item = base.size, 1
            elif base.kind == "map":
                n, item = base.size, base.key
            elif base.kind in ("unknown", "undefined"):
                n, item = 0, 0
            else:
                self.issue(f"'join' needs a list, not {base.kind}", node)
                n, item = 0, 0
            out = n * item + max(n - 1, 0) * sep
            return text(out), work + out
        if name in ("length", "wordcount"):
            if name == "length" and base.kind in ("number", "bool"):
                self.issue(f"'length' needs text or a list, not {base.kind}", node)
            return number(digits(max(base.size, size))), work + size
        if name in ("first", "last"):
            if base.kind == "list":
                return base.item or UNKNOWN, work
            if base.kind == "text":
                return text(1), work
            if base.kind == "map":
                return text(base.key), work
            if base.kind not in ("unknown", "undefined"):
                self.issue(f"'{name}' needs text or a list, not {base.kind}", node)
            return UNKNOWN, work
        if name == "round":
            if base.kind not in ("number", "unknown", "undefined"):
                self.issue(f"'round' needs a number, not {base.kind}", node)
            return number(max(size, 1) + 20), work
        if name == "int":
            # int('1e308') writes 309 digits
            return number(max(size, 1) + 310), work + size
        if name == "string":
            return text(base.repr_size() if base.kind not in ("text", "number") else size), \
                work + size
        return UNKNOWN, work + size


def analyze_cost(tree: nodes.Template, context: Mapping[str, Val],
                 *, max_output: int = MAX_OUTPUT_CHARS, max_work: int = MAX_WORK
                 ) -> list[CostIssue]:
    analyzer = CostAnalyzer(context)
    cost = analyzer.stmt(tree, {}, 1)
    issues = analyzer.issues
    if issues:
        return issues
    loops, line = analyzer.worst_loop
    where = (f"; its loops run up to {loops:,} times in all (line {line})" if loops > 1
             else "")
    if cost.out > max_output:
        issues.append(CostIssue(
            "MF305", f"the template may write up to {cost.out:,} characters, over the limit"
            f" of {max_output:,}{where}; loop over fewer items, nest fewer loops or avoid"
            " replace/join on long text", line or 1))
    elif cost.work > max_work:
        issues.append(CostIssue(
            "MF305", f"rendering the template may take up to {cost.work:,} steps, over the"
            f" limit of {max_work:,}{where}; nest fewer loops or avoid replace/join on long"
            " text", line or 1))
    return issues
