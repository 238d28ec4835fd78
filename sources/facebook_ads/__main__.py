"""`python -m sources.facebook_ads`: load Facebook Ads ad hoc (see `--help`)."""

import sys

from sources.cli import main
from sources.facebook_ads import SPEC

if __name__ == "__main__":
    sys.exit(main([SPEC]))
