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
import hashlib
import json
import os
import shutil
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
            # With object storage the views read the local mirror: only versions this machine
            # has not mirrored yet are downloaded (warehouse.objects).
            _write(paths, paths.local_files(files), target)
            written = True
        for old in store.published(paths.store_path, pending, now, now - grace_seconds):
            paths.delete(old)
    return written


def create_table_views(con: duckdb.DuckDBPyConnection, files: dict[str, list[str]]) -> None:
    """Every table as a view over its current window files (``store.current_files``)."""
    for name, text in _table_views(files).items():
        con.execute(ddl.render_create_schema(name.split(".", 1)[0]))
        con.execute(text)


def _table_views(files: dict[str, list[str]]) -> dict[str, str]:
    """Table name -> the statement creating its view over ``files`` (an empty view without)."""
    schemas = {name: table.arrow for name, table in TABLES.items()}
    for name, listed in files.items():
        if name not in schemas:  # a table defined by configuration (a WFO report)
            schemas[name] = pq.read_schema(listed[0])
    out = {}
    for name in sorted(schemas):
        schema_name, table_name = name.split(".", 1)
        out[name] = ddl.render_create_view(
            schema_name, table_name, schemas[name], files.get(name, [])
        )
    return out


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _static_fingerprint() -> str:
    """What a published file holds besides the table views and ops rows: the analytics views'
    SQL and the DuckDB that wrote it. Comments are compared one by one by
    ``descriptions.apply``."""
    parts = [duckdb.__version__, *(queries.sql(n) for n in queries.sql_names("analytics"))]
    return _fingerprint("\n;\n".join(parts))


def _file_id(path: Path) -> list[int]:
    found = path.stat()
    return [found.st_ino, found.st_size, found.st_mtime_ns]


def _previous(paths: WarehousePaths, target: Path) -> dict[str, str] | None:
    """The view fingerprints of the published file, if it is the one the state file describes
    and was written by this code; None: write the file whole."""
    try:
        state = json.loads(paths.published_state_path.read_text(encoding="utf-8"))
        if state["file"] != _file_id(target) or state["static"] != _static_fingerprint():
            return None
        return dict(state["views"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(paths: WarehousePaths, files: dict[str, list[str]], target: Path) -> None:
    """Write the published file into a temp file, then rename it over ``target``.

    Incremental when it can be: the previous file (a few hundred KB) is copied and only the
    views whose file lists changed are replaced, and only their comments set again; a full
    write (every view and ~1,400 comments: ~1.2 s of CPU, measured at issue 16) happens when
    the previous file is missing, not the one last published, or from other code.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    views = _table_views(files)
    wanted = {name: _fingerprint(text) for name, text in views.items()}
    previous = _previous(paths, target) if target.exists() else None
    if previous is not None and previous.keys() != wanted.keys():
        previous = None  # a table came or went (a configured report): write it whole
    try:
        if previous is not None:
            shutil.copyfile(target, tmp)
        con = duck.connect(tmp)
        try:
            # One transaction: ~1,400 statements (most of them COMMENT ON) each committed on
            # its own cost a WAL commit apiece, three times the CPU of the statements
            # themselves. Nobody sees the file before the rename anyway.
            con.execute("BEGIN")
            for name, text in views.items():
                if previous is None or previous[name] != wanted[name]:
                    con.execute(ddl.render_create_schema(name.split(".", 1)[0]))
                    con.execute(text)
            con.execute(ddl.render_create_schema("ops"))
            for name, rows in store.ops_tables(paths.store_path).items():
                con.execute(ddl.render_drop_table("ops", name))
                con.register("ops_rows", rows)
                con.execute(ddl.render_copy_table("ops", name, "ops_rows"))
                con.unregister("ops_rows")
            if previous is None:
                create_views(con)
            descriptions.apply(con)  # COMMENT ON what lacks its comment
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o644)
        # The state names the new file (its inode survives the rename): written first, so a
        # crash between the two leaves a state that matches no file, and a full write next.
        _write_state(
            paths, {"file": _file_id(tmp), "static": _static_fingerprint(), "views": wanted}
        )
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


def _write_state(paths: WarehousePaths, state: dict[str, object]) -> None:
    state_path = paths.published_state_path
    state_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = state_path.with_name(f".{state_path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, state_path)
