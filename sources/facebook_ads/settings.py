"""Facebook Ads constants: Graph version, page sizes, fields read, report-job and retry limits."""

from __future__ import annotations

GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v26.0"  # the facebook-business 26 SDK's Graph version
REQUEST_TIMEOUT_SECONDS = 120.0  # one HTTP request; report jobs have their own timeout

PAGE_SIZE = 100  # campaigns, ad sets, ads per page
INSIGHTS_PAGE_SIZE = 500  # rows per page of a finished report

DEFAULT_ATTRIBUTION_WINDOWS = ("7d_click", "1d_view")
DEFAULT_LOOKBACK_DAYS = 7  # conversions are restated for about a week (7-day click window)

# Insights: one async report job per account and range of at most this many days. A daily run
# with the default lookback is one job; a backfill is a few.
MAX_DAYS_PER_JOB = 31
JOB_ATTEMPTS = 3  # a job that fails or is stuck is submitted again, up to this many times
# Jobs run at once, polled together; Graph throttles an account's async jobs by its own load
# score (error 80000, retried), so a backfill keeps a few going rather than all of them.
JOBS_IN_FLIGHT = 4
DEFAULT_JOB_TIMEOUT_SECONDS = 900.0  # a job not complete by then counts as stuck
POLL_FIRST_SECONDS = 0.5
POLL_MAX_SECONDS = 15.0
POLL_GROWTH = 1.5

# Graph's rate-limit error codes: application (4), user (17), page (32), API-specific (613)
# and the business-use-case limits 80000-80014 (80000 ads insights, 80004 ads management).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
# "An unknown error occurred" / "Service temporarily unavailable": Graph says retry.
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODES = frozenset({102, 104, 190})  # session, missing and invalid/expired token
PERMISSION_CODES = frozenset({10, *range(200, 300)})
RETRY_ATTEMPTS = 8
RETRY_MAX_WAIT_SECONDS = 300.0

# Facebook lists one conversion under several overlapping action types; the first one present
# is taken, never their sum.
PURCHASE_ACTION_TYPES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
LEAD_ACTION_TYPES = ("lead", "onsite_conversion.lead_grouped", "offsite_conversion.fb_pixel_lead")

CAMPAIGN_FIELDS = (
    "id",
    "account_id",
    "name",
    "status",
    "configured_status",
    "effective_status",
    "objective",
    "buying_type",
    "daily_budget",
    "lifetime_budget",
    "start_time",
    "stop_time",
    "created_time",
    "updated_time",
)
AD_SET_FIELDS = (
    "id",
    "account_id",
    "campaign_id",
    "name",
    "status",
    "configured_status",
    "effective_status",
    "daily_budget",
    "lifetime_budget",
    "optimization_goal",
    "billing_event",
    "bid_strategy",
    "targeting",
    "start_time",
    "end_time",
    "created_time",
    "updated_time",
)
AD_FIELDS = (
    "id",
    "account_id",
    "campaign_id",
    "adset_id",
    "name",
    "status",
    "configured_status",
    "effective_status",
    "creative",
    "created_time",
    "updated_time",
)
INSIGHT_FIELDS = (
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "spend",
    "impressions",
    "clicks",
    "reach",
    "actions",
    "action_values",
)
