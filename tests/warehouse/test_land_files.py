"""Loading window files: DuckDB reads them itself, checks them in SQL, under a memory limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.warehouse.factories import DAY0, DAY1, HOUR_MS, ORG, OTHER_ORG, task_batch
from warehouse import duck, parquet
from warehouse.duck import LoadResult, connect, create_tables, load_window_files
from warehouse.land import WarehousePaths, land_window
from warehouse.schemas import TASK_DETAILS

T = TASK_DETAILS


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    # As a window load connects.
    connection = connect(tmp_path / "warehouse.duckdb", memory_limit=duck.configured_memory_limit())
    create_tables(connection, [T])
    yield connection
    connection.close()


def _file(tmp_path: Path, data: pa.Table | pa.RecordBatch, name: str = "w.parquet") -> Path:
    """A window file written as is (the writer would refuse some of these rows)."""
    path = tmp_path / name
    table = data if isinstance(data, pa.Table) else pa.Table.from_batches([data])
    pq.write_table(table, path)
    return path


def _ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT id FROM search.task_details ORDER BY id").fetchall()
    return [r[0] for r in rows]


def _views(con: duckdb.DuckDBPyConnection) -> list[Any]:
    return con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()


def test_a_file_loads_like_its_rows_and_twice_changes_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = _file(tmp_path, task_batch([1, 2, 3]))
    assert load_window_files(con, ORG, DAY0, DAY1, {T: path}) == {T: LoadResult(0, 3)}
    first = con.sql("SELECT * FROM search.task_details ORDER BY id").to_arrow_table()
    assert first.cast(T.arrow).equals(pq.read_table(path, schema=T.arrow))
    assert load_window_files(con, ORG, DAY0, DAY1, {T: path}) == {T: LoadResult(3, 3)}
    assert con.sql("SELECT * FROM search.task_details ORDER BY id").to_arrow_table() == first
    assert _views(con) == []


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
    con: duckdb.DuckDBPyConnection, tmp_path: Path, rows: Any, message: str
) -> None:
    load_window_files(con, ORG, DAY0, DAY1, {T: _file(tmp_path, task_batch([1]), "old.parquet")})
    with pytest.raises(ValueError, match=message):
        load_window_files(con, ORG, DAY0, DAY1, {T: _file(tmp_path, rows())})
    assert _ids(con) == ["task-1"]
    assert _views(con) == []
    # The connection is usable afterwards.
    again = load_window_files(con, ORG, DAY0, DAY1, {T: _file(tmp_path, task_batch([2]), "x")})
    assert again == {T: LoadResult(1, 1)}


def _one() -> dict[str, list[Any]]:
    return pa.Table.from_batches([task_batch([1])]).to_pydict()


def test_a_file_of_another_schema_is_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    batch = task_batch([1])
    renamed = batch.rename_columns([*batch.schema.names[:-1], "other"])
    with pytest.raises(ValueError, match="has another schema than the table's"):
        load_window_files(con, ORG, DAY0, DAY1, {T: _file(tmp_path, renamed)})


def test_a_load_over_the_memory_limit_is_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with connect(path) as con:
        create_tables(con, [T])
        load_window_files(con, ORG, DAY0, DAY1, {T: _file(tmp_path, task_batch([1]), "a")})
    big = _file(tmp_path, task_batch(list(range(3000)), step_ms=1000))
    with connect(path, memory_limit=1_000_000) as con, pytest.raises(duck.LoadOutOfMemory):
        load_window_files(con, ORG, DAY0, DAY1, {T: big})
    with connect(path) as con:
        assert _ids(con) == ["task-1"]
        # Nothing of the failed load is left behind: the same keys load now.
        assert load_window_files(con, ORG, DAY0, DAY1, {T: big}) == {T: LoadResult(1, 3000)}


def test_land_retries_a_load_out_of_memory_with_twice_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(duck.MEMORY_LIMIT_ENV, "50MB")
    limits: list[int | None] = []
    real_connect, real_load = duck.connect, duck.load_window_files

    def connect_(path: Path, read_only: bool = False, *, memory_limit: int | None = None) -> Any:
        limits.append(memory_limit)
        return real_connect(path, read_only, memory_limit=memory_limit)

    def load(*args: Any) -> Any:
        if len(limits) < 3:
            raise duck.LoadOutOfMemory("the load needs more memory")
        return real_load(*args)

    monkeypatch.setattr(duck, "connect", connect_)
    monkeypatch.setattr(duck, "load_window_files", load)
    paths = WarehousePaths(tmp_path)
    assert land_window(paths, T, ORG, DAY0, DAY1, [task_batch([1, 2])]).rows == 2
    assert limits == [50_000_000, 100_000_000, 200_000_000]
    # Beyond MEMORY_LIMIT_GROWTH times the configured limit it gives up.
    limits.clear()
    monkeypatch.setattr(duck, "MEMORY_LIMIT_GROWTH", 2)
    with pytest.raises(duck.LoadOutOfMemory):
        land_window(paths, T, ORG, DAY0, DAY1, [task_batch([1, 2])])
    assert limits == [50_000_000, 100_000_000]


def test_writer_connections_bound_their_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def settings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        names = ["memory_limit", "threads", "preserve_insertion_order", "temp_directory"]
        rows = con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE list_contains($names, name)",
            {"names": names},
        ).fetchall()
        return dict(rows)

    path = tmp_path / "w.duckdb"
    with connect(path, memory_limit=duck.configured_memory_limit()) as con:
        assert settings(con) == {
            "memory_limit": "61.0 MiB",  # DEFAULT_MEMORY_LIMIT, 64 MB
            "threads": "1",
            "preserve_insertion_order": "false",
            "temp_directory": f"{path}.tmp",
        }
        assert con.execute("SELECT current_database()").fetchall() == [("warehouse",)]
        assert duck.storage_version(con) == "v1.0.0+"
    monkeypatch.setenv(duck.MEMORY_LIMIT_ENV, "1GiB")
    monkeypatch.setenv(duck.THREADS_ENV, "2")
    with connect(path, memory_limit=duck.configured_memory_limit()) as con:
        assert settings(con)["memory_limit"] == "1.0 GiB"
        assert settings(con)["threads"] == "2"
    # Other writers (publishing, the extraction log) and readers keep DuckDB's defaults.
    with connect(path) as con:
        assert settings(con)["preserve_insertion_order"] == "true"
        assert settings(con)["memory_limit"] != "1.0 GiB"
        assert con.execute("SELECT current_database()").fetchall() == [("warehouse",)]
    with connect(path, read_only=True) as reader:
        assert settings(reader)["preserve_insertion_order"] == "true"
    monkeypatch.setenv(duck.MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match="WXCC_DUCKDB_MEMORY_LIMIT='lots' is not a size"):
        duck.configured_memory_limit()


def test_the_commit_runs_without_the_limit_which_is_restored(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_commit = duckdb.DuckDBPyConnection.commit

    def commit(self: duckdb.DuckDBPyConnection) -> Any:
        seen.append(self.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        return real_commit(self)

    monkeypatch.setattr(duckdb.DuckDBPyConnection, "commit", commit)
    load_window_files(con, ORG, DAY0, DAY1, {T: _file(tmp_path, task_batch([1]))})
    assert seen and seen[0] != "61.0 MiB"
    assert con.execute("SELECT current_setting('memory_limit')").fetchall() == [("61.0 MiB",)]


def test_the_writer_bounds_its_buffer_by_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = [task_batch([i], DAY0 + i) for i in range(6)]
    monkeypatch.setattr(parquet, "ROW_GROUP_BYTES", batches[0].nbytes * 2)
    path = parquet.write_window(tmp_path, T, ORG, DAY0, DAY1, batches)
    metadata = pq.read_metadata(path)
    assert metadata.num_rows == 6
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2, 2, 2]


def test_land_loads_the_file_it_wrote(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path)
    result = land_window(paths, T, ORG, DAY0, DAY1, [task_batch([1, 2]), task_batch([3])])
    assert (result.rows, result.rows_replaced) == (3, 0)
    assert pq.read_metadata(result.parquet_path).num_rows == 3
    with connect(paths.duckdb_path) as con:
        assert _ids(con) == ["task-1", "task-2", "task-3"]
        assert _views(con) == []
