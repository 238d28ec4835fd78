"""`python -m sandbox google_ads`: serve the Google Ads emulator until told to stop."""

from __future__ import annotations

import argparse

from sandbox.google_ads.server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DEVELOPER_TOKEN,
    DEFAULT_REFRESH_TOKEN,
    MAX_BATCH_ROWS,
    GoogleAdsEmulator,
    OAuthClient,
    start,
)
from sandbox.serve import arm_faults, org_options, serve_until_stopped

HELP = (
    "Google Ads API v26 (GoogleAdsService SearchStream/Search over gRPC: customer, campaign, "
    "ad_group with daily metrics; OAuth token endpoint)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--developer-token",
        default=DEFAULT_DEVELOPER_TOKEN,
        help="developer token calls must send (default: %(default)s)",
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="OAuth client id")
    parser.add_argument(
        "--client-secret", default=DEFAULT_CLIENT_SECRET, help="OAuth client secret"
    )
    parser.add_argument(
        "--refresh-token", default=DEFAULT_REFRESH_TOKEN, help="OAuth refresh token /token accepts"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=MAX_BATCH_ROWS,
        help="rows per streamed response (and per Search page), at most the API's %(default)s",
    )


def run(args: argparse.Namespace) -> int:
    emulator = GoogleAdsEmulator(
        **org_options(args),
        developer_token=args.developer_token,
        oauth=OAuthClient(args.client_id, args.client_secret, args.refresh_token),
        batch_size=args.batch_size,
    )
    # gRPC and the HTTP controls share this one address
    arm_faults(emulator.faults, args)
    return serve_until_stopped("google_ads", start(emulator, args.host, args.port))
