"""The report page: one self-contained HTML file with its CSS, chart code and data inline."""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from reports.sections import Section

HERE = Path(__file__).parent

# Runs first: records any script error or console error into <html data-errors>, so a test
# (or a person) can see that a chart failed even without the browser's console.
ERROR_RECORDER = """
(function () {
  "use strict";
  const root = document.documentElement;
  function record(message) {
    const errors = JSON.parse(root.dataset.errors || "[]");
    errors.push(String(message));
    root.dataset.errors = JSON.stringify(errors);
  }
  window.addEventListener("error", (event) => record(event.message || event.error));
  window.addEventListener("unhandledrejection", (event) => record(event.reason));
  const consoleError = console.error.bind(console);
  console.error = (...args) => { record(args.join(" ")); consoleError(...args); };
})();
"""

MISSING = (
    "No data: {mart} does not exist in this warehouse. It is built from {sources}: enable "
    "those sources (sources.enabled) and run the pipeline."
)
EMPTY = "No data: {mart} exists but holds no rows yet. It is built from {sources}."


def script_json(value: Any) -> str:
    """JSON that is safe inside <script>: no `</script>` or `<!--` can end the element early."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")


def render_figures(section: Section) -> str:
    items = "".join(
        f"<div><dt>{escape(figure.label)}</dt>"
        f'<dd data-figure="{escape(figure.name)}">{escape(figure.text)}</dd></div>'
        for figure in section.figures
    )
    return f'<dl class="figures">{items}</dl>' if items else ""


def render_section(section: Section) -> str:
    parts = [
        f'<section id="{section.key}" data-section="{section.key}" data-state="{section.state}">',
        f"<h2>{escape(section.title)}</h2>",
        f'<p class="question">{escape(section.question)}</p>',
    ]
    if section.state != "ok":
        template = MISSING if section.state == "missing" else EMPTY
        notice = template.format(mart=section.mart, sources=section.sources)
        parts.append(f'<p class="notice" data-notice>{escape(notice)}</p>')
    parts.append(render_figures(section))
    for chart in section.charts:
        parts.append(
            f'<figure class="chart" data-chart="{escape(chart["id"])}">'
            f'<figcaption>{escape(chart["title"])}</figcaption><div class="plot"></div></figure>'
        )
    parts.extend(f'<p class="note">{escape(note)}</p>' for note in section.notes)
    parts.append(f'<p class="note">From <code>{escape(section.mart)}</code>.</p></section>')
    return "\n".join(parts)


def render_page(sections: list[Section], warehouse: Path, generated_at: datetime) -> str:
    """The whole page; it references nothing outside itself."""
    charts = {chart["id"]: chart for section in sections for chart in section.charts}
    nav = "".join(f'<a href="#{s.key}">{escape(s.title)}</a>' for s in sections)
    stamp = generated_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Revenue, ads, stock and enrolment, {escape(stamp)}</title>
<script>{ERROR_RECORDER}</script>
<style>{(HERE / "report.css").read_text()}</style>
</head>
<body>
<header>
<h1>Revenue, ads, stock and enrolment</h1>
<p class="meta">Generated {escape(stamp)} from the warehouse <code>{escape(str(warehouse))}</code>.
All days are UTC.</p>
<nav>{nav}</nav>
</header>
<main>
{"".join(render_section(section) for section in sections)}
</main>
<footer>Made by <code>python -m reports</code>. Every figure and chart comes from the
<code>marts</code> schema; the file needs no network and no server.</footer>
<script type="application/json" id="chart-data">{script_json(charts)}</script>
<script>{(HERE / "charts.js").read_text()}</script>
</body>
</html>
"""
