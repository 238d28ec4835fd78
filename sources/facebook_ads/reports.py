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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sources.errors import SourceError
from sources.facebook_ads.client import SOURCE, ad_account, call_with_retries, cursor_pages
from sources.facebook_ads.settings import (
    INSIGHT_FIELDS,
    INSIGHTS_PAGE_SIZE,
    JOB_ATTEMPTS,
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
    api: FacebookAdsApi, report: ReportRange, windows: Sequence[str], timeout: float
) -> Iterator[list[dict[str, Any]]]:
    """Pages of daily ad insights for `report`, from a completed async job."""
    run = completed_run(api, report, windows, timeout)
    yield from cursor_pages(
        lambda: run.get_result(params={"limit": INSIGHTS_PAGE_SIZE}), RESOURCE, report.account
    )


def completed_run(
    api: FacebookAdsApi, report: ReportRange, windows: Sequence[str], timeout: float
) -> AdReportRun:
    """Submit the report job, resubmitting a failed or stuck one; raise if none completes."""
    account = ad_account(api, report.account)
    problem = ""
    for attempt in range(1, JOB_ATTEMPTS + 1):
        run: AdReportRun = call_with_retries(
            lambda: account.get_insights(params=insights_params(report, windows), is_async=True),
            RESOURCE,
            report.account,
        )
        problem = _wait_for(run, report, timeout)
        if not problem:
            return run
        if attempt < JOB_ATTEMPTS:
            log.warning(
                "%s.%s: report job %s for %s %s (attempt %d of %d); submitting it again",
                SOURCE,
                RESOURCE,
                run.get_id(),
                report,
                problem,
                attempt,
                JOB_ATTEMPTS,
            )
    raise SourceError(
        SOURCE,
        f"no insights for {report}: the report job {problem} on all {JOB_ATTEMPTS} attempts; "
        "nothing of this run was loaded, run the date again",
        RESOURCE,
    )


def _wait_for(run: AdReportRun, report: ReportRange, timeout: float) -> str:
    """Poll `run` until it completes (""), fails or times out (what went wrong)."""
    from facebook_business.adobjects.adreportrun import AdReportRun

    deadline = time.monotonic() + timeout
    interval = POLL_FIRST_SECONDS
    while True:
        call_with_retries(run.api_get, RESOURCE, report.account)
        status = str(run.get(AdReportRun.Field.async_status) or "")
        percent = run.get(AdReportRun.Field.async_percent_completion) or 0
        log.debug("%s.%s: job %s %s %s%%", SOURCE, RESOURCE, run.get_id(), status, percent)
        if status == COMPLETED and int(percent) >= 100:
            return ""
        if status in FAILED:
            return f"ended '{status}'"
        left = deadline - time.monotonic()
        if left <= 0:
            return f"was still '{status}' at {percent}% after {timeout:g}s"
        time.sleep(min(interval, left))
        interval = min(interval * POLL_GROWTH, POLL_MAX_SECONDS)
