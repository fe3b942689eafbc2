"""``mockflow draft``: a model drafts what each question lacks, for the author to review.

For every question without them (and whose text is written: a ``TODO`` placeholder is
skipped), the model is asked for graded example answers, key points with the phrasings
people use, follow-ups with probes and a clarification (``draft_prompt``). Each question's
draft must make the file no worse: put into the file's data it must pass the schema and
add no problem that wasn't there (a probe naming no key point, a template, a topic the
fairness lint flags); a draft that fails is sent back once with the reason, and a second
failure stops the run. Only when every question is drafted are the drafts inserted into
the text (``yaml_edit``), marked ``drafted: [...]`` for review, and checked once more
in full. Nothing is written unless all of that succeeds: a timeout, an HTTP error or a
malformed draft leaves the file unchanged.

The model is the file's judge model (``judge.model``, or the first of its panel), else its
interviewer model (``voice.llm``), with their endpoint, unless ``--model``/``--base-url``
say otherwise; the key is read from the judge's ``api_key_env`` (``OPENAI_API_KEY``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockflow.authoring import yaml_edit
from mockflow.authoring.draft import PARTS, Draft
from mockflow.authoring.draft_prompt import (
    TOOL_NAME,
    MalformedDraft,
    Needs,
    arguments_of,
    messages,
    needs_of,
    parse,
    tool_schema,
)
from mockflow.authoring.errors import DraftEditError, DraftFailed, DraftUnavailable
from mockflow.format.checks import semantic_problems
from mockflow.format.errors import InterviewInvalid, Problem
from mockflow.format.model import Interview, Question, build_interview
from mockflow.format.schema import schema_errors, translate
from mockflow.format.validate import check_bytes
from mockflow.format.yaml_io import Document

DEFAULT_TIMEOUT_S = 120.0
TEMPERATURE = 0.4
_PLACEHOLDER = ("TODO", "TBD", "FIXME")


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """Which model drafts, where, and why."""

    model: str
    base_url: str | None
    api_key: str | None = field(repr=False)
    key_env: str
    origin: str  # in words, for the report
    timeout_s: float = DEFAULT_TIMEOUT_S

    @property
    def where(self) -> str:
        return f"{self.model} at {self.base_url}" if self.base_url else self.model


def choose_model(interview: Interview, env: Mapping[str, str], *, model: str | None = None,
                 base_url: str | None = None, timeout_s: float | None = None) -> ModelChoice:
    """The drafting model; ``DraftUnavailable`` saying exactly what is missing."""
    judge = interview.judge
    llm = interview.voice.llm.primary
    key_env = judge.api_key_env if judge is not None else "OPENAI_API_KEY"
    if judge is not None:
        member = judge.members[0]
        file_model, file_url, origin = member.model, member.base_url, "the file's judge"
    else:
        file_model, file_url, origin = llm.model, llm.base_url, "the file's voice.llm"
    chosen_model = model or file_model
    chosen_url = base_url or file_url
    origin = ("--model" if model else origin) + (
        f", at {'--base-url' if base_url else 'its base_url'}" if chosen_url else "")
    key = env.get(key_env) or None
    if key is None and chosen_url is None:
        raise DraftUnavailable(
            f"mockflow draft needs a model and none can be reached: {chosen_model} (from"
            f" {origin}) needs an API key in {key_env}. Set {key_env}, or point --base-url"
            " at an OpenAI-compatible endpoint (a local model may need no key), and choose"
            " its model with --model. Nothing was written")
    return ModelChoice(" ".join(chosen_model.split())[:100], chosen_url, key, key_env,
                       origin, DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s)


def _client(choice: ModelChoice) -> Any:
    from openai import OpenAI  # imported on first use

    return OpenAI(api_key=choice.api_key or "unset", base_url=choice.base_url,
                  timeout=choice.timeout_s, max_retries=0)


def _describe(exc: BaseException, choice: ModelChoice) -> str:
    """A transport failure in plain words (never the response body)."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if status is not None:
        return f"{choice.where} answered HTTP {status} ({name})"
    if "Timeout" in name:
        return f"{choice.where} did not answer within {choice.timeout_s:g} s"
    if "Connection" in name:
        return f"{choice.where} could not be reached"
    return f"the request to {choice.where} failed ({name})"


class Drafter:
    """One model behind an OpenAI-compatible endpoint, drafting one question at a time."""

    def __init__(self, choice: ModelChoice, client: Any = None) -> None:
        self.choice = choice
        self._client = client if client is not None else _client(choice)
        self.requests = 0

    def ask(self, interview: Interview, question: Question, needs: Needs,
            problem: str | None = None) -> Draft:
        """One request; ``MalformedDraft`` for an unusable answer, ``DraftFailed`` for no
        answer at all."""
        self.requests += 1
        try:
            response = self._client.chat.completions.create(
                model=self.choice.model, messages=messages(interview, question, needs, problem),
                tools=[tool_schema(needs)],
                tool_choice={"type": "function", "function": {"name": TOOL_NAME}},
                temperature=TEMPERATURE, timeout=self.choice.timeout_s)
        except Exception as exc:  # openai raises many types: all mean "no draft"
            raise DraftFailed(f"{_describe(exc, self.choice)} while drafting question"
                              f" '{question.id}'; nothing was written — try again, raise"
                              " --timeout, or draft fewer questions with --question") from exc
        return parse(arguments_of(response), needs, question)


# ------------------------------------------------------------------ the plan


@dataclass(frozen=True, slots=True)
class DraftPlan:
    """Which questions will be drafted, for what, and which are skipped and why."""

    todo: tuple[tuple[Question, Needs], ...]
    skipped: tuple[tuple[str, str], ...]  # question id, reason


def plan_drafts(interview: Interview, only: Sequence[str] = (),
                parts: Sequence[str] = ()) -> DraftPlan:
    """What to draft: every part a question lacks (only the ``only`` questions, only
    the ``parts`` named, when given)."""
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise DraftUnavailable(f"--part '{unknown[0]}' is not a part mockflow draft writes;"
                               f" use {', '.join(PARTS)}")
    known = interview.questions_by_id
    for qid in only:
        if qid not in known:
            from mockflow.format.errors import close_matches

            close = close_matches(qid, known)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise DraftUnavailable(f"--question '{qid}' is not a question of this"
                                   f" interview{hint}")
    todo: list[tuple[Question, Needs]] = []
    skipped: list[tuple[str, str]] = []
    for q in interview.questions:
        if only and q.id not in only:
            continue
        needs = needs_of(q)
        if parts:
            needs = Needs(examples=needs.examples if "examples" in parts else (),
                          key_points=needs.key_points and "key_points" in parts,
                          follow_ups=needs.follow_ups and "follow_ups" in parts,
                          clarification=needs.clarification and "clarification" in parts)
        if not needs:
            continue
        if q.drafted:
            skipped.append((q.id, "its drafted parts are waiting for review: accept them"
                                  " (--accept) or delete them first"))
        elif q.text.strip().startswith(_PLACEHOLDER):
            skipped.append((q.id, "its text is still a placeholder: write the question"
                                  " first"))
        else:
            todo.append((q, needs))
    return DraftPlan(tuple(todo), tuple(skipped))


# ------------------------------------------------------------------ checking a draft


def _problems(data: Mapping[str, Any]) -> tuple[set[tuple[str, str]], list[Problem]]:
    """(problems as (code, message), schema errors) of a file's data, without positions."""
    plain = dict(data)
    doc = Document(data=plain)
    errors = schema_errors(plain)
    if errors:
        return set(), translate(errors, doc)
    found = semantic_problems(build_interview(plain), doc)
    return {(p.code, p.message) for p in found}, []


def merged(data: Mapping[str, Any], drafts: Mapping[str, Draft]) -> dict[str, Any]:
    """The file's data with the drafts in it (as the file will read once they're in)."""
    out = copy.deepcopy(dict(data))
    for question in out.get("questions", []):
        draft = drafts.get(question.get("id"))
        if draft is None:
            continue
        for key, value in draft.as_data().items():
            if key == "examples" and isinstance(question.get("examples"), dict):
                question["examples"] = {**question["examples"], **value}
            else:
                question[key] = value
    return out


def _new_problems(base: set[tuple[str, str]], data: Mapping[str, Any]) -> list[str]:
    found, schema = _problems(data)
    if schema:
        return [p.message for p in schema]
    return [message for code, message in sorted(found - base)
            if code != "MF509" and code not in ("MF501", "MF502")]


# ------------------------------------------------------------------ the run


@dataclass(slots=True)
class DraftResult:
    text: str  # the new file text (unchanged if nothing was drafted)
    drafted: dict[str, tuple[str, ...]]  # question id -> parts
    skipped: tuple[tuple[str, str], ...]
    requests: int = 0


Progress = Callable[[str, Question, Draft], None]


def draft_text(text: str, path: str, drafter: Drafter, *, only: Sequence[str] = (),
               parts: Sequence[str] = (), progress: Progress | None = None) -> DraftResult:
    """Draft what the file's questions lack and return the new text (not written).

    Raises ``InterviewInvalid`` when the file has errors, ``DraftEditError`` when it can't
    be edited without changing other lines, ``DraftFailed`` when the model fails.
    """
    checked = check_bytes(text.encode("utf-8"), path)
    if checked.interview is None or checked.errors:
        raise InterviewInvalid(path, checked.problems)
    interview = checked.interview
    plan = plan_drafts(interview, only, parts)
    if not plan.todo:
        return DraftResult(text, {}, plan.skipped)
    form, body = _Form.of(text)
    yaml_edit.load(body, path)  # fails now, before any request, if it can't be edited
    data = _data_of(text)
    base, _ = _problems(data)
    drafts: dict[str, Draft] = {}
    for question, needs in plan.todo:
        problem: str | None = None
        for attempt in range(2):
            try:
                draft = drafter.ask(interview, question, needs, problem)
                new = _new_problems(base, merged(data, {question.id: draft}))
                if new:
                    raise MalformedDraft("it adds problems to the file: " + "; ".join(new[:3]))
            except MalformedDraft as exc:
                problem = str(exc)
                if attempt:
                    raise DraftFailed(
                        f"{drafter.choice.where} returned an unusable draft for question"
                        f" '{question.id}' twice ({problem}); nothing was written — try"
                        " again, or another model with --model") from None
                continue
            drafts[question.id] = draft
            if progress is not None:
                progress(question.id, question, draft)
            break
    note = (f"by mockflow draft ({drafter.choice.model}): review, then mockflow draft"
            " <file> --accept <id>")
    new_text = form.back(yaml_edit.insert_drafts(body, drafts, note=note, path=path))
    final = check_bytes(new_text.encode("utf-8"), path)
    expected = merged(data, drafts)
    if final.errors or _data_of(new_text) != expected:
        raise DraftEditError(f"the drafted file did not read back as drafted ({path});"
                             " nothing was written (a bug in mockflow: please report it)")
    return DraftResult(new_text, {qid: d.parts for qid, d in drafts.items()}, plan.skipped,
                       drafter.requests)


@dataclass(frozen=True, slots=True)
class _Form:
    """A file's byte-order mark and line endings, kept across an edit (ruamel.yaml reads
    and writes plain ``\\n`` text without a mark)."""

    bom: bool
    crlf: bool

    @staticmethod
    def of(text: str) -> tuple[_Form, str]:
        bom = text.startswith("\ufeff")
        body = text[1:] if bom else text
        crlf = "\r\n" in body and body.count("\r\n") == body.count("\n")
        return _Form(bom, crlf), body.replace("\r\n", "\n") if crlf else body

    def back(self, text: str) -> str:
        text = text.replace("\n", "\r\n") if self.crlf else text
        return "\ufeff" + text if self.bom else text


def _data_of(text: str) -> dict[str, Any]:
    from mockflow.format.yaml_io import load_bytes

    return load_bytes(text.encode("utf-8")).data or {}


def accept_text(text: str, path: str, question_ids: Sequence[str] | None
                ) -> tuple[str, list[str]]:
    """The text with the ``drafted`` marks of those questions removed (every marked
    question when ``question_ids`` is None), and the ids accepted."""
    if question_ids is None:
        checked = check_bytes(text.encode("utf-8"), path)
        interview = checked.interview
        ids = [q.id for q in interview.questions if q.drafted] if interview else []
        if not ids:
            return text, []
    else:
        ids = list(dict.fromkeys(question_ids))
    form, body = _Form.of(text)
    new_text = form.back(yaml_edit.accept(body, ids, path))
    before, after = _data_of(text), _data_of(new_text)
    for question in before.get("questions", []):
        if question.get("id") in ids:
            question.pop("drafted", None)
    if before != after:
        raise DraftEditError(f"removing the drafted marks would change other parts of {path};"
                             " nothing was written (delete the 'drafted:' lines by hand)")
    return new_text, ids
