"""Stripe API emulator: the demo organisation's Stripe account, served over HTTP.

`objects.py` builds the account's versioned objects and events, `query.py` parses
Stripe's query strings and pages through sorted indexes, `api.py` answers the v1 read
endpoints, `server.py` speaks HTTP, `cli.py` is `python -m sandbox stripe`.
"""
