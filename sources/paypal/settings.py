"""PayPal constants: the API's limits, the default reporting delay, retry limits."""

from __future__ import annotations

from datetime import timedelta

API_BASE_URL = "https://api-m.paypal.com"  # live; PayPal's own sandbox is api-m.sandbox.paypal.com
PAGE_SIZE = 500  # the largest `page_size` Transaction Search allows
DISPUTES_PATH = "/v1/customer/disputes"
DISPUTES_PAGE_SIZE = 50  # the largest `page_size` the Disputes API allows
MAX_RANGE = timedelta(days=31)  # the longest start_date..end_date one search may span
# PayPal lists a transaction up to three hours after it happened, so each run re-reads that
# much before where the previous run's window ended.
REPORTING_DELAY_HOURS = 3.0
# A search matching more than 10,000 transactions is refused (RESULTSET_TOO_LARGE); the range
# is halved until it fits. One second cannot be halved further.
SMALLEST_RANGE = timedelta(seconds=1)
# `all`: payer, cart and shipping details besides the transaction itself.
FIELDS = "all"
REQUEST_TIMEOUT_SECONDS = 60
RETRIES = 6  # attempts for 429, 5xx and dropped connections, the token request included
MAX_RETRY_AFTER_SECONDS = 60.0
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
