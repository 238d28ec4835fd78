"""Which API each source talks to: the vendor's real API, or its emulator from `sandbox/`.

`sources.use_sandbox` decides, explicitly: the committed local config says true; production sets
`SOURCES__USE_SANDBOX=false`. Where the setting is absent the real APIs are used, so a
production machine never talks to the sandbox by accident, and the sandbox never feeds BigQuery.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt

from destinations.settings import SettingError, warehouse_settings
from sources.registry import SourceSpec


def use_sandbox() -> bool:
    value: object = dlt.config.get("sources.use_sandbox")
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def sandbox_options() -> dict[str, Any]:
    """The demo organisation the emulators serve, from `sandbox.*`: seed, volume and, with
    `sandbox.history_days`, the first day of its history (else the emulators' 120 days)."""
    options: dict[str, Any] = {
        "seed": int(dlt.config.get("sandbox.seed") or 7),
        "volume": float(dlt.config.get("sandbox.volume") or 1.0),
    }
    history_days: object = dlt.config.get("sandbox.history_days")
    if history_days:
        options["start"] = datetime.now(UTC).date() - timedelta(days=int(str(history_days)))
    return options


@contextmanager
def api_endpoint(spec: SourceSpec) -> Iterator[dict[str, Any]]:
    """Arguments that point a source at its API for the duration of the block.

    Empty for the real API (the source reads its own settings and secrets); with the sandbox,
    the emulator is started on 127.0.0.1 in its own process and its address and key returned.
    """
    if not use_sandbox():
        yield {}
        return
    if warehouse_settings().kind == "bigquery":
        raise SettingError(
            "sources.use_sandbox is true but warehouse.kind is 'bigquery': production never "
            "reads the sandbox; set SOURCES__USE_SANDBOX=false"
        )
    from sandbox.process import run_emulator

    with run_emulator(spec.name, **sandbox_options()) as emulator:
        yield spec.sandbox_arguments(emulator.base_url)
