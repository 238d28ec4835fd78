"""The raw tables SQLMesh knows (external_models.yaml) match what the sources write."""

from __future__ import annotations

from destinations.external_models import EXTERNAL_MODELS, render


def test_external_models_are_generated_from_the_current_source_models() -> None:
    assert EXTERNAL_MODELS.read_text() == render(), (
        "sqlmesh/external_models.yaml is out of date with the sources' models: "
        "run `uv run python -m destinations.external_models`"
    )
