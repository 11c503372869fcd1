"""Publishing the warehouse: readers never wait for a load, and never see half a window.

DuckDB allows one process to hold a database file for writing and refuses every other process
meanwhile, readers included. So loads write a private file (``WarehousePaths.duckdb_path``) and,
after each step, this module writes a fresh copy of it (``COPY FROM DATABASE`` into a new file
of storage version v1.1.0) and renames that over the published file
(``WarehousePaths.published_path``) atomically. A reader that opened the old file keeps reading it
(POSIX keeps the old inode); the next reader gets the new one. Each copy holds whole windows
only, since every window is one committed transaction in the private file.

Why a fresh copy and not a byte copy of the private file: a file that DuckDB 2.0 has updated
over many transactions, even in the v1.1.0 storage format, can hold metadata that DuckDB 1.1.3
refuses ("Failed to load metadata pointer"; seen here after one day of every Search table), while
a file written in one go opens in both. It also drops the space of replaced windows. It costs a
rewrite per publish: 0.3 s for a 10 MB warehouse here (see bench/README.md for larger ones);
views over the Parquet files were the alternative considered, but they give up DuckDB's native
storage for every query and can show a parent table's window before its children's (one file per
table, renamed one at a time).
"""

from __future__ import annotations

import os
import uuid

import duckdb

import queries
from warehouse import descriptions, duck
from warehouse.catalog import TABLES
from warehouse.land import WarehousePaths


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """The analyst-facing views (``queries/sql/analytics``), over tables that all exist."""
    con.execute("CREATE SCHEMA IF NOT EXISTS analytics")
    for name in queries.sql_names("analytics"):
        con.execute(queries.sql(name))


def publish(paths: WarehousePaths) -> bool:
    """Copy the private file over the published one; False when nothing was loaded yet."""
    source = paths.duckdb_path
    if not source.exists():
        return False
    target = paths.published_path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with duck.connect(source) as con:
            # Every table exists in what readers open, empty until its first load.
            duck.create_tables(con, TABLES.values())
            create_views(con)
            descriptions.apply(con)  # COMMENT ON every table, view and column
            con.execute("CHECKPOINT")  # everything committed is in the main file
            con.execute(
                f"ATTACH {duck.sql_string(str(tmp))} AS publish_copy "
                f"(STORAGE_VERSION {duck.sql_string(duck.STORAGE_COMPATIBILITY_VERSION)})"
            )
            try:
                con.execute(queries.sql("publish/copy_warehouse"))
            finally:
                con.execute("DETACH publish_copy")
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return True
