"""``mockflow new``: the scaffold validates, lists what is left as warnings, and bad input
is refused with a message that names the thing and the fix (nothing written)."""

from __future__ import annotations

import os
import string
import sys
from collections import Counter
from pathlib import Path

import pexpect
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mockflow.authoring.scaffold import ScaffoldOptions, scaffold, scalar, slug
from mockflow.cli import app
from mockflow.format.validate import check_bytes
from mockflow.format.yaml_io import load_text

runner = CliRunner()
FILL = {"MF501", "MF502", "MF508"}  # what the scaffold leaves to write


def new(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(app, ["new", *args])
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


FLAGS = ("--role", "Data engineer", "--level", "mid", "--competency", "Pipelines",
         "--competency", "Data modelling", "--competency", "Data quality")


def test_flags_write_a_scaffold_that_validates_and_lists_what_is_left(tmp_path: Path) -> None:
    code, out, _ = new(tmp_path, "interviews/data-engineer.yaml", *FLAGS)
    assert code == 0, out
    path = tmp_path / "interviews" / "data-engineer.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    result = check_bytes(text.encode(), str(path))
    assert result.errors == []
    # exactly what is left: each of the 9 questions' text, key points and examples
    counts = Counter(p.code for p in result.warnings)
    assert counts == {"MF501": 9, "MF502": 9, "MF508": 9}
    iv = result.interview
    assert iv is not None
    assert iv.id == "data-engineer" and iv.role.title == "Data engineer"
    assert [c.id for c in iv.competencies] == ["pipelines", "data_modelling", "data_quality"]
    assert {(q.competency, q.level) for q in iv.questions} == {
        (c, lv) for c in ("pipelines", "data_modelling", "data_quality")
        for lv in ("junior", "mid", "senior")}
    assert iv.expect.order == ("strong", "average", "weak")
    assert "wrote interviews/data-engineer.yaml: 3 competencies x 3 levels, 9 questions" in out
    assert "27 warnings list what is left" in out
    # the placeholders show where examples and key points go
    assert text.count("# key_points:") == 9 and text.count("# examples:") == 9


def test_modeline_points_at_the_project_schema_or_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "interview.schema.json").write_text("{}")
    assert new(tmp_path, "interviews/x.yaml", *FLAGS)[0] == 0
    first = (tmp_path / "interviews" / "x.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/interview.schema.json"
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    _, text = scaffold(ScaffoldOptions("Engineer", "mid", ("Design",)), "x.yaml",
                       cwd=elsewhere)
    target = text.splitlines()[0].split("$schema=", 1)[1]
    schema = (elsewhere / target).resolve() if not Path(target).is_absolute() else Path(target)
    assert schema.is_file() and schema.name == "interview.schema.json"


def test_an_existing_file_is_never_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "x.yaml"
    target.write_text("mine\n")
    code, _, err = new(tmp_path, "x.yaml", *FLAGS)
    assert code == 2
    assert "'x.yaml' exists already; choose another path, or pass --force" in err
    assert target.read_text() == "mine\n"
    code, _, _ = new(tmp_path, "x.yaml", *FLAGS, "--force")
    assert code == 0
    assert check_bytes(target.read_bytes()).errors == []


@pytest.mark.parametrize(("args", "message"), [
    (("--level", "principal"), "level 'principal' is not one of the ladder's levels (junior,"
                               " mid, senior); use one of them with --level, or list yours"),
    (("--level", "mdi"), "did you mean 'mid'?"),
    (("--level", "lead", "--levels", "junior,senior"),
     "level 'lead' is not one of the ladder's levels (junior, senior)"),
    (("--level", "mid", "--levels", "junior,Mid Level"),
     "level 'Mid Level' is not an id: use lowercase letters, digits, '-' and '_', starting"
     " with a letter (e.g. 'mid-level')"),
    (("--level", "mid", "--levels", "mid,mid"), "level 'mid' is listed twice in --levels"),
])
def test_unknown_or_malformed_levels_are_refused(tmp_path: Path, args: tuple[str, ...],
                                                 message: str) -> None:
    code, _, err = new(tmp_path, "x.yaml", "--role", "Engineer", "--competency", "Design",
                       *args)
    assert code == 2
    assert message in err
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize(("args", "message"), [
    (("--competency", "Data modelling", "--competency", "data-modelling"),
     "competencies 'Data modelling' and 'data-modelling' get the same id 'data_modelling'"),
    (("--competency", "Design", "--minutes", "3"),
     "--minutes 3 doesn't fit: 1 competency needs at least 4 minutes"),
    (("--competency", "A", "--competency", "B", "--minutes", "300"),
     "an interview is at most 240"),
    (("--competency", "Design", "--id", "Bad Id"), "--id 'Bad Id' is not an id"),
    (("--competency", "   ",), "competency 1 is empty; give it with --competency"),
])
def test_bad_options_are_refused(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = new(tmp_path, "x.yaml", "--role", "Engineer", "--level", "mid", *args)
    assert code == 2, err
    assert message in err
    assert not (tmp_path / "x.yaml").exists()


def test_missing_options_without_a_terminal_say_what_is_needed(tmp_path: Path) -> None:
    code, _, err = new(tmp_path, "x.yaml", "--role", "Engineer")
    assert code == 2
    assert "mockflow new needs --level, --competency, e.g. mockflow new" in err
    assert "(or run it in a terminal with no options to be asked)" in err
    code, _, err = new(tmp_path)
    assert code == 2 and "--role" in err and "the file's path" in err


def test_dash_prints_the_scaffold(tmp_path: Path) -> None:
    code, out, _ = new(tmp_path, "-", *FLAGS)
    assert code == 0
    assert out.startswith("# yaml-language-server")
    assert check_bytes(out.encode()).errors == []
    assert list(tmp_path.iterdir()) == []


def test_scalars_read_back_exactly() -> None:
    for text in ("plain text", "Design: the basics", "it's #1", "yes", "301", "- item",
                 "[a, b]", "{x}", "null", "  padded ", "C++ & Go", "@home", "'quoted'"):
        assert load_text(f"k: {scalar(text)}\n").data == {"k": text}, text
        assert load_text(f"k: [{scalar(text, flow=True)}]\n").data == {"k": [text]}, text
    assert scalar("a, b") == "a, b" and scalar("a, b", flow=True) == "'a, b'"
    assert scalar("true") == "'true'" and scalar("junior", flow=True) == "junior"


def test_slug() -> None:
    assert slug("Data modelling") == "data_modelling"
    assert slug("Qualité des données", "-") == "qualite-des-donnees"
    assert slug("数据") == ""


_NAME = st.text(alphabet=string.ascii_letters + string.digits + " -:#'\"&,.!?{}%[]éü",
                min_size=1, max_size=40).filter(lambda s: s.strip())
_LEVEL = st.text(alphabet=string.ascii_lowercase + "_-", min_size=1, max_size=12).filter(
    lambda s: s[0].isalpha())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(role=_NAME, levels=st.lists(_LEVEL, min_size=1, max_size=5, unique=True),
       comps=st.lists(_NAME, min_size=1, max_size=8), company=st.none() | _NAME,
       pick=st.integers(0, 4), minutes=st.none() | st.integers(20, 240),
       interviewer=st.none() | _NAME)
def test_any_flags_give_a_scaffold_with_no_errors(role: str, levels: list[str],
                                                  comps: list[str], company: str | None,
                                                  pick: int, minutes: int | None,
                                                  interviewer: str | None) -> None:
    """`mockflow new -` with random flags: the scaffold it prints validates with 0 errors
    (or the options are refused for a documented reason), and its warnings are only what
    is left to fill in (plus the fairness lint on a role title it flags)."""
    args = ["new", "-", f"--role={role}", f"--level={levels[pick % len(levels)]}",
            f"--levels={','.join(levels)}", *(f"--competency={c}" for c in comps)]
    args += [f"--company={company}"] if company is not None else []
    args += [f"--minutes={minutes}"] if minutes is not None else []
    args += [f"--interviewer={interviewer}"] if interviewer is not None else []
    result = runner.invoke(app, args)
    if result.exit_code == 2:  # only the documented refusals
        assert "get the same id" in result.stderr or "doesn't fit" in result.stderr, \
            result.stderr
        return
    assert result.exit_code == 0, result.stderr
    checked = check_bytes(result.stdout.encode(), "random.yaml")
    assert checked.errors == [], [(p.code, p.line, p.message) for p in checked.errors]
    assert {p.code for p in checked.warnings} <= FILL | {"MF505"}
    iv = checked.interview
    assert iv is not None
    assert iv.role.title == " ".join(role.split())
    assert iv.ladder.levels == tuple(levels)
    assert [c.name for c in iv.competencies] == [" ".join(c.split()) for c in comps]
    assert len(iv.questions) == len(comps) * len(levels)
    assert Counter(p.code for p in checked.warnings if p.code != "MF505") == {
        code: len(iv.questions) for code in FILL}


def test_interactive_mode_in_a_terminal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "MOCKFLOW"))}
    child = pexpect.spawn(sys.executable, ["-m", "mockflow", "new"], cwd=str(tmp_path),
                          env=env, encoding="utf-8", timeout=60, dimensions=(50, 200))
    try:
        child.expect("Role you are hiring for")
        child.sendline("   ")  # needed: asked again
        child.expect("this one is needed")
        child.expect("Role you are hiring for")
        child.sendline("Data engineer")
        child.expect(r"Ladder levels, easiest first \[junior,mid,senior\]")
        child.sendline("")
        child.expect(r"Level you are hiring at")
        child.sendline("principal")  # not a level: asked again
        child.expect("is not one of")
        child.expect(r"Level you are hiring at")
        child.sendline("mid")
        child.expect("Competencies to assess")
        child.sendline("Pipelines, Data modelling")
        child.expect("Company")
        child.sendline("Acme")
        child.expect(r"Interviewer's name \[Alex\]")
        child.sendline("")
        child.expect(r"Length in minutes \[30\]")
        child.sendline("")
        child.expect(r"File to write \[interviews/data-engineer.yaml\]")
        child.sendline("")
        child.expect("wrote interviews/data-engineer.yaml: 2 competencies x 3 levels")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    path = tmp_path / "interviews" / "data-engineer.yaml"
    result = check_bytes(path.read_bytes(), str(path))
    assert result.errors == []
    assert result.interview is not None and result.interview.role.company == "Acme"


def test_the_package_ships_the_schema_the_modeline_may_name() -> None:
    assert (ROOT / "mockflow" / "format" / "schemas" / "interview.schema.json").is_file()


def test_levels_and_names_yaml_would_read_as_values_stay_text(tmp_path: Path) -> None:
    """Found by the property test: a level called 'true' was written unquoted and read
    back as a boolean (MF201), so the scaffold failed to validate."""
    code, out, err = new(tmp_path, "-", "--role", "Engineer", "--levels", "null,true",
                         "--level", "true", "--competency", "false", "--competency", "1, 2")
    assert code == 0, err
    checked = check_bytes(out.encode())
    assert checked.errors == []
    assert checked.interview is not None
    assert checked.interview.ladder.levels == ("null", "true")
    assert [c.name for c in checked.interview.competencies] == ["false", "1, 2"]
