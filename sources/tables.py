"""`to_table` as the sources call it: pyarrow is imported with the first table, not the source.

A source's package is also imported where its tables are only listed: the Dagster code server,
which stays resident on the 1 GB VM and never builds a table, and would keep pyarrow and numpy
(~40 MB) for nothing. The conversion itself is sources/arrow.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    import pyarrow as pa


def to_table(records: Sequence[BaseModel], model: type[BaseModel]) -> pa.Table:
    """`sources.arrow.to_table`, importing pyarrow on the first call."""
    from sources.arrow import to_table as records_to_table

    return records_to_table(records, model)
