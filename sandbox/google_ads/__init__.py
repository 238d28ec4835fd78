"""Google Ads API emulator: the demo organisation's Google Ads accounts, served over gRPC.

`account.py` builds the accounts, campaigns, ad groups and daily metrics from the shared
organisation, `gaql.py` parses the GAQL subset the source sends, `rows.py` answers a parsed
query with `GoogleAdsRow` messages, `failures.py` builds the `GoogleAdsFailure` errors the SDK
turns into `GoogleAdsException`, `server.py` serves `GoogleAdsService` (v26) over gRPC beside an
HTTP port for the shared `/_sandbox` controls and the OAuth token endpoint, `cli.py` is
`python -m sandbox google_ads`.
"""
