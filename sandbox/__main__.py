"""Command line for the API emulators: `python -m sandbox <emulator> [options]`.

Each emulator registers a subcommand in `EMULATORS`; all of them share the options that
shape the demo organisation (seed, volume, date range) and where to listen.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from types import ModuleType

from sandbox.control import Fault
from sandbox.org import FIRST_DAY, LAST_DAY

# Each name is a package `sandbox.<name>` whose `cli` module has HELP, add_arguments and run.
# Only the chosen emulator's is imported: the Google Ads one alone takes ~1 s (gRPC, protos),
# and every load of the daily run starts an emulator.
EMULATORS = (
    "stripe",
    "google_ads",
    "paypal",
    "facebook_ads",
    "google_analytics",
    "google_sheets",
)


def _cli(name: str) -> ModuleType:
    return importlib.import_module(f"sandbox.{name}.cli")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from exc


def _instant(value: str) -> int:
    """Epoch seconds from `1764900000` or `2026-12-05T02:00:00Z` (UTC unless an offset is given)."""
    if value.strip().lstrip("-").isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not epoch seconds or an ISO time like 2026-12-05T02:00:00Z: {value!r}"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _faults(value: str) -> list[dict[str, object]]:
    try:
        specs = json.loads(value)
        if isinstance(specs, dict):
            specs = [specs]
        if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
            raise ValueError("not a list of objects")
        for spec in specs:
            Fault.from_spec(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--faults: {exc}: {value!r}") from exc
    return specs


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="seed of the demo organisation (default: %(default)s)"
    )
    parser.add_argument(
        "--volume",
        type=float,
        default=1.0,
        help="scale of customers and purchases; 1 is a few hundred customers and about "
        "2,000 purchases per 120 days (default: %(default)s)",
    )
    parser.add_argument(
        "--start",
        type=_date,
        default=FIRST_DAY,
        help="first day of the organisation's history (default: %(default)s)",
    )
    parser.add_argument(
        "--end", type=_date, default=LAST_DAY, help="last day of its history (default: %(default)s)"
    )
    parser.add_argument(
        "--now",
        type=_instant,
        help="the emulator's clock, standing still: epoch seconds or an ISO time "
        "(2026-12-05T02:00:00Z); only what happened by then is served, as the API showed it "
        "then (default: the wall clock, ticking)",
    )
    parser.add_argument(
        "--faults",
        type=_faults,
        help="faults armed at start, a JSON list of what POST /_sandbox/faults takes, e.g. "
        '\'[{"status": 429, "retry_after": 1, "count": 3}, {"status": 503}]\': the next '
        "matching requests fail",
    )
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="also stop when standard input closes, which it does when the process that started "
        "the emulator with a pipe there ends, however it ends (sandbox.process does this)",
    )


def build_parser(names: Sequence[str] = EMULATORS) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Run an emulator of a source API on 127.0.0.1, serving a deterministic "
        "demo organisation. Prints 'sandbox <name> listening on <url>' once ready and serves "
        "until SIGTERM or Ctrl-C. Test controls live under <url>/_sandbox/ (clock, faults, "
        "requests).",
    )
    sub = parser.add_subparsers(dest="emulator", required=True, metavar="EMULATOR")
    for name in names:
        cli = _cli(name)
        child = sub.add_parser(name, help=cli.HELP, description=cli.HELP)
        add_common_arguments(child)
        cli.add_arguments(child)
    return parser


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    chosen = given[:1] if given[:1] and given[0] in EMULATORS else EMULATORS
    args = build_parser(chosen).parse_args(given)
    if args.start > args.end:
        print(f"--start {args.start} is after --end {args.end}", file=sys.stderr)
        return 2
    if args.stop_on_stdin_eof:
        threading.Thread(target=_stop_on_stdin_eof, name="stdin-eof", daemon=True).start()
    status: int = _cli(args.emulator).run(args)
    return status


def _stop_on_stdin_eof() -> None:
    """Wait for the starter's end of the pipe to close, then stop as SIGTERM stops us: a killed
    starter (an OOM kill, a killed run) must not leave its emulator serving for good."""
    # os.read, not sys.stdin: a daemon thread blocked in the buffered reader holds its lock, and
    # the interpreter aborts at exit when it cannot take it
    while os.read(sys.stdin.fileno(), 4096):
        pass
    os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    sys.exit(main())
