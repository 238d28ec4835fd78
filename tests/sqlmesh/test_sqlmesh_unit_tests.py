"""SQLMesh's own unit tests (`sqlmesh/tests/*.yaml`, hand-computed expected rows) pass."""

from __future__ import annotations

from destinations.settings import PROJECT_ROOT
from sqlmesh import Context
from tests.conftest import PlatformPaths

SQLMESH = PROJECT_ROOT / "sqlmesh"


def test_sqlmesh_unit_tests_pass(platform_env: PlatformPaths) -> None:
    context = Context(paths=str(SQLMESH), gateway="local")
    try:
        result = context.test()
    finally:
        context.close()
    assert result.testsRun >= 1
    failures = [str(test) for test, _ in result.failures + result.errors]
    assert result.wasSuccessful(), failures
