"""The run loop every emulator's `cli.py` shares: serve, say where, stop on SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Any, Protocol

from sandbox.control import FaultBook


class Serving(Protocol):
    """A server `serve_until_stopped` can run: an HTTP server, or one that acts like it."""

    @property
    def base_url(self) -> str: ...

    def serve_forever(self) -> None: ...

    def shutdown(self) -> None: ...

    def server_close(self) -> None: ...


def org_options(args: argparse.Namespace) -> dict[str, Any]:
    """The shared options that shape the demo organisation, as emulator keyword arguments."""
    return {
        "seed": args.seed,
        "volume": args.volume,
        "start": args.start,
        "end": args.end,
        "now": args.now,
    }


def arm_faults(faults: FaultBook, args: argparse.Namespace) -> None:
    """Arm `--faults` (a JSON list of what `POST /_sandbox/faults` takes) before serving: how a
    run that starts its own emulators (`sandbox.faults`) gets a burst of errors."""
    for spec in args.faults or []:
        faults.add(spec)


def serve_until_stopped(name: str, server: Serving) -> int:
    """Print the ready line `sandbox.process` waits for, then serve until a signal stops it."""

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"sandbox {name} listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    print(f"sandbox {name} stopped", file=sys.stderr, flush=True)
    return 0
