"""Inline SVG charts for the HTML report: scores against the scale, the ladder's path,
time per question against its budget. Static markup, no scripts; every text escaped.
Each chart has a text equivalent in the report (a table) for screen readers."""

from __future__ import annotations

from html import escape

from mockflow.results.report.model import CompetencyRow, QuestionRow, fmt_score

COLOURS = {"ok": "#2f6f4f", "low": "#b5541c", "not-observed": "#9aa0a6",
           "not-answered": "#9aa0a6", "overall": "#1f3b73", "review": "#6a1b9a"}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def score_chart(rows: list[CompetencyRow], overall: float | None, overall_state: str,
                overall_reviewed: float | None, scale: tuple[float, float]) -> str:
    low, high = scale
    label_w, bar_w, row_h = 230, 520, 30
    width = label_w + bar_w + 70
    items: list[tuple[str, float | None, str, float | None, bool]] = [
        ("Overall", overall, overall_state, overall_reviewed, True)]
    items += [(r.name, r.score, r.state, r.reviewed, False) for r in rows]
    height = 26 + row_h * len(items)
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return label_w + (min(max(value, low), high) - low) / span * bar_w

    out = [f'<svg class="chart" role="img" aria-labelledby="scores-title" '
           f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
           '>',
           '<title id="scores-title">Scores against the scale (table below)</title>',
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" '
           'stroke="#c4c7cc" stroke-width="3"/></pattern></defs>']
    tick = low
    while tick <= high + 1e-9:
        tx = x(tick)
        out.append(f'<line x1="{tx:.1f}" y1="16" x2="{tx:.1f}" y2="{height - 4}" '
                   'stroke="#e3e5e8"/>')
        out.append(f'<text x="{tx:.1f}" y="11" class="tick">{_e(fmt_score(tick))}</text>')
        tick += 1.0 if span >= 2 else span / 4
    for i, (name, score, state, reviewed, is_overall) in enumerate(items):
        y = 20 + i * row_h
        weight = ' font-weight="700"' if is_overall else ""
        short = name if len(name) <= 32 else name[:31] + "…"
        out.append(f'<text x="{label_w - 10}" y="{y + 17}" text-anchor="end" '
                   f'class="label"{weight}>{_e(short)}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" rx="3" '
                   'fill="#f3f4f6"/>')
        if score is None:
            out.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" '
                       'rx="3" fill="url(#hatch)"/>')
            out.append(f'<text x="{label_w + 8}" y="{y + 17}" class="na">not observed'
                       '</text>')
        else:
            colour = COLOURS["overall"] if is_overall and state != "low" else COLOURS[state]
            out.append(f'<rect x="{label_w}" y="{y + 4}" width="{max(x(score) - label_w, 5):.1f}" '
                       f'height="18" rx="3" fill="{colour}" class="bar-{_e(state)}"/>')
            out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 17}" class="value"'
                       f'{weight}>{_e(fmt_score(score))}</text>')
        if reviewed is not None:
            rx = x(reviewed)
            out.append(f'<path d="M{rx:.1f} {y + 1} l6 12 l-6 12 l-6 -12 z" '
                       f'fill="{COLOURS["review"]}" stroke="#fff"><title>reviewer: '
                       f'{_e(fmt_score(reviewed))}</title></path>')
    out.append("</svg>")
    return "".join(out)


def ladder_chart(levels: list[str], trajectory: list[tuple[int, str, str | None,
                                                              float | None]],
                 states: dict[int, str]) -> str:
    if not levels or not trajectory:
        return ""
    left, step_w, row_h = 90, 56, 34
    width = left + step_w * max(len(trajectory), 1) + 20
    height = 20 + row_h * len(levels)

    def y(level: str) -> float:
        idx = levels.index(level) if level in levels else 0
        return 10 + (len(levels) - 1 - idx) * row_h + row_h / 2

    out = [f'<svg class="chart" role="img" aria-labelledby="ladder-title" '
           f'viewBox="0 0 {width} {height}" width="100%" '
           f'style="max-width:{width}px">',
           '<title id="ladder-title">Difficulty level asked at each question (see the'
           ' question table)</title>']
    for level in levels:
        ly = y(level)
        out.append(f'<line x1="{left - 6}" y1="{ly:.1f}" x2="{width - 10}" y2="{ly:.1f}" '
                   'stroke="#e3e5e8"/>')
        out.append(f'<text x="{left - 12}" y="{ly + 4:.1f}" text-anchor="end" '
                   f'class="label">{_e(level)}</text>')
    points = [(left + step_w * i + step_w / 2, y(level))
              for i, (_, level, _, _) in enumerate(trajectory)]
    out.append('<polyline fill="none" stroke="#1f3b73" stroke-width="2" points="'
               + " ".join(f"{px:.1f},{py:.1f}" for px, py in points) + '"/>')
    for (px, py), (number, level, _, raw) in zip(points, trajectory, strict=False):
        colour = COLOURS.get(states.get(number, "ok"), COLOURS["ok"])
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="7" fill="{colour}">'
                   f'<title>question {number}: {_e(level)}, raw score '
                   f'{_e(fmt_score(raw))}</title></circle>')
        out.append(f'<text x="{px:.1f}" y="{height - 2}" text-anchor="middle" '
                   f'class="tick">Q{number}</text>')
    out.append("</svg>")
    return "".join(out)


def time_chart(rows: list[QuestionRow]) -> str:
    timed = [r for r in rows if r.budget]
    if not timed:
        return ""
    top = max(max((r.seconds or 0) for r in timed), max(r.budget or 0 for r in timed))
    left, bar_w, row_h = 60, 600, 24
    width = left + bar_w + 110
    height = 8 + row_h * len(timed)

    def x(value: float) -> float:
        return left + value / top * bar_w if top else left

    out = [f'<svg class="chart" role="img" aria-labelledby="time-title" '
           f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" '
           '>',
           '<title id="time-title">Time per question against its budget (see the question'
           ' table)</title>']
    for i, r in enumerate(timed):
        y = 4 + i * row_h
        seconds = r.seconds or 0.0
        over = r.budget is not None and seconds > r.budget
        colour = COLOURS["low"] if over else "#4a6fa5"
        out.append(f'<text x="{left - 8}" y="{y + 13}" text-anchor="end" class="label">'
                   f'Q{r.number}</text>')
        out.append(f'<rect x="{left}" y="{y + 3}" width="{x(seconds) - left:.1f}" '
                   f'height="12" rx="2" fill="{colour}"/>')
        bx = x(r.budget or 0)
        out.append(f'<line x1="{bx:.1f}" y1="{y}" x2="{bx:.1f}" y2="{y + 18}" '
                   'stroke="#111" stroke-width="2" stroke-dasharray="3 2"/>')
        out.append(f'<text x="{left + bar_w + 14}" y="{y + 13}" class="value">'
                   f'{round(seconds)} s / {round(r.budget or 0)} s</text>')
    out.append("</svg>")
    return "".join(out)
