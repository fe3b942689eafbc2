"""The format v1 JSON Schema (shipped in the package) and its errors as located problems.

Every schema error becomes one ``Problem`` at the line and column of the offending node:
a missing key at the mapping that lacks it, an unknown key at the key itself (with a
did-you-mean), ``oneOf`` reduced to the branch that fits best.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the reference validator is imported only when a file is invalid
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from mockflow.format.colons import mapping_for_text
from mockflow.format.errors import Problem, close_matches
from mockflow.format.schema_quick import surely_valid
from mockflow.format.yaml_io import Document, Path, pointer, value_kind

SCHEMA_FILES = {"interview": "interview.schema.json", "scorecard": "scorecard.schema.json",
                "session": "session.schema.json", "transcript": "transcript.schema.json",
                "review": "review.schema.json"}

# How to name an item of a list, and which key names it, for messages.
_ITEM_NAMES = {
    "questions": ("question", "id"),
    "competencies": ("competency", "id"),
    "stages": ("stage", "id"),
    "tools": ("tool", "name"),
    "anchors": ("anchor", "score"),
    "fallback": ("fallback model", "model"),
}

_PATTERN_HINTS = {
    "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9_-][A-Za-z0-9._-]*)*/?$": (
        "write s3://bucket or s3://bucket/prefix: a bucket name of 3-63 lower-case letters,"
        " digits, '.' and '-', then folder names of letters, digits, '.', '_' and '-' that"
        " don't start with '.'"
    ),
    "^[a-z][a-z0-9_-]{0,63}$": (
        "an id uses lowercase letters, digits, '-' and '_', starts with a letter and has at"
        " most 64 characters"
    ),
    "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$": "use a BCP 47 language tag such as 'en-US' or 'de'",
    "^https?://\\S+$": "write a full URL that starts with https:// (or http:// for localhost)",
    "^https?://[^\\s/]+(/\\S*)?$": (
        "write a full URL that starts with https:// (or http:// for localhost)"
    ),
    "^[a-zA-Z_][a-zA-Z0-9_]{0,63}$": (
        "a tool name is a function name: letters, digits and '_', not starting with a digit"
    ),
    "^[A-Za-z0-9.-]+(:[0-9]+)?$": "write a host name such as 'api.example.com' (no scheme or path)",
    "^https://[^\\s/@\\\\]+(/[^\\s\\\\]*)?$": (
        "write a full https:// address, such as https://example.com/privacy"
    ),
}


def schema_text(name: str = "interview") -> str:
    """The shipped schema, as text (what `mockflow schema` prints).

    Read beside this module when the package is installed as files (the usual case:
    ``importlib.resources`` costs ``validate`` its own import chain, tempfile, zipfile
    and more, a few milliseconds of every start), through ``importlib.resources``
    otherwise (a zip import)."""
    filename = SCHEMA_FILES[name]
    try:
        with open(os.path.join(os.path.dirname(__file__), "schemas", filename),
                  encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        from importlib import resources

        schemas = resources.files("mockflow.format").joinpath("schemas")
        return schemas.joinpath(filename).read_text("utf-8")


@cache
def load_schema(name: str = "interview") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_text(name))
    return data


@cache
def validator(name: str = "interview") -> Draft202012Validator:
    """The reference validator: every error, with the context messages are built from.

    Imported on first use: valid files (the common case) never load it.
    """
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(name))


@cache
def fast_validator(name: str = "interview") -> Any:
    """A compiled (Rust) validator of the same schema: a yes/no answer in microseconds.

    Valid files, the common case, never pay for the reference validator's detail
    (about 400x slower on a 500-question bank); a test keeps the two in agreement.
    Imported on first use: a file ``schema_quick`` vouches for never loads it.
    """
    import jsonschema_rs

    return jsonschema_rs.validator_for(load_schema(name))


# ------------------------------------------------------------------------------ naming


_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
    "null": "null",
}


def short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(path: Path, data: Any) -> str:
    """Human name of a location, e.g. ``questions[2].key_points (question 'sd-cache')``."""
    if not path:
        return "the top level"
    parts: list[str] = []
    owner = ""
    node = data
    for i, step in enumerate(path):
        if isinstance(step, int):
            parts.append(f"[{step}]")
            parent_key = path[i - 1] if i else None
            if isinstance(parent_key, str) and parent_key in _ITEM_NAMES:
                noun, key = _ITEM_NAMES[parent_key]
                item = node[step] if isinstance(node, list) and step < len(node) else None
                if isinstance(item, dict) and isinstance(item.get(key), str | int):
                    owner = f"{noun} '{item[key]}'"
        else:
            parts.append(("." if parts else "") + step)
        if isinstance(node, dict):
            node = node.get(step) if isinstance(step, str) else None
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            node = None
    name = "".join(parts)
    return f"{name} ({owner})" if owner else name


# ------------------------------------------------------------------------------ errors


def _subschema_description(schema: Any, key: str) -> str:
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    desc = props.get(key, {}).get("description", "") if isinstance(props, dict) else ""
    return f" ({desc.rstrip('.')})" if desc else ""


def _type_fix(expected: str | list[str], instance: Any) -> str:
    wanted = expected if isinstance(expected, str) else expected[0]
    if wanted == "boolean" and isinstance(instance, str):
        if instance.lower() in {"yes", "no", "on", "off", "y", "n"}:
            return f"; write true or false (in YAML 1.2 '{instance}' is text)"
        return "; write true or false"
    if wanted in {"integer", "number"} and isinstance(instance, str):
        if re.fullmatch(r"\s*[-+]?[0-9]+(\.[0-9]+)?\s*", instance):
            return "; remove the quotes around the number"
        return "; write a number such as 30"
    if wanted == "integer" and isinstance(instance, float):
        return "; use a whole number without a decimal point"
    if wanted == "array" and isinstance(instance, str):
        return "; write it as a list, one '- item' per line"
    if wanted == "object" and instance is None:
        return "; the key has no value — indent its keys under it"
    if wanted == "string" and instance is None:
        return "; the key has no value — write the text after the colon"
    if wanted == "string" and isinstance(instance, int | float | bool):
        return "; put it in quotes to make it text"
    if wanted == "object" and isinstance(instance, list):
        return "; remove the '- ' in front of its keys"
    return ""


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = close_matches(word, choices)
    return f"; did you mean '{close[0]}'?" if close else ""


def _required_only(branch: Any) -> list[str] | None:
    if isinstance(branch, dict) and set(branch) == {"required"}:
        return list(branch["required"])
    return None


def _translate(error: ValidationError, doc: Document) -> Iterator[Problem]:
    data = doc.data
    path: Path = tuple(error.absolute_path)
    where = describe(path, data)
    line, column = doc.position(path)
    ptr = pointer(path)
    kind = error.validator
    value: Any = error.validator_value
    instance = error.instance

    def at(code: str, message: str) -> Problem:
        return Problem(code, message, line, column, ptr)

    if kind == "additionalProperties" and isinstance(instance, dict):
        schema_node = error.schema if isinstance(error.schema, dict) else {}
        allowed = list(schema_node.get("properties", {}))
        for key in instance:
            if key in allowed:
                continue
            key_line, key_col = doc.key_position((*path, key))
            hint = _did_you_mean(key, allowed)
            if not hint and instance[key] is None and " " in key.strip():
                hint = ("; if this is part of a text, a comma inside { } split it: put the"
                        " whole text in quotes")
            elif not hint and len(instance) == 1 and " " in key.strip():
                colon = mapping_for_text(doc.lines, line, column, key, instance[key])
                hint = f"; {colon}" if colon else ""
            elif not hint:
                hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
            yield Problem(
                "MF203",
                f"unknown key '{key}' in {where}{hint}",
                key_line,
                key_col,
                pointer((*path, key)),
            )
        return
    if kind == "required":
        missing = [k for k in value if isinstance(instance, dict) and k not in instance]
        required_schema = error.schema if isinstance(error.schema, dict) else {}
        known = set(required_schema.get("properties", {}))
        unknown = [k for k in instance if k not in known] if isinstance(instance, dict) else []
        for key in missing:
            if close_matches(key, unknown):
                continue  # the misspelt key's did-you-mean (MF203) already says it
            yield at(
                "MF202",
                f"{where} is missing required key '{key}'"
                f"{_subschema_description(error.schema, key)}: add '{key}: ...'",
            )
        return
    if kind == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        wanted = _TYPE_NAMES.get(expected, expected)
        shown = "" if instance is None else f" {short(instance)}"
        fix = _type_fix(value, instance)
        if value == "string" and isinstance(instance, dict) and len(instance) == 1:
            [(key, item)] = instance.items()
            colon = mapping_for_text(doc.lines, line, column, key, item)
            fix = f"; {colon}" if colon else fix
        yield at("MF201", f"{where} must be {wanted}, not {value_kind(instance)}{shown}{fix}")
        return
    if kind == "const" and path == ("mockflow",):
        yield at(
            "MF209",
            f"format version {short(instance)} is not supported; this mockflow reads format"
            " 1: set 'mockflow: 1'",
        )
        return
    if kind in {"enum", "const"}:
        options = value if kind == "enum" else [value]
        listed = ", ".join(str(o) for o in options)
        hint = _did_you_mean(str(instance), [str(o) for o in options])
        yield at("MF204", f"{where} must be one of: {listed}; got {short(instance)}{hint}")
        return
    if kind in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        bound = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "more than",
            "exclusiveMaximum": "less than",
        }[kind]
        yield at("MF205", f"{where} must be {bound} {value}; got {short(instance)}")
        return
    if kind == "pattern":
        hint = _PATTERN_HINTS.get(str(value), f"it must match {value}")
        suggestion = ""
        if value == "^[a-z][a-z0-9_-]{0,63}$" and isinstance(instance, str):
            slug = re.sub(r"[^a-z0-9_-]+", "-", instance.strip().lower()).strip("-")[:64]
            if slug and slug[0].isalpha():
                suggestion = f", e.g. '{slug}'"
        yield at("MF206", f"{where} has the wrong form {short(instance)}: {hint}{suggestion}")
        return
    if kind == "propertyNames":
        yield at("MF206", f"{where} has a key {short(instance)} that is not an id")
        return
    if kind in {"minLength", "maxLength", "minItems", "maxItems"}:
        size = len(instance) if isinstance(instance, str | list) else 0
        if kind == "minLength":
            message = f"{where} must not be empty; write the text or remove the key"
        elif kind == "maxLength":
            message = f"{where} is too long ({size} characters, at most {value}); shorten it"
        elif kind == "minItems":
            noun = "item" if value == 1 else "items"
            message = f"{where} needs at least {value} {noun}; it has {size}"
        else:
            message = f"{where} has {size} items, at most {value} are allowed; remove some"
        yield at("MF207", message)
        return
    if kind == "uniqueItems" and isinstance(instance, list):
        seen: set[str] = set()
        dup: Any = None
        dup_path = path
        for index, item in enumerate(instance):
            item_key = json.dumps(item, sort_keys=True)
            if item_key in seen:
                dup, dup_path = item, (*path, index)
                break
            seen.add(item_key)
        dup_line, dup_col = doc.position(dup_path)
        yield Problem("MF208", f"{where} lists {short(dup)} more than once; remove the"
                      " duplicate", dup_line, dup_col, pointer(dup_path))
        return
    if kind == "dependentRequired" and isinstance(instance, dict):
        for key, needs in value.items():
            if key in instance:
                for need in needs:
                    if need not in instance:
                        yield at(
                            "MF211",
                            f"{where} has '{key}' but no '{need}'"
                            f"{_subschema_description(error.schema, need)}: add '{need}: ...'",
                        )
        return
    if kind in {"oneOf", "anyOf"}:
        alternatives = [_required_only(b) for b in value]
        if all(a is not None for a in alternatives) and isinstance(instance, dict):
            keys = [a[0] for a in alternatives if a]
            present = [k for k in keys if k in instance]
            if present:
                text = " and ".join(f"'{k}'" for k in present)
                yield at(
                    "MF210",
                    f"{where} has both {text}; keep only one of them"
                    + (" (a stage lists 'questions' or draws 'pick' from 'competencies')"
                       if set(keys) == {"questions", "pick"} else "")
                    + (" (a judge is one 'model' or a 'panel' of several)"
                       if set(keys) == {"model", "panel"} else ""),
                )
            else:
                text = " or ".join(f"'{k}'" for k in keys)
                yield at(
                    "MF210",
                    f"{where} needs {text}"
                    + (": list fixed 'questions', or 'pick' a number from 'competencies'"
                       if set(keys) == {"questions", "pick"} else "")
                    + (": name the judge's 'model', or list a 'panel' of models"
                       if set(keys) == {"model", "panel"} else ""),
                )
            return
        from jsonschema.exceptions import best_match

        context = list(error.context or [])
        if isinstance(instance, dict | list):
            # a mapping or list given where text is also allowed (a follow-up, a key
            # point): explain what is wrong with it as a mapping or list, not "must be text"
            shaped = [e for e in context if not (e.validator == "type" and not e.relative_path)]
            context = shaped or context
        best = best_match(context)
        if best is not None and best is not error:
            yield from _translate(best, doc)
            return
    yield at("MF201", f"{where}: {error.message}")


def schema_errors(data: Any) -> list[ValidationError]:
    """The reference validator's errors for some interview data (none, fast, when it is
    valid: the quick pass vouches for most valid files, the compiled validator for the
    rest)."""
    if surely_valid(data) or fast_validator().is_valid(data):
        return []
    return list(validator().iter_errors(data))


def translate(errors: Iterable[ValidationError], doc: Document) -> list[Problem]:
    """Schema errors as located problems, sorted."""
    problems: list[Problem] = []
    for error in errors:
        problems.extend(_translate(error, doc))
    return sorted(set(problems), key=Problem.sort_key)
