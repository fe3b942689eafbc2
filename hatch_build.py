"""Hatch build hook: put the join page's pinned livekit-client into built wheels.

The file is not in the repository (mockflow/web/vendor.json pins it; .gitignore keeps it
out). Building a wheel runs scripts/fetch_vendor.py for that manifest — a no-op when
``make vendor`` already fetched it, else a download from the npm registry checked
against the pinned integrity — and ships the files as artifacts (git-ignored files are
otherwise left out). Editable installs skip this: the Makefile fetches the files into
the source tree, and ``mockflow serve`` refuses clearly when they are missing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class VendorBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        spec = importlib.util.spec_from_file_location(
            "fetch_vendor", root / "scripts" / "fetch_vendor.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        manifest = root / "mockflow" / "web" / "vendor.json"
        module.fetch([manifest])
        build_data["artifacts"].append("mockflow/web/static/vendor/*")
