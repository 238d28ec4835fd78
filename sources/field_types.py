"""Field types shared by the sources' Pydantic models (the columns every source writes alike)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field


def _to_json_text(value: Any) -> Any:
    """Free-form objects (metadata, fee breakdowns) are kept as JSON text, keys sorted."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


JsonText = Annotated[str, BeforeValidator(_to_json_text)]
"""A column holding a JSON document as text: a vendor's free-form map never changes our schema."""


RECORD_JSON = "record_json"


class KeptRaw(BaseModel):
    """A money record that keeps the vendor's whole object beside the columns we model.

    A field the vendor adds (or we leave out today) can then be modelled later and backfilled
    from the lake, even where the vendor no longer serves the old versions (Stripe's events
    last 30 days). The source sets it from the object as received; Parquet compresses it.
    """

    record_json: str | None = Field(
        None, description="The vendor's object as received, JSON (for backfilling new fields)"
    )
