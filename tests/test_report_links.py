"""URLs a candidate says never become links in the Markdown report: rendered by GitHub's
own cmark-gfm (autolink extension) and by markdown-it with linkify, the report has no
link at all, and the words still read the same."""

from __future__ import annotations

import asyncio
import html
import json
import re
from pathlib import Path

import cmarkgfm
import pytest
from markdown_it import MarkdownIt

from mockflow.format.templates import Candidate
from mockflow.format.validate import check_file
from mockflow.results.load import load_session
from mockflow.results.report.md import render_md
from mockflow.results.report.model import build_report
from mockflow.simulate.runner import simulate

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = [
    "https://evil.example/login?next=x", "<https://evil.example/a>", r"\<https://evil.example/b\>",
    "www.evil.example", "mail hr@evil.example now", "mailto:hr@evil.example",
    "xmpp:hr@evil.example", "evil.io", "ftp://files.evil.io/x", "//evil.io/path",
    "[click](https://evil.example)", "HTTPS://EVIL.IO/UP", "http://127.0.0.1:8080/",
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiled = check_file(str(ROOT / "interviews" / "backend.yaml")).compiled
    assert compiled is not None
    root = tmp_path_factory.mktemp("results")
    outcome = asyncio.run(simulate(compiled, "average", seed=4, results_root=root,
                                   candidate=Candidate(name="www.evil.example")))
    directory = outcome.recorder.directory
    path = directory / "transcript.jsonl"
    turns = [json.loads(line) for line in path.read_text().splitlines()]
    for t in turns:
        if t["role"] == "candidate":
            t["text"] = " ".join(HOSTILE) + " " + t["text"]
    path.write_text("".join(json.dumps(t) + "\n" for t in turns))
    (directory / "reviews.jsonl").write_text(json.dumps({
        "format": 1, "id": "rv-1", "at": "2026-11-29T12:00:00Z", "reviewer": "a@evil.example",
        "scores": {}, "note": "see https://evil.example/notes"}) + "\n")
    return directory


def _text(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace("\u200b", "")


@pytest.mark.parametrize("renderer", ["cmark-gfm", "markdown-it+linkify"])
def test_no_candidate_url_becomes_a_link(hostile: Path, renderer: str) -> None:
    md = render_md(build_report(load_session(hostile)))
    if renderer == "cmark-gfm":
        rendered = cmarkgfm.github_flavored_markdown_to_html(md)
    else:
        rendered = MarkdownIt("gfm-like").enable("linkify").render(md)
    assert "<a " not in rendered and "href" not in rendered, \
        re.findall(r"<a [^>]*>[^<]*</a>", rendered)[:5]
    shown = _text(rendered)
    for words in ("https://evil.example/login?next=x", "www.evil.example", "hr@evil.example",
                  "evil.io", "ftp://files.evil.io/x", "http://127.0.0.1:8080/",
                  "https://evil.example/notes"):
        assert words in shown, words  # the candidate's words, as they said them


def test_plain_text_still_reads_the_same(hostile: Path) -> None:
    md = render_md(build_report(load_session(hostile)))
    rendered = cmarkgfm.github_flavored_markdown_to_html(md)
    assert "Overall:" in _text(rendered) and "How this score was made" in _text(rendered)
