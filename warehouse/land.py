"""Landing a window: its Parquet file first, then the DuckDB rows, both replaced whole.

The Parquet file is written from the streamed batches (memory stays at one row group however large
the window), renamed into place, and then loaded into DuckDB in one transaction, DuckDB reading
the file itself (``duck.load_window_files``): the window is never held whole in Python, and
DuckDB's share is bounded by its ``memory_limit`` (``$WXCC_DUCKDB_MEMORY_LIMIT``, see
``warehouse.duck``). A window too large for that limit is rolled back and loaded again with
twice the limit, up to ``duck.MEMORY_LIMIT_GROWTH`` times it, with a warning. A failure while
streaming leaves neither changed; a failure in DuckDB leaves the new file beside the old rows, and
re-running the window rewrites both.

:func:`land_windows` lands several tables fed by one query's pages (a parent and its child tables,
e.g. ``search.agent_session``, ``search.agent_session_channel`` and ``search.agent_activity`` from
``agentSession`` pages) in one pass over the pages: each page is normalized once per table, each
table streams into its own window file, and DuckDB replaces all the tables' windows in one
transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from warehouse import duck, parquet
from warehouse.normalize import records_to_batch
from warehouse.schemas import Table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WarehousePaths:
    """Where one warehouse's files live under ``$WXCC_DATA_DIR``.

    Loads write ``duckdb_path``, the writer's private file; readers open ``published_path``, a
    copy of it put in place atomically by ``warehouse.publish`` (DuckDB lets one process hold a
    file for writing and locks every other process out meanwhile).
    """

    data_dir: Path

    @property
    def parquet_root(self) -> Path:
        return self.data_dir / "parquet"

    @property
    def duckdb_path(self) -> Path:
        return self.data_dir / "build" / "warehouse.duckdb"

    @property
    def published_path(self) -> Path:
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
    """Write one window of ``table`` for ``org_id`` to Parquet and DuckDB, replacing what was there.

    Works for child tables too: their window is their inherited parent window column.
    """
    path = parquet.write_window(paths.parquet_root, table, org_id, start_ms, end_ms, batches)
    return _load(paths, org_id, start_ms, end_ms, {table: path})[table]


def land_windows(
    paths: WarehousePaths,
    tables: Sequence[Table],
    org_id: str,
    start_ms: int,
    end_ms: int,
    pages: Iterable[Sequence[dict[str, Any]] | pa.RecordBatch],
    *,
    duck_lock: AbstractContextManager[Any] | None = None,
) -> dict[Table, LandResult]:
    """Land one window of several tables fed by the same query pages, in one pass over the pages.

    ``tables`` are a parent and (some of) its child tables, all normalized from the parent query's
    records. A page may instead be a record batch already typed as the (only) table's schema
    (a CSV source parsed straight to Arrow). A failure while streaming changes no file; the
    DuckDB load is one transaction. Windows landed concurrently (threads) stream their Parquet
    files side by side and pass one ``duck_lock``: their DuckDB loads take turns.
    """
    if len({t.qualified_name for t in tables}) != len(tables):
        raise ValueError("a table is listed twice")
    writers: list[parquet.WindowWriter] = []
    try:
        for table in tables:
            writers.append(
                parquet.WindowWriter(paths.parquet_root, table, org_id, start_ms, end_ms)
            )
        for page in pages:
            if isinstance(page, pa.RecordBatch):
                if len(writers) != 1:
                    raise ValueError("typed record batches feed exactly one table")
                writers[0].write(page)
                continue
            for writer in writers:
                writer.write(records_to_batch(writer.table, page, org_id))
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    files: dict[Table, Path] = {}
    for n, writer in enumerate(writers):
        try:
            files[writer.table] = writer.commit()
        except BaseException:
            for later in writers[n + 1 :]:
                later.abort()
            raise
    # The pages and row groups are freed; hand their memory back to the system, as DuckDB
    # allocates its own and would otherwise add to it (bench/README.md, issue 4).
    pa.default_memory_pool().release_unused()
    with duck_lock or nullcontext():
        return _load(paths, org_id, start_ms, end_ms, files)


def _load(
    paths: WarehousePaths, org_id: str, start_ms: int, end_ms: int, files: dict[Table, Path]
) -> dict[Table, LandResult]:
    limit = duck.configured_memory_limit()
    while True:
        con = duck.connect(paths.duckdb_path, memory_limit=limit)
        try:
            duck.create_tables(con, list(files))
            results = duck.load_window_files(con, org_id, start_ms, end_ms, files)
            con.execute("CHECKPOINT")
            break
        except duck.LoadOutOfMemory:
            # Rolled back, nothing changed: a window too large for the limit gets more memory
            # rather than failing (the limit keeps every usual window's memory flat).
            if limit * 2 > duck.configured_memory_limit() * duck.MEMORY_LIMIT_GROWTH:
                raise
            limit *= 2
            log.warning(
                "org %s window [%d, %d): DuckDB load out of memory; retrying with "
                "memory_limit %d MiB",
                org_id,
                start_ms,
                end_ms,
                limit >> 20,
            )
        finally:
            con.close()
    return {
        table: LandResult(
            rows=result.rows_inserted, rows_replaced=result.rows_deleted, parquet_path=files[table]
        )
        for table, result in results.items()
    }
