"""`python -m dagster_defs.orphaned_runs`: end the runs a stopped code server left behind.

On the VM every run is a child process of the code server (dagster-code.service), and systemd
stops the unit's processes together: a restart, a deploy or a reboot ends the run mid-way.
Dagster does not notice. With the default run launcher nothing checks a started run's process,
so the run would stay STARTED, and with one run at a time every later run would queue behind it
until run monitoring's max_runtime_seconds. The unit runs this before the server starts
(ExecStartPre), when no run of the instance can still be alive; run retries (deploy/dagster.yaml)
then run the failed ones again. Reads the instance in $DAGSTER_HOME; one line per run ended.
"""

from __future__ import annotations

import argparse
import sys

WHY = "the code server stopped (restart, deploy or reboot) while this run was in progress"


def end_orphaned_runs() -> list[str]:
    """Fail every starting or started run, cancel every cancelling one; say what was done."""
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    ended = []
    with DagsterInstance.get() as instance:
        in_progress = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
        cancelling = [DagsterRunStatus.CANCELING]
        for run in instance.get_runs(RunsFilter(statuses=in_progress + cancelling)):
            if run.status in cancelling:
                instance.report_run_canceled(run, f"Canceled: {WHY}.")
                outcome = "canceled"
            else:
                instance.report_run_failed(run, f"Failed: {WHY}.")
                outcome = "failed"
            partition = run.tags.get("dagster/partition")
            on = f" for {partition}" if partition else ""
            ended.append(f"run {run.run_id} ({run.job_name}{on}) was {run.status.value}: {outcome}")
    return ended


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="python -m dagster_defs.orphaned_runs", description=__doc__
    ).parse_args(argv)
    ended = end_orphaned_runs()
    for line in ended:
        print(f"orphaned runs: {line}")
    print(f"orphaned runs: {len(ended)} ended")
    return 0


if __name__ == "__main__":
    sys.exit(main())
