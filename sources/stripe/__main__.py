"""`python -m sources.stripe`: load Stripe ad hoc (see `--help`)."""

import sys

from sources.cli import main
from sources.stripe import SPEC

if __name__ == "__main__":
    sys.exit(main([SPEC]))
