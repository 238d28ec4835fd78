"""Process checks the tests share (Linux, /proc)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path


def running(pid: int) -> bool:
    """Alive and not a zombie: an orphan that exited may wait a while for its reaper."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def outlived(pids: Iterable[int], seconds: float = 30) -> list[int]:
    """Those of `pids` still running after `seconds`; they are killed, so no test leaves them
    behind."""
    pids = list(pids)
    deadline = time.monotonic() + seconds
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in pids if running(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    return survivors
