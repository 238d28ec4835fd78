"""sources.drift: which fields count as undeclared, and how they are noted and reported."""

from __future__ import annotations

import logging

import pytest
from pydantic import AliasChoices, AliasPath, BaseModel, Field

from sources import drift


class Payment(BaseModel):
    id: str
    amount: int
    email: str | None = Field(None, validation_alias=AliasPath("billing", "email"))
    note: str | None = Field(None, validation_alias=AliasChoices("memo", "note"))
    kind: str | None = Field(None, alias="type")


def test_a_models_inputs_are_its_names_aliases_and_the_first_step_of_alias_paths() -> None:
    expected = {"id", "amount", "email", "billing", "memo", "note", "type"}
    assert drift.model_inputs(Payment) == expected


def test_undeclared_fields_are_found_at_the_top_and_inside_the_objects_the_tree_names() -> None:
    expected: drift.FieldTree = {"id": None, "info": {"amount": None}, "payer": None}
    record = {
        "id": "T1",
        "info": {"amount": 1, "risk": "low"},
        "payer": {"anything": 1},  # None: not looked into
        "shipping": {},
    }
    assert sorted(drift.undeclared(record, expected)) == ["info.risk", "shipping"]
    assert drift.undeclared({"id": "T2", "info": "not an object"}, expected) == []


def test_notes_keep_one_record_id_per_field_and_are_taken_once_with_one_line_per_table(
    caplog: pytest.LogCaptureFixture,
) -> None:
    expected = dict.fromkeys(["id", "amount"])
    drift.note("src", "payments", [{"id": "p1", "amount": 1}], expected)
    page = [{"id": "p2", "new": 1}, {"id": "p3", "new": 2, "b": 0}]
    drift.note("src", "payments", page, expected)
    drift.note("src", "payments", [{"id": "p4", "new": 3}], expected)  # another page, same field
    drift.note("other", "things", [{"id": "x", "new": 1}], expected)
    with caplog.at_level(logging.WARNING, logger="sources.drift"):
        taken = drift.take("src")
    assert taken == {"payments": {"new": "p2", "b": "p3"}}
    assert [r.getMessage() for r in caplog.records] == [
        "src.payments: the API sent 2 fields the model does not declare: b, new (e.g. in record p3)"
    ]
    assert drift.take("src") == {}
    assert drift.take("other") == {"things": {"new": "x"}}
