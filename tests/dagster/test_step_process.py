"""A step's work runs in a forked child: its result comes back, its errors come back as one line,
and what it imports stays out of the run's process."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from dagster_defs.step_process import FORKS, StepProcessError, in_step_process

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


def test_without_fork_the_work_runs_here() -> None:
    pid, total = in_step_process(_pid_and_sum, 4, fork=False)
    assert (pid, total) == (os.getpid(), 4)
