"""Shared fixtures: paths of the repository, the shipped interviews."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = sorted((ROOT / "interviews").glob("*.yaml"))


@pytest.fixture
def root() -> Path:
    return ROOT
