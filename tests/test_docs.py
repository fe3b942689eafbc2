"""The README stays true: its error-code table lists exactly the registered codes."""

from __future__ import annotations

import re
from pathlib import Path

from mockflow.errors import CODES

ROOT = Path(__file__).resolve().parent.parent


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
