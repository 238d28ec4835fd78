"""What every model promises: typed money columns, and descriptions Looker Studio can show.

SQLMesh re-renders a query in the BigQuery dialect after expanding macros, which writes
`NUMERIC(38, 9)` as bare `NUMERIC`; DuckDB reads that as DECIMAL(18, 3). Models declare their
column types so the tables are created with the precision the casts lost.
"""

from __future__ import annotations

from sqlglot import exp
from sqlmesh.core.model import Model

from destinations.settings import PROJECT_ROOT
from sqlmesh import Context
from tests.conftest import PlatformPaths

SQLMESH = PROJECT_ROOT / "sqlmesh"


def materialized_models() -> list[Model]:
    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        return [model for model in context.models.values() if model.kind.is_materialized]
    finally:
        context.close()


def test_no_model_has_a_decimal_column_without_precision(platform_env: PlatformPaths) -> None:
    models = materialized_models()
    assert models
    bare = [
        f"{model.name}.{column}"
        for model in models
        for column, data_type in (model.columns_to_types or {}).items()
        if data_type.is_type(exp.DataType.Type.DECIMAL) and not data_type.expressions
    ]
    assert not bare, f"declare these columns' types in the MODEL's columns (...): {bare}"


def test_every_mart_and_its_columns_have_descriptions(platform_env: PlatformPaths) -> None:
    """SQLMesh registers them as BigQuery table and column descriptions: Looker's field list."""
    marts = [model for model in materialized_models() if model.name.startswith("marts.")]
    assert marts
    for model in marts:
        assert model.description, model.name
        undescribed = set(model.columns_to_types or {}) - set(model.column_descriptions or {})
        assert not undescribed, f"{model.name}: add a /* comment */ to {sorted(undescribed)}"
