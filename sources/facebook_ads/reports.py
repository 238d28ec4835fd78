"""Daily ad insights through Graph's asynchronous report jobs: submit, poll, retry, page.

One job per account and range of at most `MAX_DAYS_PER_JOB` days (`level=ad`,
`time_increment=1`). A job that ends `Job Failed` (or `Job Skipped`), or is not complete within
the timeout, is submitted again, up to `JOB_ATTEMPTS` times. A range that still fails stops the
run with one line naming the account and the range: the load is then not committed, so the lake
keeps what earlier runs wrote and the next run of the date reads the same window again.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sources.errors import SourceError
from sources.facebook_ads.client import SOURCE, ad_account, call_with_retries, cursor_pages
from sources.facebook_ads.settings import (
    INSIGHT_FIELDS,
    INSIGHTS_PAGE_SIZE,
    JOB_ATTEMPTS,
    JOBS_IN_FLIGHT,
    MAX_DAYS_PER_JOB,
    POLL_FIRST_SECONDS,
    POLL_GROWTH,
    POLL_MAX_SECONDS,
)

if TYPE_CHECKING:  # the SDK is imported where a report runs, never at load
    from facebook_business.adobjects.adreportrun import AdReportRun
    from facebook_business.api import FacebookAdsApi

RESOURCE = "ad_insights"
COMPLETED = "Job Completed"
FAILED = ("Job Failed", "Job Skipped")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportRange:
    account: str  # act_<id>
    since: date
    until: date  # inclusive, as Graph's time_range

    def __str__(self) -> str:
        return f"{self.account} {self.since.isoformat()}..{self.until.isoformat()}"


def job_ranges(account: str, since: date, until: date) -> list[ReportRange]:
    """[since, until] cut into ranges of at most `MAX_DAYS_PER_JOB` days."""
    ranges = []
    first = since
    while first <= until:
        last = min(first + timedelta(days=MAX_DAYS_PER_JOB - 1), until)
        ranges.append(ReportRange(account, first, last))
        first = last + timedelta(days=1)
    return ranges


def insights_params(report: ReportRange, windows: Sequence[str]) -> dict[str, Any]:
    return {
        "level": "ad",
        "time_increment": 1,
        "time_range": {"since": report.since.isoformat(), "until": report.until.isoformat()},
        "action_attribution_windows": list(windows),
        "fields": list(INSIGHT_FIELDS),
    }


def insight_pages(
    api: FacebookAdsApi, reports: Sequence[ReportRange], windows: Sequence[str], timeout: float
) -> Iterator[list[dict[str, Any]]]:
    """Pages of daily ad insights for every range in `reports`, each from a completed job."""
    for report, run in completed_runs(api, reports, windows, timeout):
        yield from cursor_pages(
            partial(run.get_result, params={"limit": INSIGHTS_PAGE_SIZE}),
            RESOURCE,
            report.account,
        )


@dataclass
class _Job:
    report: ReportRange
    run: AdReportRun
    attempt: int
    deadline: float


def completed_runs(
    api: FacebookAdsApi, reports: Sequence[ReportRange], windows: Sequence[str], timeout: float
) -> Iterator[tuple[ReportRange, AdReportRun]]:
    """Each range's completed report run, as soon as it completes.

    Up to `JOBS_IN_FLIGHT` jobs run at once and are polled together: Graph works on them side
    by side, so a backfill of many ranges waits about as long as one job, not once per range.
    A job that fails or is stuck is submitted again, up to `JOB_ATTEMPTS` times; a range whose
    every attempt failed stops the run.
    """
    waiting = deque(reports)
    running: list[_Job] = []
    interval = POLL_FIRST_SECONDS
    while waiting or running:
        while waiting and len(running) < JOBS_IN_FLIGHT:
            running.append(_submit(api, waiting.popleft(), windows, 1, timeout))
        done, resubmitted = [], False
        for index, job in enumerate(running):
            problem = _poll(job, timeout)
            if problem == "":
                done.append(job)
            elif problem is not None:
                running[index] = _resubmit(api, job, problem, windows, timeout)
                resubmitted = True
        for job in done:
            running.remove(job)
            yield job.report, job.run
        if done or resubmitted:
            # a new job is polled at once, then at the first interval again, as the first was
            interval = POLL_FIRST_SECONDS
        elif running:
            left = min(job.deadline for job in running) - time.monotonic()
            time.sleep(max(0.0, min(interval, left)))
            interval = min(interval * POLL_GROWTH, POLL_MAX_SECONDS)


def _submit(
    api: FacebookAdsApi, report: ReportRange, windows: Sequence[str], attempt: int, timeout: float
) -> _Job:
    account = ad_account(api, report.account)
    run: AdReportRun = call_with_retries(
        lambda: account.get_insights(params=insights_params(report, windows), is_async=True),
        RESOURCE,
        report.account,
    )
    return _Job(report, run, attempt, time.monotonic() + timeout)


def _resubmit(
    api: FacebookAdsApi, job: _Job, problem: str, windows: Sequence[str], timeout: float
) -> _Job:
    if job.attempt >= JOB_ATTEMPTS:
        raise SourceError(
            SOURCE,
            f"no insights for {job.report}: the report job {problem} on all {JOB_ATTEMPTS} "
            "attempts; nothing of this run was loaded, run the date again",
            RESOURCE,
        )
    log.warning(
        "%s.%s: report job %s for %s %s (attempt %d of %d); submitting it again",
        SOURCE,
        RESOURCE,
        job.run.get_id(),
        job.report,
        problem,
        job.attempt,
        JOB_ATTEMPTS,
    )
    return _submit(api, job.report, windows, job.attempt + 1, timeout)


def _poll(job: _Job, timeout: float) -> str | None:
    """Ask Graph for the job's status: "" completed, None still running, else what went wrong."""
    from facebook_business.adobjects.adreportrun import AdReportRun

    run = job.run
    call_with_retries(run.api_get, RESOURCE, job.report.account)
    status = str(run.get(AdReportRun.Field.async_status) or "")
    percent = run.get(AdReportRun.Field.async_percent_completion) or 0
    log.debug("%s.%s: job %s %s %s%%", SOURCE, RESOURCE, run.get_id(), status, percent)
    if status == COMPLETED and int(percent) >= 100:
        return ""
    if status in FAILED:
        return f"ended '{status}'"
    if time.monotonic() >= job.deadline:
        return f"was still '{status}' at {percent}% after {timeout:g}s"
    return None
