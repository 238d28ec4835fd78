"""The PayPal emulator: the Transaction Search API (transactions, balances) and OAuth tokens."""
