"""Landing a window: its Parquet file first, then the DuckDB rows, both replaced whole.

The Parquet file is written from the streamed batches (memory stays at one row group however large
the window), renamed into place, and then loaded into DuckDB in one transaction. A failure while
streaming leaves neither changed; a failure in DuckDB leaves the new file beside the old rows, and
re-running the window rewrites both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse import duck, parquet
from warehouse.schemas import Table


@dataclass(frozen=True)
class WarehousePaths:
    """Where one warehouse's files live under ``$WXCC_DATA_DIR``."""

    data_dir: Path

    @property
    def parquet_root(self) -> Path:
        return self.data_dir / "parquet"

    @property
    def duckdb_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"


@dataclass(frozen=True)
class LandResult:
    rows: int
    rows_replaced: int
    parquet_path: Path


def land_window(
    paths: WarehousePaths,
    table: Table,
    org_id: str,
    start_ms: int,
    end_ms: int,
    batches: Iterable[pa.RecordBatch],
) -> LandResult:
    """Write one window of ``table`` for ``org_id`` to Parquet and DuckDB, replacing what was there."""
    path = parquet.write_window(paths.parquet_root, table, org_id, start_ms, end_ms, batches)
    data = pq.read_table(path, schema=table.arrow)
    con = duck.connect(paths.duckdb_path)
    try:
        duck.create_tables(con, [table])
        result = duck.load_window(con, table, org_id, start_ms, end_ms, data)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return LandResult(
        rows=result.rows_inserted, rows_replaced=result.rows_deleted, parquet_path=path
    )
