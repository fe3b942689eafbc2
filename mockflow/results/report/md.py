"""The Markdown report: the HTML report's content without charts, for a ticket or an
email. Candidate text is escaped so that it can't add headings, links, images or HTML,
and URLs in it are neutralised so that renderers that linkify bare URLs (GFM, markdown-it
with linkify) show them as text, never as links."""

from __future__ import annotations

import re

from mockflow.results.report.model import Report, fmt_score, fmt_seconds

_SPECIAL = re.compile(r"([\\`*_\[\]|<>~&])")
# A '.', ':' or '@' inside a word: what every linkifier needs to see a URL (https://…,
# www.…, a bare domain like evil.io, an e-mail address, mailto:/xmpp:). Escaped, it renders
# the same but the text is no longer one token, so GFM's autolink extension and
# markdown-it's linkify leave it alone; GFM still links an e-mail with an escaped '@', so
# an invisible ZERO WIDTH SPACE goes before it (no address has one).
_LINKABLE = re.compile(r"([.:@])(?=\S)")
_ZWSP = "\u200b"


def _unlink(escaped: str) -> str:
    return _LINKABLE.sub(lambda m: (_ZWSP if m.group(1) == "@" else "") + "\\" + m.group(1),
                         escaped)


def md(text: object, *, strip: bool = True) -> str:
    """Inline Markdown text: specials backslash-escaped, whitespace runs (line breaks
    included) made one space, and nothing in it can become a link, not even where a
    renderer linkifies bare URLs; ``strip=False`` keeps a space at either end (a piece of
    a longer text)."""
    flat = re.sub(r"\s+", " ", str(text))
    return _unlink(_SPECIAL.sub(r"\\\1", flat.strip() if strip else flat))


def _score(score: float | None, state: str, top: float) -> str:
    if state == "not-answered":
        return "_not answered_"
    if score is None:
        return "_not observed_"
    mark = " (low)" if state == "low" else ""
    return f"**{fmt_score(score)}**/{fmt_score(top)}{mark}"


def render_md(r: Report) -> str:
    top = r.scale[1]
    out = [f"# {md(r.candidate)}: {md(r.title)}", ""]
    facts = [("Interview", f"{r.title} ({r.interview_id}), version {r.version or '–'}"),
             ("Date", r.date), ("Duration", r.duration), ("Status", r.status),
             ("Session", r.session.session_id), ("mockflow", r.mockflow)]
    if r.identity and r.identity != r.candidate:
        facts.insert(0, ("Candidate id", r.identity))
    out += [f"- **{k}:** {md(v)}" for k, v in facts]
    if r.flags:
        out += ["", f"## For the reviewer ({len(r.flags)})", ""]
        out += [f"- ⚑ {md(f)}" for f in r.flags]
    overall = _score(r.overall, r.overall_state if r.overall is not None else "n", top)
    out += ["", "## Scores", "", f"Overall: {overall} (weighted mean of the observed"
            f" competencies, scale {fmt_score(r.scale[0])}–{fmt_score(top)})"]
    if r.level_reached:
        out.append(f"Level reached on the difficulty ladder: {md(r.level_reached)}")
    if r.overall_reviewed is not None:
        out.append(f"With reviewer scores: **{fmt_score(r.overall_reviewed)}**")
    out += ["", "| Competency | Score | Reviewer | Observed | Weight |", "|---|---|---|---|---|"]
    for c in r.competencies:
        rv = "–" if c.reviewed is None else f"{fmt_score(c.reviewed)} ({md(c.reviewer)})"
        out.append(f"| {md(c.name)} | {_score(c.score, c.state, top)} | {rv} | "
                   f"{c.observations} | {fmt_score(c.weight)} |")
    if r.reviews:
        out += ["", "## Reviews", ""]
        for rv_ in r.reviews:
            scores = ", ".join([*(f"{md(k)} = {fmt_score(v)}" for k, v in rv_.scores.items()),
                                *(f"question {n} = {fmt_score(v)}"
                                  for n, v in sorted(rv_.questions.items())),
                                *(f"resolved question {x.question}"
                                  + (f" ({md(x.flag)})" if x.flag else "")
                                  for x in rv_.resolved)])
            line = f"- **{md(rv_.reviewer or 'a reviewer')}**, {md(rv_.at)}"
            line += f": {scores}" if scores else ""
            if rv_.note:
                line += f" — {md(rv_.note)}"
            out.append(line)
    out += ["", "## Questions", "",
            "| # | Question | Level | Outcome | Score | How it counts | Time / budget |",
            "|---|---|---|---|---|---|---|"]
    for q in r.questions:
        out.append(f"| {q.number} | {md(q.id)} ({md(q.competency)}) | {md(q.ladder_level)} |"
                   f" {md(q.outcome)} | {_score(q.score, q.state, top)} | {md(q.breakdown)} |"
                   f" {fmt_seconds(q.seconds)} / {fmt_seconds(q.budget)} |")
    for q in r.questions:
        if not (q.evidence or q.flags or q.rationale or q.reviewed):
            continue
        out += ["", f"**Question {q.number}** ({md(q.id)}): {md(q.rationale)}",
                f"- how it counts: {md(q.breakdown)}"]
        if q.reviewed:
            out.append(f"- reviewer's score: {md(q.reviewed)}")
        out += [f"- ⚑ {md(f)}" for f in q.flags]
        out += [f"- evidence: “{md(ev.quote)}”" for ev in q.evidence]
    out += ["", "## Transcript", ""]
    current: int | None = None
    for t in r.turns:
        if t.question is not None and t.question != current:
            current = t.question
            out += ["", f"### Question {current}", ""]
        who = "Candidate" if t.role == "candidate" else "Interviewer"
        tag = f" _(request: {md(t.request)})_" if t.request else ""
        text = "".join(f"**{md(s.text)}**" if s.marked else md(s.text, strip=False)
                       for s in t.segments).strip()
        out.append(f"- `{t.offset}` **{who}**{tag}: {text}")
    out += ["", "## How this score was made", "",
            "Each answer was scored against the competency's behavioural anchors by a scorer"
            f" separate from the interviewer (source: {md(', '.join(r.sources) or 'none')})."
            " A score above the scale minimum needs verbatim evidence from the candidate's"
            " own words (**bold** in the transcript); without it the question is"
            " *not observed* and does not count.", "",
            "> This report supports a decision; it does not make one. A person should read"
            " the transcript and the evidence before acting on any score.", ""]
    return "\n".join(out)
