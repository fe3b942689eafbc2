"""The package's layout: imports run one way, and only ``live/`` reaches livekit.

Order (docs/architecture.md): format <- authoring <- scoring <- interview <- results <- live,
simulate <- web <- cli. A module may import its own subpackage and the ones to its left;
``live`` and ``simulate`` are siblings, but only ``simulate.runner`` may import ``live``;
``web`` (the candidate site) sits above ``live`` because it mints tokens through
``live.invite``, and only ``cli`` (and ``testing``) import it. livekit is
imported only by ``live/``, ``simulate/runner.py`` and ``testing/``. Every import counts,
including the ones inside functions (they run too, only later).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "mockflow"
LAYERS = (
    "format", "authoring", "scoring", "interview", "results", "live", "simulate", "web", "cli",
)
RANK = {name: i for i, name in enumerate(LAYERS)}
RANK["simulate"] = RANK["live"]  # siblings
LIVEKIT_ALLOWED = ("live/", "simulate/runner.py", "testing/")


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "mockflow" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from mockflow import cli`` names a subpackage too
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names
                      if module == "mockflow"]
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def back_edges() -> list[str]:
    bad: list[str] = []
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        own = rel.split("/")[0] if "/" in rel else None
        for line, module in _imports(path):
            target = _layer(module)
            if target is None or target not in RANK:
                continue
            where = f"mockflow/{rel}:{line} imports {module}"
            if own == "testing":
                if target == "cli":
                    bad.append(where)
                continue
            if own is None:  # mockflow/__init__.py, __main__.py: the entry points
                continue
            if target == "cli" and own != "cli":
                bad.append(where)
            elif own in RANK and RANK[target] > RANK[own]:
                bad.append(where)
            elif {own, target} == {"live", "simulate"} and not (
                    own == "simulate" and rel == "simulate/runner.py"):
                bad.append(where)
    return bad


def livekit_outside_live() -> list[str]:
    bad: list[str] = []
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(LIVEKIT_ALLOWED):
            continue
        for line, module in _imports(path):
            if module.split(".")[0] == "livekit":
                bad.append(f"mockflow/{rel}:{line} imports {module}")
    return bad


def test_every_subpackage_of_the_layout_exists() -> None:
    present = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert set(LAYERS) | {"testing"} == present
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py"], "modules belong in a subpackage"


def test_imports_run_one_way() -> None:
    assert back_edges() == []


def test_only_live_imports_livekit() -> None:
    assert livekit_outside_live() == []


def test_the_checks_see_a_back_edge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walker is not vacuous: a planted back-edge and a planted livekit import are found."""
    fake = tmp_path / "mockflow"
    for name in (*LAYERS, "testing"):
        (fake / name).mkdir(parents=True)
        (fake / name / "__init__.py").write_text("")
    (fake / "format" / "bad.py").write_text("from mockflow.interview.engine import X\n")
    (fake / "scoring" / "worse.py").write_text("def f():\n    import livekit.agents\n")
    (fake / "interview" / "rel.py").write_text("from ..cli import app\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert back_edges() == ["mockflow/format/bad.py:1 imports mockflow.interview.engine",
                            "mockflow/interview/rel.py:1 imports mockflow.cli"]
    assert livekit_outside_live() == ["mockflow/scoring/worse.py:2 imports livekit.agents"]


def test_validate_render_and_scoring_start_without_livekit() -> None:
    code = ("import sys, mockflow, mockflow.cli.validate, mockflow.interview.render,"
            " mockflow.scoring.stage, mockflow.results.files, mockflow.results.judging,"
            " mockflow.results.score;"
            " print(sorted(m for m in sys.modules if m.split('.')[0] == 'livekit'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_mockflow_validate_imports_no_livekit_module() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "mockflow", "validate",
                          str(ROOT / "interviews" / "backend.yaml")],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "livekit" not in out.stderr


# --------------------------------------------------------------------------- module size

MAX_LINES = 500
ARCHITECTURE_MD = ROOT / "docs" / "architecture.md"
_LONG_SECTION = "## Modules over 500 lines"
_LONG_ENTRY = re.compile(r"^- `(mockflow/[\w/]+\.py)`: (\S.*)$")


def long_modules_allowed(text: str) -> dict[str, str]:
    """The modules docs/architecture.md allows over the limit, with their reasons (one
    ``- `path`: reason`` line each, in the section named above)."""
    allowed: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line.strip() == _LONG_SECTION
            continue
        match = _LONG_ENTRY.match(line) if inside else None
        if match:
            allowed[match.group(1)] = match.group(2).strip()
    return allowed


def long_modules() -> dict[str, int]:
    counts = {f"mockflow/{p.relative_to(PACKAGE).as_posix()}":
              len(p.read_text("utf-8").splitlines()) for p in _modules()}
    return {path: n for path, n in counts.items() if n > MAX_LINES}


def test_no_module_over_500_lines_unless_the_map_says_why() -> None:
    """One concept per module: a module over 500 lines is named in docs/architecture.md
    with the reason, and the list holds no module that is no longer long (or gone)."""
    allowed = long_modules_allowed(ARCHITECTURE_MD.read_text("utf-8"))
    long = long_modules()
    unexplained = {p: n for p, n in long.items() if p not in allowed}
    assert unexplained == {}, (
        f"over {MAX_LINES} lines: split them, or name them under '{_LONG_SECTION}' in"
        " docs/architecture.md with the reason")
    stale = sorted(set(allowed) - set(long))
    assert stale == [], "listed as long in docs/architecture.md but not (any more): remove"
    assert all(len(reason.split()) >= 4 for reason in allowed.values()), allowed


def test_the_long_module_list_is_read_from_the_doc() -> None:
    text = ("# Map\n## Modules over 500 lines\nWhy.\n\n- `mockflow/a/b.py`: one concept, the"
            " protocol\n- not an entry\n## Next\n- `mockflow/c/d.py`: elsewhere, not counted\n")
    assert long_modules_allowed(text) == {"mockflow/a/b.py": "one concept, the protocol"}


# --------------------------------------------------------------------------- results/

def test_results_is_split_by_concept() -> None:
    results = PACKAGE / "results"
    packages = {p.name for p in results.iterdir() if (p / "__init__.py").exists()}
    assert packages == {"report", "store", "notify"}
    assert {p.stem for p in (results / "report").glob("*.py")} == {
        "__init__", "model", "html", "md", "svg", "compare"}
    assert {"backend", "uploads", "sync", "checkpoints"} <= {
        p.stem for p in (results / "store").glob("*.py")}
    assert {"webhook", "events", "flush"} <= {p.stem for p in (results / "notify").glob("*.py")}
    flat = {p.stem for p in results.glob("*.py")}
    assert not flat & {"report_model", "report_html", "report_md", "report_svg",
                       "report_compare", "store", "uploads", "sync", "checkpoints", "flush",
                       "webhook", "notify"}, "moved into report/, store/ or notify/"


# --------------------------------------------------------------------------- exceptions

def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def foreign_exceptions(paths: list[Path]) -> list[str]:
    """Exception classes in these modules that don't derive from MockflowError. A class
    defined inside a function counts too (it can't be caught by name: move it out)."""
    from mockflow.format.errors import MockflowError

    bad: list[str] = []
    for path in paths:
        name = _module_name(path)
        tree = ast.parse(path.read_text("utf-8"), str(path))
        top = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
        nested = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                  and node.name not in top]
        if not top and not nested:
            continue
        module = importlib.import_module(name)
        for cls_name in sorted(top):
            cls = getattr(module, cls_name, None)
            if (isinstance(cls, type) and issubclass(cls, BaseException)
                    and not issubclass(cls, MockflowError)):
                bad.append(f"{name}.{cls_name}")
        for node in nested:
            bases = [ast.unparse(b) for b in node.bases]
            if any(b.split(".")[-1].endswith(("Error", "Exception")) or b in dir(builtins)
                   and isinstance(getattr(builtins, b), type)
                   and issubclass(getattr(builtins, b), BaseException) for b in bases):
                bad.append(f"{name}:{node.lineno} {node.name} (inside a function)")
    return bad


def test_every_exception_derives_from_mockflow_error() -> None:
    """One hierarchy: ``except MockflowError`` catches every error mockflow raises, and
    the command line maps each (mockflow.cli.errors)."""
    paths = [p for p in _modules() if p.name != "__main__.py"]
    assert foreign_exceptions(paths) == []


def test_the_exception_check_sees_a_stray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    fake = tmp_path / "mockflow_fake_errors"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "bad.py").write_text(
        "from mockflow.format.errors import MockflowError\n"
        "class Fine(MockflowError): pass\n"
        "class Stray(ValueError): pass\n"
        "class NotAnError: pass\n"
        "def f():\n    class Hidden(RuntimeError): pass\n    return Hidden\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert foreign_exceptions([fake / "bad.py"]) == [
        "mockflow_fake_errors.bad.Stray",
        "mockflow_fake_errors.bad:6 Hidden (inside a function)"]
