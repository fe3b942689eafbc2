"""Sandboxed templates: allow-listed syntax, context variables, candidate guards, rendering."""

from __future__ import annotations

import pytest

from mockflow.format.templates import Candidate, CompiledTemplate, analyze


def codes(source: str, kind: str = "greeting") -> list[str]:
    return [issue.code for issue in analyze(source, kind)]


@pytest.mark.parametrize(
    "source",
    [
        "Hi {{ candidate.name | default('there') }}",
        "Thanks{{ ', ' ~ candidate.name if candidate.name }}.",
        "{% if candidate.name %}Hi {{ candidate.name }}{% endif %}",
        "{% if candidate.name is defined %}Hi {{ candidate.name | upper }}{% endif %}",
        "{% if candidate.attributes.team %}Team {{ candidate.attributes.team }}{% endif %}",
        "{{ candidate.attributes['team'] | default('your team') }}",
        "{% if candidate.name and role.company %}{{ candidate.name }} at {{ role.company }}"
        "{% endif %}",
        "{% for fact in facts %}{{ loop.index }}. {{ fact }} {% endfor %}",
        "{{ timing.total_minutes }} minutes, {{ interviewer.name }}, {{ role.title | lower }}",
        "Plain text with no template syntax at all.",
    ],
)
def test_allowed_templates(source: str) -> None:
    assert analyze(source, "greeting") == []


@pytest.mark.parametrize(
    ("source", "code", "fragment"),
    [
        ("Hi {{ candidate.name }}", "MF304", "candidate.name | default"),
        ("{% if not candidate.name %}{{ candidate.name }}{% endif %}", "MF304", "candidate.name"),
        ("{{ candidate.attributes.team }}", "MF304", "candidate.attributes.team"),
        ("{% if candidate.name %}x{% else %}{{ candidate.name }}{% endif %}", "MF304", ""),
        ("{{ role.titel }}", "MF303", "did you mean 'role.title'"),
        ("{{ rol.title }}", "MF303", "did you mean 'role'"),
        ("{{ stage.title }}", "MF303", "unknown variable 'stage'"),
        ("{{ 2 ** 100 }}", "MF302", "'**'"),
        ("{{ role.title.upper() }}", "MF302", "calling functions"),
        ("{{ role.__class__ }}", "MF302", "starts with '_'"),
        ("{{ role['_x'] }}", "MF302", "starts with '_'"),
        ("{% set x = 1 %}{{ x }}", "MF302", "set"),
        ("{% include 'x' %}", "MF302", "include"),
        ("{% macro m() %}{% endmacro %}", "MF302", "macros"),
        ("{{ role.title | attr('x') }}", "MF302", "filter 'attr'"),
        ("{{ role[role.title] }}", "MF302", "computed key"),
        ("{{ role.title ", "MF301", "template syntax error"),
        ("{% if %}", "MF301", "template syntax error"),
    ],
)
def test_rejected_templates(source: str, code: str, fragment: str) -> None:
    issues = analyze(source, "greeting")
    assert issues, source
    assert issues[0].code == code
    assert fragment in issues[0].message


def test_question_templates_see_stage_and_question() -> None:
    assert analyze("Q{{ question.number }} of stage {{ stage.title }}", "question") == []
    assert codes("{{ question.number }}", "greeting") == ["MF303"]


def test_absent_candidate_fields_render_defaults() -> None:
    template = CompiledTemplate(
        "Hi {{ candidate.name | default('there') }}"
        "{{ ' from ' ~ candidate.attributes.team if candidate.attributes.team }}!"
    )
    context = {"candidate": Candidate().context()}
    assert template.render(context) == "Hi there!"
    named = {"candidate": Candidate("Sam", {"team": "Payments"}).context()}
    assert template.render(named) == "Hi Sam from Payments!"


def test_candidate_name_is_absent_not_none() -> None:
    assert "name" not in Candidate().context()
    assert Candidate("Ana").context() == {"name": "Ana", "attributes": {}}


def test_render_folds_whitespace_and_plain_text_is_verbatim() -> None:
    assert CompiledTemplate("a\n  {{ 'b' }}\n c").render({}) == "a b c"
    plain = CompiledTemplate("Plain {text} stays.")
    assert not plain.needs_context
    assert plain.render({}) == "Plain {text} stays."


def test_sandbox_blocks_unsafe_attributes_at_runtime() -> None:
    # The static check rejects this; if it ever slipped through, the sandbox yields nothing.
    from mockflow.format.errors import TemplateRenderError

    assert CompiledTemplate("{{ x.__class__ }}").render({"x": object()}) == ""
    with pytest.raises(TemplateRenderError, match="unsafe"):
        CompiledTemplate("{{ x.__init__.__globals__ }}").render({"x": object()})
