"""Run a step's work in a child process forked from the run, and hand its result back.

On the 1 GB VM a run must not keep what one step needed once the step is done: a vendor SDK and
the buffers of its load stay resident in a Python process for good (Python returns little of a
module's memory), so six loads in one process add up. A forked child shares the run's pages
(Dagster, dlt, our definitions) instead of importing them again as a fresh interpreter would,
takes only what the step adds, and gives all of it back when it exits. It never outlives the
step: the kernel kills it when the run's process dies, and a cancelled run kills it.

Used for the loads. SQLMesh's steps measured ~50 MB heavier forked than in the run itself (a
run peak of 484 MiB PSS against 431, benchmarks/dagster_memory.py), so they stay in the run. The
reason: SQLMesh works with what the run has already imported (sqlglot, which dlt imports,
pydantic, typing), and every object it touches gets its reference count written, so the child
copies the page: of the 94 MiB a child shares with the run when it starts, 55 are its own copies
after one SQLMesh step. A load's SDK touches little of that, so its child stays mostly shared.

Fork is Linux only here: macOS forbids fork without exec once some system frameworks are in
use, and Python defaults to spawn there, so elsewhere the work runs in the run's own process.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from sources.errors import OneLineError

T = TypeVar("T")

FORKS = sys.platform == "linux"


class StepProcessError(OneLineError):
    """The step's work failed in its child process; the message is the child's one-line error,
    `retryable` whether a retry may help (sources.errors.retryable of the child's error)."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when the run's process dies (an OOM kill, a restart of
    the code server): an orphaned load would go on writing the day's files while the retried
    run loads the same day."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def _child(
    send: Connection, function: Callable[..., Any], args: tuple[Any, ...], parent: int
) -> None:
    _die_with(parent)
    try:
        result = function(*args)
    except BaseException as error:
        from sources.errors import one_line, retryable

        traceback.print_exc()  # the whole story in the run's stderr: the code server's journal
        send.send(("error", (one_line(error), retryable(error))))
    else:
        send.send(("ok", result))
    finally:
        send.close()


def in_step_process(function: Callable[..., T], *args: Any, fork: bool = FORKS) -> T:
    """`function(*args)` in a forked child; its result must pickle. An exception in the child
    raises StepProcessError with the child's one-line error; a child that dies (OOM kill) too."""
    if not fork:
        return function(*args)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    # Frozen objects are left alone by the collector, so neither side's collections write to
    # (and so copy) the pages the two processes share; thawed once the child has exited.
    gc.freeze()
    try:
        child = context.Process(
            target=_child, args=(send, function, args, os.getpid()), daemon=True
        )
        child.start()
        send.close()
        try:
            outcome, value = receive.recv()
        except EOFError:
            child.join()
            raise StepProcessError(
                f"{getattr(function, '__name__', function)} died in its step process "
                f"(exit code {child.exitcode}; -9 is a kill, often for memory)"
            ) from None
        except BaseException:
            # Interrupted while waiting: Dagster cancels a run (run monitoring's
            # max_runtime_seconds, a terminate through its API) with SIGINT to the run's process.
            # The child must go with it, or a hung load would hold its memory after the run is
            # marked failed and the next run starts beside it.
            child.kill()
            child.join()
            raise
        child.join()
    finally:
        receive.close()
        gc.unfreeze()
    if outcome == "error":
        message, can_retry = value
        raise StepProcessError(message, retryable=can_retry)
    return value
