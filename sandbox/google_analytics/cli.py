"""`python -m sandbox google_analytics`: serve the GA4 Data API emulator until told to stop."""

from __future__ import annotations

import argparse

from sandbox.google_analytics.quota import QuotaLimits
from sandbox.google_analytics.server import DEFAULT_PROPERTY_ID, AnalyticsEmulator, make_server
from sandbox.serve import arm_faults, org_options, serve_until_stopped

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
        **org_options(args),
        property_id=args.property_id,
        limits=QuotaLimits(
            tokens_per_hour=args.tokens_per_hour, tokens_per_day=args.tokens_per_day
        ),
    )
    arm_faults(emulator.faults, args)
    return serve_until_stopped("google_analytics", make_server(emulator, args.host, args.port))
