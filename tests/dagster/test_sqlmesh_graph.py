"""The SQLMesh model graph Dagster reads from the model files is SQLMesh's own graph."""

from __future__ import annotations

from dagster_defs.sqlmesh_assets import SQLMESH_PROJECT, model_graph
from sqlmesh import Context
from tests.conftest import PlatformPaths


def test_model_graph_matches_sqlmesh(platform_env: PlatformPaths) -> None:
    context = Context(paths=str(SQLMESH_PROJECT), gateway="local")
    try:
        expected = {
            model.name: tuple(
                sorted(dep.replace('"', "").split(".", 1)[1] for dep in model.depends_on)
            )
            for model in context.models.values()
            if model.kind.is_materialized or model.kind.is_view
        }
    finally:
        context.close()
    assert {node.name: node.reads for node in model_graph()} == expected
