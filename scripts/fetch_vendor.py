"""Fetch the pinned third-party browser code from the npm registry, integrity-checked.

    python scripts/fetch_vendor.py [MANIFEST.json ...] [--check] [--registry URL]

Each manifest (default: mockflow/web/vendor.json, the join page's livekit-client, and
tests/vendor.json, the tests' axe-core) pins packages by version, by the tarball's
integrity (SRI sha512, the value ``npm view PKG@VER dist.integrity`` and package-lock.json
show) and by each extracted file's sha256. A tarball whose hash differs is refused; only
the listed files are extracted, each checked, each written atomically into the
manifest's ``dest`` (relative to the manifest). Files already present with the right
hash are left alone, so a second run does nothing and needs no network. Tarballs are
cached in ``$XDG_CACHE_HOME/mockflow/npm`` (``~/.cache/mockflow/npm``), also checked.

``--check``: only verify, exit 1 if anything is missing or different.
``--registry``: a mirror of registry.npmjs.org (the hashes still decide).
Stdlib only: the hatch build hook (hatch_build.py) runs it before anything is installed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = (ROOT / "mockflow" / "web" / "vendor.json", ROOT / "tests" / "vendor.json")
REGISTRY = "https://registry.npmjs.org"
MAX_TARBALL = 50 * 1024 * 1024


class VendorError(Exception):
    pass


def sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def sri_matches(data: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise VendorError(f"integrity '{integrity[:20]}…' is not sha512")
    return base64.b64encode(hashlib.sha512(data).digest()).decode() == expected


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mockflow" / "npm"


def tarball(package: dict[str, Any], registry: str) -> bytes:
    name = f"{package['name']}-{package['version']}.tgz"
    cached = cache_dir() / name
    if cached.is_file():
        data = cached.read_bytes()
        if sri_matches(data, package["integrity"]):
            return data
    url = str(package["tarball"])
    if registry.rstrip("/") != REGISTRY:
        url = registry.rstrip("/") + url.removeprefix(REGISTRY)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (https)
            data = response.read(MAX_TARBALL + 1)
    except OSError as exc:
        raise VendorError(f"cannot download {url}: {exc}") from exc
    if len(data) > MAX_TARBALL:
        raise VendorError(f"{url} is larger than {MAX_TARBALL} bytes")
    if not sri_matches(data, package["integrity"]):
        raise VendorError(f"{url} does not match its pinned integrity {package['integrity']};"
                          " refusing it (a changed or tampered package)")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(cached, data)
    except OSError:
        pass  # the cache is a convenience
    return data


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch_manifest(manifest: Path, *, check_only: bool, registry: str) -> list[str]:
    """Bring one manifest's files into place; returns what is still wrong (check mode)."""
    spec = json.loads(manifest.read_text("utf-8"))
    dest = manifest.parent / spec["dest"]
    problems: list[str] = []
    for package in spec["packages"]:
        label = f"{package['name']}@{package['version']}"
        wanted = [f for f in package["files"] if sha256_file(dest / f["to"]) != f["sha256"]]
        if not wanted:
            continue
        if check_only:
            problems += [f"{dest / f['to']} is missing or differs from {label}" for f in wanted]
            continue
        data = tarball(package, registry)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for item in wanted:
                member = archive.getmember(item["from"])
                if not member.isfile():
                    raise VendorError(f"{label}: {item['from']} is not a regular file")
                handle = archive.extractfile(member)
                assert handle is not None
                content = handle.read()
                if hashlib.sha256(content).hexdigest() != item["sha256"]:
                    raise VendorError(f"{label}: {item['from']} does not match its pinned"
                                      " sha256")
                write_atomic(dest / item["to"], content)
        shown = dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest
        print(f"fetch_vendor: {label} -> {shown} (integrity checked)")
    return problems


def fetch(manifests: list[Path], *, check_only: bool = False,
          registry: str = REGISTRY) -> list[str]:
    problems: list[str] = []
    for manifest in manifests:
        problems += fetch_manifest(manifest, check_only=check_only, registry=registry)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifests", nargs="*", type=Path, default=list(MANIFESTS))
    parser.add_argument("--check", action="store_true", help="verify only; exit 1 on a miss")
    parser.add_argument("--registry", default=os.environ.get("MOCKFLOW_NPM_REGISTRY", REGISTRY))
    args = parser.parse_args(argv)
    try:
        problems = fetch(args.manifests, check_only=args.check, registry=args.registry)
    except (VendorError, OSError, KeyError, tarfile.TarError) as exc:
        print(f"fetch_vendor: error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"fetch_vendor: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
