"""The package's layout: imports run one way, and only ``live/`` reaches livekit.

Order (docs/architecture.md): format <- scoring <- interview <- results <- live, simulate
<- cli. A module may import its own subpackage and the ones to its left; ``live`` and
``simulate`` are siblings, but only ``simulate.runner`` may import ``live``. livekit is
imported only by ``live/``, ``simulate/runner.py`` and ``testing/``. Every import counts,
including the ones inside functions (they run too, only later).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "mockflow"
LAYERS = ("format", "scoring", "interview", "results", "live", "simulate", "cli")
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
