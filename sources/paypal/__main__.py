"""`python -m sources.paypal`: load PayPal ad hoc (see `--help`)."""

import sys

from sources.cli import main
from sources.paypal import SPEC

if __name__ == "__main__":
    sys.exit(main([SPEC]))
