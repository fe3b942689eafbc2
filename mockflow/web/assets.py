"""The page's files: templates, static assets and the pinned vendor code.

livekit-client is not in the repository: ``make vendor`` (scripts/fetch_vendor.py)
fetches it from the npm registry with its integrity checked, and built wheels include it
(hatch_build.py). ``check_assets`` verifies it at start, so ``serve`` refuses clearly
instead of sending candidates a page that can't connect.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from mockflow.format.errors import MockflowError

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
VENDOR_MANIFEST = HERE / "vendor.json"
LIVEKIT_CLIENT = "livekit-client"


class AssetsMissing(MockflowError):
    """The page's vendor code is missing or not the pinned version."""


@dataclass(frozen=True, slots=True)
class VendorFile:
    package: str
    version: str
    name: str  # under static/vendor/
    sha256: str


def vendor_files(manifest: Path = VENDOR_MANIFEST) -> tuple[VendorFile, ...]:
    spec = json.loads(manifest.read_text("utf-8"))
    return tuple(VendorFile(p["name"], p["version"], f["to"], f["sha256"])
                 for p in spec["packages"] for f in p["files"])


def livekit_client_version() -> str:
    return next(f.version for f in vendor_files() if f.package == LIVEKIT_CLIENT)


def check_assets(static_dir: Path = STATIC_DIR) -> None:
    """Raise ``AssetsMissing`` unless every pinned vendor file is there, byte for byte."""
    for item in vendor_files():
        path = static_dir / "vendor" / item.name
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError:
            raise AssetsMissing(
                f"the candidate page needs {item.package} {item.version} ({path}), which is"
                " not there. In a checkout run `make vendor` (it fetches it from the npm"
                " registry and checks its integrity); a mockflow wheel includes it") from None
        if digest != item.sha256:
            raise AssetsMissing(
                f"{path} is not the pinned {item.package} {item.version} (sha256 {digest[:12]}…,"
                f" expected {item.sha256[:12]}…); run `make vendor` to fetch it again")


def fingerprint(static_dir: Path = STATIC_DIR) -> str:
    """A short hash of the page's own files, for cache-busting their URLs."""
    digest = hashlib.sha256()
    for name in ("join.js", "join.css"):
        digest.update((static_dir / name).read_bytes())
    return digest.hexdigest()[:12]
