"""Publishing the warehouse: a small DuckDB file of views over the current window files.

Readers (analysts, BI tools, the checks) open ``WarehousePaths.published_path`` read-only at any
time. A publish writes a new file holding, for every table, a view over the table's current
window files (``warehouse.store``: each a version no writer ever changes), the ``ops`` tables
copied from the store, and the analyst views (``queries/sql/analytics``), then renames it over
the published file atomically. A reader that opened the old file keeps reading it and the
versions it names (old versions are deleted only after ``GRACE_SECONDS``); the next reader gets
the new one. Each publish shows whole windows only, parents with their children, since a window's
files become current in one store transaction.

The cost is O(files), not O(rows): the file holds no table rows, so it stays a few hundred KB
however much history there is (measured: docs/ARCHITECTURE.md, bench/README.md). Publishing is
the only writer of the published file and is serialized by an OS lock on
``WarehousePaths.publish_lock_path``, held while the new file is written (a fraction of a
second); a publish that finds nothing committed since the last one does nothing, so many windows
landing at once publish only as often as a publish takes.

The file is written in storage format v1.1.0, so DuckDB 1.1 clients open it as well as 2.x; its
views use only SQL that 1.1 reads (``read_parquet`` of a file list, casts).
"""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

import queries
from warehouse import ddl, descriptions, duck, store
from warehouse.catalog import TABLES
from warehouse.paths import WarehousePaths

# Old window versions are kept this long after they stopped being current: a reader that opened
# an older published file can still read every file it names.
GRACE_SECONDS = 3600.0


def create_views(con: object) -> None:
    """The analyst-facing views (``queries/sql/analytics``), over tables that all exist."""
    con.execute("CREATE SCHEMA IF NOT EXISTS analytics")  # type: ignore[attr-defined]
    for name in queries.sql_names("analytics"):
        con.execute(queries.sql(name))  # type: ignore[attr-defined]


@contextmanager
def publish_lock(paths: WarehousePaths) -> Iterator[None]:
    """The one publisher at a time, across processes (released if the process dies)."""
    paths.publish_lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(paths.publish_lock_path, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def publish(
    paths: WarehousePaths, *, now: float | None = None, grace_seconds: float = GRACE_SECONDS
) -> bool:
    """Write the published file anew if anything was committed since; True if it did.

    Also deletes the retired window files whose grace period is over.
    """
    with publish_lock(paths):
        now = time.time() if now is None else now
        target = paths.published_path
        pending, files = store.snapshot(paths.store_path)
        written = False
        if pending is not None or not target.exists():
            _write(paths, files, target)
            written = True
        for old in store.published(paths.store_path, pending, now, now - grace_seconds):
            Path(old).unlink(missing_ok=True)
    return written


def create_table_views(con: duckdb.DuckDBPyConnection, files: dict[str, list[str]]) -> None:
    """Every table as a view over its current window files (``store.current_files``)."""
    schemas = {name: table.arrow for name, table in TABLES.items()}
    for name, listed in files.items():
        if name not in schemas:  # a table defined by configuration (a WFO report)
            schemas[name] = pq.read_schema(listed[0])
    for name in sorted(schemas):
        schema_name, table_name = name.split(".", 1)
        con.execute(ddl.render_create_schema(schema_name))
        con.execute(
            ddl.render_create_view(schema_name, table_name, schemas[name], files.get(name, []))
        )


def _write(paths: WarehousePaths, files: dict[str, list[str]], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        con = duck.connect(tmp)
        try:
            # One transaction: ~1,400 statements (most of them COMMENT ON) each committed on
            # its own cost a WAL commit apiece, three times the CPU of the statements
            # themselves. Nobody sees the file before the rename anyway.
            con.execute("BEGIN")
            create_table_views(con, files)
            con.execute(ddl.render_create_schema("ops"))
            for name, rows in store.ops_tables(paths.store_path).items():
                con.register("ops_rows", rows)
                con.execute(ddl.render_copy_table("ops", name, "ops_rows"))
                con.unregister("ops_rows")
            create_views(con)
            descriptions.apply(con)  # COMMENT ON every table, view and column
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
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
