"""Templates with a bounded cost: validate proves a bound on every template's output and
work or rejects it (MF305), reads only data fields (MF303), and rendering enforces an
output cap and a work budget while it runs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mockflow.format.errors import TemplateRenderError
from mockflow.format.template_cost import MAX_OUTPUT_CHARS, analyze_cost
from mockflow.format.template_values import context_bounds
from mockflow.format.templates import ENV, Candidate, CompiledTemplate
from mockflow.format.validate import CheckResult, check_bytes

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "interviews" / "backend.yaml"


def with_greeting(greeting: str, **top: Any) -> CheckResult:
    data = yaml.safe_load(BACKEND.read_text())
    data["interviewer"]["greeting"] = greeting
    data.update(top)
    return check_bytes(yaml.safe_dump(data, allow_unicode=True).encode(), "variant.yaml")


def first_error(result: CheckResult) -> tuple[str, str]:
    assert result.errors, "expected an error"
    return result.errors[0].code, result.errors[0].message


def test_nested_loops_over_a_list_are_rejected_with_their_count() -> None:
    loops = "".join(f"{{% for x{i} in facts %}}" for i in range(9))
    result = with_greeting(f"Hi. {loops}x{'{% endfor %}' * 9}",
                           facts=[f"fact {i}" for i in range(10)])
    code, message = first_error(result)
    assert code == "MF305"
    assert "1,000,000,000 times" in message and "nest fewer loops" in message


def test_text_grown_by_nested_replace_is_rejected_even_when_only_its_length_shows() -> None:
    result = with_greeting("{{ role.summary | replace('', role.summary)"
                           " | replace('', role.summary) | length }}")
    code, message = first_error(result)
    assert code == "MF305"
    assert "steps, over the limit of 1,000,000" in message


@pytest.mark.parametrize(
    ("greeting", "fragment"),
    [
        ("Hi, {{ role.title.upper }}", "'role.title.upper' is not data: 'upper' would be a"
         " method of text; to use the filter write 'role.title | upper'"),
        ("{% for f in facts %}{{ f.split }}{% endfor %}", "'f.split' is not data"),
        ("{{ facts.append }}", "'facts.append' is not data: 'append' would be a method of a"
         " list"),
        ("{% for f in facts %}{{ loop.cycle }}{% endfor %}", "'loop.cycle' is not data"),
        ("{{ timing.total_minutes.real }}", "method of a number"),
    ],
)
def test_method_references_are_errors_at_validate(greeting: str, fragment: str) -> None:
    code, message = first_error(with_greeting(greeting))
    assert code == "MF303"
    assert fragment in message


@pytest.mark.parametrize(
    ("greeting", "fragment"),
    [
        ("{% for x in timing.total_minutes %}x{% endfor %}", "a number cannot be looped over"),
        ("{{ role.title + 1 }}", "'+' needs two texts or two numbers"),
        ("{{ role.title | round }}", "'round' needs a number"),
    ],
)
def test_templates_that_would_fail_while_rendering_are_errors(greeting: str,
                                                              fragment: str) -> None:
    code, message = first_error(with_greeting(greeting))
    assert code == "MF303"
    assert fragment in message


def test_the_shipped_interviews_are_within_their_bounds() -> None:
    for path in sorted((ROOT / "interviews").glob("*.yaml")):
        result = check_bytes(path.read_bytes(), str(path))
        assert result.errors == [], path


def test_a_loop_over_candidate_attributes_is_bounded_by_the_invite_limits() -> None:
    result = with_greeting("Hi.{% if candidate.attributes %}{% for k in candidate.attributes %}"
                           " {{ k }}{% endfor %}{% endif %}")
    assert result.errors == []


# ------------------------------------------------------------------ while rendering


def test_rendering_stops_at_the_output_cap_without_reading_the_rest() -> None:
    """A context larger than validate assumed: the output is counted as it is produced,
    and rendering stops at the cap, long before the end of the list."""
    consumed = itertools.count()

    def many() -> Iterator[str]:  # a million facts, counted as they are read
        for _ in range(1_000_000):
            next(consumed)
            yield "a fact"

    template = CompiledTemplate("{% for f in facts %}{{ f }} {% endfor %}")
    with pytest.raises(TemplateRenderError, match="20,000 characters"):
        template.render({"facts": many()})
    assert next(consumed) < MAX_OUTPUT_CHARS


def test_growing_filters_check_their_size_before_building_it() -> None:
    template = CompiledTemplate("{{ s | replace('', s) | replace('', s) | length }}")
    with pytest.raises(TemplateRenderError, match="more than 1,000,000 steps"):
        template.render({"s": "x" * 300})  # 27 MB on the second replace
    joined = CompiledTemplate("{{ items | join(s) | length }}")
    with pytest.raises(TemplateRenderError, match="steps"):
        joined.render({"items": ["a"] * 5000, "s": "y" * 500})
    assert CompiledTemplate("{{ 'ab' | replace('', '-') }}").render({}) == "-a-b-"


# ------------------------------------------------------------------ the bound is sound

_PIECES = [
    "{{ role.title }}", "{{ role.summary | upper }}", "{{ facts | join(', ') }}",
    "{{ role.summary | replace('e', role.title) }}", "{{ candidate.name | default('x') }}",
    "{{ role.title ~ interviewer.name }}", "{{ facts | length }}", "{{ facts | first }}",
    "{{ role.summary | truncate(20) }}", "{{ role.title | replace('', '-') }}",
    "{{ role.summary | wordcount }}", "{{ timing.total_minutes }}", " text ",
]


@st.composite
def templates(draw: st.DrawFn) -> str:
    body = "".join(draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4)))
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["for", "if"]))
        if kind == "for":
            body = "{% for f in facts %}{{ f }}" + body + "{% endfor %}"
        else:
            body = "{% if role.company %}" + body + "{% else %}-{% endif %}"
    return body


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                max_size=60)


@settings(max_examples=100, deadline=None)
@given(source=templates(), title=_TEXT, summary=_TEXT, name=_TEXT,
       facts=st.lists(_TEXT, max_size=6))
def test_what_renders_is_never_more_than_the_bound(source: str, title: str, summary: str,
                                                   name: str, facts: list[str]) -> None:
    data = {"role": {"title": title, "level": "mid", "summary": summary, "company": "Acme"},
            "interviewer": {"name": name}, "facts": facts}
    bounds = context_bounds(data, "greeting")
    tree = ENV.parse(source)
    analyzer_issues = analyze_cost(tree, bounds, max_output=10**12, max_work=10**15)
    assert analyzer_issues == []
    from mockflow.format.template_cost import CostAnalyzer

    analyzer = CostAnalyzer(bounds)
    bound = analyzer.stmt(tree, {}, 1).out
    context = {"role": data["role"], "interviewer": {"name": name, "language": "en-US"},
               "candidate": Candidate(name=name or None).context(),
               "timing": {"total_minutes": 30, "wrap_up_minutes": 2,
                          "default_answer_seconds": 180},
               "facts": facts}
    rendered = ENV.from_string(source).render(context)
    assert len(rendered) <= bound
