"""The platform's definitions plus a schedule that ticks every minute, for the services test.

Loaded by the test's code server (`dagster api grpc --python-file`), never by the VM.
"""

from datetime import UTC, datetime, timedelta

from dagster import Definitions, RunRequest, ScheduleEvaluationContext, schedule
from dagster._core.definitions.schedule_definition import DefaultScheduleStatus

import dagster_defs.definitions


@schedule(
    job_name="daily",
    cron_schedule="* * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
)
def every_minute(context: ScheduleEvaluationContext) -> RunRequest:
    tick = context.scheduled_execution_time or datetime.now(UTC)
    day = (tick - timedelta(days=1)).date().isoformat()
    return RunRequest(run_key=f"fast-{tick.isoformat()}", partition_key=day)


# One Definitions object at module scope, as Dagster requires of a code location.
defs = Definitions.merge(dagster_defs.definitions.defs, Definitions(schedules=[every_minute]))
