"""`sources.arrow.to_table`: schema from type hints, faithful values, one-line errors."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional

import pyarrow as pa
import pytest
from pydantic import BaseModel, ConfigDict, Field, condecimal

from sources.arrow import ToTableError, arrow_schema, to_table

# --- models -----------------------------------------------------------------------------------


class Status(enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.Enum):
    ONE = 1
    TWO = 2


class Address(BaseModel):
    city: str
    postal_code: str | None = None


class Line(BaseModel):
    sku: str
    quantity: int
    tags: list[str] = []


class Billing(BaseModel):
    name: str
    address: Address
    phones: list[str] = []


class Charge(BaseModel):
    id: str
    amount: int = Field(description="Amount in the smallest currency unit.")
    rate: float
    paid: bool
    fee: Decimal = Field(max_digits=10, decimal_places=2)
    created: datetime
    day: date
    status: Status
    description: str | None = None


class Nested(BaseModel):
    id: str
    billing: Billing
    shipping: Address | None = None
    lines: list[Line] = []
    maybe_lines: list[Line] | None = None
    optional_items: list[Address | None] = []


class NoId(BaseModel):
    amount: int


def charge(**overrides: Any) -> Charge:
    values: dict[str, Any] = {
        "id": "ch_1",
        "amount": 1250,
        "rate": 0.5,
        "paid": True,
        "fee": Decimal("1.25"),
        "created": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        "day": date(2024, 5, 1),
        "status": Status.SUCCEEDED,
    }
    return Charge(**{**values, **overrides})


def nested(**overrides: Any) -> Nested:
    values: dict[str, Any] = {
        "id": "n_1",
        "billing": Billing(name="Ada", address=Address(city="London"), phones=["1", "2"]),
    }
    return Nested(**{**values, **overrides})


# --- schema -----------------------------------------------------------------------------------


def test_scalar_types_map_to_arrow_types() -> None:
    schema = arrow_schema(Charge)

    assert schema.names == [
        "id",
        "amount",
        "rate",
        "paid",
        "fee",
        "created",
        "day",
        "status",
        "description",
    ]
    assert [field.type for field in schema] == [
        pa.string(),
        pa.int64(),
        pa.float64(),
        pa.bool_(),
        pa.decimal128(10, 2),
        pa.timestamp("us", tz="UTC"),
        pa.date32(),
        pa.string(),
        pa.string(),
    ]


def test_only_optional_fields_are_nullable() -> None:
    schema = arrow_schema(Charge)

    assert [field.name for field in schema if field.nullable] == ["description"]


def test_schema_is_cached_per_model() -> None:
    assert arrow_schema(Charge) is arrow_schema(Charge)


def test_description_goes_into_field_metadata() -> None:
    schema = arrow_schema(Charge)

    assert schema.field("amount").metadata == {
        b"description": b"Amount in the smallest currency unit."
    }
    assert schema.field("id").metadata is None


def test_nested_field_descriptions_go_into_struct_field_metadata() -> None:
    class Inner(BaseModel):
        city: str = Field(description="City name.")

    class Outer(BaseModel):
        inner: Inner

    inner_type = arrow_schema(Outer).field("inner").type

    assert inner_type.field("city").metadata == {b"description": b"City name."}


def test_column_names_are_field_names_not_aliases() -> None:
    class Aliased(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        created_at: datetime = Field(alias="createdAt")
        amount: int = Field(alias="amt")

    assert arrow_schema(Aliased).names == ["created_at", "amount"]


def test_decimal_uses_declared_precision() -> None:
    class Prices(BaseModel):
        field: Decimal = Field(max_digits=12, decimal_places=4)
        annotated: Annotated[Decimal, Field(max_digits=8, decimal_places=3)]
        constrained: condecimal(max_digits=5, decimal_places=1)  # type: ignore[valid-type]
        optional: Annotated[Decimal | None, Field(max_digits=7, decimal_places=2)] = None
        optional_constrained: Optional[condecimal(max_digits=6, decimal_places=0)] = None  # type: ignore[valid-type]  # noqa: UP045
        listed: list[Annotated[Decimal, Field(max_digits=6, decimal_places=2)]] = []
        wide: Decimal = Field(max_digits=50, decimal_places=10)

    types = {field.name: field.type for field in arrow_schema(Prices)}

    assert types == {
        "field": pa.decimal128(12, 4),
        "annotated": pa.decimal128(8, 3),
        "constrained": pa.decimal128(5, 1),
        "optional": pa.decimal128(7, 2),
        "optional_constrained": pa.decimal128(6, 0),
        "listed": pa.list_(pa.field("item", pa.decimal128(6, 2), nullable=False)),
        "wide": pa.decimal256(50, 10),
    }


def test_enums_and_literals_map_to_their_value_type() -> None:
    class Choices(BaseModel):
        status: Status
        priority: Priority
        level: Level
        colour: Colour | None = None
        kind: Literal["card", "bank"]
        code: Literal[1, 2]

    types = {field.name: field.type for field in arrow_schema(Choices)}

    assert types == {
        "status": pa.string(),
        "priority": pa.int64(),
        "level": pa.int64(),
        "colour": pa.string(),
        "kind": pa.string(),
        "code": pa.int64(),
    }


def test_nested_models_map_to_structs_and_lists() -> None:
    schema = arrow_schema(Nested)
    address = pa.struct(
        [pa.field("city", pa.string(), nullable=False), pa.field("postal_code", pa.string())]
    )
    line = pa.struct(
        [
            pa.field("sku", pa.string(), nullable=False),
            pa.field("quantity", pa.int64(), nullable=False),
            pa.field("tags", pa.list_(pa.field("item", pa.string(), nullable=False)), False),
        ]
    )

    assert schema.field("billing").type == pa.struct(
        [
            pa.field("name", pa.string(), nullable=False),
            pa.field("address", address, nullable=False),
            pa.field("phones", pa.list_(pa.field("item", pa.string(), nullable=False)), False),
        ]
    )
    assert not schema.field("billing").nullable
    assert schema.field("shipping").type == address
    assert schema.field("shipping").nullable
    assert schema.field("lines").type == pa.list_(pa.field("item", line, nullable=False))
    assert schema.field("maybe_lines").nullable
    assert schema.field("optional_items").type == pa.list_(pa.field("item", address))


def test_dict_of_str_maps_to_map_type() -> None:
    class Tagged(BaseModel):
        metadata: dict[str, str]

    map_type = arrow_schema(Tagged).field("metadata").type

    assert map_type == pa.map_(pa.string(), pa.field("value", pa.string(), nullable=False))


@pytest.mark.parametrize(
    "annotation",
    [
        bytes,
        Any,
        int | str,
        tuple[int, int],
        list,
        dict[int, str],
        dict[str, list[str]],
        Literal["a", 1],
        set[str],
    ],
    ids=repr,
)
def test_unsupported_annotations_raise_type_error_at_schema_time(annotation: Any) -> None:
    class Odd(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        id: str
        odd: annotation  # type: ignore[valid-type]

    with pytest.raises(TypeError, match=r"^Odd\.odd: "):
        arrow_schema(Odd)


def test_decimal_without_declared_precision_is_a_type_error() -> None:
    class Loose(BaseModel):
        fee: Decimal = Field(max_digits=10)

    with pytest.raises(TypeError, match=r"^Loose\.fee: Decimal needs"):
        arrow_schema(Loose)


def test_unsupported_nested_field_names_model_and_path() -> None:
    class Inner(BaseModel):
        blob: bytes

    class Outer(BaseModel):
        inner: Inner | None = None

    with pytest.raises(TypeError, match=r"^Outer\.inner\.blob: "):
        arrow_schema(Outer)


def test_recursive_model_is_a_type_error() -> None:
    class Node(BaseModel):
        name: str
        children: list[Node] = []

    Node.model_rebuild()

    with pytest.raises(TypeError, match="recursive model Node"):
        arrow_schema(Node)


def test_mixed_value_enum_is_a_type_error() -> None:
    class Mixed(enum.Enum):
        A = "a"
        B = 2

    class WithMixed(BaseModel):
        mixed: Mixed

    with pytest.raises(TypeError, match=r"^WithMixed\.mixed: enum Mixed"):
        arrow_schema(WithMixed)


# --- values -----------------------------------------------------------------------------------


def test_empty_batch_has_full_schema() -> None:
    table = to_table([], Nested)

    assert table.num_rows == 0
    assert table.schema == arrow_schema(Nested)


def test_scalar_values_round_trip() -> None:
    table = to_table([charge(), charge(id="ch_2", description="coffee")], Charge)

    assert table.schema == arrow_schema(Charge)
    assert table.to_pylist() == [
        {
            "id": "ch_1",
            "amount": 1250,
            "rate": 0.5,
            "paid": True,
            "fee": Decimal("1.25"),
            "created": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
            "day": date(2024, 5, 1),
            "status": "succeeded",
            "description": None,
        },
        {
            "id": "ch_2",
            "amount": 1250,
            "rate": 0.5,
            "paid": True,
            "fee": Decimal("1.25"),
            "created": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
            "day": date(2024, 5, 1),
            "status": "succeeded",
            "description": "coffee",
        },
    ]


def test_timestamps_are_stored_in_utc() -> None:
    berlin_summer = timezone(timedelta(hours=2))
    records = [
        charge(created=datetime(2024, 5, 1, 14, 30, tzinfo=berlin_summer)),
        charge(created=datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
    ]

    created = to_table(records, Charge).column("created").to_pylist()

    assert created == [datetime(2024, 5, 1, 12, 30, tzinfo=UTC)] * 2


def test_naive_datetimes_are_taken_as_utc() -> None:
    record = Charge.model_construct(**{**charge().__dict__, "created": datetime(2024, 5, 1, 9)})

    created = to_table([record], Charge).column("created").to_pylist()

    assert created == [datetime(2024, 5, 1, 9, tzinfo=UTC)]


def test_enum_values_are_stored() -> None:
    class Choices(BaseModel):
        status: Status
        priority: Priority
        level: Level | None = None
        colour: Colour
        statuses: list[Status] = []

    records = [
        Choices(
            status=Status.FAILED,
            priority=Priority.HIGH,
            level=Level.TWO,
            colour=Colour.RED,
            statuses=[Status.SUCCEEDED, Status.FAILED],
        ),
        Choices(status=Status.SUCCEEDED, priority=Priority.LOW, colour=Colour.RED),
    ]

    assert to_table(records, Choices).to_pylist() == [
        {
            "status": "failed",
            "priority": 2,
            "level": 2,
            "colour": "red",
            "statuses": ["succeeded", "failed"],
        },
        {"status": "succeeded", "priority": 1, "level": None, "colour": "red", "statuses": []},
    ]


def test_use_enum_values_models_store_the_same_values() -> None:
    class Plain(BaseModel):
        model_config = ConfigDict(use_enum_values=True)
        status: Status

    assert to_table([Plain(status=Status.FAILED)], Plain).to_pylist() == [{"status": "failed"}]


def test_literals_and_maps_round_trip() -> None:
    class Tagged(BaseModel):
        kind: Literal["card", "bank"]
        metadata: dict[str, str]
        extra: dict[str, str | None] | None = None

    records = [
        Tagged(kind="card", metadata={"a": "1"}, extra={"x": None}),
        Tagged(kind="bank", metadata={}),
    ]

    assert to_table(records, Tagged).to_pylist() == [
        {"kind": "card", "metadata": [("a", "1")], "extra": [("x", None)]},
        {"kind": "bank", "metadata": [], "extra": None},
    ]


def test_nested_values_round_trip() -> None:
    records = [
        nested(
            shipping=Address(city="Paris", postal_code="75001"),
            lines=[Line(sku="a", quantity=1, tags=["x"]), Line(sku="b", quantity=2)],
            maybe_lines=[],
            optional_items=[None, Address(city="Rome")],
        ),
        nested(id="n_2"),
    ]

    rows = to_table(records, Nested).to_pylist()

    billing = {
        "name": "Ada",
        "address": {"city": "London", "postal_code": None},
        "phones": ["1", "2"],
    }
    assert rows == [
        {
            "id": "n_1",
            "billing": billing,
            "shipping": {"city": "Paris", "postal_code": "75001"},
            "lines": [
                {"sku": "a", "quantity": 1, "tags": ["x"]},
                {"sku": "b", "quantity": 2, "tags": []},
            ],
            "maybe_lines": [],
            "optional_items": [None, {"city": "Rome", "postal_code": None}],
        },
        {
            "id": "n_2",
            "billing": billing,
            "shipping": None,
            "lines": [],
            "maybe_lines": None,
            "optional_items": [],
        },
    ]


def test_optional_struct_with_required_fields_can_be_null() -> None:
    class Outer(BaseModel):
        inner: Billing | None = None

    table = to_table([Outer(), Outer(inner=nested().billing), Outer()], Outer)

    assert table.column("inner").null_count == 2
    assert table.column("inner").to_pylist()[1]["address"] == {
        "city": "London",
        "postal_code": None,
    }


def test_all_none_optionals_keep_their_types() -> None:
    table = to_table([nested(), nested()], Nested)

    assert table.schema == arrow_schema(Nested)
    assert table.column("shipping").null_count == 2


def test_batches_larger_than_a_chunk_keep_order() -> None:
    records = [charge(id=f"ch_{i}", amount=i) for i in range(10_000)]

    table = to_table(records, Charge)

    assert table.num_rows == 10_000
    assert table.column("amount").to_pylist() == list(range(10_000))


def test_accepts_any_sequence() -> None:
    assert to_table((charge(),), Charge).num_rows == 1


# --- errors -----------------------------------------------------------------------------------


def bad_charge(**overrides: Any) -> Charge:
    """A Charge that skipped validation, as `model_construct` allows."""
    return Charge.model_construct(**{**charge().__dict__, **overrides})


def test_int_beyond_int64_names_model_field_and_record() -> None:
    records = [charge(), charge(id="ch_big", amount=2**70)]

    with pytest.raises(
        ToTableError, match=r"^Charge\.amount: record ch_big: value \d+ does not fit int64"
    ):
        to_table(records, Charge)


def test_str_in_int_field_names_model_field_and_record() -> None:
    records = [charge(), charge(id="ch_2"), bad_charge(id="ch_123", amount="abc")]

    with pytest.raises(ToTableError) as caught:
        to_table(records, Charge)

    message = str(caught.value)
    assert message.startswith("Charge.amount: record ch_123: value 'abc' does not fit int64 (")
    assert "\n" not in message
    assert caught.value.field_path == "Charge.amount"


def test_decimal_with_too_many_digits_is_rejected() -> None:
    records = [bad_charge(id="ch_fee", fee=Decimal("123456789.5"))]

    with pytest.raises(
        ToTableError, match=r"^Charge\.fee: record ch_fee: value Decimal\('123456789\.5'\)"
    ):
        to_table(records, Charge)


def test_decimal_with_too_many_places_is_rejected() -> None:
    records = [bad_charge(id="ch_fee", fee=Decimal("1.234"))]

    with pytest.raises(ToTableError, match=r"^Charge\.fee: record ch_fee: .*decimal128\(10, 2\)"):
        to_table(records, Charge)


def test_none_in_required_field_is_rejected() -> None:
    records = [charge(), bad_charge(id="ch_none", paid=None)]

    with pytest.raises(
        ToTableError, match=r"^Charge\.paid: record ch_none: value None in non-optional"
    ):
        to_table(records, Charge)


def test_missing_field_is_rejected() -> None:
    record = Charge.model_construct(id="ch_partial", amount=1)

    with pytest.raises(ToTableError, match=r"^Charge\.rate: record ch_partial: value missing"):
        to_table([record], Charge)


def test_record_without_id_is_named_by_index() -> None:
    records = [NoId(amount=1), NoId(amount=2), NoId.model_construct(amount="x")]

    with pytest.raises(ToTableError, match=r"^NoId\.amount: record #2: "):
        to_table(records, NoId)


def test_record_index_counts_across_chunks() -> None:
    records = [NoId(amount=i) for i in range(9_000)] + [NoId.model_construct(amount=None)]

    with pytest.raises(ToTableError, match=r"^NoId\.amount: record #9000: value None"):
        to_table(records, NoId)


def test_error_in_nested_struct_names_path_and_top_level_record() -> None:
    bad_address = Address.model_construct(city=12)
    records = [
        nested(),
        nested(id="n_bad", billing=Billing.model_construct(name="B", address=bad_address)),
    ]

    with pytest.raises(
        ToTableError, match=r"^Nested\.billing\.address\.city: record n_bad: value 12"
    ):
        to_table(records, Nested)


def test_error_in_list_of_structs_names_top_level_record() -> None:
    lines = [Line(sku="a", quantity=1), Line.model_construct(sku="b", quantity=None)]
    records = [nested(lines=[Line(sku="z", quantity=3)]), nested(id="n_lines", lines=lines)]

    with pytest.raises(
        ToTableError, match=r"^Nested\.lines\[\]\.quantity: record n_lines: value None"
    ):
        to_table(records, Nested)


def test_none_in_list_of_str_is_rejected() -> None:
    billing = Billing.model_construct(name="B", address=Address(city="X"), phones=["1", None])
    records = [nested(), nested(id="n_phone", billing=billing)]

    with pytest.raises(
        ToTableError, match=r"^Nested\.billing\.phones\[\]: record n_phone: value None"
    ):
        to_table(records, Nested)


def test_none_for_required_struct_is_rejected() -> None:
    records = [nested(), Nested.model_construct(id="n_nobill", billing=None)]

    with pytest.raises(ToTableError, match=r"^Nested\.billing: record n_nobill: value None"):
        to_table(records, Nested)


def test_dict_instead_of_model_is_rejected() -> None:
    records = [Nested.model_construct(id="n_dict", billing={"name": "B"})]

    with pytest.raises(
        ToTableError,
        match=r"^Nested\.billing: record n_dict: value \{'name': 'B'\} is not a Billing",
    ):
        to_table(records, Nested)


def test_error_message_does_not_dump_the_record() -> None:
    long_text = "x" * 500
    records = [bad_charge(id="ch_long", amount=long_text)]

    with pytest.raises(ToTableError) as caught:
        to_table(records, Charge)

    assert long_text not in str(caught.value)
    assert len(str(caught.value)) < 400
