"""The sources the platform loads, and what the CLI and orchestration need to know of each."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.extract.source import DltSource
from pydantic import BaseModel

# In the order the daily run loads them. Each name is a package `sources.<name>` with a `SPEC`.
SOURCE_NAMES: tuple[str, ...] = (
    "stripe",
    "paypal",
    "facebook_ads",
    "google_ads",
    "google_analytics",
    "google_sheets",
)


@dataclass(frozen=True)
class SourceSpec:
    """One source: its dlt source function, its tables, and how to aim it at its emulator."""

    name: str
    build: Callable[..., DltSource]  # the @dlt.source function; takes `run_date` and settings
    resources: tuple[str, ...]
    # The source's arguments that point it at its emulator at `base_url` (address, sandbox key).
    sandbox_arguments: Callable[[str], dict[str, Any]]
    # Environment variables of the source's secrets, for `--help`.
    secret_settings: tuple[str, ...] = ()
    # The model of each table, where it is fixed in code; the warehouse's raw-table columns
    # (sqlmesh/external_models.yaml) are generated from these.
    table_models: tuple[tuple[str, type[BaseModel]], ...] = ()


def enabled_source_names() -> tuple[str, ...]:
    """`sources.enabled` (env SOURCES__ENABLED='["stripe", "paypal"]'), default: all of them.

    An organisation that does not use a vendor leaves it out; the order stays the registry's.
    """
    from dlt.common.configuration.exceptions import ConfigValueCannotBeCoercedException

    from destinations.settings import SettingError

    try:
        enabled = dlt.config.get("sources.enabled", list)
    except ConfigValueCannotBeCoercedException:
        raise SettingError(
            "sources.enabled is not a JSON list of source names "
            f'(env SOURCES__ENABLED=\'["stripe", "paypal"]\'); known: {", ".join(SOURCE_NAMES)}'
        ) from None
    if not enabled:
        return SOURCE_NAMES
    unknown = sorted(set(enabled) - set(SOURCE_NAMES))
    if unknown:
        raise SettingError(
            f"sources.enabled names unknown sources: {', '.join(unknown)} (env SOURCES__ENABLED); "
            f"known: {', '.join(SOURCE_NAMES)}"
        )
    return tuple(name for name in SOURCE_NAMES if name in enabled)


def source_spec(name: str) -> SourceSpec:
    if name not in SOURCE_NAMES:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCE_NAMES)}")
    spec: SourceSpec = importlib.import_module(f"sources.{name}").SPEC
    return spec
