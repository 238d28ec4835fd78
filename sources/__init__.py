"""Sources: official SDK clients turned into typed Pydantic records and Arrow tables."""
