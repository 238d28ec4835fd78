"""`python -m sources`: load every source for a day or a range of days (see `--help`)."""

import sys

from destinations.settings import SettingError
from sources.cli import main
from sources.registry import enabled_source_names, source_spec

if __name__ == "__main__":
    try:
        specs = [source_spec(name) for name in enabled_source_names()]
    except SettingError as error:  # sources.enabled: one line, as for every other setting
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    sys.exit(main(specs, every_source=True))
