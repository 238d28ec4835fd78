"""The SQLMesh model graph Dagster reads from the model files is SQLMesh's own graph."""

from __future__ import annotations

from dagster_defs.sqlmesh_assets import SQLMESH_PROJECT, ModelNode, model_graph, runnable
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


def test_models_over_sources_that_are_not_loaded_are_left_out() -> None:
    nodes = [
        ModelNode("staging.stg_stripe__charges", ("raw.stripe__charges",)),
        ModelNode("staging.stg_paypal__transactions", ("raw.paypal__transactions",)),
        ModelNode(
            "marts.revenue_daily",
            ("staging.stg_paypal__transactions", "staging.stg_stripe__charges"),
        ),
    ]
    assert [node.name for node in runnable(nodes, ["stripe"])] == ["staging.stg_stripe__charges"]
    assert runnable(nodes, ["stripe", "paypal"]) == nodes
