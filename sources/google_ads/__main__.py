"""`python -m sources.google_ads`: load Google Ads ad hoc (see `--help`)."""

import sys

from sources.cli import main
from sources.google_ads import SPEC

if __name__ == "__main__":
    sys.exit(main([SPEC]))
