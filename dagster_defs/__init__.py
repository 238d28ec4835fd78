"""The platform's Dagster definitions; `dagster api grpc --module-name dagster_defs` loads them."""

from dagster_defs.definitions import defs

__all__ = ["defs"]
