"""DuckDB connections with the project's settings.

DuckDB is the published file's writer (``warehouse.publish``: views over the window files) and
the engine of the per-window checks (``warehouse.land``: an in-memory database reading the
window's file). No process writes table rows into a DuckDB file any more (issue 16).

File compatibility: DuckDB 2.x writes storage format v2 by default, which DuckDB 1.x cannot open.
:func:`connect` passes ``storage_compatibility_version`` so that a file it creates is written in
the v1.1-readable format.

Memory: the checks' scratch database (:func:`scratch`, one a process) is opened with
``memory_limit=configured_memory_limit()`` (from
``$WXCC_DUCKDB_MEMORY_LIMIT``, default ``DEFAULT_MEMORY_LIMIT``, any DuckDB size such as
``64MB``, ``512MiB`` or ``2GB``), ``threads`` from ``$WXCC_DUCKDB_THREADS`` (default
``DEFAULT_THREADS``) and ``preserve_insertion_order = false``: beyond the limit DuckDB spills
(bench/README.md, issue 4).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import duckdb

import queries
from warehouse import ddl
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
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B|bytes)?\s*$", re.IGNORECASE)
_UNITS = {
    "B": 1,
    **{u: 1000 ** (n + 1) for n, u in enumerate("KMGT")},
    **{u + "I": 1024 ** (n + 1) for n, u in enumerate("KMGT")},
}


def connect(
    path: Path | str,
    read_only: bool = False,
    *,
    memory_limit: int | None = None,
    threads: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (``":memory:"`` for a scratch one) with the project's settings.

    Session time zone UTC (timestamps print and cast as the API means them), no extension
    downloads (the machines may be offline; json and parquet are built in), and, for a writer,
    the v1.1 storage format for a file it creates and its row group size. With
    ``memory_limit`` (bytes), a writer also takes the memory settings of the module docstring;
    ``threads`` sets DuckDB's threads (default: one a core).
    """
    config: dict[str, str | bool | int | float | list[str]] = {
        "TimeZone": "UTC",
        "autoinstall_known_extensions": False,
    }
    if threads is not None:
        config["threads"] = int(threads)
    if not read_only:
        if _version() < MIN_WRITER_VERSION:
            raise RuntimeError(
                f"writing the warehouse needs duckdb >= 1.2 (installed: {duckdb.__version__})"
            )
        config["storage_compatibility_version"] = STORAGE_COMPATIBILITY_VERSION
        if memory_limit is not None:
            config["memory_limit"] = f"{int(memory_limit)}B"
            config["threads"] = configured_threads()
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


def scratch() -> duckdb.DuckDBPyConnection:
    """A connection of its own (close it) to this process's in-memory scratch database, with a
    writer's memory settings: for read-only queries over files (the window checks).

    Opening and closing a database costs ~15 ms of CPU, more than checking a small window file;
    a connection to an open one ~0.2 ms. The database is the process's (a forked child opens
    its own: a DuckDB database does not survive a fork) and its settings' (read from the
    environment at each call). It creates nothing, so its connections share no state.
    """
    key = (os.getpid(), configured_memory_limit(), configured_threads())
    with _SCRATCH_LOCK:
        database = _SCRATCH.get(key)
        if database is None:
            database = _SCRATCH[key] = connect(":memory:", memory_limit=key[1])
        return database.cursor()


def _after_fork_in_child() -> None:
    global _SCRATCH_LOCK
    # The parent's lock may have been held by a thread the child does not have; the parent's
    # databases are left unused (never closed here: their threads are not in this process).
    _SCRATCH_LOCK = threading.Lock()


_SCRATCH: dict[tuple[int, int, int], duckdb.DuckDBPyConnection] = {}
_SCRATCH_LOCK = threading.Lock()
os.register_at_fork(after_in_child=_after_fork_in_child)


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


def configured_threads() -> int:
    """DuckDB's threads for the load's own queries: ``$WXCC_DUCKDB_THREADS`` or the default."""
    return int(os.environ.get(THREADS_ENV) or DEFAULT_THREADS)


def storage_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """Storage format tag of the connection's main database file, e.g. ``"v1.0.0+"``."""
    rows = con.execute(
        "SELECT tags['storage_version'] FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchall()
    return rows[0][0] if rows else None


def create_tables(con: duckdb.DuckDBPyConnection, tables: Iterable[Table]) -> None:
    """Empty native tables (and their schemas) that do not exist yet, for in-memory working sets."""
    for table in tables:
        con.execute(ddl.render_create_schema(table.schema))
        con.execute(ddl.render_create_table(table))


def sql_string(text: str) -> str:
    """A string literal, for the statements that take no bound parameters (ATTACH)."""
    return "'" + text.replace("'", "''") + "'"


def _version() -> tuple[int, ...]:
    parts = []
    for part in duckdb.__version__.split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)
