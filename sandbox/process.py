"""Run an emulator in its own process and steer it: `with run_emulator("stripe") as api: ...`.

The platform's CLI uses this to start the sandbox for local runs, and tests use it to keep
the emulator's memory and threads out of the process they measure.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

_REPO_ROOT = Path(__file__).resolve().parent.parent
_READY_MARKER = " listening on "


class EmulatorStartError(RuntimeError):
    """The emulator process did not report that it was listening."""


@dataclass
class EmulatorHandle:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/_sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def set_faults(self, **fault: Any) -> list[dict[str, Any]]:
        """Arm one fault: `set_faults(path="/v1/charges", status=429, retry_after=1, count=2)`."""
        return self._call("POST", "faults", fault)["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "clock")

    def set_clock(self, now: int) -> int:
        return self._call("POST", "clock", {"now": now})["now"]

    def use_wall_clock(self) -> int:
        """Let the clock follow the wall clock again, as it does when started without `now`."""
        return self._call("POST", "clock", {"wall_clock": True})["now"]

    def advance_days(self, days: float) -> int:
        return self._call("POST", "clock", {"advance_days": days})["now"]

    def requests(self) -> list[dict[str, Any]]:
        return self._call("GET", "requests")

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")


def _flags(options: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in options.items():
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        args += [flag, value.isoformat() if isinstance(value, date) else str(value)]
    return args


@contextmanager
def run_emulator(
    name: str, *, startup_timeout: float = 60.0, **options: Any
) -> Iterator[EmulatorHandle]:
    """Start `python -m sandbox <name> --port 0 ...`, yield a handle, stop it on exit.

    `options` become flags: `seed=7, volume=2, start=date(2026, 7, 1)` gives
    `--seed 7 --volume 2 --start 2026-07-01`.
    """
    with run_emulators([name], startup_timeout=startup_timeout, **options) as handles:
        yield handles[0]


@contextmanager
def run_emulators(
    names: Sequence[str], *, startup_timeout: float = 60.0, **options: Any
) -> Iterator[list[EmulatorHandle]]:
    """`run_emulator` for several emulators at once: all are started before any is waited for,
    so their start-ups (imports, building the organisation) overlap."""
    with start_emulators(names, startup_timeout=startup_timeout, **options) as started:
        yield started.wait()


@dataclass
class StartedEmulators:
    """Emulator processes started and perhaps not listening yet; `wait()` until they are."""

    timeout: float
    starting: list[tuple[str, subprocess.Popen[bytes], Any]]
    handles: list[EmulatorHandle] | None = None

    def stop(self) -> None:
        """Stop them all, each told to stop before any is waited for (each takes up to half a
        second to stop)."""
        processes = [process for _, process, _ in self.starting]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            _stop(process)

    def wait(self) -> list[EmulatorHandle]:
        if self.handles is None:
            self.handles = [
                EmulatorHandle(
                    name, _wait_until_listening(process, name, self.timeout, stderr), process
                )
                for name, process, stderr in self.starting
            ]
        return self.handles


@contextmanager
def start_emulators(
    names: Sequence[str], *, startup_timeout: float = 60.0, **options: Any
) -> Iterator[StartedEmulators]:
    """Start the emulators of `names` without waiting for them: the caller goes on with its
    own start-up and calls `wait()` once it needs them. All are stopped at the block's end."""
    options.setdefault("port", 0)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    with ExitStack() as stack:
        started = StartedEmulators(startup_timeout, [])
        stack.callback(started.stop)
        for name in names:
            # stdin is a pipe only this process holds: when it ends, even killed, the emulator
            # stops. stderr goes to a file: an unread pipe could fill up and block the emulator.
            stderr = stack.enter_context(tempfile.TemporaryFile())
            command = [sys.executable, "-m", "sandbox", name, *_flags(options)]
            process = subprocess.Popen(
                [*command, "--stop-on-stdin-eof"],
                cwd=_REPO_ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
            started.starting.append((name, process, stderr))
        yield started


def _wait_until_listening(
    process: subprocess.Popen[bytes], name: str, timeout: float, stderr: Any
) -> str:
    lines: queue.Queue[bytes] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        # Keep draining stdout so the emulator never blocks on a full pipe.
        try:
            for line in iter(stdout.readline, b""):
                lines.put(line)
        except (OSError, ValueError):
            pass  # closed when the emulator is stopped
        lines.put(b"")

    threading.Thread(target=read, name=f"sandbox-{name}-stdout", daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            line = lines.get(timeout=remaining).decode(errors="replace")
            if _READY_MARKER in line:
                return line.split(_READY_MARKER, 1)[1].strip()
            if not line:
                break
    except queue.Empty:
        pass
    _stop(process)
    stderr.seek(0)
    detail = stderr.read().decode(errors="replace").strip()[-4000:]
    raise EmulatorStartError(
        f"sandbox emulator {name!r} did not start listening within {timeout:g}s "
        f"(exit code {process.returncode}); stderr:\n{detail or '(empty)'}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()
