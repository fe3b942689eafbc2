"""Semantic rules JSON Schema can't express: references, ids, ladder, budgets, templates,
tools, expectations, and the warnings (coverage, time, fairness).

Checks read the model (built from schema-valid data, so every field is present and
well-typed) and use the document only to locate what they report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache

from mockflow.format.errors import Problem
from mockflow.format.hosts import tool_url_problems, webhook_url_problems
from mockflow.format.model import Interview, ScoreRange
from mockflow.format.partial import Damage
from mockflow.format.plan_checks import asked, stage_pool, stages
from mockflow.format.readiness import consequence
from mockflow.format.reporter import Reporter, did_you_mean, hint_budget
from mockflow.format.template_values import Val, context_bounds
from mockflow.format.templates import analyze, iter_template_fields
from mockflow.format.voice_checks import local_voice, turn_taking
from mockflow.format.yaml_io import Document, Path, node_at, pointer

# One list, used here and by the agent: names the interviewer's own tools take.
RESERVED_TOOL_NAMES = frozenset(
    {
        "candidate_request", "end_interview", "record_response", "get_next_question",
        "provide_feedback", "score", "submit_score", "transfer", "handoff",
    }
)

# Fairness lint: topics that are not job-related and must not be asked about.
_FAIRNESS_TERMS: dict[str, str] = {
    r"\bhow old\b|\bage\b|\bbirth ?(date|day|year)\b|\bborn in\b": "age",
    r"\bmarri(ed|age)\b|\bspouse\b|\bhusband\b|\bwife\b|\bpartner'?s? job\b|\bsingle\b": (
        "marital status"
    ),
    r"\bchild(ren)?\b|\bkids?\b|\bfamily plans?\b|\bchildcare\b": "family status",
    r"\bpregnan\w*\b|\bmaternity\b": "pregnancy",
    r"\breligio\w*\b|\bchurch\b|\bmosque\b|\bsynagogue\b|\btemple\b|\bpray\w*\b": "religion",
    r"\bnationality\b|\bnational origin\b|\bwhere are you (originally )?from\b|"
    r"\bnative (language|country)\b|\bethnic\w*\b|\brace\b": "national origin",
    r"\bcitizen(ship)?\b|\bimmigra\w*\b|\bpassport\b": "citizenship",
    r"\bdisab\w*\b|\bhandicap\w*\b|\bwheelchair\b": "disability",
    r"\bhealth\b|\bmedical\b|\bmedication\b|\billness\b|\bsick\b": "health",
    r"\bpolitic\w*\b|\bvot(e|ed|ing)\b|\bparty affiliation\b|\bunion member\w*\b": "politics",
}
# One pass over each text to find the few that mention any topic (most mention none);
# only those go through the topics in order, so the topic reported stays the first listed.
# ASCII text is lower-cased for it (a case-sensitive search is about twice as fast; every
# term is lower case); other text keeps Unicode case folding. The patterns only the rare
# text needs are compiled when one does (about 2 ms of every `validate` otherwise).
_FAIRNESS_ANY_LOWER = re.compile("|".join(f"(?:{p})" for p in _FAIRNESS_TERMS))


@cache
def _fairness_any() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in _FAIRNESS_TERMS), re.IGNORECASE)


@cache
def _fairness_topics() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(p, re.IGNORECASE), topic) for p, topic in _FAIRNESS_TERMS.items()]


# Phrases that mention a topic legitimately (work authorisation; system health).
_FAIRNESS_OK = re.compile(
    r"\bwork authori[sz]ation\b|\bauthori[sz]ed to work\b|\bhealth ?checks?\b|"
    r"\bhealth endpoints?\b|\bservice health\b|\bsystem health\b|\bhealthy\b|"
    r"\bchild (process|processes|component|components|element|elements|node|nodes|span|spans)\b|"
    r"\bsingle (point|page|source|responsibility|thread|threaded|request|query|table|file|"
    r"server|instance|region|sign-on)\b|\brace condition",
    re.IGNORECASE,
)


def _unique_ids(r: Reporter, iv: Interview) -> None:
    groups: list[tuple[str, str, list[str]]] = [
        ("questions", "question", [q.id for q in iv.questions]),
        ("competencies", "competency", [c.id for c in iv.competencies]),
        ("stages", "stage", [s.id for s in iv.stages]),
        ("tools", "tool", [t.name for t in iv.tools]),
    ]
    for section, noun, ids in groups:
        key = "name" if section == "tools" else "id"
        seen: dict[str, int] = {}
        for index, item_id in enumerate(ids):
            if item_id in seen:
                first_line = r.doc.position(r.damage.file_path((section, seen[item_id], key)))[0]
                r.at((section, index, key), "MF104",
                     f"{noun} id '{item_id}' is used twice (first at line {first_line});"
                     f" give this {noun} a different id")
            else:
                seen[item_id] = index


def _references(r: Reporter, iv: Interview) -> None:
    competencies = iv.competencies_by_id
    questions = iv.questions_by_id
    levels = iv.ladder.levels
    # ids of items cut out for schema errors exist; None: one had no id, so skip the check
    cut_competencies = r.damage.known_ids("competencies")
    cut_questions = r.damage.known_ids("questions")

    def competency_unknown(cid: str) -> bool:
        return cut_competencies is not None and cid not in competencies and \
            cid not in cut_competencies

    def level_ok(path: Path, level: str, what: str) -> None:
        if not r.intact("ladder"):
            return
        if level not in levels:
            hint = did_you_mean(level, levels)
            r.at(path, "MF103",
                 f"{what} level '{level}' is not a ladder level; use one of:"
                 f" {', '.join(levels)}" + (f" ({hint})" if hint else ""))

    if r.intact("role"):
        level_ok(("role", "level"), iv.role.level, "role")
    level_ok(("ladder", "start"), iv.ladder.start, "ladder start")
    for i, q in enumerate(iv.questions):
        if competency_unknown(q.competency):
            hint = did_you_mean(q.competency, competencies)
            r.at(("questions", i, "competency"), "MF101",
                 f"question '{q.id}' refers to unknown competency '{q.competency}';"
                 f" {hint or 'add it under competencies: or fix the id'}")
        level_ok(("questions", i, "level"), q.level, f"question '{q.id}'")
    for s_i, stage in enumerate(iv.stages):
        for j, qid in enumerate(stage.questions):
            if cut_questions is not None and qid not in questions and qid not in cut_questions:
                hint = did_you_mean(qid, questions)
                r.at(("stages", s_i, "questions", j), "MF102",
                     f"stage '{stage.id}' lists unknown question '{qid}';"
                     f" {hint or 'add it under questions: or fix the id'}")
        for j, cid in enumerate(stage.competencies):
            if competency_unknown(cid):
                hint = did_you_mean(cid, competencies)
                r.at(("stages", s_i, "competencies", j), "MF101",
                     f"stage '{stage.id}' draws from unknown competency '{cid}';"
                     f" {hint or 'add it under competencies: or fix the id'}")


def _scale_and_ladder(r: Reporter, iv: Interview) -> None:
    if not r.intact("scale"):
        return
    lo, hi = iv.scale.min, iv.scale.max
    if lo >= hi:
        r.at(("scale", "max"), "MF111",
             f"scale max ({hi}) must be greater than scale min ({lo}); e.g. min: 1, max: 5")
        return
    ladder = iv.ladder
    up, down = ladder.step_up_at, ladder.step_down_at
    for key, value in (("step_up_at", up), ("step_down_at", down)) if r.intact("ladder") else ():
        if not lo <= value <= hi:
            r.at(("ladder", key), "MF105",
                 f"ladder {key} ({value:g}) is outside the scale {lo}..{hi}; pick a score"
                 " on the scale")
    if down >= up and r.intact("ladder"):
        r.at(("ladder", "step_down_at"), "MF105",
             f"ladder step_down_at ({down:g}) must be below step_up_at ({up:g}); e.g."
             f" step_down_at: {lo + 1}, step_up_at: {hi - 1}")
    for c_i, comp in enumerate(iv.competencies):
        seen: set[int] = set()
        # anchors were sorted in the model; locate them by their index in the file
        by_score = {a.score: a for a in comp.anchors}
        raw_scores = [a.score for a in comp.anchors]
        file_index = int(r.damage.file_path(("competencies", c_i))[1])
        for a_i, score in enumerate(_anchor_file_order(r.doc, file_index, raw_scores)):
            path = ("competencies", c_i, "anchors", a_i, "score")
            if not lo <= score <= hi:
                r.at(path, "MF106",
                     f"anchor score {score} of competency '{comp.id}' is outside the scale"
                     f" {lo}..{hi}; use a score on the scale")
            elif score in seen:
                r.at(path, "MF106",
                     f"competency '{comp.id}' has two anchors for score {score}; merge them")
            seen.add(score)
        missing = [s for s in (lo, hi) if s not in by_score]
        if missing:
            r.at(("competencies", c_i, "anchors"), "MF107",
                 f"competency '{comp.id}' has no anchor for score"
                 f" {' or '.join(map(str, missing))}; describe the behaviour at both ends"
                 f" of the scale ({lo} and {hi})")


def _anchor_file_order(doc: Document, c_i: int, fallback: list[int]) -> list[int]:
    data = doc.data or {}
    try:
        return [int(a["score"]) for a in data["competencies"][c_i]["anchors"]]
    except (KeyError, IndexError, TypeError, ValueError):
        return fallback


def _timing(r: Reporter, iv: Interview) -> None:
    if not r.intact("timing"):
        return
    if iv.timing.wrap_up_minutes >= iv.timing.total_minutes:
        r.at(("timing", "wrap_up_minutes"), "MF112",
             f"wrap_up_minutes ({iv.timing.wrap_up_minutes:g}) leaves no time for questions"
             f" in a {iv.timing.total_minutes:g}-minute interview; make it smaller")
        return
    if not r.intact("stages", "questions"):
        return
    # Expected answer time: fixed questions plus pick x the longest answer in each pool.
    expected = 0.0
    fixed = {qid for s in iv.stages for qid in s.questions}
    for stage in iv.stages:
        if stage.pick is None:
            expected += sum(iv.questions_by_id[q].answer_seconds for q in stage.questions
                            if q in iv.questions_by_id)
        else:
            pool = sorted((q.answer_seconds for q in stage_pool(iv, stage, fixed)), reverse=True)
            expected += sum(pool[: stage.pick])
    available = (iv.timing.total_minutes - iv.timing.wrap_up_minutes) * 60
    if expected > available:
        r.at(("timing", "total_minutes") if r.doc.positions.get(("timing", "total_minutes"))
             else ("stages",), "MF504",
             f"the questions can take up to {expected / 60:.1f} minutes of answers but only"
             f" {available / 60:g} minutes are available before the wrap-up; the engine will"
             " skip questions that don't fit — raise total_minutes or ask fewer")


def _coverage(r: Reporter, iv: Interview) -> None:
    for i, q in enumerate(iv.questions):
        if not q.key_points:
            r.at(("questions", i, "id"), "MF501",
                 f"question '{q.id}' has no key_points; the offline scorer can't make"
                 " follow-up decisions or quote evidence for it — list what a good answer"
                 " covers")
        ex = q.examples
        missing = [n for n in ("strong", "average", "weak") if ex.get(n) is None]
        if missing:
            several = len(missing) > 1
            r.at(("questions", i, "id"), "MF502",
                 f"question '{q.id}' has no {'/'.join(missing)} example answer"
                 f"{'s' if several else ''}: {consequence(missing)}"
                 + ("; simulated candidates have nothing to say to it either"
                    if len(missing) == 3 else "")
                 + f" — write {'them' if several else 'it'}, or let `mockflow draft` suggest"
                 f" {'them' if several else 'it'} for your review")
        if q.drafted:
            r.at(("questions", i, "drafted"), "MF509",
                 f"question '{q.id}' has drafted {', '.join(q.drafted)} that nobody has"
                 " reviewed yet; read and correct them, then run `mockflow draft <file>"
                 f" --accept {q.id}` (or delete the 'drafted:' line)", key=True)


_PLACEHOLDER = re.compile(r"^\s*(?:TODO|TBD|FIXME)\b")


def _placeholders(r: Reporter, iv: Interview) -> None:
    """MF508: text still holding a placeholder (``TODO ...``, as ``mockflow new`` writes)."""
    from mockflow.format.schema import describe, short

    found: list[tuple[Path, str]] = []
    match = _PLACEHOLDER.match

    def walk(items: Iterable[tuple[str | int, object]], path: Path) -> None:
        # text is matched where it is met; only lists and mappings cost a call (and a path)
        for step, value in items:
            if isinstance(value, str):
                if match(value):
                    found.append(((*path, step), value))
            elif isinstance(value, dict):
                walk(value.items(), (*path, step))
            elif isinstance(value, list):
                walk(enumerate(value), (*path, step))

    data = r.doc.data or {}
    walk(data.items(), ())
    for path, text in found:
        line, column = r.doc.position(path)
        r.problems.append(Problem(
            "MF508", f"{describe(path, data)} is still a placeholder, {short(text, 90)};"
            " write the real text (see docs/authoring.md)", line, column, pointer(path)))


def _probes(r: Reporter, iv: Interview) -> None:
    for i, q in enumerate(iv.questions):
        labels = [kp.label for kp in q.key_points]
        for j, follow_up in enumerate(q.follow_ups):
            for k, probe in enumerate(follow_up.probes):
                if q.key_point_index(probe) is not None:
                    continue
                path: Path = ("questions", i, "follow_ups", j, "probes", k)
                if isinstance(probe, int):
                    have = (f"its key points are numbered 0 to {len(labels) - 1}" if labels
                            else "it has no key_points")
                    r.at(path, "MF119",
                         f"follow-up {j} of question '{q.id}' probes key point {probe}, but"
                         f" {have}; use an index from 0 or a key point's label")
                    continue
                hint = did_you_mean(probe, labels)
                listed = ", ".join(f"'{label}'" for label in labels) or "none"
                r.at(path, "MF119",
                     f"follow-up {j} of question '{q.id}' probes '{probe}', which is not the"
                     f" label (first phrase) of any key point; "
                     + (hint if hint else f"use one of: {listed}"))


def _texts(iv: Interview) -> Iterator[tuple[Path, str]]:
    yield ("role", "title"), iv.role.title
    if iv.role.summary:
        yield ("role", "summary"), iv.role.summary
    for key in ("greeting", "closing", "instructions"):
        value = getattr(iv.interviewer, key)
        if value:
            yield ("interviewer", key), value
    for i, fact in enumerate(iv.facts):
        yield ("facts", i), fact
    for i, q in enumerate(iv.questions):
        yield ("questions", i, "text"), q.text
        for j, follow_up in enumerate(q.follow_ups):
            # a plain-string follow-up is located at its item (the nearest located path)
            yield ("questions", i, "follow_ups", j, "text"), follow_up.text
            if follow_up.hint:
                yield ("questions", i, "follow_ups", j, "hint"), follow_up.hint
        if q.clarification:
            yield ("questions", i, "clarification"), q.clarification
        for j, text in enumerate(q.hints):
            yield ("questions", i, "hints", j), text


def _fairness(r: Reporter, iv: Interview) -> None:
    for path, text in _texts(iv):
        cleaned = _FAIRNESS_OK.sub(" ", text)
        if not (_FAIRNESS_ANY_LOWER.search(cleaned.lower()) if cleaned.isascii()
                else _fairness_any().search(cleaned)):
            continue
        for pattern, topic in _fairness_topics():
            match = pattern.search(cleaned)
            if match:
                r.at(path, "MF505",
                     f"mentions '{match.group(0)}' ({topic}), which is not related to the job"
                     " and must not influence hiring; rephrase or remove it")
                break


def _templates(r: Reporter, doc: Document, skip: tuple[Path, ...] = ()) -> None:
    data = doc.data or {}
    bounds: dict[str, dict[str, Val]] = {}
    # a template is skipped when a schema error lies at or under its path: every prefix
    # of every error's path, so each template is one lookup, not a pass over the errors
    damaged = {bad[:k] for bad in skip for k in range(len(bad) + 1)}
    for path, kind in iter_template_fields(data):
        if path in damaged:
            continue  # the text itself has a schema error (too long, not text, ...)
        node = node_at(data, path)
        if not isinstance(node, str):
            continue
        if kind not in bounds:  # once per kind: the bounds read the whole file
            bounds[kind] = context_bounds(data, kind)
        for issue in analyze(node, kind, bounds[kind]):
            line, column = doc.offset_position(path, issue.offset)
            r.problems.append(Problem(issue.code, f"{_template_name(path)}: {issue.message}",
                                      line, column, pointer(path)))


def _template_name(path: Path) -> str:
    if path[0] == "interviewer":
        return f"interviewer.{path[1]}"
    text = f"questions[{path[1]}].{path[2]}"
    text += f"[{path[3]}]" if len(path) > 3 else ""
    return text + (f".{path[4]}" if len(path) > 4 else "")


def _tools(r: Reporter, iv: Interview) -> None:
    for i, tool in enumerate(iv.tools):
        if tool.name in RESERVED_TOOL_NAMES:
            r.at(("tools", i, "name"), "MF113",
                 f"tool name '{tool.name}' is reserved for mockflow's own tools; rename it,"
                 f" e.g. '{tool.name}_http'")
        params = tool.parameters
        problem = ""
        if not isinstance(params, dict) or params.get("type") != "object":
            problem = "must be a JSON Schema with 'type: object'"
        else:
            from jsonschema import Draft202012Validator  # only files that declare tools
            from jsonschema.exceptions import SchemaError

            try:
                Draft202012Validator.check_schema(params)
            except SchemaError as exc:
                problem = f"is not a valid JSON Schema ({exc.message})"
        if problem:
            r.at(("tools", i, "parameters"), "MF114",
                 f"parameters of tool '{tool.name}' {problem}; e.g. {{type: object,"
                 " properties: {day: {type: string}}, required: [day]}")
        try:
            problems = tool_url_problems(tool.name, tool.url, tool.allow_hosts,
                                         tool.explicit_hosts)
        except ValueError as exc:
            r.at(("tools", i, "http", "url"), "MF206",
                 f"tool '{tool.name}' URL '{tool.url}' is not a valid URL ({exc}); write it"
                 " like https://api.example.com/path")
            continue
        for code, message in problems:
            r.at(("tools", i, "http", "url"), code, message)


def _results(r: Reporter, iv: Interview) -> None:
    """Where the file sends candidates' data: the webhook URL (the HTTP tools' address
    rules) and the object store (said out loud: it receives every transcript)."""
    if not r.intact("results"):
        return
    hook = iv.results.webhook
    if hook is not None:
        try:
            problems = webhook_url_problems(hook.url, hook.allow_hosts, hook.allow_http)
        except ValueError as exc:
            r.at(("results", "webhook", "url"), "MF206",
                 f"results.webhook URL '{hook.url}' is not a valid URL ({exc}); write it like"
                 " https://ats.example.com/hooks/mockflow")
            problems = []
        for code, message in problems:
            r.at(("results", "webhook", "url"), code, message)
    if iv.results.store is not None:
        r.at(("results", "store"), "MF520",
             f"results.store sends every session's files (transcripts: the candidates'"
             f" answers) to {iv.results.store}; `mockflow run` uploads there unless"
             " --results or MOCKFLOW_RESULTS names another s3:// store; make sure it is"
             " your bucket")


def _expectations(r: Reporter, iv: Interview) -> None:
    if not r.intact("expect", "scale"):
        return
    cut = r.damage.known_ids("competencies")
    lo, hi = iv.scale.min, iv.scale.max
    for persona, exp in iv.expect.personas.items():
        ranges: list[tuple[Path, str, ScoreRange]] = []
        if exp.overall is not None:
            ranges.append((("expect", persona, "overall"), "overall", exp.overall))
        for cid, rng in exp.competencies.items():
            path: Path = ("expect", persona, "competencies", cid)
            if cid not in iv.competencies_by_id:
                if cut is None or cid in cut:
                    continue  # the competency is there, with its own schema errors
                hint = did_you_mean(cid, iv.competencies_by_id)
                r.at(path, "MF117",
                     f"expect.{persona} names unknown competency '{cid}';"
                     f" {hint or 'use an id from competencies:'}", key=True)
                continue
            ranges.append((path, cid, rng))
        for path, label, rng in ranges:
            if rng.min > rng.max:
                r.at(path, "MF116", f"expect.{persona} {label} range has min {rng.min:g} above"
                     f" max {rng.max:g}; swap them")
            elif rng.min < lo or rng.max > hi:
                r.at(path, "MF116", f"expect.{persona} {label} range {rng.min:g}..{rng.max:g}"
                     f" leaves the scale {lo}..{hi}; keep it on the scale")
            elif rng.max - rng.min > 1.0 + 1e-9:
                r.at(path, "MF116", f"expect.{persona} {label} range {rng.min:g}..{rng.max:g}"
                     f" is {rng.max - rng.min:g} wide; make it at most 1.0 wide so the test"
                     " means something")


CHECKS: tuple[Callable[[Reporter, Interview], None], ...] = (
    _unique_ids, _references, _scale_and_ladder, stages, _timing, local_voice, turn_taking,
    _coverage, asked,
    _probes,
    _fairness, _placeholders,
    _tools, _results, _expectations,
)


def semantic_problems(iv: Interview, doc: Document, damage: Damage | None = None,
                      skip_templates: Iterable[Path] = ()) -> list[Problem]:
    """Every semantic problem and warning of an interview.

    ``iv`` is built from schema-valid data; for a file with schema errors it is built from
    the usable part (``format.partial``) and ``damage`` says what was cut, so the checks
    that depend on a cut part are skipped. ``skip_templates``: paths with schema errors,
    whose templates are not checked.
    """
    reporter = Reporter(doc, damage)
    with hint_budget():
        for check in CHECKS:
            check(reporter, iv)
    _templates(reporter, doc, tuple(skip_templates))
    return list(dict.fromkeys(reporter.problems))  # one report per problem, in order
