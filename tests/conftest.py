"""Shared fixtures: paths of the repository, the shipped interviews."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS = sorted((ROOT / "interviews").glob("*.yaml"))


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def voice_audio(tmp_path_factory: pytest.TempPathFactory) -> object:
    """Local models and synthesised candidate answers, once per test session (real-audio
    tests; needs the local-voice extra, which the dev extra installs)."""
    from local_voice_rig import VoiceAudio

    return VoiceAudio(tmp_path_factory.mktemp("voice"))
