"""`python -m sandbox google_sheets`: serve the Google Sheets API emulator until told to stop."""

from __future__ import annotations

import argparse

from sandbox.google_sheets.server import SheetsEmulator, make_server
from sandbox.google_sheets.workbook import INVENTORY_SPREADSHEET_ID, ROSTER_SPREADSHEET_ID
from sandbox.serve import arm_faults, org_options, serve_until_stopped

HELP = (
    "Google Sheets API v4 (spreadsheets.get, values.get, values.batchGet) serving the "
    f"enrolment roster ({ROSTER_SPREADSHEET_ID}) and inventory ({INVENTORY_SPREADSHEET_ID})"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options beyond the shared ones: the spreadsheets follow the organisation."""


def run(args: argparse.Namespace) -> int:
    emulator = SheetsEmulator(**org_options(args))
    arm_faults(emulator.faults, args)
    return serve_until_stopped("google_sheets", make_server(emulator, args.host, args.port))
