"""`python -m sources.stripe`: load Stripe ad hoc (see `--help`)."""

import sys

from sources.cli import main
from sources.stripe import stripe_source
from sources.stripe.settings import RESOURCES

if __name__ == "__main__":
    sys.exit(
        main(
            "stripe",
            stripe_source,
            [spec.name for spec in RESOURCES],
            secret_hint=", SOURCES__STRIPE__API_KEY (secret)",
        )
    )
