"""Informational benchmarks, run as scripts (not collected by pytest)."""
