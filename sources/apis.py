"""Which API each source talks to: the vendor's real API, or its emulator from `sandbox/`.

`sources.use_sandbox` decides, explicitly: the committed local config says true; production sets
`SOURCES__USE_SANDBOX=false`. Where the setting is absent the real APIs are used, so a
production machine never talks to the sandbox by accident, and the sandbox never feeds BigQuery.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

import dlt

from destinations.settings import SettingError, lake_settings, warehouse_settings
from sandbox.org import FIRST_DAY, LAST_DAY
from sources.clock import sandbox_now
from sources.registry import SourceSpec, enabled_source_names


def use_sandbox() -> bool:
    value: object = dlt.config.get("sources.use_sandbox")
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def sandbox_options() -> dict[str, Any]:
    """The demo organisation the emulators serve and their clock, from `sandbox.*`: seed,
    volume, first and last day of its history (fixed, never the wall clock), `now`, and
    `faults` to arm in every emulator at start (a JSON list, as `--faults` takes it)."""
    options: dict[str, Any] = {
        "seed": int(_number_setting("sandbox.seed", 7, minimum=None)),
        "volume": _number_setting("sandbox.volume", 1.0, minimum=0.0),
        "start": _day_setting("sandbox.first_day", FIRST_DAY),
        "end": _day_setting("sandbox.last_day", LAST_DAY),
    }
    if options["start"] > options["end"]:
        raise SettingError(
            f"sandbox.first_day {options['start']} is after sandbox.last_day {options['end']}"
        )
    now = sandbox_now()
    if now is not None:
        options["now"] = int(now.timestamp())
    faults: object = dlt.config.get("sandbox.faults")
    if faults:
        # dlt hands a JSON value over as parsed; the emulator wants it as JSON again
        options["faults"] = faults if isinstance(faults, str) else json.dumps(faults)
    return options


def _number_setting(name: str, default: float, minimum: float | None) -> float:
    """A number setting; above `minimum` when one is given. Named in the error, with its env."""
    env = name.upper().replace(".", "__")
    value: object = dlt.config.get(name)
    if value is None or str(value).strip() == "":
        return default
    try:
        number = float(str(value).strip())
    except ValueError:
        raise SettingError(f"{name} is {value!r}, not a number (env {env})") from None
    if minimum is not None and not number > minimum:
        raise SettingError(f"{name} is {value!r}; it must be above {minimum:g} (env {env})")
    return number


def check_settings(specs: Sequence[SourceSpec] | None = None) -> None:
    """Read every setting a run needs before it starts any work, so that a bad one is one line
    naming it at once rather than a failure minutes in: the lake, the warehouse, the enabled
    sources, the sandbox's organisation when the sandbox is used, else each source's own
    settings and secrets (`specs`, default: the enabled sources), found by building it."""
    lake_settings()
    warehouse_settings()
    names = enabled_source_names()
    if use_sandbox():
        sandbox_options()
        return
    from destinations.load import build_source
    from sources.clock import yesterday
    from sources.errors import one_line
    from sources.registry import source_spec

    problems = []
    for spec in specs if specs is not None else [source_spec(name) for name in names]:
        try:
            build_source(spec, yesterday())
        except Exception as error:  # every source's problem, not just the first one's
            problems.append(one_line(error))
    if problems:
        raise SettingError("; ".join(problems))


def _day_setting(name: str, default: date) -> date:
    value: object = dlt.config.get(name)
    if value is None or str(value).strip() == "":
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise SettingError(f"{name} is {value!r}, not a YYYY-MM-DD date") from None


# The emulators `sandbox_apis` started for a whole run, by source: the run's steps (forked from
# its process, so they see this too) use them instead of starting their own.
_running: dict[str, str] = {}


@contextmanager
def sandbox_apis(names: Sequence[str]) -> Iterator[Callable[[], None]]:
    """With the sandbox, start the emulators of `names` for the block; yields `ready()`, which
    waits until they listen (a no-op without the sandbox). Call it before the first load.

    Each emulator takes 0.4-1.7 s to start (imports, the organisation's history): started
    together, while the run goes on setting up, they cost it little more than the slowest.
    """
    if not use_sandbox():
        yield lambda: None
        return
    _refuse_sandbox_with_bigquery()
    from sandbox.process import start_emulators

    with start_emulators(list(names), **sandbox_options()) as started:

        def ready() -> None:
            _running.update({emulator.name: emulator.base_url for emulator in started.wait()})

        try:
            yield ready
        finally:
            for name in names:
                _running.pop(name, None)


@contextmanager
def api_endpoint(spec: SourceSpec) -> Iterator[dict[str, Any]]:
    """Arguments that point a source at its API for the duration of the block.

    Empty for the real API (the source reads its own settings and secrets); with the sandbox,
    its emulator's address and key: the one the run started (`sandbox_apis`), else one started
    on 127.0.0.1 in its own process for the block.
    """
    if not use_sandbox():
        yield {}
        return
    _refuse_sandbox_with_bigquery()
    if spec.name in _running:
        yield spec.sandbox_arguments(_running[spec.name])
        return
    from sandbox.process import run_emulator

    with run_emulator(spec.name, **sandbox_options()) as emulator:
        yield spec.sandbox_arguments(emulator.base_url)


def _refuse_sandbox_with_bigquery() -> None:
    if warehouse_settings().kind == "bigquery":
        raise SettingError(
            "sources.use_sandbox is true but warehouse.kind is 'bigquery': production never "
            "reads the sandbox; set SOURCES__USE_SANDBOX=false"
        )
