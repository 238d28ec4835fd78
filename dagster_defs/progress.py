"""One readable line per step of the daily job, for whoever runs it on a terminal.

The steps log to the `platform.progress` logger; nothing listens in the daemon's runs (their
event log has the full story), while `python -m dagster_defs` prints each line as its step
finishes and adds up the time per phase for its summary. Plain Python logging, because the
steps run in the same process as the command (the in-process executor).
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict

PROGRESS = logging.getLogger("platform.progress")


def step_done(phase: str, seconds: float, message: str, **facts: object) -> None:
    """Report a finished step: `phase` is "load" or "transform"."""
    PROGRESS.info(message, extra={"phase": phase, "seconds": seconds, "facts": facts})


class ProgressPrinter(logging.Handler):
    """Prints each step's line (unless quiet) and keeps the seconds per phase and the facts."""

    def __init__(self, quiet: bool) -> None:
        super().__init__(logging.INFO)
        self.quiet = quiet
        self.seconds: dict[str, float] = defaultdict(float)
        self.facts: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seconds[str(getattr(record, "phase", "other"))] += float(
            getattr(record, "seconds", 0.0)
        )
        self.facts.append(
            {**getattr(record, "facts", {}), "seconds": float(getattr(record, "seconds", 0.0))}
        )
        if not self.quiet:
            print(f"  {record.getMessage()}", file=sys.stderr, flush=True)

    def install(self) -> ProgressPrinter:
        PROGRESS.addHandler(self)
        PROGRESS.setLevel(logging.INFO)
        PROGRESS.propagate = False
        return self
