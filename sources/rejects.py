"""Validate vendor records into models; keep the ones that fail, with why, instead of stopping.

A malformed record must not cost the good ones around it: it is logged in one line naming the
source, resource, record id and field, and written to the source's `rejected_records` table
with its original JSON, so nothing is lost and it can be replayed once the model is fixed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

REJECTED_TABLE = "rejected_records"

Model = TypeVar("Model", bound=BaseModel)

log = logging.getLogger(__name__)


class RejectedRecord(BaseModel):
    """One vendor record that did not fit its model."""

    resource: str = Field(description="The resource (table) the record was meant for")
    record_id: str | None = Field(description="The vendor's id of the record, when it had one")
    error: str = Field(description="Which fields failed and why")
    record_json: str = Field(description="The record as received")
    rejected_at: datetime = Field(description="When the run rejected it (UTC)")


def describe(error: ValidationError) -> str:
    """Pydantic's errors as one line: `field: message (got value)`, values cut short."""
    parts = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(record)"
        got = repr(item.get("input"))
        got = got if len(got) <= 40 else got[:37] + "..."
        parts.append(f"{field}: {item['msg']} (got {got})")
    return "; ".join(parts)


def validate_records(
    records: Iterable[Mapping[str, Any]],
    model: type[Model],
    source: str,
    resource: str,
    now: datetime,
) -> tuple[list[Model], list[RejectedRecord]]:
    """Split `records` into validated models and rejected records."""
    valid: list[Model] = []
    rejected: list[RejectedRecord] = []
    for record in records:
        try:
            valid.append(model.model_validate(record))
        except ValidationError as error:
            record_id = record.get("id")
            message = describe(error)
            log.warning("%s.%s: record %s rejected: %s", source, resource, record_id, message)
            rejected.append(
                RejectedRecord(
                    resource=resource,
                    record_id=None if record_id is None else str(record_id),
                    error=message,
                    record_json=json.dumps(record, sort_keys=True, default=str),
                    rejected_at=now,
                )
            )
    return valid, rejected
