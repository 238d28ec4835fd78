"""`python -m sources.google_analytics`: load GA4 reports ad hoc (see `--help`)."""

import sys

from sources.cli import main
from sources.google_analytics import SPEC

if __name__ == "__main__":
    sys.exit(main([SPEC]))
