"""The DuckDB warehouse: connect, create the tables, and replace one window's rows at a time.

A load is idempotent per window. The window's Arrow data is registered as a relation
(``staged_<table>``), then in one transaction the rows it replaces are deleted (the org's rows whose
``time_column`` lies in the window, and any older version of a staged key, wherever it was loaded;
for a child table, every older row of a staged row's parent) and the staged rows inserted. Any
error rolls the transaction back, leaving the previous rows. :func:`load_windows` replaces one
window of several tables (a parent and its children) in a single transaction.
The statements are the committed files ``queries/sql/{ddl,load}/*.sql`` (see ``warehouse.ddl``).

File compatibility: DuckDB 2.x writes storage format v2 by default, which DuckDB 1.x cannot open.
:func:`connect` passes ``storage_compatibility_version`` so that a file it creates is written in
the v1.1-readable format; the setting is recorded in the file, so later writes keep it. A file
that already exists keeps the format it was created with (the setting does not convert it).
Writing needs DuckDB >= 1.2: 1.1 refuses to re-insert, within one transaction, a primary key it
has just deleted ("over-eager constraint checking"), which every reload does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

import queries
from warehouse.ddl import (
    create_schema_query,
    create_table_query,
    delete_window_query,
    insert_query,
    render_create_table,
    render_delete_window,
    render_insert,
    staged_name,
)
from warehouse.parquet import check_rows, same_columns
from warehouse.schemas import Table

log = logging.getLogger(__name__)

STORAGE_COMPATIBILITY_VERSION = "v1.1.0"  # files stay readable by DuckDB 1.1 clients
MIN_WRITER_VERSION = (1, 2)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LoadResult:
    """What one window load changed."""

    rows_deleted: int
    rows_inserted: int


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (``":memory:"`` for a scratch one) with the project's settings.

    Session time zone UTC (timestamps print and cast as the API means them), no extension
    downloads (the machines may be offline; json and parquet are built in), and, for a writer,
    the v1.1 storage format for a file it creates.
    """
    config: dict[str, str | bool | int | float | list[str]] = {
        "TimeZone": "UTC",
        "autoinstall_known_extensions": False,
    }
    if not read_only:
        if _version() < MIN_WRITER_VERSION:
            raise RuntimeError(
                f"writing the warehouse needs duckdb >= 1.2 (installed: {duckdb.__version__}); "
                "1.1 cannot delete and re-insert a key in one transaction"
            )
        config["storage_compatibility_version"] = STORAGE_COMPATIBILITY_VERSION
    if str(path) != ":memory:":
        path = Path(path)
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only, config=config)


def storage_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """Storage format tag of the connection's main database file, e.g. ``"v1.0.0+"``."""
    rows = con.execute(
        "SELECT tags['storage_version'] FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchall()
    return rows[0][0] if rows else None


def create_tables(con: duckdb.DuckDBPyConnection, tables: Iterable[Table]) -> None:
    """Create the schemas and tables that do not exist yet (committed DDL files), atomically."""
    tables = list(tables)
    con.begin()
    try:
        for schema in dict.fromkeys(t.schema for t in tables):
            con.execute(queries.sql(create_schema_query(schema)))
        for table in tables:
            con.execute(_sql(table, create_table_query(table), render_create_table))
        con.commit()
    except BaseException:
        con.rollback()
        raise


def load_window(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    org_id: str,
    start_ms: int,
    end_ms: int,
    data: pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch],
) -> LoadResult:
    """Replace the rows of one org's window ``[start_ms, end_ms)`` with ``data``, in one transaction.

    Raises:
        ValueError: data of another schema or org, a row outside the window, a null key, or a key
            twice in ``data``; nothing is changed then.
        duckdb.Error: the database refused the statements; the transaction was rolled back.
    """
    return load_windows(con, org_id, start_ms, end_ms, {table: data})[table]


def load_windows(
    con: duckdb.DuckDBPyConnection,
    org_id: str,
    start_ms: int,
    end_ms: int,
    data: Mapping[Table, pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch]],
) -> dict[Table, LoadResult]:
    """Replace one org's window of several tables (a parent and its children) in one transaction.

    Readers see every table's new rows at once, never a parent without its children.

    Raises:
        ValueError: as :func:`load_window`, for any of the tables; nothing is changed then.
        duckdb.Error: the database refused the statements; the transaction was rolled back.
    """
    if not start_ms < end_ms:
        raise ValueError(f"empty or inverted window [{start_ms}, {end_ms})")
    staged: dict[Table, pa.Table] = {}
    for table, rows in data.items():
        staged[table] = _as_table(table, rows)
        check_rows(table, staged[table], org_id, start_ms, end_ms)
        _check_keys(table, staged[table])
    params = {
        "org_id": org_id,
        "window_start": _instant(start_ms),
        "window_end": _instant(end_ms),
    }
    results: dict[Table, LoadResult] = {}
    registered: list[str] = []
    try:
        for table, rows in staged.items():
            con.register(staged_name(table), rows)
            registered.append(staged_name(table))
        con.begin()
        try:
            for table in staged:
                deleted = _count(
                    con.execute(
                        _sql(table, delete_window_query(table), render_delete_window), params
                    )
                )
                inserted = _count(con.execute(_sql(table, insert_query(table), render_insert)))
                results[table] = LoadResult(rows_deleted=deleted, rows_inserted=inserted)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        for name in registered:
            con.unregister(name)
    for table, result in results.items():
        if result.rows_inserted != staged[table].num_rows:
            raise RuntimeError(
                f"{table.qualified_name}: inserted {result.rows_inserted} of "
                f"{staged[table].num_rows}"
            )
        log.debug(
            "%s org %s window [%d, %d): deleted %d, inserted %d",
            table.qualified_name,
            org_id,
            start_ms,
            end_ms,
            result.rows_deleted,
            result.rows_inserted,
        )
    return results


def _sql(table: Table, name: str, render: Callable[[Table], str]) -> str:
    """A table's committed statement file; for a table defined by configuration at run time (a
    WFO report of WXCC_CONFIG), which has none, the same generator's text for it."""
    try:
        return queries.sql(name)
    except KeyError:
        if table.qualified_name in _catalog_names():
            raise  # a catalog table's file is missing: `python -m warehouse.ddl` was not run
        return render(table)


def _catalog_names() -> frozenset[str]:
    from warehouse.catalog import TABLES  # the catalog imports every family's schemas

    return frozenset(TABLES)


def _as_table(table: Table, data: pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch]) -> pa.Table:
    if isinstance(data, pa.RecordBatch):
        data = [data]
    if not isinstance(data, pa.Table):
        batches = list(data)
        for batch in batches:
            if not isinstance(batch, pa.RecordBatch):
                raise TypeError(f"expected pyarrow.RecordBatch, got {type(batch).__name__}")
            if not same_columns(table.arrow, batch.schema):
                raise ValueError(f"{table.qualified_name}: batch schema differs from the table's")
        data = pa.Table.from_batches(batches, schema=table.arrow) if batches else None
        if data is None:
            return table.arrow.empty_table()
    if not same_columns(table.arrow, data.schema):
        raise ValueError(f"{table.qualified_name}: data schema differs from the table's")
    return data


def _check_keys(table: Table, data: pa.Table) -> None:
    key = ["org_id", *table.key]
    for name in key:
        if data.column(name).null_count:
            raise ValueError(f"{table.qualified_name}: key column {name} is null in some rows")
    if data.num_rows == 0:
        return
    counts = data.select(key).group_by(key).aggregate([([], "count_all")])
    if counts.num_rows == data.num_rows:
        return
    dupes = counts.filter(pc.greater(counts.column("count_all"), 1))
    shown = [
        ", ".join(f"{k}={row[k]!r}" for k in key) + f" ({row['count_all']} rows)"
        for row in dupes.slice(0, 5).to_pylist()
    ]
    raise ValueError(
        f"{table.qualified_name}: {dupes.num_rows} key(s) occur more than once in the data: "
        + "; ".join(shown)
    )


def _instant(ms: int) -> datetime:
    # Exact (no float seconds); bound as TIMESTAMPTZ.
    return _EPOCH + timedelta(milliseconds=ms)


def _count(result: duckdb.DuckDBPyConnection) -> int:
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and then refuses register().
    rows = result.fetchall()
    return int(rows[0][0]) if rows else 0


def _version() -> tuple[int, ...]:
    parts = []
    for part in duckdb.__version__.split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)
