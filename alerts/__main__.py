"""`python -m alerts SUBJECT [LINE ...]`: send one alert to the channels `alerts.*` configures.

What deploy/healthcheck.sh calls when it had to restart a service, or could not. Exits 0 when
the alert went out or waits in the outbox for the next one (an alert never fails its caller),
1 on a bad alerts setting.
"""

from __future__ import annotations

import argparse
import sys

from alerts.send import Alert, send
from alerts.settings import alert_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alerts", description=__doc__)
    parser.add_argument("subject", help="the alert's first line")
    parser.add_argument("lines", nargs="*", help="lines under it")
    args = parser.parse_args(argv)
    try:
        settings = alert_settings()
    except Exception as error:
        print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    waiting = send(Alert(args.subject, tuple(args.lines)), settings)
    if waiting:
        print(
            f"alerts: {waiting} delivery(ies) waiting in {settings.outbox_path()}", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
