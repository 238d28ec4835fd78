"""Alerts from the daemon: a night that failed, a night that recovered, failed checks, a digest.

Dagster's run-status sensors see each finished run of the daily job exactly once (their cursor
is kept in the instance), so each alert goes out once. A run failed after its retries names its
day, each failed step with its one-line error, and the command that shows its log; a successful
run after a failed one says the nights are right again; failed asset checks and SQLMesh audits
of a run are one alert; with `alerts.digest` a successful night also sends a short digest.
"""

from __future__ import annotations

import os

from dagster import (
    AssetCheckEvaluation,
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunsFilter,
    RunStatusSensorContext,
    SensorDefinition,
    run_failure_sensor,
    run_status_sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)

from alerts.heartbeat import record_success
from alerts.send import Alert, send
from alerts.settings import alert_settings

PARTITION_TAG = "dagster/partition"


def logs_command(run_id: str) -> str:
    home = os.environ.get("DAGSTER_HOME", "")
    prefix = f"DAGSTER_HOME={home} " if home else ""
    return f"{prefix}python -m dagster_defs.run_logs {run_id[:8]}"


def failure_alert(context: RunFailureSensorContext) -> Alert:
    run = context.dagster_run
    day = run.tags.get(PARTITION_TAG, "?")
    lines = []
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error if event.step_failure_data else None
        first = ((error.message if error else "").strip().splitlines() or ["no message"])[0]
        if error is not None:
            # `dagster._core.definitions.events.Failure: <the source's line>`: the line only
            qualified, _, rest = first.partition(f"{error.cls_name}: ")
            if rest and " " not in qualified:
                first = rest
        lines.append(f"failed: {event.step_key}: {first}")
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


def previous_finished_run_failed(context: RunStatusSensorContext) -> bool:
    run = context.dagster_run
    finished = context.instance.get_runs(
        RunsFilter(
            job_name=run.job_name,
            statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE],
        ),
        limit=10,
    )
    earlier = [other for other in finished if other.run_id != run.run_id]
    return bool(earlier) and earlier[0].status == DagsterRunStatus.FAILURE


def alert_sensors(job: UnresolvedAssetJobDefinition) -> list[SensorDefinition]:
    @run_failure_sensor(
        name="alert_on_failed_run",
        monitored_jobs=[job],
        default_status=DefaultSensorStatus.RUNNING,
        description="Sends an alert for each failed run of the daily job (alerts.* settings).",
    )
    def alert_on_failed_run(context: RunFailureSensorContext) -> None:
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
