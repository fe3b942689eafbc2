"""The README stays true: its error-code table lists exactly the registered codes."""

from __future__ import annotations

import re

from conftest import ROOT

from mockflow.format.errors import CODES


def test_readme_error_table_matches_registry() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `(MF\d{3})` \| (error|warning) \| (.+?) \|$", readme, re.M)
    assert [(c, s, t) for c, s, t in rows] == [
        (code, info.severity, info.title) for code, info in CODES.items()
    ]


def test_readme_has_exactly_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Start here", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_readme_exit_code_table_matches_the_enum() -> None:
    from mockflow.cli.common import ExitCode

    readme = (ROOT / "README.md").read_text()
    table = readme.split("Exit codes, for every command:", 1)[1].split("\n\n", 2)[1]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", table, re.M)
    assert [int(code) for code, _ in rows] == [int(c) for c in ExitCode]


def test_architecture_map_names_every_subpackage() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    packages = sorted(p.name for p in (ROOT / "mockflow").iterdir()
                      if (p / "__init__.py").exists())
    for name in packages:
        assert f"## `{name}/`" in text, name
