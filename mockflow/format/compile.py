"""``CompiledInterview``: the model, its compiled templates, tool schemas and content hash.

Built once per worker process; per-session work is only state creation. Everything
downstream (engine, agent, reports) takes a ``CompiledInterview``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from mockflow.format.frozen import frozen
from mockflow.format.model import Interview, Question, Stage
from mockflow.format.templates import Candidate, CompiledTemplate
from mockflow.format.tools import tool_schemas


def content_hash(data: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of the file's data (key order and layout don't count)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@frozen
class CompiledInterview:
    """A checked interview, ready to run: the model, its templates compiled, its tools'
    schemas, and the hash of its content."""

    interview: Interview
    content_hash: str
    templates: Mapping[str, CompiledTemplate] = field(repr=False)
    tools: tuple[dict[str, Any], ...] = field(repr=False)

    def warm(self) -> CompiledInterview:
        """Compile every template now (workers do, once, before jobs share the interview;
        otherwise each compiles on first use)."""
        for template in self.templates.values():
            template.warm()
        return self

    @property
    def ref(self) -> str:
        """``id@sha256:<hash>``: what scorecards and results carry."""
        return f"{self.interview.id}@sha256:{self.content_hash}"

    # -- render contexts (documented in the README's render-context table) ------------------

    def base_context(self, candidate: Candidate) -> dict[str, Any]:
        iv = self.interview
        role: dict[str, Any] = {"title": iv.role.title, "level": iv.role.level}
        if iv.role.company:
            role["company"] = iv.role.company
        if iv.role.summary:
            role["summary"] = iv.role.summary
        interviewer: dict[str, Any] = {"name": iv.interviewer.name,
                                       "language": iv.interviewer.language}
        if iv.interviewer.style:
            interviewer["style"] = iv.interviewer.style
        return {
            "role": role,
            "interviewer": interviewer,
            "candidate": candidate.context(),
            "timing": {
                "total_minutes": _number(iv.timing.total_minutes),
                "wrap_up_minutes": _number(iv.timing.wrap_up_minutes),
                "default_answer_seconds": iv.timing.default_answer_seconds,
            },
            "facts": list(iv.facts),
        }

    def question_context(self, question: Question, stage: Stage, number: int,
                         candidate: Candidate) -> dict[str, Any]:
        stages = self.interview.stages
        context = self.base_context(candidate)
        context["stage"] = {
            "id": stage.id,
            "title": stage.title or stage.id,
            "index": stages.index(stage) + 1,
            "count": len(stages),
        }
        context["question"] = {
            "id": question.id,
            "competency": self.interview.competency(question.competency).name,
            "level": question.level,
            "number": number,
        }
        return context

    # -- rendering --------------------------------------------------------------------------

    def greeting(self, candidate: Candidate) -> str:
        return self.templates["greeting"].render(self.base_context(candidate))

    def closing(self, candidate: Candidate) -> str:
        return self.templates["closing"].render(self.base_context(candidate))

    def extra_instructions(self, candidate: Candidate) -> str | None:
        template = self.templates.get("instructions")
        return None if template is None else template.render(self.base_context(candidate))

    def question_text(self, question_id: str, *, stage_id: str, number: int,
                      candidate: Candidate) -> str:
        return self._render_question(f"q:{question_id}:text", question_id, stage_id, number,
                                     candidate)

    def follow_up_text(self, question_id: str, index: int, *, stage_id: str, number: int,
                       candidate: Candidate) -> str:
        return self._render_question(f"q:{question_id}:follow_up:{index}", question_id,
                                     stage_id, number, candidate)

    def follow_up_hint_text(self, question_id: str, index: int, *, stage_id: str, number: int,
                            candidate: Candidate) -> str | None:
        """The hint of follow-up ``index``, if it has one."""
        key = f"q:{question_id}:follow_up:{index}:hint"
        if key not in self.templates:
            return None
        return self._render_question(key, question_id, stage_id, number, candidate)

    def clarification_text(self, question_id: str, *, stage_id: str, number: int,
                           candidate: Candidate) -> str | None:
        """The question's own ``clarification``, if it has one."""
        key = f"q:{question_id}:clarification"
        if key not in self.templates:
            return None
        return self._render_question(key, question_id, stage_id, number, candidate)

    def hint_text(self, question_id: str, index: int, *, stage_id: str, number: int,
                  candidate: Candidate) -> str:
        return self._render_question(f"q:{question_id}:hint:{index}", question_id, stage_id,
                                     number, candidate)

    def _render_question(self, key: str, question_id: str, stage_id: str, number: int,
                         candidate: Candidate) -> str:
        template = self.templates[key]
        if not template.needs_context:
            return template.source
        iv = self.interview
        stage = next(s for s in iv.stages if s.id == stage_id)
        context = self.question_context(iv.question(question_id), stage, number, candidate)
        return template.render(context)


def compile_interview(interview: Interview, data: Mapping[str, Any]) -> CompiledInterview:
    """Compile templates and tool schemas of a checked interview (no errors left)."""
    templates: dict[str, CompiledTemplate] = {
        "greeting": CompiledTemplate(interview.interviewer.greeting),
        "closing": CompiledTemplate(interview.interviewer.closing),
    }
    if interview.interviewer.instructions:
        templates["instructions"] = CompiledTemplate(interview.interviewer.instructions)
    for q in interview.questions:
        templates[f"q:{q.id}:text"] = CompiledTemplate(q.text)
        for j, follow_up in enumerate(q.follow_ups):
            templates[f"q:{q.id}:follow_up:{j}"] = CompiledTemplate(follow_up.text)
            if follow_up.hint is not None:
                templates[f"q:{q.id}:follow_up:{j}:hint"] = CompiledTemplate(follow_up.hint)
        if q.clarification is not None:
            templates[f"q:{q.id}:clarification"] = CompiledTemplate(q.clarification)
        for j, text in enumerate(q.hints):
            templates[f"q:{q.id}:hint:{j}"] = CompiledTemplate(text)
    return CompiledInterview(
        interview=interview,
        content_hash=content_hash(data),
        templates=templates,
        tools=tuple(tool_schemas(interview)),
    )
