"""The DuckDB warehouse: schema and migrations, writes, analyst views and queries.

May import duckdb, pandas/pyarrow and the `Document` record type; never `models` or `pipeline`.
"""

from warehouse.db import (
    SchemaTooNew,
    Warehouse,
    WarehouseError,
    WarehouseLocked,
    WarehouseMissing,
    default_db_path,
)

__all__ = [
    "SchemaTooNew",
    "Warehouse",
    "WarehouseError",
    "WarehouseLocked",
    "WarehouseMissing",
    "default_db_path",
]
