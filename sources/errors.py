"""Errors a source raises for bad settings or a refusing API: one line naming where; and the
chain of errors one wraps, to find ours inside what dlt or SQLMesh raised."""

from __future__ import annotations

from collections.abc import Iterator


class SourceError(RuntimeError):
    """Stops a source with a one-line message: `<source>[.<resource>]: what was wrong`."""

    def __init__(self, source: str, message: str, resource: str | None = None) -> None:
        where = f"{source}.{resource}" if resource else source
        super().__init__(f"{where}: {message}")
        self.source = source
        self.resource = resource


def error_chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what it wraps, innermost last: dlt's `.exception`, else the cause or the
    error being handled when it was raised."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = getattr(seen, "exception", None) or seen.__cause__ or seen.__context__
