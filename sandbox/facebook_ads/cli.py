"""`python -m sandbox facebook_ads`: serve the Facebook Marketing API emulator until stopped."""

from __future__ import annotations

import argparse

from sandbox.facebook_ads.account import DEFAULT_ACCOUNT_ID
from sandbox.facebook_ads.server import DEFAULT_ACCESS_TOKEN, FacebookAdsEmulator, make_server
from sandbox.serve import arm_faults, org_options, serve_until_stopped

HELP = (
    "Facebook Marketing API v26.0 (ad account campaigns, ad sets, ads; insights, sync and "
    "async report runs)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--access-token",
        default=DEFAULT_ACCESS_TOKEN,
        help="the token clients must send as access_token (default: %(default)s)",
    )
    parser.add_argument(
        "--app-secret",
        help="when given, requests must carry a matching appsecret_proof (default: not checked)",
    )
    parser.add_argument(
        "--account-id",
        default=DEFAULT_ACCOUNT_ID,
        help="the ad account's id, served as act_<id> (default: %(default)s)",
    )
    parser.add_argument(
        "--page-cap",
        type=int,
        default=500,
        help="most rows on one page whatever `limit` asks, as Graph caps heavy edges "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--job-polls",
        type=int,
        default=3,
        help="status polls an async report run takes to complete (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    emulator = FacebookAdsEmulator(
        **org_options(args),
        access_token=args.access_token,
        app_secret=args.app_secret,
        account_id=args.account_id,
        page_cap=args.page_cap,
        job_polls=args.job_polls,
    )
    arm_faults(emulator.faults, args)
    return serve_until_stopped("facebook_ads", make_server(emulator, args.host, args.port))
