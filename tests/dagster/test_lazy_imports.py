"""The code server never imports a vendor SDK: it stays resident on the 1 GB VM and only lists
tables. Each SDK is imported where its client is built or called, in the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest

from destinations.settings import PROJECT_ROOT
from sources.registry import SOURCE_NAMES, source_spec

# The top-level module of each source's SDK.
SDK_MODULES = {
    "stripe": "stripe",
    "paypal": "paypalserversdk",
    "facebook_ads": "facebook_business",
    "google_ads": "google.ads",
    "google_analytics": "google.analytics",
    "google_sheets": "gspread",
}
# What the code server's process holds after loading the definitions, as JSON on stdout.
_LOAD_DEFINITIONS = """
import json, sys
import dagster_defs.definitions
print(json.dumps(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def modules_after_loading_definitions() -> set[str]:
    """The modules a fresh interpreter has imported once `dagster_defs` is loaded, every
    source enabled, as `dagster api grpc -m dagster_defs.definitions` loads it."""
    env = {
        **os.environ,
        "SOURCES__ENABLED": json.dumps(list(SOURCE_NAMES)),
        "SOURCES__USE_SANDBOX": "true",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_DEFINITIONS],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_check_sees_an_sdk_that_is_imported() -> None:
    """The subprocess check can fail: an SDK imported by a module it loads is found."""
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys, stripe; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "stripe" in json.loads(done.stdout)


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_loading_the_definitions_imports_no_sdk(
    source: str, modules_after_loading_definitions: set[str]
) -> None:
    sdk = SDK_MODULES[source]
    loaded = sorted(
        name
        for name in modules_after_loading_definitions
        if name == sdk or name.startswith(sdk + ".")
    )
    assert not loaded, f"loading dagster_defs imported {source}'s SDK: {loaded[:5]}"


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_the_listed_tables_are_the_sources_resources(source: str) -> None:
    """The code server lists `spec.resources` instead of building the source (which builds its
    client): they must be what the source itself yields, in order."""
    spec = source_spec(source)
    built = spec.build(run_date=date(2026, 11, 1), **spec.sandbox_arguments("http://127.0.0.1:9"))
    assert list(built.resources.keys()) == list(spec.resources)


@pytest.mark.parametrize(
    "module", ["duckdb", "sqlmesh", "pandas", "google.cloud.bigquery", "pyarrow", "numpy"]
)
def test_loading_the_definitions_imports_no_data_library(
    module: str, modules_after_loading_definitions: set[str]
) -> None:
    """Arrow and the warehouse's libraries belong to the steps that use them (loads, raw views,
    SQLMesh), which import them in their step process; not to the code server or the run, which
    stay resident: pyarrow with numpy alone is ~40 MB, duckdb ~25."""
    loaded = sorted(
        name
        for name in modules_after_loading_definitions
        if name == module or name.startswith(module + ".")
    )
    assert not loaded, f"loading dagster_defs imported {loaded[:5]}"


@pytest.mark.parametrize("tool", ["dagster_defs.orphaned_runs", "dagster_defs.run_logs"])
def test_the_command_line_tools_do_not_load_the_definitions(tool: str) -> None:
    """orphaned_runs runs before every start of the code server, and run_logs is what one types
    while debugging on the VM: neither needs the assets, and building them takes seconds there."""
    done = subprocess.run(
        [sys.executable, "-c", f"import json, sys, {tool}; print(json.dumps(sorted(sys.modules)))"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = sorted(
        name for name in json.loads(done.stdout) if name.split(".")[0] in ("dlt", "dagster_defs")
    )
    assert loaded == ["dagster_defs", tool], f"importing {tool} imported {loaded[:5]}"
