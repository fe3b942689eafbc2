"""The HTML report: one self-contained file (inline CSS and SVG; no scripts, fonts,
images or links off the page), for a laptop screen and for print.

Everything that comes from the session is escaped: candidate text is hostile data.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from mockflow.results.report.model import (
    OUTCOME_TEXT,
    Evidence,
    Report,
    Turn,
    fmt_score,
    fmt_seconds,
    state_of,
)
from mockflow.results.report.svg import ladder_chart, score_chart, time_chart

CSS = """
:root{--ink:#1d2330;--muted:#5b6472;--line:#e3e5e8;--ok:#2f6f4f;--low:#b5541c;
--na:#6b7280;--accent:#1f3b73;--flag:#fff4e5;--flagline:#f0b35a;--review:#6a1b9a}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
margin:0;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:28px 32px 48px;background:#fff;min-height:100vh}
h1{font-size:1.6rem;margin:0 0 2px}h2{font-size:1.15rem;margin:30px 0 10px;
border-bottom:2px solid var(--line);padding-bottom:4px}
.sub{color:var(--muted);margin:0 0 14px}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px 18px;
margin:14px 0}
dl.facts div{border-left:3px solid var(--line);padding-left:10px}
dt{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.flags{background:var(--flag);border:1px solid var(--flagline);border-radius:6px;
padding:10px 16px;margin:16px 0}
.flags h2{border:0;margin:0 0 4px;padding:0;font-size:1rem}
.flags ul{margin:0;padding-left:20px}
.note{color:var(--muted);font-size:.9rem;border-left:3px solid var(--accent);
padding:4px 12px;margin:12px 0}
.big{font-size:2.4rem;font-weight:700;line-height:1}
.big small{font-size:1rem;color:var(--muted);font-weight:400}
.overall{display:flex;gap:28px;align-items:baseline;flex-wrap:wrap}
svg.chart{display:block;margin:8px 0;font:12px system-ui,sans-serif}
svg .tick{fill:var(--muted);font-size:11px;text-anchor:middle}
svg .label{fill:var(--ink);font-size:12.5px}svg .value{fill:var(--ink);font-size:12.5px}
svg .na{fill:#4b5563;font-style:italic;font-size:12px}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:.92rem}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.78rem;text-transform:uppercase;letter-spacing:.03em;color:var(--muted)}
tbody th{font-weight:600}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.s-ok{color:var(--ok);font-weight:700}.s-low{color:var(--low);font-weight:700}
.s-not-observed,.s-not-answered{color:var(--na);font-style:italic}
.pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:.78rem;
border:1px solid currentColor;white-space:nowrap}
.rv{color:var(--review);font-weight:700}
ul.ev{margin:4px 0 0;padding-left:18px}ul.ev li{margin:2px 0}
ul.ev a{color:var(--accent)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.transcript{margin-top:6px}
.qhead{margin:18px 0 6px;font-weight:700;color:var(--accent)}
.turn{display:grid;grid-template-columns:58px 110px 1fr;gap:8px;padding:5px 0;
border-bottom:1px dotted var(--line)}
.turn time{color:var(--muted);font-variant-numeric:tabular-nums;font-size:.85rem}
.who{font-weight:600;font-size:.88rem}.turn.candidate .who{color:var(--ok)}
.turn.interviewer .who{color:var(--muted)}
.turn.request{background:#f4f0fa}.tag{font-size:.72rem;color:var(--review);display:block}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
mark.ev{background:#fde68a;padding:0 1px;border-radius:2px}
mark.ev:target,span.anchor:target+mark{outline:2px solid var(--accent)}
footer{margin-top:36px;color:var(--muted);font-size:.8rem}
@media (max-width:700px){main{padding:16px}.turn{grid-template-columns:48px 1fr}
.turn .who{grid-column:2}.turn .text{grid-column:1/3}}
@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}
a{color:inherit;text-decoration:none}h2{break-after:avoid}
.turn,tr,.flags,svg{break-inside:avoid}mark.ev{outline:none}
.flags{border:1px solid #000;background:#fff}@page{margin:16mm}}
"""


def e(text: object) -> str:
    return escape(str(text), quote=True)


def _score_cell(score: float | None, state: str, scale: tuple[float, float]) -> str:
    if state == "not-answered":
        return '<span class="s-not-answered">not answered</span>'
    if score is None:
        return '<span class="s-not-observed">not observed</span>'
    tag = " (low)" if state == "low" else ""
    return (f'<span class="s-{e(state)}">{e(fmt_score(score))}</span>'
            f'<span class="sr-only">{tag} out of {e(fmt_score(scale[1]))}</span>')


def _evidence_list(items: Sequence[Evidence]) -> str:
    if not items:
        return ""
    lis = []
    for ev in items:
        missing = "" if ev.found else " <em>(not found in the transcript)</em>"
        lis.append(f'<li><a href="#{e(ev.anchor)}">“{e(ev.quote)}”</a>{missing}</li>')
    return '<ul class="ev">' + "".join(lis) + "</ul>"


def _turn(turn: Turn, interviewer: str) -> str:
    classes = ["turn", e(turn.role)]
    tag = ""
    if turn.request:
        classes.append("request")
        tag = f'<span class="tag">request: {e(turn.request)}</span>'
    elif turn.kind and turn.role == "candidate" and turn.kind not in ("answer", "remark"):
        tag = f'<span class="tag">{e(turn.kind.replace("_", " "))}</span>'
    parts = []
    for seg in turn.segments:
        anchors = "".join(f'<span class="anchor" id="{e(a)}"></span>' for a in seg.anchors)
        body = e(seg.text)
        parts.append(anchors + (f'<mark class="ev">{body}</mark>' if seg.marked else body))
    who = "Candidate" if turn.role == "candidate" else interviewer
    return (f'<div class="{" ".join(classes)}" id="{e(turn.anchor)}">'
            f'<time datetime="{e(turn.wall)}" title="{e(turn.wall)}">{e(turn.offset)}</time>'
            f'<span class="who">{e(who)}{tag}</span>'
            f'<span class="text">{"".join(parts)}</span></div>')


def _header(r: Report) -> str:
    facts = [("Interview", f"{r.title} ({r.interview_id})"), ("Version", r.version or "–"),
             ("Date", r.date), ("Duration", r.duration), ("Status", r.status),
             ("Session", r.session.session_id), ("mockflow", r.mockflow)]
    if r.identity and r.identity != r.candidate:
        facts.insert(0, ("Candidate id", r.identity))
    dl = "".join(f"<div><dt>{e(k)}</dt><dd>{e(v)}</dd></div>" for k, v in facts)
    return (f'<header><h1>{e(r.candidate)}</h1><p class="sub">{e(r.title)} · '
            f'{e(r.date)}</p><dl class="facts">{dl}</dl></header>')


def _flags(r: Report) -> str:
    if not r.flags:
        return ""
    items = "".join(f"<li>{e(f)}</li>" for f in r.flags)
    return (f'<section class="flags" aria-labelledby="flags-h"><h2 id="flags-h">'
            f'For the reviewer ({len(r.flags)})</h2><ul>{items}</ul></section>')


def _scores(r: Report) -> str:
    low, high = r.scale
    overall = ('<span class="s-not-observed">not observed</span>' if r.overall is None
               else f'{e(fmt_score(r.overall))}<small> / {e(fmt_score(high))}</small>')
    reviewed = ""
    if r.overall_reviewed is not None:
        reviewed = (f'<div><span class="rv">{e(fmt_score(r.overall_reviewed))}</span> '
                    'with reviewer scores</div>')
    if r.level_reached:
        reviewed += f'<div>level reached: {e(r.level_reached)}</div>'

    rows = []
    for c in r.competencies:
        rv = "–" if c.reviewed is None else (f'<span class="rv">{e(fmt_score(c.reviewed))}'
                                              f'</span> ({e(c.reviewer)})')
        rows.append(f'<tr id="c-{e(c.id)}"><th scope="row">{e(c.name)}</th>'
                    f'<td class="num">{_score_cell(c.score, c.state, r.scale)}</td>'
                    f'<td class="num">{rv}</td><td class="num">{c.observations}</td>'
                    f'<td class="num">{e(fmt_score(c.weight))}</td>'
                    f'<td>{_evidence_list(c.evidence)}</td></tr>')
    chart = score_chart(list(r.competencies), r.overall, r.overall_state, r.overall_reviewed,
                        r.scale)
    return (f'<section aria-labelledby="scores-h"><h2 id="scores-h">Scores</h2>'
            f'<div class="overall"><div class="big" id="overall">{overall}</div>'
            f'<div>overall, weighted mean of the observed competencies on a '
            f'{e(fmt_score(low))}–{e(fmt_score(high))} scale</div>{reviewed}</div>'
            f'{chart}<table><caption class="sr-only">Scores per competency</caption>'
            '<thead><tr><th>Competency</th><th>Score</th><th>Reviewer</th>'
            '<th>Observed</th><th>Weight</th><th>Evidence</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></section>")


def _questions(r: Report) -> str:
    rows = []
    for q in r.questions:
        time_cell = f"{fmt_seconds(q.seconds)} / {fmt_seconds(q.budget)}"
        over = q.seconds is not None and q.budget is not None and q.seconds > q.budget
        flags = "".join(f'<div class="s-low">⚑ {e(f)}</div>' for f in q.flags)
        extras = []
        if q.follow_ups:
            extras.append(f"{q.follow_ups} follow-up(s)")
        if q.hints:
            extras.append(f"{q.hints} hint(s)")
        raw = f'<div class="sub">{e(q.breakdown)}</div>' if q.breakdown else ""
        if q.reviewed:
            raw += f'<div class="rv">reviewer: {e(q.reviewed)}</div>'
        rows.append(
            f'<tr id="q-{q.number}"><td class="num">{q.number}</td>'
            f'<td><strong>{e(q.id)}</strong><div class="sub">{e(q.competency)} · '
            f'{e(q.level)}</div></td><td>{e(q.outcome)}'
            f'{"<div class=sub>" + e(", ".join(extras)) + "</div>" if extras else ""}</td>'
            f'<td class="num">{_score_cell(q.score, q.state, r.scale)}{raw}</td>'
            f'<td class="num{" s-low" if over else ""}">{e(time_cell)}</td>'
            f'<td>{flags}{e(q.rationale)}{_evidence_list(q.evidence)}</td></tr>')
    states = {q.number: q.state for q in r.questions}
    ladder = ladder_chart(list(r.levels), list(r.trajectory), states)
    timing = time_chart(list(r.questions))
    return ('<section aria-labelledby="q-h"><h2 id="q-h">Questions</h2>'
            '<table><thead><tr><th>#</th><th>Question</th><th>Outcome</th><th>Score</th>'
            '<th>Time / budget</th><th>Why</th></tr></thead><tbody>' + "".join(rows)
            + "</tbody></table>"
            + (f'<h2>Difficulty ladder</h2><p class="sub">The level the ladder asked for at'
               f' each question, coloured by its score.</p>{ladder}' if ladder else "")
            + (f'<h2>Time per question</h2><p class="sub">Bars: time taken; dashed line:'
               f' the answer budget.</p>{timing}' if timing else "")
            + "</section>")


def _transcript(r: Report, interviewer: str) -> str:
    out = ['<section aria-labelledby="t-h"><h2 id="t-h">Transcript</h2>'
           '<p class="sub">Times from the start of the interview (hover for the UTC time).'
           ' <mark class="ev">Highlighted</mark> words are evidence for a score.</p>'
           '<div class="transcript">']
    current: int | None = None
    titles = {q.number: q.id for q in r.questions}
    for turn in r.turns:
        if turn.question is not None and turn.question != current:
            current = turn.question
            out.append(f'<div class="qhead">Question {current} · '
                       f'{e(titles.get(current, ""))}</div>')
        out.append(_turn(turn, interviewer))
    out.append("</div></section>")
    return "".join(out)


def _reviews(r: Report) -> str:
    if not r.reviews:
        return ""
    items = []
    for rv in r.reviews:
        scores = ", ".join([*(f"{k} = {fmt_score(v)}" for k, v in rv.scores.items()),
                            *(f"question {n} = {fmt_score(v)}"
                              for n, v in sorted(rv.questions.items())),
                            *(f"resolved question {x.question}"
                              + (f" ({x.flag})" if x.flag else "") for x in rv.resolved)])
        items.append(f'<li><strong>{e(rv.reviewer or "a reviewer")}</strong>, '
                     f'{e(rv.at)}{": " + e(scores) if scores else ""}'
                     f'{"<div class=text>" + e(rv.note) + "</div>" if rv.note else ""}</li>')
    return ('<section aria-labelledby="rv-h"><h2 id="rv-h">Reviews</h2><p class="sub">'
            'Reviewers\' scores and notes, oldest first. The machine\'s scores above are'
            ' unchanged.</p><ul>' + "".join(items) + "</ul></section>")


def _method(r: Report) -> str:
    sources = ", ".join(r.sources) or "none (nothing was scored)"
    rule = f" Level adjustment: {e(r.adjustment_rule)}." if r.adjustment_rule else ""
    return ('<section aria-labelledby="m-h"><h2 id="m-h">How this score was made</h2>'
            '<p>Each answer was scored against the competency\'s behavioural anchors by a'
            f' scorer separate from the interviewer (source: {e(sources)}). A score above'
            ' the scale minimum needs verbatim evidence from the candidate\'s own words;'
            ' without it the question is "not observed" and does not count. A competency'
            ' score is the mean of its observed questions; the overall score is the'
            f' weighted mean of the observed competencies.{rule}</p>'
            '<p class="note">This report supports a decision; it does not make one. A'
            ' person should read the transcript and the evidence before acting on any'
            ' score.</p></section>')


def render_html(r: Report) -> str:
    body = "".join([_header(r), _flags(r), _scores(r), _reviews(r), _questions(r),
                    _transcript(r, "Interviewer"), _method(r)])
    title = f"{r.candidate} · {r.title} · mockflow report"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<meta name="referrer" content="no-referrer">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
            " style-src 'unsafe-inline'; img-src data:\">"
            f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>{body}"
            f'<footer>Generated by mockflow {e(r.mockflow)} from {e(r.session.directory.name)}'
            f" · interview {e(r.interview_ref)}</footer></main></body></html>\n")


__all__ = ["render_html", "OUTCOME_TEXT", "state_of"]
