"""`python -m sandbox stripe`: serve the Stripe emulator until told to stop."""

from __future__ import annotations

import argparse

from sandbox.serve import arm_faults, org_options, serve_until_stopped
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
        **org_options(args),
        api_key=args.api_key,
        event_retention_days=args.event_retention_days,
    )
    arm_faults(emulator.faults, args)
    return serve_until_stopped("stripe", make_server(emulator, args.host, args.port))
