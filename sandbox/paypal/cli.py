"""`python -m sandbox paypal`: serve the PayPal emulator until told to stop."""

from __future__ import annotations

import argparse

from sandbox.paypal.api import DEFAULT_RESULT_CAP
from sandbox.paypal.server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PaypalEmulator,
    make_server,
)
from sandbox.serve import arm_faults, org_options, serve_until_stopped

HELP = (
    "PayPal API (OAuth client credentials, Transaction Search: transactions and balances; "
    "Disputes: list and show)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-id",
        default=DEFAULT_CLIENT_ID,
        help="the REST app's client id clients must send (default: %(default)s)",
    )
    parser.add_argument(
        "--client-secret",
        default=DEFAULT_CLIENT_SECRET,
        help="the REST app's client secret (default: the sandbox's own)",
    )
    parser.add_argument(
        "--reporting-delay-hours",
        type=float,
        default=3.0,
        help="a transaction is listed between a minute and this many hours after it happened, "
        "like PayPal's 'up to three hours'; 0 lists it at once (default: %(default)s)",
    )
    parser.add_argument(
        "--result-cap",
        type=int,
        default=DEFAULT_RESULT_CAP,
        help="a search matching more transactions than this is refused with "
        "RESULTSET_TOO_LARGE, like PayPal's 10,000 (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    emulator = PaypalEmulator(
        **org_options(args),
        client_id=args.client_id,
        client_secret=args.client_secret,
        reporting_delay_hours=args.reporting_delay_hours,
        result_cap=args.result_cap,
    )
    arm_faults(emulator.faults, args)
    return serve_until_stopped("paypal", make_server(emulator, args.host, args.port))
