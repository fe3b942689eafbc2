"""Parse a report with the standard library's HTML parser and collect what tests check."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Parsed:
    ids: dict[str, str] = field(default_factory=dict)  # id -> tag
    hrefs: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)  # every attribute value that is a URL
    tags: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # on* attributes
    text_by_id: dict[str, str] = field(default_factory=dict)
    styles: list[str] = field(default_factory=list)
    ancestors: dict[str, list[str]] = field(default_factory=dict)  # id -> enclosing ids


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Parsed()
        self._open: list[tuple[str, str | None]] = []
        self._texts: dict[str, list[str]] = {}
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.tags.append(tag)
        ident = None
        for name, value in attrs:
            value = value or ""
            if name == "id":
                assert value not in self.out.ids, f"duplicate id {value}"
                self.out.ids[value] = tag
                ident = value
                self._texts[value] = []
                self.out.ancestors[value] = [i for _, i in self._open if i is not None]
            if name == "href":
                self.out.hrefs.append(value)
            if name in ("href", "src", "xlink:href", "action", "xmlns") or "://" in value:
                self.out.urls.append(value)
            if name.startswith("on"):
                self.out.events.append(name)
        self._in_style = tag == "style"
        if tag not in ("meta", "br", "img", "input", "link", "path", "rect", "line",
                       "circle", "polyline"):
            self._open.append((tag, ident))

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False
        while self._open:
            t, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.out.styles.append(data)
        for _, ident in self._open:
            if ident is not None:
                self._texts[ident].append(data)


def parse(html: str) -> Parsed:
    p = _Parser()
    p.feed(html)
    p.close()
    p.out.text_by_id = {k: "".join(v) for k, v in p._texts.items()}
    return p.out
