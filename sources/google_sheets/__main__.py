"""`python -m sources.google_sheets`: load the configured sheets ad hoc (see `--help`)."""

import sys

from sources.cli import main
from sources.google_sheets import SPEC

if __name__ == "__main__":
    sys.exit(main([SPEC]))
