"""Command line for the API emulators: `python -m sandbox <emulator> [options]`.

Each emulator registers a subcommand in `EMULATORS`; all of them share the options that
shape the demo organisation (seed, volume, date range) and where to listen.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sandbox.facebook_ads import cli as facebook_ads_cli
from sandbox.google_ads import cli as google_ads_cli
from sandbox.google_analytics import cli as ga4_cli
from sandbox.google_sheets import cli as sheets_cli
from sandbox.paypal import cli as paypal_cli
from sandbox.stripe import cli as stripe_cli

# name -> (help line, add its own arguments, run it)
EMULATORS: dict[
    str,
    tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]],
] = {
    "stripe": (stripe_cli.HELP, stripe_cli.add_arguments, stripe_cli.run),
    "google_ads": (google_ads_cli.HELP, google_ads_cli.add_arguments, google_ads_cli.run),
    "paypal": (paypal_cli.HELP, paypal_cli.add_arguments, paypal_cli.run),
    "facebook_ads": (facebook_ads_cli.HELP, facebook_ads_cli.add_arguments, facebook_ads_cli.run),
    "google_analytics": (ga4_cli.HELP, ga4_cli.add_arguments, ga4_cli.run),
    "google_sheets": (sheets_cli.HELP, sheets_cli.add_arguments, sheets_cli.run),
}


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from exc


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
        help="first day of the organisation's history (default: end - 120 days)",
    )
    parser.add_argument("--end", type=_date, help="last day of history (default: today, UTC)")
    parser.add_argument(
        "--now",
        type=int,
        help="the emulator's clock as epoch seconds; only what happened by then is served "
        "(default: the last second of --end)",
    )
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="also stop when standard input closes, which it does when the process that started "
        "the emulator with a pipe there ends, however it ends (sandbox.process does this)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Run an emulator of a source API on 127.0.0.1, serving a deterministic "
        "demo organisation. Prints 'sandbox <name> listening on <url>' once ready and serves "
        "until SIGTERM or Ctrl-C. Test controls live under <url>/_sandbox/ (clock, faults, "
        "requests).",
    )
    sub = parser.add_subparsers(dest="emulator", required=True, metavar="EMULATOR")
    for name, (help_line, add_arguments, _) in EMULATORS.items():
        child = sub.add_parser(name, help=help_line, description=help_line)
        add_common_arguments(child)
        add_arguments(child)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.end is None:
        args.end = datetime.now(UTC).date()
    if args.start is None:
        args.start = args.end - timedelta(days=120)
    if args.start > args.end:
        print(f"--start {args.start} is after --end {args.end}", file=sys.stderr)
        return 2
    if args.stop_on_stdin_eof:
        threading.Thread(target=_stop_on_stdin_eof, name="stdin-eof", daemon=True).start()
    return EMULATORS[args.emulator][2](args)


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
