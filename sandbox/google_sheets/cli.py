"""`python -m sandbox google_sheets`: serve the Google Sheets API emulator until told to stop."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from sandbox.google_sheets.server import SheetsEmulator, make_server
from sandbox.google_sheets.workbook import INVENTORY_SPREADSHEET_ID, ROSTER_SPREADSHEET_ID

HELP = (
    "Google Sheets API v4 (spreadsheets.get, values.get, values.batchGet) serving the "
    f"enrolment roster ({ROSTER_SPREADSHEET_ID}) and inventory ({INVENTORY_SPREADSHEET_ID})"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options beyond the shared ones: the spreadsheets follow the organisation."""


def run(args: argparse.Namespace) -> int:
    emulator = SheetsEmulator(
        seed=args.seed, volume=args.volume, start=args.start, end=args.end, now=args.now
    )
    server = make_server(emulator, args.host, args.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"sandbox google_sheets listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    print("sandbox google_sheets stopped", file=sys.stderr, flush=True)
    return 0
