"""Emulator of the Google Analytics Data API (v1beta RunReport, GetMetadata) over REST."""
