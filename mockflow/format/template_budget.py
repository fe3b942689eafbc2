"""Rendering within a budget: the run-time side of the template cost bound.

``validate`` proves a bound on every template's output and work
(``mockflow.format.template_cost``); this enforces limits while a template renders, so a
template that got past the analysis still cannot run away: the output is counted as it
is produced and rendering stops at the cap, the filters that grow text (``replace``,
``join``) check the size of their result before building it, and every step checks a
time budget. The time is the rendering thread's CPU time: a sandboxed template can only
spend CPU, and wall time would fail an ordinary greeting on a busy machine (a process
waiting for a core is not a template running away).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from jinja2 import Template
from jinja2.filters import do_join, do_replace
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context

from mockflow.format.errors import TemplateRenderError
from mockflow.format.template_cost import MAX_OUTPUT_CHARS, MAX_WORK

RENDER_SECONDS = 2.0


class _Budget:
    def __init__(self, seconds: float, work: int) -> None:
        self.deadline = time.thread_time() + seconds
        self.seconds = seconds
        self.work = work

    def spend(self, amount: int) -> None:
        self.work -= amount
        if self.work < 0:
            raise TemplateRenderError(f"the template needs more than {MAX_WORK:,} steps"
                                      " to render; simplify it")
        if time.thread_time() > self.deadline:
            raise TemplateRenderError(f"the template took more than {self.seconds:g}s to"
                                      " render; simplify it")


_BUDGET: ContextVar[_Budget | None] = ContextVar("mockflow_template_budget", default=None)


def _spend(amount: int) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend(amount)


@pass_eval_context
def guarded_replace(eval_ctx: EvalContext, s: Any, old: Any, new: Any,
                    count: int | None = None) -> Any:
    """``replace`` that counts its result's size before building it."""
    s_text, old_text, new_text = str(s), str(old), str(new)
    times = len(s_text) + 1 if not old_text else s_text.count(old_text)
    if count is not None and count >= 0:
        times = min(times, count)
    _spend(len(s_text) + times * max(len(new_text) - len(old_text), 0))
    return do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def guarded_join(eval_ctx: EvalContext, value: Iterable[Any], d: str = "",
                 attribute: str | int | None = None) -> str:
    """``join`` that counts its result's size before building it."""
    items = list(value)
    if attribute is None:
        _spend(sum(len(str(item)) for item in items) + max(len(items) - 1, 0) * len(str(d)))
    return str(do_join(eval_ctx, items, d, attribute))


GUARDED_FILTERS = {"replace": guarded_replace, "join": guarded_join}


def render_within_budget(template: Template, context: Mapping[str, Any], *,
                         max_chars: int = MAX_OUTPUT_CHARS, seconds: float = RENDER_SECONDS,
                         work: int = MAX_WORK) -> str:
    """Render, stopping as soon as the output passes ``max_chars``, the work passes
    ``work`` or the time passes ``seconds``. Raises ``TemplateRenderError``."""
    budget = _Budget(seconds, work)
    token = _BUDGET.set(budget)
    pieces: list[str] = []
    size = 0
    try:
        for piece in template.generate(context):
            size += len(piece)
            if size > max_chars:
                raise TemplateRenderError(f"the template's output passed {max_chars:,}"
                                          " characters; rendering stopped")
            budget.spend(len(piece) + 1)
            pieces.append(piece)
    except TemplateRenderError:
        raise
    except Exception as exc:  # the sandbox and static check make this unexpected
        raise TemplateRenderError(f"template failed: {exc}") from exc
    finally:
        _BUDGET.reset(token)
    return "".join(pieces)
