"""Which errors a retry may fix, and the one line each is reported with."""

from __future__ import annotations

from datetime import date

import pytest
from dlt.common.configuration.exceptions import ConfigFieldMissingException

from destinations.settings import SettingError
from sources.errors import SourceError, one_line, retryable, transient_status
from sources.registry import source_spec


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (None, True),
        (408, True),
        (429, True),
        (500, True),
        (503, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
    ],
)
def test_transient_statuses(status: int | None, transient: bool) -> None:
    assert transient_status(status) is transient


def test_a_source_error_is_permanent_unless_it_says_otherwise() -> None:
    assert not retryable(SourceError("stripe", "the API key was refused (401)"))
    assert retryable(SourceError("stripe", "API call failed (503)", retryable=True))


def test_settings_errors_are_permanent_wherever_they_are_wrapped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SOURCES__STRIPE__API_KEY", raising=False)
    with pytest.raises(ConfigFieldMissingException) as missing:
        source_spec("stripe").build(run_date=date(2026, 12, 2), base_url="http://127.0.0.1:9")
    assert one_line(missing.value) == (
        "missing setting sources.stripe.api_key (env SOURCES__STRIPE__API_KEY)"
    )
    for inner in (SettingError("warehouse.kind is 'x'"), missing.value):
        wrapped = RuntimeError("step failed")
        wrapped.__cause__ = inner
        assert not retryable(wrapped)


def test_anything_else_may_be_transient() -> None:
    assert retryable(ConnectionResetError("reset by peer"))
    assert one_line(ConnectionResetError("reset by peer\nmore")) == (
        "ConnectionResetError: reset by peer"
    )
