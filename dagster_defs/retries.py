"""What the daily job retries, and what it fails at once.

A step that failed on the network, a rate limit or a vendor's 5xx is retried (the API may
answer later); one that failed on something no retry can fix (refused credentials, a missing or
unusable setting, a request the API rejects) fails at once with the source's one line: retrying
a wrong key cost two minutes and nine tracebacks to say what `python -m sources.<name>` says at
once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dlt
from dagster import Backoff, Failure, RetryPolicy

from sources.errors import one_line, retryable


def retry_policy() -> RetryPolicy:
    """Two retries, the first after `dagster.retry_delay_seconds` (default 30), the second after
    twice that."""
    delay = float(dlt.config.get("dagster.retry_delay_seconds") or 30)
    return RetryPolicy(max_retries=2, delay=delay, backoff=Backoff.EXPONENTIAL)


RETRY_POLICY = retry_policy()


@contextmanager
def permanent_errors_fail_at_once() -> Iterator[None]:
    """Re-raise an error no retry can fix as a Dagster Failure that the retry policy skips."""
    try:
        yield
    except Failure:
        raise
    except Exception as error:
        if retryable(error):
            raise
        raise Failure(description=one_line(error), allow_retries=False) from error
