"""API drift: fields a vendor sends that neither our model nor the vendor's SDK declares.

A vendor adds or renames a field without notice, and a model with `extra="ignore"` would drop it
without a word (Stripe keeps events for 30 days only, so a change missed is lost for good). Each
source that validates raw vendor objects passes the fields it expects (its model's inputs and
what the SDK's own object classes document, as a tree for nested objects), and every field
outside them is noted here: its dotted name and one record id per table, never its value.
`load_source` takes the notes of its source after the load, logs one line per table and puts
them in the run's summary. The money records' raw objects are kept in the lake
(`record_json`), so a field noticed here can be modelled and backfilled from there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import AliasChoices, AliasPath, BaseModel

log = logging.getLogger(__name__)

# field name -> the fields expected inside it (None: its contents are not looked into)
FieldTree = Mapping[str, "FieldTree | None"]

_lock = threading.Lock()  # a source's resources are read on several threads
# (source, resource) -> undeclared dotted field name -> one record id that carried it
_noted: dict[tuple[str, str], dict[str, str | None]] = {}


def model_inputs(model: type[BaseModel]) -> set[str]:
    """The top-level keys `model` declares: field names, aliases and the first step of each
    alias path."""
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        # a field's own name counts even where it is read from elsewhere: the model declares
        # the concept (Stripe's invoices still send a top-level `subscription`, now read from
        # `parent.subscription_details`)
        keys.add(info.alias or name)
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        for choice in choices:
            if isinstance(choice, str):
                keys.add(choice)
            elif isinstance(choice, AliasPath) and isinstance(choice.path[0], str):
                keys.add(choice.path[0])
    return keys


def undeclared(record: Mapping[str, Any], expected: FieldTree, prefix: str = "") -> list[str]:
    """Dotted names of the fields in `record` that `expected` does not name."""
    return _Checker(expected).undeclared(record, prefix)


class _Checker:
    """`expected` with its nested parts listed once, so a record costs one set difference plus
    a look into each part that has fields of its own (a page checks thousands of records)."""

    def __init__(self, expected: FieldTree) -> None:
        self.keys = expected.keys()
        self.nested = [(key, _Checker(inner)) for key, inner in expected.items() if inner]

    def undeclared(self, record: Mapping[str, Any], prefix: str = "") -> list[str]:
        found = [prefix + key for key in record.keys() - self.keys]
        for key, inner in self.nested:
            value = record.get(key)
            if isinstance(value, Mapping):
                found.extend(inner.undeclared(value, f"{prefix}{key}."))
        return found


def note(
    source: str, resource: str, records: Iterable[Mapping[str, Any]], expected: FieldTree
) -> None:
    """Note the fields of `records` that `expected` does not name, with one record id each."""
    seen: dict[str, str | None] = {}
    checker = _Checker(expected)
    for record in records:
        for name in checker.undeclared(record):
            if name not in seen:
                record_id = record.get("id")
                seen[name] = None if record_id is None else str(record_id)
    if seen:
        with _lock:
            fields = _noted.setdefault((source, resource), {})
            for name, record_id in seen.items():
                fields.setdefault(name, record_id)


def take(source: str) -> dict[str, dict[str, str | None]]:
    """The undeclared fields noted for `source` since the last take, per resource; each table's
    are logged once, in one line."""
    with _lock:
        taken = {
            resource: fields
            for (noted_source, resource), fields in sorted(_noted.items())
            if noted_source == source
        }
        for resource in taken:
            del _noted[(source, resource)]
    for resource, fields in taken.items():
        log.warning("%s", describe(source, resource, fields))
    return taken


def describe(source: str, resource: str, fields: Mapping[str, str | None]) -> str:
    """`stripe.charges: the API sent 2 fields the model does not declare: a, b (e.g. in ch_1)`."""
    names = sorted(fields)
    example = fields[names[0]]
    where = f" (e.g. in record {example})" if example else ""
    plural = "field" if len(names) == 1 else "fields"
    return (
        f"{source}.{resource}: the API sent {len(names)} {plural} the model does not declare: "
        f"{', '.join(names)}{where}"
    )
