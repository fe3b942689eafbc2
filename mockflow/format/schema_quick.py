"""A quick, pure-Python "surely valid" answer for the shipped interview schema.

Loading the compiled validator (``jsonschema_rs``) costs ``mockflow validate`` more than
the check itself: the extension imports ``email.utils``, ``socket`` and ``decimal`` when it
loads, and compiles the schema on every start (about 14 ms of CPU together, a sixth of
the command; docs/performance.md "Start-up"). Most files are valid, so
``schema.schema_errors`` asks this pass first, and only a file it does not vouch for goes
to the validators.

The pass is one-sided by construction: it says True only for data the schema accepts
(so the answer for a file never changes), and may say False for valid data, which then
costs only the validators' time. Where JSON Schema and Python disagree it is stricter:
``integer`` is a Python ``int`` (``1.0`` is left to the validators), ``enum``/``const``
compare types as well as values (``true`` is not ``1``), ``uniqueItems`` is decided only
for text and whole numbers, a pattern's ``$`` matches only at the very end, and text
holding U+FEFF (white space to ECMA-262 regular expressions, not to Python's) is never
vouched for by a pattern. ``oneOf`` is supported where its branches exclude each other by
type or only require keys, so that "exactly one" can't be miscounted.

Anything else in the schema (a keyword this pass does not know) raises ``Unsupported``
when the pass is built; tests/test_schema_quick.py builds it from the shipped schema and
compares it with the compiled validator on every test case and on mutated files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from mockflow.format.errors import MockflowError

Check = Callable[[Any], bool]

# words that describe, not constrain ($defs holds what $ref names)
_ANNOTATIONS = frozenset({"description", "default", "title", "examples", "$schema", "$id",
                          "$comment", "deprecated", "readOnly", "writeOnly", "$defs"})
_KEYWORDS = frozenset({
    "type", "enum", "const", "$ref", "oneOf",
    "minLength", "maxLength", "pattern",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "items", "minItems", "maxItems", "uniqueItems",
    "properties", "required", "additionalProperties", "propertyNames", "dependentRequired",
})
_TYPE_TESTS: dict[str, Check] = {
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "string": lambda v: type(v) is str,
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) is int or type(v) is float,
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
}
# the JSON types each schema type can hold ("integer" is a kind of "number")
_HOLDS = {"object": {"object"}, "array": {"array"}, "string": {"string"},
          "integer": {"number"}, "number": {"number"}, "boolean": {"boolean"},
          "null": {"null"}}


_TEXT = frozenset({"type", "minLength", "maxLength", "pattern"})


class Unsupported(MockflowError):
    """The schema uses something this pass can't decide exactly (a new keyword, say)."""


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]

    def every(value: Any) -> bool:
        for check in checks:
            if not check(value):
                return False
        return True

    return every


def _any(checks: list[Check]) -> Check:
    return lambda v: any(check(v) for check in checks)


def _same(expected: Any) -> Check:
    kind = type(expected)
    return lambda v: type(v) is kind and v == expected


def _pattern(pattern: str) -> Check:
    if "$" in pattern[:-1].replace("\\$", "") or pattern.endswith("\\$"):
        raise Unsupported(f"pattern {pattern!r}: '$' only at the end is supported")
    search = re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern).search
    return lambda v: "\ufeff" not in v and search(v) is not None


def _lengths(schema: Mapping[str, Any], shortest: str, longest: str) -> list[Check]:
    """minLength and maxLength, or minItems and maxItems."""
    checks: list[Check] = []
    if shortest in schema:
        least = schema[shortest]
        checks.append(lambda v: len(v) >= least)
    if longest in schema:
        most = schema[longest]
        checks.append(lambda v: len(v) <= most)
    return checks


def _unique(items: list[Any]) -> bool:
    """uniqueItems, decided for text and whole numbers only (False: not vouched for)."""
    for item in items:
        if type(item) is not str and type(item) is not int:
            return False
    return len(set(items)) == len(items)


class _Builder:
    def __init__(self, root: Mapping[str, Any], *, lazy: bool) -> None:
        self.root = root
        self.defs: dict[str, Check] = {}
        self.lazy = lazy

    def part(self, schema: Any) -> Check:
        """The check of a part of the schema, built when data first reaches it (a file
        uses a fraction of the schema) unless the whole schema is built up front."""
        if not self.lazy:
            return self.node(schema)
        built: list[Check] = []

        def check(value: Any) -> bool:
            if not built:
                built.append(self.node(schema))
            return built[0](value)

        return check

    def ref(self, ref: str) -> Check:
        if not ref.startswith("#/$defs/"):
            raise Unsupported(f"$ref {ref!r}: only '#/$defs/...' is supported")
        name = ref.removeprefix("#/$defs/")
        if name not in self.defs:
            built: list[Check] = []
            self.defs[name] = lambda v: built[0](v)  # a definition may refer to itself
            built.append(self.part(self.root["$defs"][name]))
            self.defs[name] = built[0]
        return self.defs[name]

    def types(self, schema: Any) -> set[str] | None:
        """The JSON types a schema can accept, when its ``type`` says (None: any)."""
        if not isinstance(schema, Mapping):
            return None
        if "type" in schema:
            named = schema["type"]
            return set().union(*(_HOLDS[t] for t in ([named] if isinstance(named, str)
                                                      else named)))
        if "$ref" in schema:
            return self.types(self.root["$defs"][schema["$ref"].removeprefix("#/$defs/")])
        return None

    def one_of(self, branches: list[Any]) -> Check:
        kinds = [self.types(b) for b in branches]
        disjoint = all(k is not None for k in kinds) and all(
            not (a & b) for i, a in enumerate(kinds) for b in kinds[i + 1:]  # type: ignore[operator]
        )
        only_required = all(isinstance(b, Mapping) and set(b) - _ANNOTATIONS == {"required"}
                            for b in branches)
        if not (disjoint or only_required):
            raise Unsupported("oneOf whose branches neither differ by type nor only require"
                              " keys")
        checks = [self.part(b) for b in branches]
        return lambda v: sum(1 for check in checks if check(v)) == 1

    def node(self, schema: Any) -> Check:
        if schema is True:
            return lambda v: True
        if schema is False or not isinstance(schema, Mapping):
            raise Unsupported(f"schema {schema!r}")
        keywords = set(schema) - _ANNOTATIONS
        unknown = keywords - _KEYWORDS
        if unknown:
            raise Unsupported(f"keywords {sorted(unknown)}")
        if schema.get("type") == "string" and keywords <= _TEXT:
            return self.text_leaf(schema)  # most of a file: one call, not one per keyword
        checks: list[Check] = []
        if "type" in schema:
            named = schema["type"]
            tests = [_TYPE_TESTS[t] for t in ([named] if isinstance(named, str) else named)]
            checks.append(tests[0] if len(tests) == 1 else _any(tests))
        if "enum" in schema:
            checks.append(_any([_same(e) for e in schema["enum"]]))
        if "const" in schema:
            checks.append(_same(schema["const"]))
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"]))
        if "oneOf" in schema:
            checks.append(self.one_of(schema["oneOf"]))
        text = self.text(schema)
        if text is not None:
            checks.append(lambda v: type(v) is not str or text(v))
        number = self.number(schema)
        if number is not None:
            checks.append(lambda v: not (type(v) is int or type(v) is float) or number(v))
        array = self.array(schema)
        if array is not None:
            checks.append(lambda v: type(v) is not list or array(v))
        obj = self.object(schema)
        if obj is not None:
            checks.append(lambda v: type(v) is not dict or obj(v))
        return _all(checks)

    def text_leaf(self, schema: Mapping[str, Any]) -> Check:
        """``type: string`` with its length and pattern, as one check."""
        least: int = schema.get("minLength", 0)
        most: float = schema.get("maxLength", math.inf)
        if "pattern" not in schema:
            return lambda v: type(v) is str and least <= len(v) <= most
        pattern = _pattern(schema["pattern"])
        return lambda v: type(v) is str and least <= len(v) <= most and pattern(v)

    def text(self, schema: Mapping[str, Any]) -> Check | None:
        checks = _lengths(schema, "minLength", "maxLength")
        if "pattern" in schema:
            checks.append(_pattern(schema["pattern"]))
        return _all(checks) if checks else None

    def number(self, schema: Mapping[str, Any]) -> Check | None:
        checks: list[Check] = []
        if "minimum" in schema:
            low = schema["minimum"]
            checks.append(lambda v: v >= low)
        if "maximum" in schema:
            high = schema["maximum"]
            checks.append(lambda v: v <= high)
        if "exclusiveMinimum" in schema:
            above = schema["exclusiveMinimum"]
            checks.append(lambda v: v > above)
        if "exclusiveMaximum" in schema:
            below = schema["exclusiveMaximum"]
            checks.append(lambda v: v < below)
        return _all(checks) if checks else None

    def array(self, schema: Mapping[str, Any]) -> Check | None:
        checks = _lengths(schema, "minItems", "maxItems")
        if schema.get("uniqueItems") is True:
            checks.append(_unique)
        if "items" in schema:
            item = self.part(schema["items"])
            checks.append(lambda v: all(item(x) for x in v))
        return _all(checks) if checks else None

    def object(self, schema: Mapping[str, Any]) -> Check | None:
        keys = ("properties", "required", "additionalProperties", "propertyNames",
                "dependentRequired")
        if not any(k in schema for k in keys):
            return None
        properties = {k: self.part(s) for k, s in schema.get("properties", {}).items()}
        required = tuple(schema.get("required", ()))
        extra_schema = schema.get("additionalProperties", True)
        extra = None if extra_schema is True or extra_schema is False else self.part(
            extra_schema)
        closed = extra_schema is False
        names = self.part(schema["propertyNames"]) if "propertyNames" in schema else None
        dependent = tuple((k, tuple(v)) for k, v in schema.get("dependentRequired", {}).items())

        def check(value: dict[str, Any]) -> bool:
            for key in required:
                if key not in value:
                    return False
            for key, item in value.items():
                if names is not None and not names(key):
                    return False
                sub = properties.get(key)
                if sub is not None:
                    if not sub(item):
                        return False
                elif closed or (extra is not None and not extra(item)):
                    return False
            for key, needed in dependent:
                if key in value and any(n not in value for n in needed):
                    return False
            return True

        return check


def build(schema: Mapping[str, Any], *, lazy: bool = False) -> Check:
    """The pass for a schema; raises ``Unsupported`` for what it can't decide exactly
    (``lazy``: each part is built when data first reaches it, and raises then)."""
    return _Builder(schema, lazy=lazy).node(schema)


@cache
def _interview() -> Check:
    from mockflow.format.schema import load_schema

    return build(load_schema("interview"), lazy=True)


def surely_valid(data: Any) -> bool:
    """True only when the shipped interview schema accepts ``data``."""
    try:
        return _interview()(data)
    except Unsupported:  # the tests build the whole shipped schema: not on a release
        return False
