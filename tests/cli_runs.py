"""Helpers for tests that run a source's command line in a subprocess and check what it left."""

from __future__ import annotations

import os
import subprocess
import sys

from destinations.settings import PROJECT_ROOT
from tests.conftest import PlatformPaths


def run_module(
    module: str, *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m <module> <args>` from the project root, with `env` over this process's."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The run's non-blank stderr lines: the last is the one-line error a failed run ends with."""
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_nowhere_on_disk(secret: str, paths: PlatformPaths) -> None:
    """Fail if `secret` is in any file of the lake or of dlt's state and traces."""
    for root in (paths.lake, paths.pipelines.parent):
        for path in root.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path
