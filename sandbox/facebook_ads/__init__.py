"""Facebook Marketing (Graph) API emulator: the demo organisation's ad account over HTTP.

`account.py` builds the ad account (campaigns, ad sets, ads, daily delivery and conversions)
from the organisation, `graph.py` answers the Graph API v26.0 endpoints the `facebook-business`
SDK calls (object edges, insights, async report runs), `server.py` speaks HTTP and adds the
`/_sandbox` controls, `cli.py` is `python -m sandbox facebook_ads`.
"""
