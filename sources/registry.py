"""The sources the platform loads, and what the CLI and orchestration need to know of each."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dlt.extract.source import DltSource

# In the order the daily run loads them. Each name is a package `sources.<name>` with a `SPEC`.
SOURCE_NAMES: tuple[str, ...] = ("stripe",)


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


def source_spec(name: str) -> SourceSpec:
    if name not in SOURCE_NAMES:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCE_NAMES)}")
    spec: SourceSpec = importlib.import_module(f"sources.{name}").SPEC
    return spec
