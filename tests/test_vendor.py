"""Third-party browser code: pinned, integrity-checked, fetched by the Makefile, not in git,
shipped in wheels. scripts/fetch_vendor.py against a local registry (a file:// mirror)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import re
import tarfile
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT


def fetcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_vendor",
                                                  ROOT / "scripts" / "fetch_vendor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def setup(tmp_path: Path, *, integrity: str | None = None,
          file_sha: str | None = None) -> tuple[Path, str]:
    js = b"window.Lib = {};"
    data = tarball({"package/dist/lib.js": js, "package/README.md": b"not wanted"})
    registry = tmp_path / "registry"
    (registry / "lib" / "-").mkdir(parents=True)
    (registry / "lib" / "-" / "lib-1.0.0.tgz").write_bytes(data)
    manifest = tmp_path / "pins" / "vendor.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"dest": "out", "packages": [{
        "name": "lib", "version": "1.0.0",
        "tarball": "https://registry.npmjs.org/lib/-/lib-1.0.0.tgz",
        "integrity": integrity or sri(data),
        "files": [{"from": "package/dist/lib.js", "to": "lib.js",
                   "sha256": file_sha or hashlib.sha256(js).hexdigest()}]}]}))
    return manifest, registry.as_uri()


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_fetch_checks_extracts_only_the_pinned_files_and_is_idempotent(tmp_path: Path) -> None:
    tool = fetcher()
    manifest, registry = setup(tmp_path)
    assert tool.main([str(manifest), "--registry", registry]) == 0
    out = manifest.parent / "out"
    assert [p.name for p in out.iterdir()] == ["lib.js"]
    assert (out / "lib.js").read_bytes() == b"window.Lib = {};"
    assert tool.main([str(manifest), "--check"]) == 0
    # a second run needs no registry at all: the files are there with the right hashes
    assert tool.main([str(manifest), "--registry", "file:///nonexistent"]) == 0


def test_a_tarball_that_does_not_match_its_integrity_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tool = fetcher()
    manifest, registry = setup(tmp_path, integrity=sri(b"something else"))
    assert tool.main([str(manifest), "--registry", registry]) == 2
    assert "does not match its pinned integrity" in capsys.readouterr().err
    assert not (manifest.parent / "out").exists()


def test_a_file_that_does_not_match_its_sha256_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tool = fetcher()
    manifest, registry = setup(tmp_path, file_sha="0" * 64)
    assert tool.main([str(manifest), "--registry", registry]) == 2
    assert "does not match its pinned sha256" in capsys.readouterr().err
    assert not (manifest.parent / "out" / "lib.js").exists()


def test_check_mode_reports_what_is_missing(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    manifest, _ = setup(tmp_path)
    assert fetcher().main([str(manifest), "--check"]) == 1
    assert "lib.js is missing or differs from lib@1.0.0" in capsys.readouterr().err


def test_the_real_pins() -> None:
    for path in (ROOT / "mockflow" / "web" / "vendor.json", ROOT / "tests" / "vendor.json"):
        for package in json.loads(path.read_text())["packages"]:
            assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"])  # exact, no ranges
            assert package["tarball"] == (
                f"https://registry.npmjs.org/{package['name']}/-/"
                f"{package['name']}-{package['version']}.tgz")
            assert package["integrity"].startswith("sha512-")
            assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in package["files"])
    web = json.loads((ROOT / "mockflow" / "web" / "vendor.json").read_text())
    assert [(p["name"], p["version"]) for p in web["packages"]] == [("livekit-client", "2.23.0")]


def test_the_build_fetches_and_ships_it_and_git_ignores_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    stamp = makefile.split("$(STAMP):", 1)[1].split("\n\n", 1)[0]
    assert "scripts/fetch_vendor.py" in stamp  # make .venv/.installed (make test, .ci/run)
    assert "make .venv/.installed" in (ROOT / ".ci" / "run").read_text()
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "mockflow/web/static/vendor/" in ignored and "tests/vendor/" in ignored
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[tool.hatch.build.targets.wheel.hooks.custom]\npath = "hatch_build.py"' in pyproject
    hook = (ROOT / "hatch_build.py").read_text()
    assert 'build_data["artifacts"].append("mockflow/web/static/vendor/*")' in hook
