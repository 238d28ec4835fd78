"""The one place the gspread client is built, and the retried reads of a sheet's cells.

Production authenticates as the machine's service account (`google.auth.default()`, read-only
scope); a plain-`http://` endpoint can only be the local emulator, which gets an anonymous
session that sends gspread's requests there instead (gspread's URLs are constants bound at
import, so the session rewrites them). gspread's own `BackOffHTTPClient` is not used: it calls
itself "not production ready", retries recursively and shares its counter between clients;
429 and 5xx are retried here with tenacity, with exponential backoff and jitter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from sources.errors import SourceError, transient_status
from sources.google_sheets.settings import (
    DRIVE_API,
    READ_PARAMS,
    RETRY_ATTEMPTS,
    RETRY_INITIAL_WAIT_SECONDS,
    RETRY_MAX_WAIT_SECONDS,
    RETRY_STATUSES,
    SCOPES,
    SHEETS_API,
    SHEETS_SETTING,
    SOURCE,
    SheetSpec,
)

if TYPE_CHECKING:  # the SDK is imported where a client is built or called, never at load
    import gspread
    from gspread.exceptions import APIError

log = logging.getLogger(__name__)

T = TypeVar("T")


class _EmulatorSession(requests.Session):
    """Sends gspread's requests for Google's hosts to the emulator at `base_url`."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        method = method.decode() if isinstance(method, bytes) else method
        url = url.decode() if isinstance(url, bytes) else url
        for host in (SHEETS_API, DRIVE_API):
            if url.startswith(host):
                url = self.base_url + url[len(host) :]
        return super().request(method, url, *args, **kwargs)


def build_client(base_url: str) -> gspread.Client:
    """A gspread client for Google (the machine's credentials) or the emulator at `base_url`."""
    import google.auth
    import gspread
    from google.auth.exceptions import DefaultCredentialsError

    if base_url.startswith("http://"):
        return gspread.Client(auth=None, session=_EmulatorSession(base_url))  # type: ignore[arg-type]
    try:
        credentials, _ = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError:
        raise SourceError(
            SOURCE,
            "no Google credentials found: run on a VM whose service account the spreadsheets "
            "are shared with, or set GOOGLE_APPLICATION_CREDENTIALS",
        ) from None
    return gspread.Client(auth=credentials)


def _status(error: BaseException) -> int | None:
    from gspread.exceptions import APIError

    return error.code if isinstance(error, APIError) else None


def _transient(error: BaseException) -> bool:
    return _status(error) in RETRY_STATUSES or isinstance(
        error, requests.ConnectionError | requests.Timeout
    )


def _log_retry(state: RetryCallState) -> None:
    from gspread.exceptions import APIError

    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "google_sheets: %s; retry %d of %d in %.1fs",
        _message(error) if isinstance(error, APIError) else error,
        state.attempt_number,
        RETRY_ATTEMPTS - 1,
        state.next_action.sleep if state.next_action else 0.0,
    )


def _message(error: APIError) -> str:
    return f"{error.code} {error.error.get('status', '')}: {error.error.get('message', '')}"


@dataclass(frozen=True)
class SheetValues:
    """The cells of a configured range as the sheet displays them, and where they sit."""

    a1_range: str  # the range the API answered for, e.g. `Roster!A1:Z1000`
    rows: list[list[str]]
    locale: str


def _call(do: Callable[[], T], spec: SheetSpec) -> T:
    from gspread.exceptions import APIError, SpreadsheetNotFound

    retrying = Retrying(
        retry=retry_if_exception(_transient),
        wait=wait_exponential_jitter(
            multiplier=RETRY_INITIAL_WAIT_SECONDS,
            jitter=RETRY_INITIAL_WAIT_SECONDS,
            max=RETRY_MAX_WAIT_SECONDS,
        ),
        stop=stop_after_attempt(RETRY_ATTEMPTS),
        before_sleep=_log_retry,
        reraise=True,
    )
    where = f"spreadsheet {spec.spreadsheet_id}"
    try:
        return retrying(do)
    except SpreadsheetNotFound:
        raise SourceError(
            SOURCE,
            f"{where} was not found, or is not shared with the service account: check "
            f"setting {SHEETS_SETTING}",
            spec.table,
        ) from None
    except PermissionError:  # gspread's answer to a 403 when opening
        raise SourceError(
            SOURCE,
            f"{where} is not shared with the service account (403): share it (Viewer) or "
            f"check setting {SHEETS_SETTING}",
            spec.table,
        ) from None
    except APIError as error:
        if error.code == 400 and "Unable to parse range" in str(error.error.get("message")):
            raise SourceError(
                SOURCE,
                f"range {spec.range!r} is not in {where} (no such sheet tab): check setting "
                f"{SHEETS_SETTING}",
                spec.table,
            ) from None
        raise SourceError(
            SOURCE,
            f"API call failed for {where}: {_message(error)}",
            spec.table,
            retryable=transient_status(error.code),
        ) from None


def read_sheet(client: gspread.Client, spec: SheetSpec) -> SheetValues:
    """The configured range's cells: one `spreadsheets.get`, one `values.get`."""
    spreadsheet = _call(lambda: client.open_by_key(spec.spreadsheet_id), spec)
    answer = _call(lambda: spreadsheet.values_get(spec.range, params=dict(READ_PARAMS)), spec)
    rows = [[str(cell) for cell in row] for row in answer.get("values", [])]
    return SheetValues(answer["range"], rows, spreadsheet.locale)
