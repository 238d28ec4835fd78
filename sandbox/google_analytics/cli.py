"""`python -m sandbox google_analytics`: serve the GA4 Data API emulator until told to stop."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from sandbox.google_analytics.quota import QuotaLimits
from sandbox.google_analytics.server import DEFAULT_PROPERTY_ID, AnalyticsEmulator, make_server

HELP = "Google Analytics Data API v1beta over REST (runReport, metadata) for one GA4 property"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--property-id",
        default=DEFAULT_PROPERTY_ID,
        help="the one property served; others get PERMISSION_DENIED (default: %(default)s)",
    )
    parser.add_argument(
        "--tokens-per-hour",
        type=int,
        default=QuotaLimits.tokens_per_hour,
        help="the property's hourly token quota (default: %(default)s)",
    )
    parser.add_argument(
        "--tokens-per-day",
        type=int,
        default=QuotaLimits.tokens_per_day,
        help="the property's daily token quota (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    emulator = AnalyticsEmulator(
        seed=args.seed,
        volume=args.volume,
        start=args.start,
        end=args.end,
        now=args.now,
        property_id=args.property_id,
        limits=QuotaLimits(
            tokens_per_hour=args.tokens_per_hour, tokens_per_day=args.tokens_per_day
        ),
    )
    server = make_server(emulator, args.host, args.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"sandbox google_analytics listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    print("sandbox google_analytics stopped", file=sys.stderr, flush=True)
    return 0
