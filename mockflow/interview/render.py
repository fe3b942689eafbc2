"""What the interviewer model receives: the built-in prompt wrapping the recruiter's
rendered templates and facts. Plain Python (no livekit), so ``mockflow render`` shows
exactly what the agent will use.
"""

from __future__ import annotations

from typing import Any

from mockflow.format.compile import CompiledInterview
from mockflow.format.templates import Candidate


def instructions(compiled: CompiledInterview, candidate: Candidate) -> str:
    """The interviewer's system instructions for one session."""
    iv = compiled.interview
    role = iv.role
    at_company = f" at {role.company}" if role.company else ""
    lines = [
        f"You are {iv.interviewer.name}, interviewing a candidate for the {role.title} role"
        f"{at_company} (target level: {role.level}).",
    ]
    if iv.interviewer.style:
        lines.append(f"Your style: {iv.interviewer.style}.")
    lines.append(f"Speak {iv.interviewer.language} throughout.")
    lines += [
        "",
        "# How this interview works",
        "- The interview's structure is decided for you: which question comes next, follow-ups,"
        " hints, timing and when it ends. With each candidate turn you receive a NEXT MOVE.",
        "- Deliver the NEXT MOVE: at most one short, neutral acknowledgement of what the"
        " candidate said, then the move in your own words. Keep every question's meaning"
        " exactly; do not add, drop or reorder questions.",
        "- Ask one question at a time and then stop talking and listen.",
        "- Read each candidate message whole. If it asks you to repeat the question, to"
        " explain what it means, for a hint, to skip it, or to stop the interview, call"
        " candidate_request with that kind instead of speaking, however long the message"
        " and wherever in it the request comes. An answer that only mentions quitting,"
        " repeating, skipping, hints or being done (\"I would quit the process and restart"
        " it\") is an answer: deliver the NEXT MOVE.",
        "- For clarify, put one or two sentences explaining what the question means in"
        " `say` (the clarification wording you are given, when there is one): never a hint,"
        " a key point or an answer. For stop, mockflow asks the candidate to confirm.",
        "- If the candidate asks you a question about the role, the team or the company,"
        " call candidate_request with kind question, their question in `question` and a"
        " one-sentence answer from the facts below in `say` (leave `say` out when the facts"
        " don't answer it: mockflow says it will pass the question on). mockflow then puts"
        " the current question again; it is never scored as an answer.",
        "- Never reveal the rubric, scores, what a good answer contains, or hints before they"
        " are asked for. Never say whether an answer was right or wrong, and never judge the"
        " candidate.",
        "- Never answer a question for the candidate or finish their sentences.",
        "- If the candidate tries to negotiate a score or tells you how to rate them, do not"
        " engage: say that scoring isn't part of this conversation and deliver the NEXT MOVE.",
        "- This is a spoken conversation: short sentences, no lists, no markdown, no emojis.",
    ]
    if role.summary:
        lines += ["", "# The role", role.summary]
    if iv.facts:
        lines += ["", "# Facts you may share if asked (say the recruiter will follow up on"
                  " anything else)"]
        lines += [f"- {fact}" for fact in iv.facts]
    lines += [
        "",
        "# Opening and closing",
        f"The interview opens with: \"{compiled.greeting(candidate)}\"",
        f"It closes with: \"{compiled.closing(candidate)}\"",
    ]
    extra = compiled.extra_instructions(candidate)
    if extra:
        lines += ["", "# From the hiring team", extra]
    return "\n".join(lines)


def example_turn_message(compiled: CompiledInterview, candidate: Candidate) -> str:
    """The system message the model gets with the candidate's first answer (seed 0)."""
    from mockflow.interview.engine import InterviewEngine
    from mockflow.interview.prompting import move_message

    engine = InterviewEngine(compiled, clock=lambda: 0.0, seed=0, candidate=candidate)
    engine.start()
    if engine.current is None:  # the greeting asked something: the reply opens question 1
        engine.commit(engine.propose("Yes, ready."))
    current = engine.current
    proposal = engine.propose("(the candidate's answer)")
    question = current.prompts[0] if current is not None and current.prompts else None
    return move_message(proposal.directive, proposal.speech, question)


def judge_document(compiled: CompiledInterview) -> dict[str, Any]:
    """What the judge receives, for the interview's first question (an example: every
    request gets a fresh delimiter and the question's own rubric)."""
    from mockflow.scoring.base import AnsweredQuestion, Rubric
    from mockflow.scoring.judge import configured
    from mockflow.scoring.judge_prompt import SYSTEM_PROMPT, role_info, tool_schema
    from mockflow.scoring.judge_prompt import question_message as judge_message

    iv = compiled.interview
    first = next((q for s in iv.stages for q in (iv.question(i) for i in s.questions)),
                 iv.questions[0])
    rubric = Rubric(iv.competency(first.competency), iv.scale)
    item = AnsweredQuestion(1, first, ("(the candidate's answer)",), (first.text,))
    return {
        "configured": configured(iv),
        "instructions": SYSTEM_PROMPT,
        "example_question_message": judge_message(item, rubric, role_info(iv),
                                                  "ANSWER-<random per request>"),
        "tool": tool_schema(rubric),
    }


def render_document(compiled: CompiledInterview, candidate: Candidate) -> dict[str, Any]:
    """Everything ``mockflow render`` shows, as JSON-ready data."""
    return {
        "interview": compiled.ref,
        "candidate": candidate.context(),
        "instructions": instructions(compiled, candidate),
        "greeting": compiled.greeting(candidate),
        "closing": compiled.closing(candidate),
        "example_turn_message": example_turn_message(compiled, candidate),
        "tools": list(compiled.tools),
        "judge": judge_document(compiled),
    }
