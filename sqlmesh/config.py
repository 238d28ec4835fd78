"""SQLMesh project settings: DuckDB locally, BigQuery in production, from the platform's settings.

Models are written in the BigQuery dialect and run on both. SQLMesh builds an engine adapter for
every declared gateway when it loads, so the BigQuery gateway is declared only when
`warehouse.kind` is `bigquery`: a local run never reaches for Google credentials.

State: locally in the warehouse's DuckDB file. In production SQLMesh advises against BigQuery
as a state store; state is a DuckDB file on the VM's disk (`warehouse.sqlmesh_state_path`),
backed up to the lake's bucket after each run and restored on a rebuilt VM
(`destinations/sqlmesh_state.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # the sqlmesh CLI does not put the project on the path
    sys.path.insert(0, str(PROJECT_ROOT))

import dlt  # noqa: E402
from sqlmesh.core.config import (  # noqa: E402
    BigQueryConnectionConfig,
    Config,
    DuckDBConnectionConfig,
    GatewayConfig,
    ModelDefaultsConfig,
)

from destinations.settings import warehouse_settings  # noqa: E402

warehouse = warehouse_settings()

gateways = {
    "local": GatewayConfig(
        connection=DuckDBConnectionConfig(
            database=str(warehouse.resolved_duckdb_path()),
            connector_config=warehouse.duckdb_settings(),
        ),
    )
}
default_gateway = "local"
state_file = warehouse.sqlmesh_state_file()
if state_file is not None:
    gateways["bigquery"] = GatewayConfig(
        connection=BigQueryConnectionConfig(
            method="oauth",  # the VM's service account through application default credentials
            project=warehouse.bigquery_project,
            location=warehouse.bigquery_location,
        ),
        state_connection=DuckDBConnectionConfig(
            database=str(state_file), connector_config=warehouse.duckdb_settings()
        ),
    )
    default_gateway = "bigquery"

config = Config(
    # no usage reports to Tobiko: the VM reaches only the APIs it loads, and telemetry is off
    # everywhere else (Dagster, dlt)
    disable_anonymized_analytics=True,
    # Our models' Python is macros only; inferring package requirements scans every installed
    # distribution (~0.5 s a plan) to record what no environment here ever installs.
    infer_python_dependencies=False,
    # SQLMesh caches rendered models; on the VM the checkout is read-only to the services
    cache_dir=str(
        dlt.config.get("warehouse.sqlmesh_cache_dir") or Path(__file__).parent / ".cache"
    ),
    gateways=gateways,
    default_gateway=default_gateway,
    model_defaults=ModelDefaultsConfig(
        dialect="bigquery",
        # the first day of data, the same day the Dagster partitions start
        start=str(dlt.config.get("dagster.partitions_start") or "2026-07-01"),
        cron="@daily",
    ),
    # the currency marts report ad spend and attributed revenue in (`@reporting_currency`)
    variables={"reporting_currency": str(dlt.config.get("warehouse.reporting_currency") or "usd")},
)
