"""`python -m sources`: load every source for a day or a range of days (see `--help`)."""

import sys

from sources.cli import main
from sources.registry import enabled_source_names, source_spec

if __name__ == "__main__":
    sys.exit(main([source_spec(name) for name in enabled_source_names()], every_source=True))
