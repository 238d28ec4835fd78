"""`python -m dagster_defs.run_logs RUN_ID`: a run's event log on the terminal (there is no UI).

Reads the instance in $DAGSTER_HOME (on the VM: /var/dagster/home; unset: .local/dagster, where
`python -m dagster_defs` records its runs) and prints one line per
event: time, level, step, message; `--level ERROR` keeps the failures.
"""

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# the checkout's root, found without importing destinations.settings (and dlt with it)
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def log_command(run_id: str) -> str:
    """The command that shows a run's log, as the failure hints and alerts name it."""
    return f"python -m dagster_defs.run_logs {run_id[:8]}"


def error_line(error: Any) -> str:
    """The first line of a step's error (Dagster's SerializableErrorInfo), without the qualified
    class name Dagster puts before a Failure's description: the source's own one line."""
    first = ((error.message if error else "").strip().splitlines() or ["no message"])[0]
    if error is not None:
        qualified, _, rest = first.partition(f"{error.cls_name}: ")
        if rest and " " not in qualified:
            return rest
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_defs.run_logs", description=__doc__)
    parser.add_argument("run_id", help="a run id or its first characters, from `dagster run list`")
    parser.add_argument("--level", default="INFO", help="lowest level shown (default: INFO)")
    args = parser.parse_args(argv)
    lowest = logging.getLevelName(args.level.upper())

    # where `python -m dagster_defs` records its runs, unless DAGSTER_HOME says otherwise
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".local" / "dagster"))
    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.get() as instance:
        matches = [
            run.run_id
            for run in instance.get_runs(RunsFilter())
            if run.run_id.startswith(args.run_id)
        ]
        if len(matches) != 1:
            print(f"error: {len(matches)} runs match {args.run_id!r}", file=sys.stderr)
            return 1
        for entry in instance.all_logs(matches[0]):
            if entry.level < lowest:
                continue
            at = datetime.fromtimestamp(entry.timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
            step = entry.step_key or "-"
            event = entry.dagster_event
            message = entry.user_message or (event.event_type_value if event else "")
            if event is not None and event.is_step_failure and event.step_failure_data:
                message += " " + error_line(event.step_failure_data.error)
            print(f"{at} {logging.getLevelName(entry.level):<7} {step:<28} {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
