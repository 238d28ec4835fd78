"""Turn a batch of Pydantic records into a pyarrow Table: the one hand-off every source shares.

The Arrow schema is derived from the model's type hints only, never from the values, so an
empty batch or a batch of all-``None`` optionals still yields the full, stable schema.

Type mapping (``X | None`` makes any of these nullable; everything else is ``not null``):

==================================  ======================================================
Python annotation                   Arrow type
==================================  ======================================================
``str``                             ``string``
``int``                             ``int64``
``float``                           ``float64``
``bool``                            ``bool``
``Decimal`` + max_digits/places     ``decimal128(max_digits, decimal_places)``
                                    (``decimal256`` above 38 digits)
``datetime``                        ``timestamp("us", tz="UTC")``
``date``                            ``date32``
``Enum`` subclass                   the members' values: ``string`` (or ``int64``)
``Literal["a", "b"]``               ``string`` (``int64`` for int literals)
``list[X]``                         ``list<item: X>``
``dict[str, X]`` (X a scalar)       ``map<string, X>``
nested ``BaseModel``                ``struct`` of its fields, recursively
==================================  ======================================================

Datetimes: aware values are converted to UTC; naive values are taken to already be UTC
(their wall-clock time is stored unchanged). Sources should hand over aware datetimes.

Plain enums are stored as their members' values; ``str``/``int`` mixin enums (``StrEnum``,
``IntEnum``) already are their values to pyarrow and cost nothing extra.

Speed: columns are built one field at a time straight from the records' ``__dict__`` and
converted by ``pa.array`` in C++; nothing is dumped per record. Records go through in chunks
of ``_CHUNK_ROWS`` so the passes over a chunk stay in the CPU cache, hence the returned Table
has one chunk per ``_CHUNK_ROWS`` records (``combine_chunks()`` if one is needed). Only when
pyarrow rejects a column do we go back to find the offending record, so the happy path pays
nothing for error messages.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import accumulate, chain, repeat
from operator import attrgetter, is_, itemgetter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = ["ToTableError", "arrow_schema", "to_table"]

_SCALARS: dict[type, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
    datetime: pa.timestamp("us", tz="UTC"),
    date: pa.date32(),
}
_MAX_DECIMAL_DIGITS = 76  # decimal256's limit
_CONVERSION_ERRORS = (pa.ArrowException, ArithmeticError, TypeError, ValueError)
_UNION_ORIGINS = (typing.Union, types.UnionType)
# Records are converted this many at a time so that a chunk's model objects, scattered over
# the heap, stay in the CPU cache across the per-column passes: whole-batch passes at 200k
# Stripe-like rows ran ~2x slower, cache misses dominating (see benchmarks/to_table.py).
_CHUNK_ROWS = 4096

# Pydantic v2 keeps a model's field values in the instance __dict__; reading that dict once per
# record and then indexing it per field is markedly faster than getattr per field and value.
_dict_of = attrgetter("__dict__")


class ToTableError(ValueError):
    """A value does not fit the Arrow type its field declares; the message is one line."""

    def __init__(self, field_path: str, record: str, problem: str) -> None:
        super().__init__(f"{field_path}: {record}: {problem}")
        self.field_path = field_path
        self.record = record


def arrow_schema(model: type[BaseModel]) -> pa.Schema:
    """The Arrow schema of ``model``, derived from its type hints (cached per model).

    Raises ``TypeError`` naming model and field for an annotation that has no Arrow mapping.
    """
    return _plan(model).schema


def to_table(records: Sequence[BaseModel], model: type[BaseModel]) -> pa.Table:
    """Convert ``records`` (instances of ``model``) into a Table with ``arrow_schema(model)``.

    Raises ``ToTableError`` naming model, field and record (its ``id`` when the model has one,
    else ``#<index>``) for the first value that does not fit its declared type.
    """
    plan = _plan(model)
    if not records:
        return plan.schema.empty_table()
    if not isinstance(records, list):
        records = list(records)
    batches = [_record_batch(plan, records, start) for start in range(0, len(records), _CHUNK_ROWS)]
    return pa.Table.from_batches(batches, schema=plan.schema)


def _record_batch(plan: _Plan, records: list[BaseModel], start: int) -> pa.RecordBatch:
    chunk = records[start : start + _CHUNK_ROWS]
    where = _Where(_Batch(records, start, plan.has_id), _same_row, None)
    arrays = plan.root.columns(plan.root.dicts_of(chunk, where), where)
    return pa.RecordBatch.from_arrays(arrays, schema=plan.schema)


# --- conversion -------------------------------------------------------------------------------


class _Batch:
    """The records being converted, to name the one a bad value came from."""

    __slots__ = ("has_id", "records", "start")

    def __init__(self, records: list[BaseModel], start: int, has_id: bool) -> None:
        self.records = records
        self.start = start
        self.has_id = has_id

    def describe(self, index: int) -> str:
        row = self.start + index
        record_id = getattr(self.records[row], "id", None) if self.has_id else None
        return f"record #{row}" if record_id is None else f"record {_clip(str(record_id))}"


def _same_row(index: int) -> int:
    return index


class _Where:
    """Where a column's values sit: how to map a position back to its top-level record, and
    which positions may be null because an enclosing struct is null there."""

    __slots__ = ("batch", "covered", "row_of")

    def __init__(
        self, batch: _Batch, row_of: Callable[[int], int], covered: pa.BooleanArray | None
    ) -> None:
        self.batch = batch
        self.row_of = row_of
        self.covered = covered

    def covering(self, mask: pa.BooleanArray | None) -> _Where:
        return _Where(self.batch, self.row_of, mask)

    def flattened(self, offsets: list[int]) -> _Where:
        parent_row = self.row_of
        return _Where(self.batch, lambda i: parent_row(bisect_right(offsets, i) - 1), None)

    def record(self, index: int) -> str:
        return self.batch.describe(self.row_of(index))


class _Converter:
    """Turns one column's Python values into an Arrow array of a fixed type."""

    type: pa.DataType

    def __init__(self, path: str, nullable: bool) -> None:
        self.path = path
        self.nullable = nullable

    def convert(self, values: list[Any], where: _Where) -> pa.Array:
        """Convert one column, raising ToTableError for the first value that does not fit."""
        raise NotImplementedError

    def error(self, where: _Where, index: int, problem: str) -> ToTableError:
        return ToTableError(self.path, where.record(index), problem)

    def check_nulls(self, nulls: pa.BooleanArray, where: _Where) -> None:
        """Reject nulls in a non-optional field, except where an enclosing struct is null."""
        if self.nullable:
            return
        index = _first_uncovered(nulls, where)
        if index is not None:
            raise self.error(where, index, "value None in non-optional field")

    def misfit(self, values: list[Any], where: _Where, exc: Exception) -> ToTableError:
        index, cause = _first_misfit(values, self.type, exc)
        problem = f"value {_clip(repr(values[index]))} does not fit {self.type} ({_reason(cause)})"
        return self.error(where, index, problem)

    def to_array(self, values: list[Any], where: _Where) -> pa.Array:
        try:
            array = pa.array(values, type=self.type)
        except _CONVERSION_ERRORS as exc:
            raise self.misfit(values, where, exc) from None
        if array.null_count:
            self.check_nulls(array.is_null(), where)
        return array


class _Scalar(_Converter):
    """A leaf column pyarrow converts in one call (optionally after mapping enum members)."""

    def __init__(
        self,
        path: str,
        nullable: bool,
        arrow_type: pa.DataType,
        prepare: Callable[[list[Any]], list[Any]] | None = None,
    ) -> None:
        super().__init__(path, nullable)
        self.type = arrow_type
        self.prepare = prepare

    def convert(self, values: list[Any], where: _Where) -> pa.Array:
        if self.prepare is not None:
            values = self.prepare(values)
        return self.to_array(values, where)


class _Map(_Converter):
    """``dict[str, X]`` with a scalar X: pyarrow converts the dicts directly."""

    def __init__(self, path: str, nullable: bool, value: _Scalar) -> None:
        super().__init__(path, nullable)
        self.value = value
        self.type = pa.map_(pa.string(), pa.field("value", value.type, nullable=value.nullable))

    def convert(self, values: list[Any], where: _Where) -> pa.Array:
        array = self.to_array(values, where)
        if not self.value.nullable and array.items.null_count:
            index = next(i for i, v in enumerate(values) if v and None in v.values())
            raise self.value.error(where, index, "value None in non-optional field")
        return array


class _List(_Converter):
    """``list[X]``: scalar items go to pyarrow whole; others are flattened and converted once."""

    def __init__(self, path: str, nullable: bool, item: _Converter) -> None:
        super().__init__(path, nullable)
        self.item = item
        self.type = pa.list_(pa.field("item", item.type, nullable=item.nullable))
        # pyarrow converts lists of plain scalars in C++; only enum or struct items need us.
        self.whole = isinstance(item, _Scalar) and item.prepare is None

    def convert(self, values: list[Any], where: _Where) -> pa.Array:
        if not self.whole:
            return self._flattened(values, where)
        array = self.to_array(values, where)
        if not self.item.nullable:
            items = pc.list_flatten(array)
            if items.null_count:
                index = pc.index(items.is_null(), True).as_py()
                item_where = where.flattened(array.offsets.to_pylist())
                raise self.item.error(item_where, index, "value None in non-optional field")
        return array

    def _flattened(self, values: list[Any], where: _Where) -> pa.Array:
        mask = None
        try:
            lengths = list(map(len, values))
        except TypeError:
            mask = _null_mask(values)
            self.check_nulls(mask, where)
            values = [() if v is None else v for v in values]
            lengths = self._lengths(values, where)
        offsets = list(accumulate(lengths, initial=0))
        items = self.item.convert(list(chain.from_iterable(values)), where.flattened(offsets))
        return pa.ListArray.from_arrays(
            pa.array(offsets, type=pa.int32()), items, type=self.type, mask=mask
        )

    def _lengths(self, values: list[Any], where: _Where) -> list[int]:
        try:
            return list(map(len, values))
        except TypeError:
            index = next(i for i, v in enumerate(values) if not hasattr(v, "__len__"))
            problem = f"value {_clip(repr(values[index]))} is not a list"
            raise self.error(where, index, problem) from None


class _Struct(_Converter):
    """A (nested) model: one child array per field, read column-wise from the ``__dict__``s."""

    def __init__(
        self, path: str, nullable: bool, model: type[BaseModel], children: list[_Child]
    ) -> None:
        super().__init__(path, nullable)
        self.model = model
        self.children = children
        self.fields = [child.field for child in children]
        self.type = pa.struct(self.fields)

    def convert(self, values: list[Any], where: _Where) -> pa.Array:
        mask = None
        try:
            dicts = list(map(_dict_of, values))
        except AttributeError:
            mask = _null_mask(values)
            self.check_nulls(mask, where)
            dicts = self.dicts_of([_NONE_MODEL if v is None else v for v in values], where)
        return self.assemble(dicts, mask, where)

    def assemble(
        self, dicts: list[dict[str, Any]], mask: pa.BooleanArray | None, where: _Where
    ) -> pa.StructArray:
        # Children of a null struct read None (see _NoneModel); covering them with the mask
        # lets those nulls through even in non-optional child fields.
        arrays = self.columns(dicts, where.covering(mask))
        return pa.StructArray.from_arrays(arrays, fields=self.fields, mask=mask)

    def dicts_of(self, values: list[Any], where: _Where) -> list[dict[str, Any]]:
        try:
            return list(map(_dict_of, values))
        except AttributeError:
            index = next(i for i, v in enumerate(values) if not hasattr(v, "__dict__"))
            problem = f"value {_clip(repr(values[index]))} is not a {self.model.__name__}"
            raise self.error(where, index, problem) from None

    def columns(self, dicts: list[dict[str, Any]], where: _Where) -> list[pa.Array]:
        return [self._column(child, dicts, where) for child in self.children]

    def _column(self, child: _Child, dicts: list[dict[str, Any]], where: _Where) -> pa.Array:
        if isinstance(child.converter, _Struct):
            # Common case, no null or missing nested model: reach the nested dicts in one pass.
            try:
                nested = list(map(_dict_of, map(child.getter, dicts)))
            except (AttributeError, KeyError):
                nested = None
            if nested is not None:
                return child.converter.assemble(nested, None, where)
        try:
            values = list(map(child.getter, dicts))
        except KeyError:
            index = next(i for i, d in enumerate(dicts) if child.name not in d)
            raise child.converter.error(where, index, "value missing") from None
        return child.converter.convert(values, where)


class _NoFields(dict[str, Any]):
    """The field values of a null struct: every field reads as None."""

    def __missing__(self, key: str) -> None:
        return None


class _NoneModel:
    """Stands in for a null nested model so its children can still be read column-wise."""


_NONE_MODEL = _NoneModel()
_NONE_MODEL.__dict__ = _NoFields()


def _first_uncovered(nulls: pa.BooleanArray, where: _Where) -> int | None:
    """The first null position not explained by a null enclosing struct, if any."""
    if where.covered is not None:
        nulls = pc.and_not(nulls, where.covered)
    return pc.index(nulls, True).as_py() if pc.any(nulls).as_py() else None


def _null_mask(values: list[Any]) -> pa.BooleanArray:
    return pa.array(list(map(is_, values, repeat(None))), type=pa.bool_())


def _first_misfit(
    values: list[Any], arrow_type: pa.DataType, exc: Exception
) -> tuple[int, Exception]:
    """Bisect to the first value pyarrow rejects: O(log n) conversions of shrinking halves."""
    lo, hi = 0, len(values)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _conversion_error(values[lo:mid], arrow_type) is None:
            lo = mid
        else:
            hi = mid
    return lo, _conversion_error(values[lo:hi], arrow_type) or exc


def _conversion_error(values: list[Any], arrow_type: pa.DataType) -> Exception | None:
    try:
        pa.array(values, type=arrow_type)
    except _CONVERSION_ERRORS as exc:
        return exc
    return None


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reason(exc: Exception) -> str:
    return _clip(f"{type(exc).__name__}: {exc}", 160)


# --- schema from type hints -------------------------------------------------------------------


class _Child:
    """One field of a model: its Arrow field, how to read it, how to convert it."""

    __slots__ = ("converter", "field", "getter", "name")

    def __init__(self, name: str, field: pa.Field, converter: _Converter) -> None:
        self.name = name
        self.field = field
        self.converter = converter
        self.getter = itemgetter(name)


class _Plan:
    __slots__ = ("has_id", "root", "schema")

    def __init__(self, model: type[BaseModel]) -> None:
        self.root = _Struct(model.__name__, False, model, _children(model, model.__name__, ()))
        self.schema = pa.schema(self.root.fields)
        self.has_id = "id" in model.model_fields


@functools.cache
def _plan(model: type[BaseModel]) -> _Plan:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{model!r} is not a Pydantic model class")
    return _Plan(model)


def _children(
    model: type[BaseModel], prefix: str, stack: tuple[type[BaseModel], ...]
) -> list[_Child]:
    if not model.model_fields:
        raise TypeError(f"{prefix}: model {model.__name__} has no fields to make columns of")
    stack = (*stack, model)
    children = []
    for name, info in model.model_fields.items():
        converter = _resolve(info.annotation, tuple(info.metadata), f"{prefix}.{name}", stack)
        metadata = {"description": info.description} if info.description else None
        field = pa.field(name, converter.type, nullable=converter.nullable, metadata=metadata)
        children.append(_Child(name, field, converter))
    return children


def _resolve(
    annotation: Any, metadata: tuple[Any, ...], path: str, stack: tuple[type[BaseModel], ...]
) -> _Converter:
    annotation, metadata = _strip_annotated(annotation, metadata)
    if typing.get_origin(annotation) in _UNION_ORIGINS:
        inner = [arg for arg in typing.get_args(annotation) if arg is not types.NoneType]
        if len(inner) != 1:
            raise TypeError(f"{path}: {_name(annotation)} is not supported, only `X | None`")
        annotation, metadata = _strip_annotated(inner[0], metadata)
        return _resolve_required(annotation, metadata, path, stack, nullable=True)
    return _resolve_required(annotation, metadata, path, stack, nullable=False)


def _resolve_required(
    annotation: Any,
    metadata: tuple[Any, ...],
    path: str,
    stack: tuple[type[BaseModel], ...],
    nullable: bool,
) -> _Converter:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list and len(args) == 1:
        return _List(path, nullable, _resolve(args[0], (), f"{path}[]", stack))
    if origin is dict and len(args) == 2:
        return _map(args, path, stack, nullable)
    if origin is typing.Literal:
        return _Scalar(path, nullable, _literal_type(args, path))
    if origin is None and isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            if annotation in stack:
                raise TypeError(f"{path}: recursive model {annotation.__name__} is not supported")
            return _Struct(path, nullable, annotation, _children(annotation, path, stack))
        if issubclass(annotation, enum.Enum):
            return _enum(annotation, path, nullable)
        if annotation is Decimal:
            return _Scalar(path, nullable, _decimal_type(metadata, path))
        if annotation in _SCALARS:
            return _Scalar(path, nullable, _SCALARS[annotation])
    raise TypeError(f"{path}: annotation {_name(annotation)} has no Arrow mapping in to_table")


def _strip_annotated(annotation: Any, metadata: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *extra = typing.get_args(annotation)
        metadata = (*metadata, *extra)
    return annotation, metadata


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)


def _map(
    args: tuple[Any, ...], path: str, stack: tuple[type[BaseModel], ...], nullable: bool
) -> _Map:
    key, value = args
    converter = _resolve(value, (), f"{path}{{}}", stack)
    if key is not str or not isinstance(converter, _Scalar) or converter.prepare is not None:
        raise TypeError(f"{path}: only dict[str, X] with a scalar X maps to Arrow")
    return _Map(path, nullable, converter)


def _literal_type(args: tuple[Any, ...], path: str) -> pa.DataType:
    if all(type(arg) is str for arg in args):
        return pa.string()
    if all(type(arg) is int for arg in args):
        return pa.int64()
    raise TypeError(f"{path}: Literal values must be all str or all int")


def _decimal_type(metadata: tuple[Any, ...], path: str) -> pa.DataType:
    digits = places = None
    for item in metadata:
        for constraint in item.metadata if isinstance(item, FieldInfo) else (item,):
            digits = _first_not_none(getattr(constraint, "max_digits", None), digits)
            places = _first_not_none(getattr(constraint, "decimal_places", None), places)
    if digits is None or places is None:
        raise TypeError(
            f"{path}: Decimal needs Field(max_digits=.., decimal_places=..) declared "
            "to choose its Arrow decimal type"
        )
    if digits > _MAX_DECIMAL_DIGITS or places > digits:
        raise TypeError(f"{path}: Decimal({digits}, {places}) has no Arrow decimal type")
    return pa.decimal128(digits, places) if digits <= 38 else pa.decimal256(digits, places)


def _first_not_none(value: Any, default: Any) -> Any:
    return default if value is None else value


def _enum(enum_type: type[enum.Enum], path: str, nullable: bool) -> _Scalar:
    values = [member.value for member in enum_type]
    base: type
    if values and all(type(value) is str for value in values):
        arrow_type, base = pa.string(), str
    elif values and all(type(value) is int for value in values):
        arrow_type, base = pa.int64(), int
    else:
        raise TypeError(f"{path}: enum {enum_type.__name__} values must be all str or all int")
    if _members_are_their_values(enum_type, base):
        # str/int mixin enums (StrEnum, IntEnum, `class S(str, Enum)`) already are their values
        # to pyarrow, which accepts subclasses of str and int: no conversion pass needed.
        return _Scalar(path, nullable, arrow_type)
    by_id = {id(member): member.value for member in enum_type.__members__.values()}
    return _Scalar(path, nullable, arrow_type, functools.partial(_enum_values, by_id))


def _members_are_their_values(enum_type: type[enum.Enum], base: type) -> bool:
    if not issubclass(enum_type, base):
        return False
    primitive: Callable[[Any], object] = str.__str__ if base is str else int.__index__
    return all(primitive(member) == member.value for member in enum_type)


def _enum_values(by_id: dict[int, Any], values: list[Any]) -> list[Any]:
    # Members are singletons, so looking them up by id() stays in C (Enum.__hash__ is Python)
    # and anything else (None, raw values from `use_enum_values`) passes through unchanged.
    return list(map(by_id.get, map(id, values), values))
