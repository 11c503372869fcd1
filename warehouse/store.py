"""The window store: which file holds each landed window now, and the ops tables' rows.

A SQLite database (``WarehousePaths.store_path``) in WAL mode. Any number of processes write it
at once (a window's commit, an extraction-log row: each one short transaction; SQLite queues
them behind its own file lock for milliseconds, ``busy_timeout`` waits), and readers never
block writers. It holds small rows only (one per window file or attempt): the rows of the
tables themselves are in the window files.

- ``windows``: the current versioned file of each (table, org, window). :func:`commit_window`
  replaces the windows of a parent and its children in one transaction, so a publish sees them
  all or none; the files they replace are ``retired`` and deleted after a grace period
  (:func:`expired`), since a reader of an older published warehouse may still read them.
- ``commits`` orders commits; ``published`` remembers the last commit the published warehouse
  holds, so a publish that finds nothing new does nothing.
- ``extraction_log`` and ``cross_check_differences``: ``ops.extraction_log`` and
  ``ops.cross_check_differences`` as runs and checks write them; publishing copies them into
  the warehouse (:func:`ops_tables`).

Why SQLite and not Postgres or per-process files: it needs no server (``make run`` stays two
commands), its WAL gives concurrent writers without a lock of ours, and it is in the standard
library. It serves processes on one machine (a network file system breaks SQLite's locking);
several machines would put these tables in the Postgres that Dagster then uses.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

import pyarrow as pa

import queries

_DDL = (
    "store/create_windows",
    "store/create_commits",
    "store/create_retired",
    "store/create_published",
    "store/create_extraction_log",
    "store/create_cross_check_differences",
)
BUSY_TIMEOUT_S = 60.0
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class WindowFile:
    """One table's new file for a window, as :func:`commit_window` records it."""

    table_name: str
    path: str
    rows: int


def retried(fn: Callable[P, T]) -> Callable[P, T]:
    """Run ``fn`` again while SQLite answers "database is locked" (up to ``BUSY_TIMEOUT_S``).

    SQLite's busy handler covers most waits, but not all: opening a WAL database while another
    process recovers or checkpoints it, or switching it to WAL, can fail at once. Every store
    operation is one transaction, so running it again is safe.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        pause = 0.01
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)  # another process holds the lock: wait, then again
                pause = min(pause * 2, 0.5)

    return wrapper


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """The store, created if missing; each ``with con:`` block inside is one transaction."""
    with closing(_open(path)) as con:
        yield con


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
        for name in _DDL:
            con.execute(queries.sql(name))
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def _writing(con: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: ``BEGIN IMMEDIATE`` (one writer from here, no lost update between
    processes), committed at the end of the block or rolled back on any error.

    A Ctrl-C raises in whatever Python runs next, which can be just after COMMIT returned:
    nothing is left to roll back then, and the interruption is what the caller must see (a
    ROLLBACK would replace it with "no transaction is active")."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


@contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """The store to read (``status``): as :func:`connect`, or, in a directory that cannot be
    written (a read-only copy or mount), opened immutable, since reading a WAL database
    otherwise writes beside it. No process can be writing it then."""
    try:
        con = _open(path)
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc) and "unable to open" not in str(exc):
            raise
        con = sqlite3.connect(f"{path.absolute().as_uri()}?immutable=1", uri=True)
    with closing(con):
        yield con


@retried
def commit_window(
    path: Path,
    org_id: str,
    start_ms: int,
    end_ms: int,
    files: Sequence[WindowFile],
    *,
    now: float | None = None,
) -> list[tuple[str, str, int]]:
    """Make ``files`` the current files of the window, all at once; return the files retired
    (table name, path, rows).

    Windows of the same table and org that the new one covers (hours under a day) are replaced
    too; a window that partly overlaps one already stored is refused (ValueError), since
    replacing either would lose or duplicate rows.
    """
    now = time.time() if now is None else now
    retired: list[tuple[str, str, int]] = []
    with connect(path) as con:
        with _writing(con):
            commit_id = con.execute(queries.sql("store/insert_commit"), {"now": now}).lastrowid
            for file in files:
                window = {
                    "table_name": file.table_name,
                    "org_id": org_id,
                    "window_start": start_ms,
                    "window_end": end_ms,
                }
                for start, end, old, old_rows in con.execute(
                    queries.sql("store/select_overlapping_windows"), window
                ).fetchall():
                    if not (start_ms <= start and end <= end_ms):
                        raise ValueError(
                            f"{file.table_name}: window [{start_ms}, {end_ms}) partly overlaps "
                            f"the stored window [{start}, {end}); reload the whole of it"
                        )
                    con.execute(
                        queries.sql("store/delete_window"),
                        {**window, "window_start": start, "window_end": end},
                    )
                    con.execute(queries.sql("store/insert_retired"), {"path": old, "now": now})
                    retired.append((file.table_name, old, int(old_rows)))
                con.execute(
                    queries.sql("store/insert_window"),
                    {**window, "path": file.path, "rows": file.rows, "commit_id": commit_id},
                )
    return retired


@retried
def current_files(path: Path) -> dict[str, list[str]]:
    """Table name -> its current window files (org, then window order)."""
    if not path.exists():
        return {}
    with connect(path) as con:
        return current_files_in(con)


def current_files_in(con: sqlite3.Connection) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for table_name, file in con.execute(queries.sql("store/select_current_files")):
        files.setdefault(table_name, []).append(file)
    return files


@retried
def window_file(
    path: Path, table_name: str, org_id: str, start_ms: int, end_ms: int
) -> tuple[str, int] | None:
    """The current file of one window and its rows, or None if it was never landed."""
    if not path.exists():
        return None
    with connect(path) as con:
        row = con.execute(
            queries.sql("store/select_window"),
            {
                "table_name": table_name,
                "org_id": org_id,
                "window_start": start_ms,
                "window_end": end_ms,
            },
        ).fetchone()
    return (row[0], int(row[1])) if row else None


@retried
def snapshot(path: Path) -> tuple[int | None, dict[str, list[str]]]:
    """In one read transaction: the commit to publish (None: published already) and the
    current files."""
    with connect(path) as con:
        con.execute("BEGIN")
        try:
            return pending_commit(con), current_files_in(con)
        finally:
            con.execute("COMMIT")


@retried
def published(path: Path, commit_id: int | None, now: float, retired_before: float) -> list[str]:
    """Record ``commit_id`` as published; return the retired files whose grace is over, which
    the store forgets (the caller deletes them)."""
    with connect(path) as con:
        with _writing(con):
            if commit_id is not None:
                mark_published(con, commit_id, now)
            old = expired(con, retired_before)
            for file in old:
                forget_retired(con, file)
    return old


def pending_commit(con: sqlite3.Connection) -> int | None:
    """The newest commit if the published warehouse does not hold it yet, else None."""
    newest, published = con.execute(queries.sql("store/select_last_commit")).fetchone()
    return int(newest) if newest != published else None


def mark_published(con: sqlite3.Connection, commit_id: int, now: float) -> None:
    con.execute(queries.sql("store/upsert_published"), {"commit_id": commit_id, "now": now})


def expired(con: sqlite3.Connection, before: float) -> list[str]:
    """Retired files whose grace period ended before ``before`` (epoch seconds)."""
    return [p for (p,) in con.execute(queries.sql("store/select_expired"), {"before": before})]


def forget_retired(con: sqlite3.Connection, file: str) -> None:
    con.execute(queries.sql("store/delete_retired"), {"path": file})


@retried
def record_attempt(path: Path, row: Mapping[str, object]) -> None:
    """Insert or replace one extraction-log row (its own transaction; the next publish shows it)."""
    with connect(path) as con:
        with _writing(con):
            con.execute(queries.sql("store/upsert_extraction_log"), dict(row))
            con.execute(queries.sql("store/insert_commit"), {"now": time.time()})


@retried
def forget_lost(
    path: Path, existing: Callable[[list[str]], set[str]] | None = None
) -> list[tuple[str, str, int, int]]:
    """Forget every window one of whose current files is gone, with the other tables its commit
    made current; the (table, org id, start ms, end ms) forgotten. The next publish then lists
    only files that exist, and the windows are loaded again. ``existing`` says which of the
    stored files exist (``WarehousePaths.existing``: in the bucket too); default: on disk."""
    if not path.exists():
        return []
    forgotten: list[tuple[str, str, int, int]] = []
    with connect(path) as con:
        with _writing(con):
            rows = con.execute(queries.sql("store/select_window_files")).fetchall()
            files = [file for *_, file, _commit in rows]
            present = existing(files) if existing else {f for f in files if Path(f).exists()}
            lost = {commit for *_, file, commit in rows if file not in present}
            for table_name, org_id, start, end, _file, commit in rows:
                if commit in lost:
                    forgotten.append((table_name, org_id, int(start), int(end)))
            for commit in sorted(lost):
                con.execute(queries.sql("store/delete_commit_windows"), {"commit_id": commit})
            if lost:
                con.execute(queries.sql("store/insert_commit"), {"now": time.time()})
    return forgotten


@retried
def record_attempts(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    """Insert or replace several extraction-log rows in one transaction (all or none)."""
    with connect(path) as con:
        with _writing(con):
            for row in rows:
                con.execute(queries.sql("store/upsert_extraction_log"), dict(row))
            con.execute(queries.sql("store/insert_commit"), {"now": time.time()})


@retried
def replace_differences(
    path: Path, window: Mapping[str, object], rows: Sequence[Mapping[str, object]]
) -> None:
    """Replace one check's differences over an org and window, in one transaction."""
    with connect(path) as con:
        with _writing(con):
            con.execute(queries.sql("store/delete_cross_check_differences"), dict(window))
            for row in rows:
                con.execute(queries.sql("store/insert_cross_check_difference"), {**window, **row})
            con.execute(queries.sql("store/insert_commit"), {"now": time.time()})


_US = pa.timestamp("us", tz="UTC")
_MS = pa.timestamp("ms", tz="UTC")
OPS_SCHEMAS: dict[str, pa.Schema] = {
    "extraction_log": pa.schema(
        [
            ("asset", pa.string()),
            ("org_id", pa.string()),
            ("window_start", _MS),
            ("window_end", _MS),
            ("run_id", pa.string()),
            ("started", _US),
            ("finished", _US),
            ("status", pa.string()),
            ("pages", pa.int64()),
            ("requests", pa.int64()),
            ("retries", pa.int64()),
            ("rate_limited", pa.int64()),
            ("rows", pa.int64()),
            ("api_count", pa.int64()),
            ("error", pa.string()),
            ("org", pa.string()),
        ]
    ),
    "cross_check_differences": pa.schema(
        [
            ("check_name", pa.string()),
            ("org_id", pa.string()),
            ("window_start", _MS),
            ("window_end", _MS),
            ("queue_id", pa.string()),
            ("interval_start_time", _MS),
            ("figure", pa.string()),
            ("reporting_value", pa.int64()),
            ("search_value", pa.int64()),
            ("checked_at", _US),
        ]
    ),
}


@retried
def ops_tables(path: Path) -> dict[str, pa.Table]:
    """``ops.extraction_log`` and ``ops.cross_check_differences`` as Arrow tables (instants as
    UTC timestamps), empty when nothing was recorded yet."""
    out = {name: schema.empty_table() for name, schema in OPS_SCHEMAS.items()}
    if not path.exists():
        return out
    with reading(path) as con:
        for name, query in (
            ("extraction_log", "store/select_extraction_log"),
            ("cross_check_differences", "store/select_cross_check_differences"),
        ):
            rows = con.execute(queries.sql(query)).fetchall()
            schema = OPS_SCHEMAS[name]
            columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
            out[name] = pa.Table.from_arrays(
                [
                    pa.array(col, type=pa.int64()).cast(f.type)
                    if pa.types.is_timestamp(f.type)
                    else pa.array(col, type=f.type)
                    for col, f in zip(columns, schema, strict=True)
                ],
                schema=schema,
            )
    return out
