"""Landing windows: versioned files checked on their own, made current at once, published."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.warehouse.factories import DAY0, DAY1, DAY_MS, HOUR_MS, ORG, OTHER_ORG, task_batch
from warehouse import parquet, store
from warehouse.duck import connect
from warehouse.land import WarehousePaths, land_window
from warehouse.publish import publish
from warehouse.schemas import TASK_DETAILS

T = TASK_DETAILS


@pytest.fixture
def paths(tmp_path: Path) -> WarehousePaths:
    return WarehousePaths(tmp_path / "data")


def _ids(paths: WarehousePaths, where: str = "true") -> list[str]:
    with connect(paths.published_path, read_only=True) as con:
        rows = con.execute(f"SELECT id FROM search.task_details WHERE {where} ORDER BY id")
        return [r[0] for r in rows.fetchall()]


def _versions(paths: WarehousePaths) -> list[Path]:
    return sorted(paths.parquet_root.rglob("*.parquet.v"))


def test_a_window_round_trips_every_column_and_twice_changes_nothing(
    paths: WarehousePaths,
) -> None:
    batch = task_batch([1, 2, 3])
    first = land_window(paths, T, ORG, DAY0, DAY1, batch)
    assert (first.rows, first.rows_replaced) == (3, 0)
    assert first.parquet_path == parquet.window_path(paths.parquet_root, T, ORG, DAY0, DAY1)
    with connect(paths.published_path, read_only=True) as con:
        loaded = con.sql("SELECT * FROM search.task_details ORDER BY id").to_arrow_table()
    assert loaded.cast(T.arrow).equals(pa.Table.from_batches([batch]).cast(T.arrow))
    again = land_window(paths, T, ORG, DAY0, DAY1, batch)
    assert (again.rows, again.rows_replaced) == (3, 3)
    with connect(paths.published_path, read_only=True) as con:
        assert con.sql("SELECT * FROM search.task_details ORDER BY id").to_arrow_table() == loaded
    # The Hive tree holds the window once, under its plain name, as the current version.
    assert sorted(paths.parquet_root.rglob("*.parquet")) == [first.parquet_path]
    assert pq.read_table(first.parquet_path).num_rows == 3


def test_a_reload_replaces_only_its_window(paths: WarehousePaths) -> None:
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([1, 2]))
    land_window(paths, T, ORG, DAY1, DAY1 + DAY_MS, task_batch([3], DAY1))
    land_window(paths, T, OTHER_ORG, DAY0, DAY1, task_batch([4], org=OTHER_ORG))
    result = land_window(paths, T, ORG, DAY0, DAY1, task_batch([2]))
    assert (result.rows, result.rows_replaced) == (1, 2)
    assert _ids(paths) == ["task-2", "task-3", "task-4"]
    assert land_window(paths, T, ORG, DAY0, DAY1, []).rows == 0  # an empty window empties it
    assert _ids(paths) == ["task-3", "task-4"]


def _one() -> dict[str, list[Any]]:
    return pa.Table.from_batches([task_batch([1])]).to_pydict()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (lambda: task_batch([1], org=OTHER_ORG), "rows of another org"),
        (lambda: task_batch([1, 2], DAY1), r"created_time spans \[.*\] ms, outside the window"),
        (
            lambda: pa.table({n: [None] if n == "id" else c for n, c in _one().items()}, T.arrow),
            "key column id is null",
        ),
        (
            lambda: pa.Table.from_batches([task_batch([5, 6]), task_batch([5], DAY0 + HOUR_MS)]),
            r"1 key\(s\) occur more than once.*id='task-5' \(2 rows\)",
        ),
    ],
    ids=["other org", "outside the window", "null key", "duplicate key"],
)
def test_bad_rows_are_refused_and_nothing_changes(
    paths: WarehousePaths, rows: Any, message: str
) -> None:
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([1]))
    before = (_versions(paths), store.current_files(paths.store_path))
    with pytest.raises(ValueError, match=message):
        land_window(paths, T, ORG, DAY0, DAY1, rows())
    assert (_versions(paths), store.current_files(paths.store_path)) == before
    assert _ids(paths) == ["task-1"]


class _InterruptedAfterCommit:
    """A store connection on which a Ctrl-C arrives just after SQLite's COMMIT returns (it
    raises in whatever Python runs next)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: Any) -> Any:
        done = self._con.execute(sql, *args)
        if sql == "COMMIT":
            raise KeyboardInterrupt
        return done


def test_a_ctrl_c_just_after_the_store_commits_keeps_the_window_and_its_files(
    paths: WarehousePaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([1]))
    real = store.connect

    @contextmanager
    def interrupted(path: Path) -> Iterator[Any]:
        with real(path) as con:
            yield _InterruptedAfterCommit(con)

    monkeypatch.setattr(store, "connect", interrupted)
    with pytest.raises(KeyboardInterrupt):  # the interruption, not "no transaction is active"
        land_window(paths, T, ORG, DAY0, DAY1, task_batch([1, 2]), publish=False)
    monkeypatch.setattr(store, "connect", real)
    current = store.current_files(paths.store_path)[T.qualified_name]
    assert [Path(f).exists() for f in current] == [True]  # current, and on disk
    publish(paths)
    assert _ids(paths) == ["task-1", "task-2"]


def test_a_file_is_checked_by_duckdb_reading_it(paths: WarehousePaths, tmp_path: Path) -> None:
    # Rows the writer would refuse, written as is: the file check alone finds them.
    from warehouse.land import check_window_file

    path = tmp_path / "w.parquet"
    pq.write_table(pa.Table.from_batches([task_batch([5, 5])]), path)
    with pytest.raises(ValueError, match=r"id='task-5' \(2 rows\)"):
        check_window_file(T, path, ORG, DAY0, DAY1)
    with pytest.raises(ValueError, match="rows of another org"):
        check_window_file(T, path, OTHER_ORG, DAY0, DAY1)


def test_keys_sharing_a_hash_pass_and_a_repeated_key_still_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keys hashed into two values: four different keys collide, which only the exact distinct
    # count run then tells from a repeated key.
    from warehouse import ddl
    from warehouse.land import check_window_file

    monkeypatch.setattr(ddl, "KEY_HASH", "hash({key}) % 2")
    good, bad = tmp_path / "good.parquet", tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_batches([task_batch([1, 2, 3, 4])]), good)
    pq.write_table(pa.Table.from_batches([task_batch([1, 2, 3, 3])]), bad)
    assert check_window_file(T, good, ORG, DAY0, DAY1) == 4
    with pytest.raises(
        ValueError, match=r"1 key\(s\) occur more than once.*id='task-3' \(2 rows\)"
    ):
        check_window_file(T, bad, ORG, DAY0, DAY1)


def test_a_version_file_checked_once_is_not_read_again_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import land

    reads: list[Path] = []
    check = land._check_window_file

    def counted(table: Any, path: Path, *args: Any) -> int:
        reads.append(path)
        return check(table, path, *args)

    monkeypatch.setattr(land, "_check_window_file", counted)
    version = tmp_path / "window=1-2~0001-abcd.parquet.v"
    pq.write_table(pa.Table.from_batches([task_batch([1, 2])]), version)
    assert land.check_window_file(T, version, ORG, DAY0, DAY1) == 2
    assert land.check_window_file(T, version, ORG, DAY0, DAY1) == 2
    assert len(reads) == 1
    with pytest.raises(ValueError, match="rows of another org"):  # other arguments: read again
        land.check_window_file(T, version, OTHER_ORG, DAY0, DAY1)
    # Changed in place (stamped a second later: within one tick of the kernel's clock a write
    # of the same size is not seen, and no writer writes a version twice), or replaced by
    # another file: read again, and refused.
    stamped = version.stat().st_mtime_ns
    with open(version, "r+b") as changed:
        changed.seek(-4, os.SEEK_END)
        changed.write(b"XXXX")  # the footer's magic
    os.utime(version, ns=(stamped + 10**9, stamped + 10**9))
    with pytest.raises(duckdb.Error, match="(?i)magic"):
        land.check_window_file(T, version, ORG, DAY0, DAY1)
    replacement = tmp_path / "new.parquet"
    pq.write_table(pa.Table.from_batches([task_batch([1, 2, 2])]), replacement)
    replacement.replace(version)
    with pytest.raises(ValueError, match=r"id='task-2' \(2 rows\)"):
        land.check_window_file(T, version, ORG, DAY0, DAY1)
    # A plain file (not a version, which no writer changes) is read every time.
    plain = tmp_path / "w.parquet"
    pq.write_table(pa.Table.from_batches([task_batch([1])]), plain)
    assert [land.check_window_file(T, plain, ORG, DAY0, DAY1) for _ in "ab"] == [1, 1]
    assert len(reads) == 6


def test_a_daily_window_replaces_the_hours_it_covers_and_partial_overlaps_are_refused(
    paths: WarehousePaths,
) -> None:
    land_window(paths, T, ORG, DAY0, DAY0 + HOUR_MS, task_batch([1]))
    land_window(paths, T, ORG, DAY0 + HOUR_MS, DAY0 + 2 * HOUR_MS, task_batch([2], DAY0 + HOUR_MS))
    result = land_window(paths, T, ORG, DAY0, DAY1, task_batch([3, 4]))
    assert result.rows_replaced == 2
    assert _ids(paths) == ["task-3", "task-4"]
    assert sorted(paths.parquet_root.rglob("*.parquet")) == [result.parquet_path]
    with pytest.raises(ValueError, match="partly overlaps"):
        land_window(paths, T, ORG, DAY0 + HOUR_MS // 2, DAY0 + HOUR_MS, [])


def test_a_reader_of_an_older_publish_keeps_its_snapshot(paths: WarehousePaths) -> None:
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([1, 2]))
    with connect(paths.published_path, read_only=True) as old:
        land_window(paths, T, ORG, DAY0, DAY1, task_batch([3]))
        # The old file still names the old version, which the grace period keeps.
        rows = old.execute("SELECT id FROM search.task_details ORDER BY id").fetchall()
    assert rows == [("task-1",), ("task-2",)]
    assert _ids(paths) == ["task-3"]


def test_replaced_versions_are_deleted_after_the_grace_period(paths: WarehousePaths) -> None:
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([1]))
    first = _versions(paths)
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([2]))
    assert len(_versions(paths)) == 2
    publish(paths, now=4_000_000_000.0, grace_seconds=3600)  # far later: the grace is over
    assert _versions(paths) != first and len(_versions(paths)) == 1
    assert _ids(paths) == ["task-2"]


def test_the_published_file_holds_no_rows(paths: WarehousePaths) -> None:
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([1]))
    small = paths.published_path.stat().st_size
    land_window(paths, T, ORG, DAY1, DAY1 + DAY_MS, task_batch(list(range(5000)), DAY1, 1000))
    # A publish copies the previous file and replaces the views that changed: DuckDB reuses
    # the blocks they freed, so the file stays within twice a fresh one, whatever the rows.
    assert paths.published_path.stat().st_size <= 2 * small + 64 * 1024
    assert len(_ids(paths)) == 5001
    for day in range(2, 8):
        start = DAY0 + day * DAY_MS
        land_window(paths, T, ORG, start, start + DAY_MS, task_batch([10_000 + day], start))
        assert paths.published_path.stat().st_size <= 2 * small + 64 * 1024
    assert len(_ids(paths)) == 5007


def test_a_publish_replaces_only_the_views_whose_files_changed(paths: WarehousePaths) -> None:
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([1]))
    state = json.loads(paths.published_state_path.read_text())
    land_window(paths, T, ORG, DAY1, DAY1 + DAY_MS, task_batch([2], DAY1))
    after = json.loads(paths.published_state_path.read_text())
    changed = {n for n in after["views"] if after["views"][n] != state["views"][n]}
    assert changed == {"search.task_details"}
    assert _ids(paths) == ["task-1", "task-2"]
    with connect(paths.published_path, read_only=True) as con:
        [(comment,)] = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE schema_name = 'search' "
            "AND table_name = 'task_details' AND column_name = 'id'"
        ).fetchall()
    assert comment  # the replaced view is commented again

    # A published file that is not the one the state describes is written whole again.
    paths.published_path.unlink()
    publish(paths)
    assert _ids(paths) == ["task-1", "task-2"]
    paths.published_state_path.write_text("not json")
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([3]))
    assert _ids(paths) == ["task-2", "task-3"]


def _land_day(args: tuple[str, int]) -> int:
    data_dir, day = args
    start = DAY0 + day * DAY_MS
    ids = [day * 100 + i for i in range(50)]
    return land_window(
        WarehousePaths(Path(data_dir)), T, ORG, start, start + DAY_MS, task_batch(ids, start)
    ).rows


def test_processes_land_windows_at_once(paths: WarehousePaths) -> None:
    pool = multiprocessing.get_context("spawn").Pool(4)
    try:
        rows = pool.map(_land_day, [(str(paths.data_dir), d) for d in range(8)])
    finally:
        # Workers told to finish and waited for, not terminated: the pool's own exit sends
        # SIGTERM and joins, which hung once for 300 s in CI (a worker never reaped).
        pool.close()
        pool.join()
    assert rows == [50] * 8
    assert len(store.current_files(paths.store_path)["search.task_details"]) == 8
    with connect(paths.published_path, read_only=True) as con:
        assert con.execute(
            "SELECT count(*), count(DISTINCT id) FROM search.task_details"
        ).fetchall() == [(400, 400)]


def test_the_writer_bounds_its_buffer_by_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = [task_batch([i], DAY0 + i) for i in range(6)]
    monkeypatch.setattr(parquet, "ROW_GROUP_BYTES", batches[0].nbytes * 2)
    path = parquet.write_window(tmp_path, T, ORG, DAY0, DAY1, batches)
    metadata = pq.read_metadata(path)
    assert metadata.num_rows == 6
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2, 2, 2]
