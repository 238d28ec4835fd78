"""The platform's Dagster code: `dagster api grpc --module-name dagster_defs.definitions` loads
its definitions. The package itself imports nothing, so the tools beside them
(`python -m dagster_defs.orphaned_runs`, `python -m dagster_defs.run_logs`) start in a second
without building every asset."""
