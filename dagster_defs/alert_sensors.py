"""Alerts from the daemon: a night that failed, a night that recovered, failed checks, a
source past its deadline; and the heartbeat of the dead man's switch.

Dagster's run-status sensors see each finished run of the daily job exactly once (their cursor
is kept in the instance), so each alert goes out once. A run failed after its retries (a killed
run the daemon launches again is not) names its day, each failed step with its one-line error,
and the command that shows its log; the first successful run after such a failure says the
nights are right again; failed asset checks and SQLMesh audits of a run are one alert.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunsFilter,
    RunStatusSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from alerts.heartbeat import record_success
from alerts.send import Alert, send
from alerts.settings import alert_settings
from dagster_defs.lake_assets import FRESHNESS_DEADLINE
from dagster_defs.run_logs import error_line, log_command
from destinations.lake import source_of
from destinations.settings import PROJECT_ROOT
from sources.clock import run_now

PARTITION_TAG = "dagster/partition"
# set by the run-retry daemon on a failed run it will launch again (deploy/dagster.yaml)
WILL_RETRY_TAG = "dagster/will_retry"


def failed_for_good(run: Any) -> bool:
    """A failed run nobody will retry: a killed run that the daemon runs again is not news."""
    return run.status == DagsterRunStatus.FAILURE and run.tags.get(WILL_RETRY_TAG) != "true"


def logs_command(run_id: str) -> str:
    home = os.environ.get("DAGSTER_HOME", "")
    prefix = f"DAGSTER_HOME={home} " if home else ""
    return f"{prefix}{log_command(run_id)}"


def failure_alert(context: RunFailureSensorContext) -> Alert:
    run = context.dagster_run
    day = run.tags.get(PARTITION_TAG, "?")
    lines = []
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error if event.step_failure_data else None
        lines.append(f"failed: {event.step_key}: {error_line(error)}")
    if not lines:
        lines.append(f"failed: {(context.failure_event.message or '').splitlines()[0]}")
    lines.append(f"run {run.run_id}; its log: {logs_command(run.run_id)}")
    return Alert(f"platform: the daily run for {day} FAILED", tuple(lines))


def failed_checks(context: RunStatusSensorContext) -> list[str]:
    """`<asset> <check>` of each asset check (and SQLMesh audit) that failed in the run."""
    found = []
    records = context.instance.all_logs(
        context.dagster_run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    )
    for record in records:
        event = record.dagster_event
        evaluation = event.event_specific_data if event else None
        if isinstance(evaluation, AssetCheckEvaluation) and not evaluation.passed:
            found.append(f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}")
    return found


def rows_by_source(context: RunStatusSensorContext) -> dict[str, int]:
    """Rows each source loaded in the run, from its raw tables' materializations."""
    rows: dict[str, int] = {}
    records = context.instance.all_logs(
        context.dagster_run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
    )
    for record in records:
        event = record.dagster_event
        materialization = event.step_materialization_data.materialization if event else None
        if materialization is None or materialization.asset_key.path[0] != "raw":
            continue
        value = materialization.metadata.get("rows")
        source = source_of(materialization.asset_key.path[-1])
        rows[source] = rows.get(source, 0) + int(getattr(value, "value", 0) or 0)
    return rows


def start_digest(day: str, rows: dict[str, int]) -> None:
    """`python -m alerts.digest` in a process of its own, not waited for: the sensor must
    answer within Dagster's timeout, and the code server stays free of warehouse clients."""
    subprocess.Popen(
        [sys.executable, "-m", "alerts.digest", day, json.dumps(rows)],
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def previous_finished_run_failed(context: RunStatusSensorContext) -> bool:
    run = context.dagster_run
    finished = context.instance.get_runs(
        RunsFilter(
            job_name=run.job_name,
            statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE],
        ),
        limit=10,
    )
    # the newest outcome that was told: a success, or a failure nobody retried
    told = [
        other
        for other in finished
        if other.run_id != run.run_id
        and (other.status == DagsterRunStatus.SUCCESS or failed_for_good(other))
    ]
    return bool(told) and failed_for_good(told[0])


def newest_days(instance: Any, keys: Sequence[AssetKey]) -> dict[str, str | None]:
    """Each source's newest loaded day: the newest partition among its raw tables'."""
    newest: dict[str, str | None] = {}
    for key in keys:
        source = source_of(key.path[-1])
        event = instance.get_latest_materialization_event(key)
        day = event.dagster_event.partition if event and event.dagster_event else None
        current = newest.get(source)
        newest[source] = max(filter(None, [current, day]), default=None)
    return newest


def stale_sources(
    newest: dict[str, str | None], now: datetime
) -> tuple[str, list[tuple[str, str | None]]]:
    """The day every source should have loaded by now (yesterday, once the deadline has
    passed; else the day before) and the sources whose newest day is older."""
    due = now.date() - timedelta(days=1 if now.time() >= FRESHNESS_DEADLINE else 2)
    expected = due.isoformat()
    return expected, [
        (source, day) for source, day in sorted(newest.items()) if day is None or day < expected
    ]


def stale_source_sensor(raw_keys: Sequence[AssetKey]) -> SensorDefinition:
    @sensor(
        name="alert_on_stale_source",
        minimum_interval_seconds=900,
        default_status=DefaultSensorStatus.RUNNING,
        description="Alerts once per day and source whose raw tables missed the 09:00 UTC "
        "deadline (their freshness policy).",
    )
    def alert_on_stale_source(context: SensorEvaluationContext) -> SkipReason:
        alerted: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        expected, stale = stale_sources(newest_days(context.instance, raw_keys), run_now())
        late = [(source, day) for source, day in stale if alerted.get(source) != expected]
        if not late:
            return SkipReason(f"every source has loaded {expected}, or was alerted for it")
        lines = tuple(
            f"{source}: newest day loaded {day or 'none'}, expected {expected} by "
            f"{FRESHNESS_DEADLINE:%H:%M} UTC"
            for source, day in late
        )
        send(Alert(f"platform: {len(late)} source(s) stale for {expected}", lines))
        alerted.update({source: expected for source, _ in late})
        context.update_cursor(json.dumps(alerted))
        return SkipReason(f"alerted: {', '.join(source for source, _ in late)}")

    return alert_on_stale_source


def alert_sensors(job: UnresolvedAssetJobDefinition) -> list[SensorDefinition]:
    @run_failure_sensor(
        name="alert_on_failed_run",
        monitored_jobs=[job],
        default_status=DefaultSensorStatus.RUNNING,
        description="Sends an alert for each failed run of the daily job (alerts.* settings).",
    )
    def alert_on_failed_run(context: RunFailureSensorContext) -> None:
        if not failed_for_good(context.dagster_run):
            return  # the daemon runs it again; its retry's outcome is what gets told
        alert = failure_alert(context)
        checks = failed_checks(context)
        if checks:
            alert = Alert(alert.subject, (*alert.lines, *(f"check failed: {c}" for c in checks)))
        send(alert, alert_settings())

    @run_status_sensor(
        name="alert_on_successful_run",
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=[job],
        default_status=DefaultSensorStatus.RUNNING,
        description="After a successful night: recovered, failed checks, and the digest.",
    )
    def alert_on_successful_run(context: RunStatusSensorContext) -> None:
        run = context.dagster_run
        day = run.tags.get(PARTITION_TAG, "?")
        settings = alert_settings()
        record_success(settings, day)  # the dead man's switch's heartbeat
        if settings.digest:
            start_digest(day, rows_by_source(context))
        if previous_finished_run_failed(context):
            send(
                Alert(
                    f"platform: recovered: the daily run for {day} succeeded",
                    (f"run {run.run_id}; the failed night before it is behind us",),
                ),
                settings,
            )
        checks = failed_checks(context)
        if checks:
            send(
                Alert(
                    f"platform: {len(checks)} check(s) failed in the run for {day}",
                    (
                        *(f"check failed: {check}" for check in checks),
                        f"its log: {logs_command(run.run_id)}",
                    ),
                ),
                settings,
            )

    return [alert_on_failed_run, alert_on_successful_run]
