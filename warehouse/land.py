"""Landing a window: its files written and checked, made current all at once, then published.

Every table (the API families' and the analyst marts) lands through :func:`land_window` or
:func:`land_windows`:

1. the batches stream into one new version file per table (``warehouse.parquet``: memory stays
   at one row group however large the window; no lock, any number of processes at once);
2. each file is checked on its own, by an in-memory DuckDB reading it: every row the org's and
   in the window, no key column null, no key twice (the checks of ``warehouse.ddl``);
3. the window's files become current in one transaction of the window store
   (``warehouse.store``), so a publish sees a parent's window together with its children's;
4. the Hive tree's plain file names point at the new versions, and ``warehouse.publish``
   rewrites the small published file of views (O(files), not O(rows)).

A failure in 1 or 2 changes nothing current (the new files are removed); a failure after 3 leaves
the window landed and the next publish shows it. Re-running a window lands it again whole.

A record's window is fixed by its ``time_column`` (a task's creation, a session's start...), an
instant the API never changes for a record, so a record lands in one window only and a reload
replaces it there; no landing reads any other window.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from warehouse import ddl, duck, parquet, store
from warehouse.json_arrow import DecodedPage
from warehouse.normalize import records_to_batch
from warehouse.paths import WarehousePaths
from warehouse.schemas import Table

__all__ = ["LandResult", "WarehousePaths", "check_window_file", "land_window", "land_windows"]

log = logging.getLogger(__name__)


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
    batches: pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch],
    *,
    publish: bool = True,
) -> LandResult:
    """Land one window of ``table`` for ``org_id``, replacing what was there.

    Works for child tables too: their window is their inherited parent window column.
    """
    if isinstance(batches, pa.Table):
        batches = batches.to_batches()
    elif isinstance(batches, pa.RecordBatch):
        batches = [batches]
    return land_windows(paths, [table], org_id, start_ms, end_ms, batches, publish=publish)[table]


def land_windows(
    paths: WarehousePaths,
    tables: Sequence[Table],
    org_id: str,
    start_ms: int,
    end_ms: int,
    pages: Iterable[Sequence[dict[str, Any]] | pa.RecordBatch | DecodedPage],
    *,
    publish: bool = True,
) -> dict[Table, LandResult]:
    """Land one window of several tables fed by the same query pages, in one pass over the pages.

    ``tables`` are a parent and (some of) its child tables, all normalized from the parent query's
    records. A page may instead be a record batch already typed as the (only) table's schema
    (a CSV source parsed straight to Arrow), or a Search page decoded into Arrow for the first
    table, whose child tables' rows it derives (``warehouse.json_arrow``). With ``publish`` (the default) the published
    warehouse shows the window when this returns.

    Raises:
        ValueError: a row of another org or outside the window, a null or repeated key, or a
            window partly overlapping a landed one; nothing current changed then.
    """
    if len({t.qualified_name for t in tables}) != len(tables):
        raise ValueError("a table is listed twice")
    parquet.check_window_bounds(start_ms, end_ms)
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
            if isinstance(page, DecodedPage):
                # its table, then the child tables derived from its records (in that order,
                # as the dict path normalizes them, so a bad page fails alike)
                for writer in writers:
                    writer.write(page.to_batch(writer.table, org_id))
                continue
            for writer in writers:
                writer.write(records_to_batch(writer.table, page, org_id))
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    versions: list[Path] = []
    stored: list[str] = []
    committing = False
    try:
        for n, writer in enumerate(writers):
            try:
                versions.append(writer.commit())
            except BaseException:
                for later in writers[n + 1 :]:
                    later.abort()
                raise
        # The pages and row groups are freed; hand their memory back to the system before
        # DuckDB allocates its own for the checks (bench/README.md, issue 4).
        pa.default_memory_pool().release_unused()
        for writer, version in zip(writers, versions, strict=True):
            check_window_file(writer.table, version, org_id, start_ms, end_ms)
        # With object storage, every file is put whole before the store names any of them:
        # a window becomes current all at once, never with a file missing from the bucket.
        for version in versions:
            stored.append(paths.store_file(version))
        committing = True
        retired = store.commit_window(
            paths.store_path,
            org_id,
            start_ms,
            end_ms,
            [
                store.WindowFile(w.table.qualified_name, name, w.rows_written)
                for w, name in zip(writers, stored, strict=True)
            ],
        )
    except BaseException:
        if committing and _committed(paths, writers[0].table, org_id, start_ms, end_ms, stored):
            raise  # the window is current with these files: they stay
        for name in stored:
            if name not in map(str, versions):
                _delete_quietly(paths, name)
        for version in versions:
            version.unlink(missing_ok=True)
        raise
    results = {
        writer.table: LandResult(
            rows=writer.rows_written,
            rows_replaced=sum(
                rows for name, _, rows in retired if name == writer.table.qualified_name
            ),
            parquet_path=writer.link(),
        )
        for writer in writers
    }
    if publish:
        from warehouse.publish import publish as publish_now  # publish reads the catalog

        publish_now(paths)
    return results


def _committed(  # noqa: PLR0913
    paths: WarehousePaths, table: Table, org_id: str, start_ms: int, end_ms: int, stored: list[str]
) -> bool:
    """Whether the store made ``stored`` current although its commit raised: a Ctrl-C raises
    in whatever Python runs next, which can be just after SQLite's COMMIT. Deleting the files
    then would leave the window current with its files gone. Not known (the store cannot be
    read now): taken as committed, since a version file no commit names is only litter (no
    reader reads it), and a named one deleted is a window lost."""
    try:
        current = store.window_file(
            paths.store_path, table.qualified_name, org_id, start_ms, end_ms
        )
    except Exception:  # noqa: BLE001 - failing already: keep the files
        return True
    return current is not None and current[0] == stored[0]


def _delete_quietly(paths: WarehousePaths, stored: str) -> None:
    """An uploaded version no commit names (the landing failed after its put)."""
    try:
        paths.delete(stored)
    except OSError as exc:
        log.warning("could not delete the unused upload %s: %s", stored, exc)


# Version files (``warehouse.parquet``: ``*.parquet.v``, each written once under a name of its
# own, then never changed) that passed check_window_file in this process -> their rows. A load
# step checks each version before its commit and again in its ``unique_keys`` asset check: the
# second check of the same unchanged file (device, inode, size, change times: any write or
# replacement changes one) with the same arguments finds what the first did.
_PASSED: OrderedDict[tuple[object, ...], int] = OrderedDict()
_PASSED_MAX = 1024
_PASSED_LOCK = threading.Lock()


def check_window_file(table: Table, path: Path, org_id: str, start_ms: int, end_ms: int) -> int:
    """Check one window file on its own; return its rows.

    A version file this process checked already, unchanged since, is not read again.

    Raises:
        ValueError: a row of another org or outside ``[start_ms, end_ms)``, a null key column or
            window time, or a key twice (up to five repeated keys named).
    """
    passed = _passed_key(table, path, org_id, start_ms, end_ms)
    with _PASSED_LOCK:
        rows = _PASSED.get(passed) if passed else None
    if rows is not None:
        return rows
    rows = _check_window_file(table, path, org_id, start_ms, end_ms)
    if passed and passed == _passed_key(table, path, org_id, start_ms, end_ms):
        with _PASSED_LOCK:
            _PASSED[passed] = rows
            while len(_PASSED) > _PASSED_MAX:
                _PASSED.popitem(last=False)
    return rows


def _passed_key(
    table: Table, path: Path, org_id: str, start_ms: int, end_ms: int
) -> tuple[object, ...] | None:
    """What identifies a version file's check (None: not a version file, or no such file)."""
    if not str(path).endswith(".parquet.v"):
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (
        table.qualified_name,
        org_id,
        start_ms,
        end_ms,
        found.st_dev,
        found.st_ino,
        found.st_size,
        found.st_mtime_ns,
        found.st_ctime_ns,
    )


def _check_window_file(table: Table, path: Path, org_id: str, start_ms: int, end_ms: int) -> int:
    con = duck.scratch()
    try:
        found = con.execute(
            ddl.render_check_window(table), {"file": str(path), "org_id": org_id}
        ).fetchall()[0]
        rows, hashed_keys, other_org, null_time, lo, hi, *null_keys = found
        name = table.qualified_name
        if other_org:
            raise ValueError(f"{name}: rows of another org than {org_id!r}")
        if null_time:
            raise ValueError(f"{name}: {table.time_column} is null in some rows")
        if rows and (lo < start_ms or hi >= end_ms):
            raise ValueError(
                f"{name}: {table.time_column} spans [{lo}, {hi}] ms, outside the "
                f"window [{start_ms}, {end_ms})"
            )
        for column, nulls in zip(ddl.key_columns(table), null_keys, strict=True):
            if nulls:
                raise ValueError(f"{name}: key column {column} is null in some rows")
        if hashed_keys != rows:
            # Some keys share a hash: a key repeats (its hash always does) or, rarely, two keys
            # collide. The exact count tells which, so a collision never fails a good file.
            [(keys,)] = con.execute(ddl.render_distinct_keys(table), {"file": str(path)}).fetchall()
            if keys != rows:
                _raise_duplicates(con, table, path)
        return int(rows)
    finally:
        con.close()


def _raise_duplicates(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> None:
    key = ddl.key_columns(table)
    dupes = con.execute(ddl.render_duplicate_keys(table), {"file": str(path)}).fetchall()
    shown = [
        ", ".join(f"{k}={v!r}" for k, v in zip(key, row, strict=False)) + f" ({row[-2]} rows)"
        for row in dupes
    ]
    raise ValueError(
        f"{table.qualified_name}: {dupes[0][-1] if dupes else '?'} key(s) occur more than once "
        "in the data: " + "; ".join(shown)
    )
