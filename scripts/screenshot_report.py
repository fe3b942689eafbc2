"""Render the HTML report of a simulated session and screenshot it in headless Chromium.

    .venv/bin/python scripts/screenshot_report.py [-o docs/report.png] [--persona strong]

Offline and loopback-free: the session is simulated (offline interviewer, scripted
persona), the report is a local file with no external references, and Chromium runs with
networking features off in a fresh profile that is deleted afterwards. Needs Chromium
from the system's packages (``apt-get install -y chromium``); exits 2 without it.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1")


def find_browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def render(work: Path, persona: str, seed: int, name: str) -> Path:
    from mockflow.format.templates import Candidate
    from mockflow.format.validate import load_interview
    from mockflow.results.load import load_session
    from mockflow.results.report.html import render_html
    from mockflow.results.report.model import build_report
    from mockflow.simulate.runner import simulate

    compiled = load_interview(ROOT / "interviews" / "backend.yaml")
    outcome = asyncio.run(simulate(compiled, persona, seed=seed, results_root=work / "results",
                                   candidate=Candidate(name=name)))
    page = work / "report.html"
    page.write_text(render_html(build_report(load_session(outcome.recorder.directory))),
                    encoding="utf-8")
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--persona", default="strong")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--name", default="Sam Rivera")
    parser.add_argument("--size", default="1100,1500", help="window WIDTH,HEIGHT in pixels")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("screenshot_report: no Chromium found (apt-get install -y chromium)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mockflow-shot-") as tmp:
        work = Path(tmp)
        page = render(work, args.persona, args.seed, args.name)
        profile = work / "profile"
        profile.mkdir()
        args.output.parent.mkdir(parents=True, exist_ok=True)
        cmd = [browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={args.size}",
               f"--screenshot={args.output.resolve()}", page.as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0 or not args.output.is_file():
            print(f"screenshot_report: {browser} failed ({done.returncode}):"
                  f" {done.stderr.strip()[-500:]}", file=sys.stderr)
            return 1
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
