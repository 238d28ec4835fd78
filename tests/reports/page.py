"""Read a report page (as written, or as the browser left it) into what the tests check."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "source", "wbr"}


@dataclass
class Chart:
    marks: int = 0  # elements with class "mark" (one per data row)
    svgs: int = 0
    marks_attribute: str | None = None  # what the page's script counted


@dataclass
class PageSummary:
    root: dict[str, str | None] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    charts: dict[str, Chart] = field(default_factory=dict)
    sections: dict[str, str | None] = field(default_factory=dict)  # key -> data-state
    notices: dict[str, str] = field(default_factory=dict)  # section key -> notice text
    links: list[str] = field(default_factory=list)  # every src and href


class Summariser(HTMLParser):
    """Tracks the open section, chart, figure and notice while walking the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.summary = PageSummary()
        self.stack: list[tuple[str, str]] = []  # (tag, role) of open elements
        self.section = ""
        self.chart = ""
        self.text_for: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.summary.links += [v or "" for k, v in attrs if k in ("src", "href")]
        role = ""
        if tag == "html":
            self.summary.root = attributes
        if "data-section" in attributes:
            self.section = attributes["data-section"] or ""
            self.summary.sections[self.section] = attributes.get("data-state")
            role = "section"
        if "data-chart" in attributes:
            self.chart = attributes["data-chart"] or ""
            self.summary.charts[self.chart] = Chart(marks_attribute=attributes.get("data-marks"))
            role = "chart"
        if self.chart and tag == "svg":
            self.summary.charts[self.chart].svgs += 1
        if self.chart and "mark" in (attributes.get("class") or "").split():
            self.summary.charts[self.chart].marks += 1
        if "data-figure" in attributes:
            self.text_for = ("figure", attributes["data-figure"] or "")
            self.summary.figures[self.text_for[1]] = ""
        if "data-notice" in attributes:
            self.text_for = ("notice", self.section)
            self.summary.notices[self.section] = ""
        if tag not in VOID:
            self.stack.append((tag, role))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self.stack:
            open_tag, role = self.stack.pop()
            if role == "chart":
                self.chart = ""
            if role == "section":
                self.section = ""
            if open_tag == tag:
                break
        if tag in ("dd", "p"):
            self.text_for = None

    def handle_data(self, data: str) -> None:
        if self.text_for is None:
            return
        kind, key = self.text_for
        target = self.summary.figures if kind == "figure" else self.summary.notices
        target[key] += data


def summarise(html: str) -> PageSummary:
    parser = Summariser()
    parser.feed(html)
    parser.close()
    return parser.summary
