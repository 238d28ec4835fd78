"""The code is ruff clean, ruff formatted and passes mypy: what GitHub Actions' lint job checks,
held here too because `.ci/run` is the gate every change lands through."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from destinations.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.version_agnostic  # ruff is one binary; mypy's python_version is pinned
@pytest.mark.parametrize(
    "command",
    [("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",)],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_the_tree_is_clean(command: tuple[str, ...]) -> None:
    done = run_tool(*command)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"


def test_ruff_finds_a_violation(tmp_path: Path) -> None:
    """The check above can fail: ruff, as configured here, flags an unused import."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    done = run_tool("ruff", "check", "--config", str(PROJECT_ROOT / "pyproject.toml"), str(bad))
    assert done.returncode == 1
    assert "F401" in done.stdout
