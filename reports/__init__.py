"""The local report: one self-contained HTML page of the marts in the DuckDB warehouse.

`python -m reports` writes it by hand; `python -m dagster_defs` (./run pipeline) writes it after
each local run. Production serves the marts in Looker Studio instead.
"""

from reports.build import ReportError, default_output, write_report

__all__ = ["ReportError", "default_output", "write_report"]
