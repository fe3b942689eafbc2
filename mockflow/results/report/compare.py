"""Several sessions of one interview side by side: competencies as rows, candidates as
columns (HTML with inline bars, or Markdown)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from mockflow.results.durable import ResultsError
from mockflow.results.report.html import CSS
from mockflow.results.report.md import md
from mockflow.results.report.model import Report, fmt_score, state_of


class CompareError(ResultsError):
    """Sessions that can't be compared (different interviews)."""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


EXTRA_CSS = """
th.cand{text-transform:none;font-size:.9rem;color:var(--ink);min-width:150px}
th.cand .sub{font-size:.72rem;color:var(--muted);overflow-wrap:anywhere;font-weight:400}
tbody th{min-width:190px}td.num svg{display:inline-block;vertical-align:middle;margin-left:8px}
"""


def _label(r: Report) -> str:
    """A column's name: the candidate, or the session when the invite named nobody."""
    named = r.session.candidate_name
    return named if named else f"session {r.session.session_id.split('-', 1)[-1]}"


def check_comparable(reports: Sequence[Report]) -> list[str]:
    """Raise unless all sessions are of one interview; return notes (e.g. versions)."""
    ids = sorted({r.interview_id for r in reports})
    if len(ids) > 1:
        where = "; ".join(f"{r.session.directory}: {r.interview_id}" for r in reports)
        raise CompareError(f"a comparison needs sessions of one interview, got {len(ids)}"
                           f" ({', '.join(ids)}): {where}")
    versions = sorted({r.version for r in reports})
    if len(versions) > 1:
        return [f"the sessions ran {len(versions)} versions of the interview"
                f" ({', '.join(versions)}); questions and anchors may differ"]
    return []


def _rows(reports: Sequence[Report]) -> list[tuple[str, str, list[tuple[float | None,
                                                                         float | None]]]]:
    order: dict[str, str] = {}
    for r in reports:
        for c in r.competencies:
            order.setdefault(c.id, c.name)
    rows = [("overall", "Overall", [(r.overall, r.overall_reviewed) for r in reports])]
    for cid, name in order.items():
        cells = []
        for r in reports:
            found = next((x for x in r.competencies if x.id == cid), None)
            cells.append((None, None) if found is None else (found.score, found.reviewed))
        rows.append((cid, name, cells))
    return rows


def _cell(score: float | None, reviewed: float | None, scale: tuple[float, float]) -> str:
    if score is None:
        inner = '<span class="s-not-observed">not observed</span>'
    else:
        state = state_of(score, scale)
        low, high = scale
        width = 4 + 96 * (score - low) / ((high - low) or 1)
        inner = (f'<span class="s-{state}">{_e(fmt_score(score))}</span>'
                 f'<svg viewBox="0 0 100 6" width="100" height="6" aria-hidden="true" '
                 f'><rect width="100" height="6" '
                 f'fill="#f3f4f6"/><rect width="{width:.1f}" height="6" fill="'
                 f'{"#b5541c" if state == "low" else "#2f6f4f"}"/></svg>')
    if reviewed is not None:
        inner += f' <span class="rv" title="reviewer">({_e(fmt_score(reviewed))})</span>'
    return f'<td class="num">{inner}</td>'


def render_compare_html(reports: Sequence[Report]) -> str:
    notes = check_comparable(reports)
    first = reports[0]
    heads = "".join(f'<th scope="col" class="cand">{_e(_label(r))}<div class="sub">'
                    f'{_e(r.date)} · {_e(r.status)}<br>{_e(r.session.session_id)}</div></th>'
                    for r in reports)
    body = []
    for _, name, cells in _rows(reports):
        body.append(f'<tr><th scope="row">{_e(name)}</th>'
                    + "".join(_cell(s, rv, r.scale) for (s, rv), r in
                              zip(cells, reports, strict=True)) + "</tr>")
    flags = "".join(f'<td class="num">{len(r.flags)}</td>' for r in reports)
    body.append(f'<tr><th scope="row">Review flags</th>{flags}</tr>')
    note = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    title = f"{first.title}: {len(reports)} candidates"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
            " style-src 'unsafe-inline'\">"
            f"<title>{_e(title)} · mockflow</title><style>{CSS}{EXTRA_CSS}</style></head>"
            "<body><main>"
            f"<h1>{_e(first.title)}</h1><p class=\"sub\">{len(reports)} sessions of "
            f"{_e(first.interview_id)} compared. Scores on a {_e(fmt_score(first.scale[0]))}"
            f"–{_e(fmt_score(first.scale[1]))} scale; reviewer scores in brackets.</p>{note}"
            f'<div style="overflow-x:auto"><table><thead><tr><th>Competency</th>{heads}'
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            '<p class="note">Scores support a decision; they do not make one. Read each'
            " candidate's report and transcript before comparing people.</p>"
            f"<footer>Generated by mockflow {_e(first.mockflow)}</footer></main></body>"
            "</html>\n")


def render_compare_md(reports: Sequence[Report]) -> str:
    notes = check_comparable(reports)
    first = reports[0]
    out = [f"# {md(first.title)}: {len(reports)} sessions compared", ""]
    out += [f"> {md(n)}" for n in notes]
    out += ["| Competency | " + " | ".join(md(r.candidate) for r in reports) + " |",
            "|---|" + "---|" * len(reports)]
    for _, name, cells in _rows(reports):
        shown = []
        for score, reviewed in cells:
            text = "_not observed_" if score is None else fmt_score(score)
            if reviewed is not None:
                text += f" ({fmt_score(reviewed)})"
            shown.append(text)
        out.append(f"| {md(name)} | " + " | ".join(shown) + " |")
    out.append("| Review flags | " + " | ".join(str(len(r.flags)) for r in reports) + " |")
    out += ["", "Reviewer scores in brackets. Scores support a decision; they do not make"
            " one.", ""]
    return "\n".join(out)
