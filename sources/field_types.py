"""Field types shared by the sources' Pydantic models (the columns every source writes alike)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator


def _to_json_text(value: Any) -> Any:
    """Free-form objects (metadata, fee breakdowns) are kept as JSON text, keys sorted."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


JsonText = Annotated[str, BeforeValidator(_to_json_text)]
"""A column holding a JSON document as text: a vendor's free-form map never changes our schema."""
