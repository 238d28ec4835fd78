"""`python -m sandbox stripe`: serve the Stripe emulator until told to stop."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from sandbox.stripe.server import DEFAULT_API_KEY, StripeEmulator, make_server

HELP = (
    "Stripe API (v1 list/retrieve of customers, products, prices, charges, refunds, "
    "invoices, subscriptions, balance transactions, payouts, events)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-key",
        default=DEFAULT_API_KEY,
        help="secret key clients must send as 'Authorization: Bearer <key>' (default: %(default)s)",
    )
    parser.add_argument(
        "--event-retention-days",
        type=int,
        default=30,
        help="how far back /v1/events reaches, like Stripe's 30 days; 0 keeps all "
        "(default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    emulator = StripeEmulator(
        seed=args.seed,
        volume=args.volume,
        start=args.start,
        end=args.end,
        now=args.now,
        api_key=args.api_key,
        event_retention_days=args.event_retention_days,
    )
    server = make_server(emulator, args.host, args.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"sandbox stripe listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    print("sandbox stripe stopped", file=sys.stderr, flush=True)
    return 0
