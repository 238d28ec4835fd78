"""Alerts: what went wrong (or right again) at night, to a webhook and by e-mail."""
