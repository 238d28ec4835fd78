"""Every source declares the columns of every table it loads (they become external models)."""

from __future__ import annotations

import pytest

from sources.registry import SOURCE_NAMES, source_spec


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_each_resource_has_a_table_model(name: str) -> None:
    spec = source_spec(name)
    assert sorted(table for table, _ in spec.table_models) == sorted(spec.resources)
