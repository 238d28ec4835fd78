"""Errors a source raises for bad settings or a refusing API: one line naming where."""

from __future__ import annotations


class SourceError(RuntimeError):
    """Stops a source with a one-line message: `<source>[.<resource>]: what was wrong`."""

    def __init__(self, source: str, message: str, resource: str | None = None) -> None:
        where = f"{source}.{resource}" if resource else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.resource = resource
