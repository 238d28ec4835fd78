"""A step's work runs in a forked child: its result comes back, its errors come back as one line,
and what it imports stays out of the run's process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dagster_defs.step_process import FORKS, StepProcessError, in_step_process
from tests.processes import outlived

needs_fork = pytest.mark.skipif(not FORKS, reason="steps fork on Linux only")


def _pid_and_sum(*numbers: int) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


def _import_and_report(module: str) -> bool:
    __import__(module)
    return module in sys.modules


def _fail() -> None:
    raise ValueError("stripe charges: record ch_123 has no amount\nsecond line of detail")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@needs_fork
def test_the_work_runs_in_another_process_and_its_result_comes_back() -> None:
    pid, total = in_step_process(_pid_and_sum, 1, 2, 3)
    assert total == 6
    assert pid != os.getpid()


@needs_fork
def test_what_the_step_imports_stays_out_of_the_run() -> None:
    candidates = ("tabnanny", "xml.dom.minidom", "mailbox")
    unused = [name for name in candidates if name not in sys.modules]
    if not unused:
        pytest.skip("every candidate module is already imported in this test process")
    module = unused[0]
    assert in_step_process(_import_and_report, module) is True
    assert module not in sys.modules


def test_an_error_in_the_step_is_one_line_naming_its_type() -> None:
    with pytest.raises((StepProcessError, ValueError)) as raised:
        in_step_process(_fail)
    message = str(raised.value)
    assert "record ch_123 has no amount" in message
    if FORKS:
        assert message == "ValueError: stripe charges: record ch_123 has no amount"


@needs_fork
def test_a_step_process_that_dies_is_a_failure_not_a_hang() -> None:
    with pytest.raises(StepProcessError, match="exit code -9"):
        in_step_process(_die)


# A run's process whose step hangs in its child. Dagster cancels a run with SIGINT while the step
# waits; the run's process goes on (it reports the failure) and says whether the child is gone.
_RUN_WITH_A_HANGING_STEP = textwrap.dedent(
    """
    import os, sys, time
    from dagster_defs.step_process import in_step_process

    def hang(pid_file):
        with open(pid_file, "w") as out:
            out.write(str(os.getpid()))
        time.sleep(600)

    try:
        in_step_process(hang, sys.argv[1])
    except KeyboardInterrupt:
        child = int(open(sys.argv[1]).read())
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            print("child gone")
        else:
            print("child still running")
            os.kill(child, 9)
    """
)


def _start_run(pid_file: Path) -> tuple[subprocess.Popen[str], int]:
    """The run's process, once its step's child is there; and the child's pid."""
    run = subprocess.Popen(
        [sys.executable, "-c", _RUN_WITH_A_HANGING_STEP, str(pid_file)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text():
            return run, int(pid_file.read_text())
        time.sleep(0.1)
    run.kill()
    raise TimeoutError("the step's child never started")


@needs_fork
def test_a_cancelled_run_takes_its_step_process_with_it(tmp_path: Path) -> None:
    run, _ = _start_run(tmp_path / "child.pid")
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=60)
    assert out.strip() == "child gone"


@needs_fork
def test_a_step_process_dies_with_a_run_that_is_killed(tmp_path: Path) -> None:
    """The run's process killed outright (OOM, a code server restart): no orphaned load."""
    run, child = _start_run(tmp_path / "child.pid")
    run.kill()
    run.communicate(timeout=30)
    assert not outlived([child]), "the step's child outlived the run's process"


def test_without_fork_the_work_runs_here() -> None:
    pid, total = in_step_process(_pid_and_sum, 4, fork=False)
    assert (pid, total) == (os.getpid(), 4)
