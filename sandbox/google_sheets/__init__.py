"""Emulator of the Google Sheets API v4 (spreadsheets.get, values.get, values.batchGet)."""
