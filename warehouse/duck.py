"""The DuckDB warehouse: connect, create the tables, and replace one window's rows at a time.

A load is idempotent per window. The window's rows are staged as a relation (``staged_<table>``):
a temporary view over the window's Parquet file (:func:`load_window_files`, what the pipeline
uses: DuckDB reads the file itself, so no copy of the window is held in Python), or registered
Arrow data (:func:`load_windows`). Then in one transaction the rows it replaces are deleted (the
org's rows whose ``time_column`` lies in the window, and any older version of a staged key,
wherever it was loaded; for a child table, every older row of a staged row's parent) and the
staged rows inserted. Any error rolls the transaction back, leaving the previous rows. Both
functions replace one window of several tables (a parent and its children) in a single
transaction.
The statements are the committed files ``queries/sql/{ddl,load}/*.sql`` (see ``warehouse.ddl``).

File compatibility: DuckDB 2.x writes storage format v2 by default, which DuckDB 1.x cannot open.
:func:`connect` passes ``storage_compatibility_version`` so that a file it creates is written in
the v1.1-readable format; the setting is recorded in the file, so later writes keep it. A file
that already exists keeps the format it was created with (the setting does not convert it).
Writing needs DuckDB >= 1.2: 1.1 refuses to re-insert, within one transaction, a primary key it
has just deleted ("over-eager constraint checking"), which every reload does.

Memory. DuckDB's buffer pool is bounded by ``memory_limit``, by default 80 % of RAM, and it keeps
every block it has touched until then, so a window load's memory would grow with the window. A
window load (``warehouse.land``) connects with ``memory_limit=configured_memory_limit()``, which
sets

- ``memory_limit`` from ``$WXCC_DUCKDB_MEMORY_LIMIT`` (default ``DEFAULT_MEMORY_LIMIT``, any
  DuckDB size such as ``64MB``, ``512MiB`` or ``2GB``): beyond it DuckDB evicts written blocks
  and spills intermediates to its ``temp_directory`` (``<database file>.tmp``, next to the
  file). A window too large for it fails cleanly before the commit and ``warehouse.land`` loads
  it again with more (see :class:`LoadOutOfMemory`); the commit itself runs unbounded
  (:func:`_commit`). Measured figures: bench/README.md (issue 4);
- ``threads`` from ``$WXCC_DUCKDB_THREADS`` (default ``DEFAULT_THREADS``): each thread keeps its
  own buffers for the insert, which the limit must hold;
- ``preserve_insertion_order = false``: the insert need not buffer rows to keep their order
  (tables have no order; every reader that cares says ``ORDER BY``).

Other connections (publishing a copy of the whole warehouse, the extraction log, checks,
readers) keep DuckDB's defaults. Every writer writes row groups of ``ROW_GROUP_SIZE`` rows
rather than 122,880: DuckDB compresses a full row group of all its columns at once, and at ~190
columns that step was the largest part of a large load's memory. Only ``ATTACH`` takes a row
group size, so a writer attaches the file (as database ``warehouse``) to an in-memory one.
Readers of the published copy are unaffected: ``warehouse.publish`` writes it afresh with
DuckDB's defaults.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import queries
from warehouse.ddl import (
    check_staged_query,
    create_schema_query,
    create_table_query,
    delete_window_query,
    duplicate_keys_query,
    insert_query,
    render_check_staged,
    render_create_table,
    render_delete_window,
    render_duplicate_keys,
    render_insert,
    staged_name,
)
from warehouse.parquet import check_rows, same_columns
from warehouse.schemas import Table

log = logging.getLogger(__name__)

STORAGE_COMPATIBILITY_VERSION = "v1.1.0"  # files stay readable by DuckDB 1.1 clients
MIN_WRITER_VERSION = (1, 2)
MEMORY_LIMIT_ENV = "WXCC_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "64MB"
THREADS_ENV = "WXCC_DUCKDB_THREADS"
DEFAULT_THREADS = 1
ROW_GROUP_SIZE = 16 * 1024  # rows; DuckDB's default is 122,880
WAREHOUSE_DATABASE = "warehouse"  # the writer's name for the attached file
MEMORY_LIMIT_GROWTH = 16  # a load refused for memory is retried up to 16 x the limit
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B|bytes)?\s*$", re.IGNORECASE)
_UNITS = {
    "B": 1,
    **{u: 1000 ** (n + 1) for n, u in enumerate("KMGT")},
    **{u + "I": 1024 ** (n + 1) for n, u in enumerate("KMGT")},
}

# A statement that runs out of memory raises OutOfMemoryException; a commit, a
# TransactionException naming the block.
_OUT_OF_MEMORY = re.compile(r"failed to pin block|could not allocate block", re.IGNORECASE)


class LoadOutOfMemory(RuntimeError):
    """A load needed more than the connection's ``memory_limit``; it was rolled back."""


@dataclass(frozen=True)
class LoadResult:
    """What one window load changed."""

    rows_deleted: int
    rows_inserted: int


def connect(
    path: Path | str, read_only: bool = False, *, memory_limit: int | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (``":memory:"`` for a scratch one) with the project's settings.

    Session time zone UTC (timestamps print and cast as the API means them), no extension
    downloads (the machines may be offline; json and parquet are built in), and, for a writer,
    the v1.1 storage format for a file it creates and its row group size. With
    ``memory_limit`` (bytes), a writer also takes the memory settings of the module docstring.
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
        if memory_limit is not None:
            config["memory_limit"] = f"{int(memory_limit)}B"
            config["threads"] = int(os.environ.get(THREADS_ENV) or DEFAULT_THREADS)
            config["preserve_insertion_order"] = False
    if read_only or str(path) == ":memory:":
        return duckdb.connect(str(path), read_only=read_only, config=config)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file is attached to an in-memory database, as only ATTACH takes ROW_GROUP_SIZE;
    # spills go where DuckDB puts them for a file database.
    config["temp_directory"] = str(path) + ".tmp"
    con = duckdb.connect(":memory:", config=config)
    try:
        # ATTACH takes no bound parameters: the path is quoted as a string literal.
        con.execute(
            f"ATTACH {sql_string(str(path))} AS {WAREHOUSE_DATABASE} "
            f"(STORAGE_VERSION {sql_string(STORAGE_COMPATIBILITY_VERSION)}, "
            f"ROW_GROUP_SIZE {int(ROW_GROUP_SIZE)})"
        )
        con.execute(queries.sql("session/use_warehouse"))
    except BaseException:
        con.close()
        raise
    return con


def configured_memory_limit() -> int:
    """A writer's ``memory_limit`` in bytes: ``$WXCC_DUCKDB_MEMORY_LIMIT`` or the default.

    Raises:
        ValueError: the variable is not a size such as ``96MB``, ``512MiB`` or ``2GB``.
    """
    text = os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{MEMORY_LIMIT_ENV}={text!r} is not a size such as 96MB or 2GB")
    number, unit = float(match[1]), (match[2] or "B").upper()
    return int(number * _UNITS[unit.removesuffix("YTES").removesuffix("B") or "B"])


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
    _check_window(start_ms, end_ms)
    staged: dict[Table, pa.Table] = {}
    for table, rows in data.items():
        staged[table] = _as_table(table, rows)
        # Checked in Arrow, before anything runs on the connection (a caller may still hold a
        # half-read result, which DuckDB 2 lets finish until the next statement).
        check_rows(table, staged[table], org_id, start_ms, end_ms)
        _check_keys(table, staged[table])
    registered: list[str] = []
    try:
        for table, rows in staged.items():
            con.register(staged_name(table), rows)
            registered.append(staged_name(table))
        counts = {t: rows.num_rows for t, rows in staged.items()}
        return _replace(con, org_id, start_ms, end_ms, counts, checked=True)
    finally:
        for name in registered:
            con.unregister(name)


def load_window_files(
    con: duckdb.DuckDBPyConnection,
    org_id: str,
    start_ms: int,
    end_ms: int,
    files: Mapping[Table, Path],
) -> dict[Table, LoadResult]:
    """Replace one org's window of several tables with their window files, in one transaction.

    Each file is staged as a temporary view over ``read_parquet`` and checked in DuckDB, which
    reads it in row groups: the memory of the load is bounded by the connection's
    ``memory_limit``, not by the window's size.

    Raises:
        ValueError: as :func:`load_window` (a file of another schema too); nothing is changed then.
        duckdb.Error: the database refused the statements; the transaction was rolled back.
    """
    _check_window(start_ms, end_ms)
    rows: dict[Table, int] = {}
    for table, path in files.items():
        if not same_columns(table.arrow, pq.read_schema(path)):
            raise ValueError(f"{table.qualified_name}: {path} has another schema than the table's")
        rows[table] = pq.read_metadata(path).num_rows
    staged: list[str] = []
    try:
        for table, path in files.items():
            # A relation over the file, registered like the Arrow data of load_windows: DuckDB
            # streams it when the statements read it.
            con.register(staged_name(table), con.read_parquet(str(path)))
            staged.append(staged_name(table))
        return _replace(con, org_id, start_ms, end_ms, rows)
    finally:
        for name in staged:
            con.unregister(name)


def _replace(
    con: duckdb.DuckDBPyConnection,
    org_id: str,
    start_ms: int,
    end_ms: int,
    rows: Mapping[Table, int],
    *,
    checked: bool = False,
) -> dict[Table, LoadResult]:
    """Check the staged relations (``rows`` each) unless ``checked``, then delete and insert in
    one transaction."""
    for table, count in rows.items():
        if not checked:
            _check_staged(con, table, org_id, start_ms, end_ms, count)
    params = {
        "org_id": org_id,
        "window_start": _instant(start_ms),
        "window_end": _instant(end_ms),
    }
    results: dict[Table, LoadResult] = {}
    con.begin()
    try:
        for table in rows:
            deleted = _count(
                con.execute(_sql(table, delete_window_query(table), render_delete_window), params)
            )
            inserted = _count(con.execute(_sql(table, insert_query(table), render_insert)))
            results[table] = LoadResult(rows_deleted=deleted, rows_inserted=inserted)
        _commit(con)
    except duckdb.ConstraintException:
        _rollback(con)
        # The delete removed every stored row of a staged key, so a key conflict is a key twice
        # in the staged rows: checked only now, as the check holds every key in memory.
        if not checked:
            for table in rows:
                _check_unique_keys(con, table)
        raise
    except duckdb.Error as exc:
        _rollback(con)
        if isinstance(exc, duckdb.OutOfMemoryException) or _OUT_OF_MEMORY.search(str(exc)):
            raise LoadOutOfMemory(f"the load needs more memory: {exc}") from exc
        raise
    except BaseException:
        _rollback(con)
        raise
    for table, result in results.items():
        if result.rows_inserted != rows[table]:
            raise RuntimeError(
                f"{table.qualified_name}: inserted {result.rows_inserted} of {rows[table]}"
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


def _check_staged(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    org_id: str,
    start_ms: int,
    end_ms: int,
    rows: int,
) -> None:
    """Every staged row is the org's, in the window, with its key set.

    One aggregate over the staged relation, streamed by DuckDB in constant memory. Keys twice in
    the staged rows are found by the primary key during the insert (:func:`_check_unique_keys`).
    """
    if rows == 0:
        return
    key = ["org_id", *table.key]
    found = con.execute(
        _sql(table, check_staged_query(table), render_check_staged), {"org_id": org_id}
    ).fetchall()[0]
    other_org, null_time, lo, hi, *null_keys = found
    if other_org:
        raise ValueError(f"{table.qualified_name}: rows of another org than {org_id!r}")
    if null_time:
        raise ValueError(f"{table.qualified_name}: {table.time_column} is null in some rows")
    if lo < start_ms or hi >= end_ms:
        raise ValueError(
            f"{table.qualified_name}: {table.time_column} spans [{lo}, {hi}] ms, outside the "
            f"window [{start_ms}, {end_ms})"
        )
    for name, nulls in zip(key, null_keys, strict=True):
        if nulls:
            raise ValueError(f"{table.qualified_name}: key column {name} is null in some rows")


def _check_unique_keys(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """No key occurs twice in the staged rows (ValueError naming up to five keys)."""
    key = ["org_id", *table.key]
    dupes = con.execute(_sql(table, duplicate_keys_query(table), render_duplicate_keys)).fetchall()
    if not dupes:
        return
    shown = [
        ", ".join(f"{k}={v!r}" for k, v in zip(key, row, strict=False)) + f" ({row[-2]} rows)"
        for row in dupes
    ]
    raise ValueError(
        f"{table.qualified_name}: {dupes[0][-1]} key(s) occur more than once in the data: "
        + "; ".join(shown)
    )


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


def _commit(con: duckdb.DuckDBPyConnection) -> None:
    """Commit without the connection's memory limit.

    A commit that ran out of memory was seen (DuckDB 2.0) to leave the rolled-back keys in the
    primary key's index, so every later load of those keys failed; the statements before it fail
    cleanly. The commit's own memory is small (bench/README.md, issue 4).
    """
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    con.execute("RESET memory_limit")
    try:
        con.commit()
    finally:
        con.execute("SET memory_limit = $limit", {"limit": limit})


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.rollback()
    except duckdb.TransactionException as exc:
        if "no transaction is active" not in str(exc):
            raise
        # A failed commit has already rolled the transaction back.


def _check_window(start_ms: int, end_ms: int) -> None:
    if not start_ms < end_ms:
        raise ValueError(f"empty or inverted window [{start_ms}, {end_ms})")


def sql_string(text: str) -> str:
    """A string literal, for the statements that take no bound parameters (ATTACH)."""
    return "'" + text.replace("'", "''") + "'"


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
