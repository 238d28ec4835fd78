"""The README's and `--help`'s operator lines that name local state, run as written.

In a copy of the checkout's tracked files (their `.local/` is the copy's own), after a real
load of Stripe from the sandbox: the lines are read from the README and `--help`, and run with
bash; `uv run X` is the test's own environment's X (a `uv` on the PATH that does only that), so
the line's environment prefix and relative paths are the README's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from destinations.settings import PROJECT_ROOT
from sources.clock import nightly_run_at

DAY = "2026-12-02"
UV_SHIM = '#!/bin/sh\n[ "$1" = run ] && shift\nexec "{bin}/$@"\n'


def readme_line(pattern: str) -> str:
    """The README's shell line matching `pattern`, without its comment."""
    for line in (PROJECT_ROOT / "README.md").read_text().splitlines():
        if re.search(pattern, line):
            return line.split("  #")[0].strip()
    raise AssertionError(f"the README has no line matching {pattern!r}")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    copy = tmp_path_factory.mktemp("checkout")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in tracked:
        source = PROJECT_ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    shim = copy / ".shim"
    shim.mkdir()
    (shim / "uv").write_text(UV_SHIM.format(bin=Path(sys.executable).parent))
    (shim / "uv").chmod(0o755)
    # the defaults, not the suite's: this copy's .local/ for the lake, warehouse and dlt state
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LAKE__", "WAREHOUSE__", "DLT_DATA_DIR", "DAGSTER_HOME"))
    }
    env.update(
        PATH=f"{shim}{os.pathsep}{env['PATH']}",
        SOURCES__USE_SANDBOX="true",
        SANDBOX__NOW=nightly_run_at(date.fromisoformat(DAY)).isoformat(),
        RUNTIME__DLTHUB_TELEMETRY="false",
    )
    loaded = subprocess.run(
        [sys.executable, "-m", "sources.stripe", "--date", DAY, "--quiet"],
        cwd=copy, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    return copy, env


def bash(line: str, checkout: tuple[Path, dict[str, str]]) -> subprocess.CompletedProcess[str]:
    copy, env = checkout
    return subprocess.run(
        ["bash", "-c", line], cwd=copy, env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.version_agnostic  # dlt's CLI and the checkout's layout: the same on every Python
def test_dlt_pipeline_info_as_the_readme_writes_it_finds_the_checkouts_state(
    checkout: tuple[Path, dict[str, str]],
) -> None:
    line = readme_line(r"uv run dlt pipeline stripe info")
    assert line.startswith("DLT_DATA_DIR=.local/dlt ")
    shown = bash(line, checkout)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Found pipeline stripe in .local/dlt/pipelines" in shown.stdout  # the copy's own
    assert "charges" in shown.stdout  # the load's resource state


@pytest.mark.slow
@pytest.mark.version_agnostic
def test_dagster_run_list_as_the_help_writes_it_works(
    checkout: tuple[Path, dict[str, str]],
) -> None:
    helped = bash("uv run python -m dagster_defs --help", checkout)
    found = re.search(
        r"`(DAGSTER_HOME=\S+ uv run dagster run list)`", " ".join(helped.stdout.split())
    )
    assert found, helped.stdout
    (checkout[0] / ".local" / "dagster").mkdir(parents=True, exist_ok=True)
    listed = bash(found.group(1), checkout)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "must be an absolute path" not in listed.stderr
