"""``mockflow new``: a small, commented interview that validates, with placeholders.

From a role, the level hired at, the ladder's levels and the competencies to assess, it
writes the layout the docs recommend (docs/format.md): the editor modeline, the role, an
interviewer with guarded greeting and closing templates, timing that fits, the 1-5 scale,
generic behaviourally anchored rubrics to sharpen, a ladder, one pool stage per
competency picking one question, one question per competency per level, and an
``expect`` order for ``mockflow test``. What only the author can write is left as
placeholders that ``validate`` lists as warnings: each question's text (``TODO ...``,
MF508), key points (MF501) and example answers (MF502), with comments showing where
they go and that ``mockflow draft`` can suggest the last two.

Every value from the options is written as a YAML scalar that reads back as exactly that
text (plain when it can be, else quoted), and no option text goes into a template.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mockflow.authoring.errors import ScaffoldError
from mockflow.format.errors import close_matches
from mockflow.format.yaml_io import load_text

DEFAULT_LEVELS: tuple[str, ...] = ("junior", "mid", "senior")
DEFAULT_INTERVIEWER = "Alex"
MAX_COMPETENCIES = 20  # the schema's limit (and its limit on stages)
MAX_LEVELS = 10
MAX_NAME = 100  # competency and interviewer names
MAX_LINE = 150  # role title and company (the title adds the level)
WRAP_UP_MINUTES = 2
MIN_MINUTES_PER_QUESTION = 2
MAX_MINUTES = 240
ANSWER_SECONDS = 180
_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ScaffoldOptions:
    """What ``mockflow new`` is told (flags or answers to its prompts)."""

    role: str
    level: str
    competencies: tuple[str, ...]
    levels: tuple[str, ...] = DEFAULT_LEVELS
    company: str | None = None
    interviewer: str = DEFAULT_INTERVIEWER
    minutes: int | None = None  # None: enough for one question per competency
    interview_id: str | None = None  # None: the file's name, else the role's


@dataclass(frozen=True, slots=True)
class Competency:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Plan:
    """The checked options, with everything derived from them."""

    interview_id: str
    role: str
    level: str
    levels: tuple[str, ...]
    competencies: tuple[Competency, ...]
    company: str | None
    interviewer: str
    total_minutes: int
    stage_minutes: int
    answer_seconds: int
    questions: tuple[tuple[str, Competency, str], ...] = field(default=())  # id, comp, level


# ------------------------------------------------------------------ checking the options


def _one_line(value: str, what: str, limit: int, flag: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ScaffoldError(f"{what} is empty; give it with {flag}")
    if len(text) > limit:
        raise ScaffoldError(f"{what} '{text[:40]}…' has {len(text)} characters, at most"
                            f" {limit}; shorten it")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ScaffoldError(f"{what} contains a control character; remove it")
    return text


def slug(text: str, sep: str = "_") -> str:
    """A lower-case id from a name ('Data pipelines' -> 'data_pipelines'), '' if none."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, ascii_text.lower()).strip(sep)


def competency_ids(names: Sequence[str]) -> tuple[Competency, ...]:
    """Ids for competency names: their slug (``c_`` before one that starts with a digit),
    ``competency_N`` for a name with no Latin letters or digits. Two names with the same
    slug are an error: they name the same thing twice."""
    found: list[Competency] = []
    seen: dict[str, str] = {}
    for n, raw in enumerate(names, 1):
        name = _one_line(raw, f"competency {n}", MAX_NAME, "--competency")
        cid = slug(name)[:40].strip("_")
        if not cid:
            cid = f"competency_{n}"
        elif not cid[0].isalpha():
            cid = f"c_{cid}"[:40].strip("_")
        if cid in seen:
            raise ScaffoldError(f"competencies '{seen[cid]}' and '{name}' get the same id"
                                f" '{cid}'; give each competency once, with a distinct name")
        seen[cid] = name
        found.append(Competency(cid, name))
    return tuple(found)


def _levels(levels: Sequence[str]) -> tuple[str, ...]:
    if not levels:
        raise ScaffoldError("--levels is empty; list the ladder's levels from easiest to"
                            f" hardest, e.g. {','.join(DEFAULT_LEVELS)}")
    if len(levels) > MAX_LEVELS:
        raise ScaffoldError(f"--levels lists {len(levels)} levels, at most {MAX_LEVELS}")
    out: list[str] = []
    for raw in levels:
        level = raw.strip()
        if not _ID.match(level):
            suggestion = slug(level, "-")
            hint = f" (e.g. '{suggestion}')" if suggestion and _ID.match(suggestion) else ""
            raise ScaffoldError(f"level '{level}' is not an id: use lowercase letters,"
                                f" digits, '-' and '_', starting with a letter{hint}")
        if level in out:
            raise ScaffoldError(f"level '{level}' is listed twice in --levels; list each once")
        out.append(level)
    return tuple(out)


def plan(options: ScaffoldOptions, path: str | None = None) -> Plan:
    """Check the options; raises ``ScaffoldError`` naming what is wrong and the fix."""
    role = _one_line(options.role, "the role", MAX_LINE, "--role")
    levels = _levels(options.levels)
    level = options.level.strip()
    if level not in levels:
        close = close_matches(level, levels)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ScaffoldError(f"level '{level}' is not one of the ladder's levels"
                            f" ({', '.join(levels)}); {hint}use one of them with --level, or"
                            " list yours easiest first with --levels")
    if not options.competencies:
        raise ScaffoldError("no competency given; name each thing you assess with"
                            " --competency (repeat it), e.g. --competency 'Data pipelines'")
    if len(options.competencies) > MAX_COMPETENCIES:
        raise ScaffoldError(f"{len(options.competencies)} competencies given, at most"
                            f" {MAX_COMPETENCIES}; five or six suit a 30-45 minute interview")
    competencies = competency_ids(options.competencies)
    company = None if options.company is None or not options.company.strip() else \
        _one_line(options.company, "the company", MAX_LINE, "--company")
    interviewer = _one_line(options.interviewer, "the interviewer's name", MAX_NAME,
                            "--interviewer")
    n = len(competencies)
    needed = WRAP_UP_MINUTES + MIN_MINUTES_PER_QUESTION * n
    minutes = options.minutes if options.minutes is not None else default_minutes(n)
    if not needed <= minutes <= MAX_MINUTES:
        raise ScaffoldError(
            f"--minutes {minutes} doesn't fit: {n} competenc{'y needs' if n == 1 else 'ies need'}"
            f" at least {needed} minutes (one question each, {MIN_MINUTES_PER_QUESTION}"
            f" minutes per answer, plus {WRAP_UP_MINUTES} for the wrap-up), and an"
            f" interview is at most {MAX_MINUTES}")
    stage_minutes = (minutes - WRAP_UP_MINUTES) // n
    answer_seconds = min(ANSWER_SECONDS, stage_minutes * 45 // 15 * 15)  # 3/4 of the stage
    interview_id = _interview_id(options, role, level, path)
    questions = tuple((_question_id(c.id, lv), c, lv) for c in competencies for lv in levels)
    return Plan(interview_id, role, level, levels, competencies, company, interviewer,
                minutes, stage_minutes, answer_seconds, questions)


def _interview_id(options: ScaffoldOptions, role: str, level: str, path: str | None) -> str:
    if options.interview_id is not None:
        if not _ID.match(options.interview_id):
            raise ScaffoldError(f"--id '{options.interview_id}' is not an id: use lowercase"
                                " letters, digits, '-' and '_', starting with a letter")
        return options.interview_id
    if path not in (None, "-"):
        stem = Path(str(path)).stem
        if _ID.match(stem):
            return stem
    made = slug(f"{role} {level}", "-")[:64].strip("-")
    return made if made and made[0].isalpha() else f"interview-{made}"[:64].strip("-")


def _question_id(competency: str, level: str) -> str:
    room = 64 - len(level) - 1
    return f"{competency[:max(1, room)].rstrip('_-')}-{level}"[:64]


# ------------------------------------------------------------------ writing the file


def scalar(text: str, *, flow: bool = False) -> str:
    """``text`` as a YAML scalar that reads back as exactly ``text``: plain when it can be
    (as a value, or with ``flow`` as an item of ``[ ]``), else single-quoted. Ids go
    through it too: a level may be called ``true`` or ``null``."""
    if text and text == text.strip() and "\n" not in text and not (flow and "," in text):
        source = f"k: [{text}]\n" if flow else f"k: {text}\n"
        doc = load_text(source)
        if not doc.problems and doc.data == {"k": [text] if flow else text}:
            return text
    return "'" + text.replace("'", "''") + "'"


def schema_modeline(target: str | None, cwd: Path | None = None) -> str:
    """The editor modeline: the path from the file to ``schemas/interview.schema.json`` of
    the nearest project above it, else to the schema shipped in the installed package."""
    here = Path(cwd or Path.cwd())
    folder = (here / target).resolve().parent if target not in (None, "-") else here.resolve()
    for base in (folder, *folder.parents):
        candidate = base / "schemas" / "interview.schema.json"
        if candidate.is_file():
            return _rel(candidate, folder)
    from importlib import resources

    shipped = Path(str(resources.files("mockflow.format").joinpath(
        "schemas", "interview.schema.json")))
    return _rel(shipped, folder)


def _rel(target: Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(target, folder)).as_posix()
    except ValueError:  # another drive (Windows)
        return target.as_posix()


_ANCHORS = (
    (1, "Can't describe how they would approach {what}; the answer stays general or misses"
        " the point."),
    (2, "Describes a workable approach to {what} but misses an obvious risk or trade-off,"
        " even when asked."),
    (3, "Gives a sound approach to {what} and discusses one or two trade-offs when"
        " prompted."),
    (4, "Gives a sound approach, raises the main risks and trade-offs without being asked,"
        " and chooses between them with a reason."),
    (5, "Drives {what} end to end, weighs alternatives unprompted and says how they would"
        " know it worked."),
)


def _in_sentence(name: str) -> str:
    """A name inside a sentence: 'Pipelines' -> 'pipelines', but 'SQL tuning' and 'iOS'
    stay as written."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower():
        return name[0].lower() + name[1:]
    return name


def render(plan: Plan, modeline: str) -> str:
    """The scaffold's text."""
    comps = plan.competencies
    n_questions = len(plan.questions)
    out: list[str] = [
        f"# yaml-language-server: $schema={modeline}",
        "#",
        f"# Written by `mockflow new`: {len(comps)} competenc{'y' if len(comps) == 1 else 'ies'}"
        f" x {len(plan.levels)} level{'s' if len(plan.levels) != 1 else ''} ="
        f" {n_questions} question{'s' if n_questions != 1 else ''} to write.",
        "# 1. Replace each question's TODO text with the question you would ask.",
        "# 2. `mockflow draft <this file>` drafts key points, example answers, follow-ups and",
        "#    a clarification for each question; review them, then `--accept` each question.",
        "# 3. `mockflow validate --strict <this file>` lists what is left; `mockflow test` checks",
        "#    the simulated candidates. docs/authoring.md walks through all of it.",
        "mockflow: 1",
        f"id: {scalar(plan.interview_id)}",
        f"title: {scalar(f'{plan.role} ({plan.level})')}",
        "",
        "role:",
        f"  title: {scalar(plan.role)}",
        f"  level: {scalar(plan.level)}",
    ]
    if plan.company:
        out.append(f"  company: {scalar(plan.company)}")
    out += [
        "  # summary: >-",
        "  #   A few sentences on what the person will actually do; the interviewer gets it",
        "  #   as background.",
        "",
        "interviewer:",
        f"  name: {scalar(plan.interviewer)}",
        "  style: warm, concise, professional",
        "  language: en-US",
        "  greeting: >-",
        "    Hi {{ candidate.name | default('there') }}, I'm {{ interviewer.name }}. Thanks for",
        "    making the time. This is a {{ timing.total_minutes }}-minute conversation about",
        "    the {{ role.title }} role{{ ' at ' ~ role.company if role.company }}. Ready to",
        "    start?",
        "  closing: >-",
        "    Thanks{{ ', ' ~ candidate.name if candidate.name }}, that's all from me. The team",
        "    will be in touch about next steps.",
        "",
        "# facts:   # what the interviewer may tell a candidate who asks (team size, on-call...)",
        "#   - The team is 8 people.",
        "",
        "timing:",
        f"  total_minutes: {plan.total_minutes}",
        f"  wrap_up_minutes: {WRAP_UP_MINUTES}",
        f"  default_answer_seconds: {plan.answer_seconds}",
        "",
        "scale: {min: 1, max: 5}",
        "",
        "# Each competency is scored on behaviourally anchored ratings. These anchors are",
        "# generic: rewrite each as what you would hear from a candidate at that score.",
        "competencies:",
    ]
    for i, comp in enumerate(comps):
        if i:
            out.append("")
        out += [f"  - id: {scalar(comp.id)}", f"    name: {scalar(comp.name)}", "    anchors:"]
        for score, behaviour in _ANCHORS:
            text = behaviour.format(what=f"{_in_sentence(comp.name)} work")
            out += [f"      - score: {score}", f"        behaviour: {scalar(text)}"]
    out += [
        "",
        "ladder:",
        f"  levels: [{', '.join(scalar(lv, flow=True) for lv in plan.levels)}]",
        f"  start: {scalar(plan.level)}",
        "  step_up_at: 4",
        "  step_down_at: 2",
        "",
        "# One stage per competency, each asking one question at the ladder's current level.",
        "stages:",
    ]
    for comp in comps:
        out += [f"  - id: {scalar(comp.id)}", f"    title: {scalar(comp.name)}",
                "    pick: 1", f"    competencies: [{scalar(comp.id, flow=True)}]",
                f"    minutes: {plan.stage_minutes}"]
    out += ["", "questions:"]
    for i, (qid, comp, level) in enumerate(plan.questions):
        if i:
            out.append("")
        out += [
            f"  - id: {scalar(qid)}",
            f"    competency: {scalar(comp.id)}",
            f"    level: {scalar(level)}",
            f"    text: TODO write a question a {level} candidate can answer on this competency",
            "    # key_points: what a good answer covers, each with the other ways people",
            "    #   say it, e.g. - [roll back, rollback, revert]",
            "    # examples: a strong, an average and a weak answer in a candidate's own words",
            "    # (`mockflow draft` suggests both for your review)",
        ]
    out += [
        "",
        "# Checked by `mockflow test`: the simulated strong candidate must score above the",
        "# average one, and the average above the weak, on every seed. Add score ranges per",
        "# persona once you have run `mockflow simulate` (docs/simulate.md).",
        "expect:",
        "  order: [strong, average, weak]",
        "",
    ]
    return "\n".join(out)


def scaffold(options: ScaffoldOptions, path: str | None = None, cwd: Path | None = None
             ) -> tuple[Plan, str]:
    """Check the options and write the scaffold's text (not to disk)."""
    checked = plan(options, path)
    return checked, render(checked, schema_modeline(path, cwd))


def minutes_needed(competencies: int) -> int:
    """The shortest interview ``mockflow new`` accepts for that many competencies."""
    return WRAP_UP_MINUTES + MIN_MINUTES_PER_QUESTION * max(1, competencies)


def default_minutes(competencies: int) -> int:
    return max(30, 4 * competencies + 5)


__all__ = ["ScaffoldOptions", "Plan", "scaffold", "plan", "render", "scalar", "slug",
           "competency_ids", "schema_modeline", "minutes_needed", "default_minutes",
           "DEFAULT_LEVELS"]
