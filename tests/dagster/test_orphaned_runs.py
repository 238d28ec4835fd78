"""Runs a stopped code server took down with it are ended when it starts again, and retried.

The instance is the VM's (deploy/dagster.yaml, storage in a temporary home); the module runs as
dagster-code.service's ExecStartPre runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

from destinations.settings import PROJECT_ROOT

VM_HOME = "/var/dagster/home"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = (PROJECT_ROOT / "deploy" / "dagster.yaml").read_text().replace(VM_HOME, str(tmp_path))
    (tmp_path / "dagster.yaml").write_text(config)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def end_orphans(home: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "dagster_defs.orphaned_runs"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_runs_left_in_progress_are_ended_and_will_be_retried(home: Path) -> None:
    statuses = {
        "started": DagsterRunStatus.STARTED,
        "starting": DagsterRunStatus.STARTING,
        "canceling": DagsterRunStatus.CANCELING,
        "succeeded": DagsterRunStatus.SUCCESS,
    }
    with DagsterInstance.get() as instance:
        ids = {
            name: instance.add_run(
                DagsterRun(
                    job_name="daily", status=status, tags={"dagster/partition": "2026-12-05"}
                )
            ).run_id
            for name, status in statuses.items()
        }

    lines = end_orphans(home)

    assert lines[-1] == "orphaned runs: 3 ended"
    started = f"run {ids['started']} (daily for 2026-12-05) was STARTED: failed"
    assert f"orphaned runs: {started}" in lines
    with DagsterInstance.get() as instance:
        runs = {name: instance.get_run_by_id(run_id) for name, run_id in ids.items()}
        assert {name: run.status for name, run in runs.items() if run} == {
            "started": DagsterRunStatus.FAILURE,
            "starting": DagsterRunStatus.FAILURE,
            "canceling": DagsterRunStatus.CANCELED,
            "succeeded": DagsterRunStatus.SUCCESS,
        }
        # Dagster's own verdict under deploy/dagster.yaml's run_retries: the daemon reruns them
        assert runs["started"].tags.get("dagster/will_retry") == "true"
        assert runs["starting"].tags.get("dagster/will_retry") == "true"

    assert end_orphans(home) == ["orphaned runs: 0 ended"]  # a second start finds nothing


def test_a_run_that_failed_a_step_is_not_retried(home: Path) -> None:
    """A step's own retries have run already; a whole-run retry would repeat them."""
    with DagsterInstance.get() as instance:
        run = instance.add_run(
            DagsterRun(
                job_name="daily",
                status=DagsterRunStatus.STARTED,
                tags={"dagster/failure_reason": "STEP_FAILURE"},
            )
        )
        instance.report_run_failed(run, "a step failed")
        failed = instance.get_run_by_id(run.run_id)
        assert failed is not None
        assert failed.tags.get("dagster/will_retry") == "false"
