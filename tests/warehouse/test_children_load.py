"""Child tables in DuckDB and Parquet: idempotent window loads, parents and children landed together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

import queries
from tests.warehouse.factories import DAY0, DAY1, DAY_MS, ORG, session_record, task_record
from warehouse import ddl, parquet
from warehouse.duck import connect, create_tables, load_window, load_windows
from warehouse.land import WarehousePaths, land_window, land_windows
from warehouse.normalize import NormalizeError, records_to_batch
from warehouse.schemas import (
    AGENT_ACTIVITY,
    AGENT_SESSION,
    AGENT_SESSION_CHANNEL,
    TABLES,
    TASK_ACTIVITY,
    TASK_DETAILS,
    Table,
)

SESSION_TABLES = [AGENT_SESSION, AGENT_SESSION_CHANNEL, AGENT_ACTIVITY]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "warehouse.duckdb")
    create_tables(connection, TABLES.values())
    yield connection
    connection.close()


def _rows(con: duckdb.DuckDBPyConnection, table: Table) -> list[tuple[Any, ...]]:
    key = ", ".join(["org_id", *table.key])
    return con.execute(f"SELECT * FROM {table.qualified_name} ORDER BY {key}").fetchall()


def _counts(con: duckdb.DuckDBPyConnection, table: Table) -> tuple[int, int]:
    key = ", ".join(["org_id", *table.key])
    row = con.execute(
        f"SELECT count(*), count(DISTINCT ({key})) FROM {table.qualified_name}"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def _activities(records: list[dict[str, Any]]) -> pa.RecordBatch:
    return records_to_batch(TASK_ACTIVITY, records, ORG)


def test_child_delete_uses_the_inherited_window_and_the_parent_key() -> None:
    text = ddl.render_delete_window(TASK_ACTIVITY)
    assert "target.task_created_time >= $window_start" in text
    assert "WHERE staged.org_id = target.org_id AND staged.task_id = target.task_id\n" in text
    assert "staged.id" not in text
    assert ddl.replaced_by(AGENT_ACTIVITY) == ["org_id", "agent_session_id"]
    assert ddl.replaced_by(TASK_DETAILS) == ["org_id", "id"]


def test_loading_a_child_window_twice_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    tasks = [task_record(i, activities=3, created_ms=DAY0 + i * 60_000) for i in range(5)]
    first = load_window(con, TASK_ACTIVITY, ORG, DAY0, DAY1, _activities(tasks))
    before = _rows(con, TASK_ACTIVITY)
    second = load_window(con, TASK_ACTIVITY, ORG, DAY0, DAY1, _activities(tasks))
    assert (first.rows_inserted, first.rows_deleted) == (15, 0)
    assert (second.rows_inserted, second.rows_deleted) == (15, 15)
    assert _rows(con, TASK_ACTIVITY) == before
    assert _counts(con, TASK_ACTIVITY) == (15, 15)


def test_a_reload_drops_children_a_task_no_longer_has_and_keeps_other_windows(
    con: duckdb.DuckDBPyConnection,
) -> None:
    day0 = [task_record(i, activities=3, created_ms=DAY0 + i) for i in range(3)]
    day1 = [task_record(10 + i, activities=2, created_ms=DAY1 + i) for i in range(2)]
    load_window(con, TASK_ACTIVITY, ORG, DAY0, DAY1, _activities(day0))
    load_window(con, TASK_ACTIVITY, ORG, DAY1, DAY1 + DAY_MS, _activities(day1))
    day0[1]["activities"]["nodes"].pop()  # task-1 now has 2 activities
    day0[2]["activities"] = None  # task-2 has none
    result = load_window(con, TASK_ACTIVITY, ORG, DAY0, DAY1, _activities(day0))
    assert (result.rows_deleted, result.rows_inserted) == (9, 5)
    per_task = con.execute(
        "SELECT task_id, count(*) FROM search.task_activity GROUP BY task_id ORDER BY task_id"
    ).fetchall()
    assert per_task == [("task-0", 3), ("task-1", 2), ("task-10", 2), ("task-11", 2)]


def test_a_task_reloaded_under_another_window_replaces_all_its_older_children(
    con: duckdb.DuckDBPyConnection,
) -> None:
    old = task_record(1, activities=3, created_ms=DAY1 - 1)
    load_window(con, TASK_ACTIVITY, ORG, DAY0, DAY1, _activities([old]))
    # The same task, found again in the next window with one (differently named) activity.
    moved = task_record(1, activities=1, created_ms=DAY1)
    result = load_window(con, TASK_ACTIVITY, ORG, DAY1, DAY1 + DAY_MS, _activities([moved]))
    assert (result.rows_deleted, result.rows_inserted) == (3, 1)
    ids = con.execute("SELECT id FROM search.task_activity").fetchall()
    assert ids == [(moved["activities"]["nodes"][0]["id"],)]


def test_child_rows_outside_the_inherited_window_are_refused(
    con: duckdb.DuckDBPyConnection,
) -> None:
    batch = _activities([task_record(1, created_ms=DAY1)])
    with pytest.raises(ValueError, match="task_created_time spans"):
        load_window(con, TASK_ACTIVITY, ORG, DAY0, DAY1, batch)


def test_a_parent_and_its_children_load_in_one_transaction(
    con: duckdb.DuckDBPyConnection,
) -> None:
    records = [session_record(i, channels=2, activities=3, start_ms=DAY0 + i) for i in range(4)]
    data = {t: records_to_batch(t, records, ORG) for t in SESSION_TABLES}
    results = load_windows(con, ORG, DAY0, DAY1, data)
    assert {t.name: r.rows_inserted for t, r in results.items()} == {
        "agent_session": 4,
        "agent_session_channel": 8,
        "agent_activity": 24,
    }
    before = {t.name: _rows(con, t) for t in SESSION_TABLES}
    again = load_windows(con, ORG, DAY0, DAY1, data)
    assert {t.name: r.rows_deleted for t, r in again.items()} == {
        "agent_session": 4,
        "agent_session_channel": 8,
        "agent_activity": 24,
    }
    assert {t.name: _rows(con, t) for t in SESSION_TABLES} == before
    for table in SESSION_TABLES:
        count, distinct = _counts(con, table)
        assert count == distinct
    # A duplicate key in one child table refuses the whole load: nothing changes.
    records[0]["channelInfo"][1]["channelId"] = records[0]["channelInfo"][0]["channelId"]
    bad = {t: records_to_batch(t, records, ORG) for t in SESSION_TABLES}
    with pytest.raises(ValueError, match="agent_session_channel: 1 key"):
        load_windows(con, ORG, DAY0, DAY1, bad)
    assert {t.name: _rows(con, t) for t in SESSION_TABLES} == before


def test_a_failing_child_insert_rolls_back_the_parent_too(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [session_record(1)]
    data = {t: records_to_batch(t, records, ORG) for t in SESSION_TABLES}
    load_windows(con, ORG, DAY0, DAY1, data)
    before = {t.name: _rows(con, t) for t in SESSION_TABLES}
    real_sql = queries.sql

    def broken(name: str) -> str:
        if name == ddl.insert_query(AGENT_ACTIVITY):
            return "INSERT INTO search.agent_activity (org_id) VALUES (NULL)"
        return real_sql(name)

    monkeypatch.setattr("warehouse.duck.queries.sql", broken)
    with pytest.raises(duckdb.Error):
        load_windows(con, ORG, DAY0, DAY1, data)
    assert {t.name: _rows(con, t) for t in SESSION_TABLES} == before


def _pages(records: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(records), size):
        yield records[i : i + size]


def test_land_windows_lands_a_parent_and_its_children_from_the_same_pages(
    tmp_path: Path,
) -> None:
    paths = WarehousePaths(tmp_path / "data")
    records = [session_record(i, channels=2, activities=2, start_ms=DAY0 + i) for i in range(7)]
    results = land_windows(paths, SESSION_TABLES, ORG, DAY0, DAY1, _pages(records, 3))
    assert {t.name: r.rows for t, r in results.items()} == {
        "agent_session": 7,
        "agent_session_channel": 14,
        "agent_activity": 28,
    }
    for table, result in results.items():
        assert result.parquet_path == parquet.window_path(
            paths.parquet_root, table, ORG, DAY0, DAY1
        )
        assert parquet.read_window(paths.parquet_root, table, ORG, DAY0, DAY1).num_rows == (
            result.rows
        )
    con = connect(paths.duckdb_path, read_only=True)
    before = {t.name: _rows(con, t) for t in SESSION_TABLES}
    con.close()
    again = land_windows(paths, SESSION_TABLES, ORG, DAY0, DAY1, _pages(records, 5))
    assert {t.name: r.rows_replaced for t, r in again.items()} == {
        "agent_session": 7,
        "agent_session_channel": 14,
        "agent_activity": 28,
    }
    con = connect(paths.duckdb_path, read_only=True)
    assert {t.name: _rows(con, t) for t in SESSION_TABLES} == before
    con.close()


def test_a_bad_page_lands_nothing_in_any_table(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path / "data")
    records = [session_record(i, start_ms=DAY0 + i) for i in range(4)]
    land_windows(paths, SESSION_TABLES, ORG, DAY0, DAY1, _pages(records, 2))
    files = {p: p.read_bytes() for p in paths.parquet_root.rglob("*") if p.is_file()}
    broken = [session_record(i, start_ms=DAY0 + i) for i in range(4)]
    broken[3]["channelInfo"][0]["activities"]["nodes"][0]["duration"] = "soon"
    with pytest.raises(NormalizeError, match="agent_activity: column duration"):
        land_windows(paths, SESSION_TABLES, ORG, DAY0, DAY1, _pages(broken, 2))
    assert {p: p.read_bytes() for p in paths.parquet_root.rglob("*") if p.is_file()} == files


def test_land_window_lands_a_child_table_alone(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path / "data")
    tasks = [task_record(i, activities=2, created_ms=DAY0 + i) for i in range(3)]
    result = land_window(paths, TASK_ACTIVITY, ORG, DAY0, DAY1, [_activities(tasks)])
    assert (result.rows, result.rows_replaced) == (6, 0)
    again = land_window(paths, TASK_ACTIVITY, ORG, DAY0, DAY1, [_activities(tasks)])
    assert (again.rows, again.rows_replaced) == (6, 6)
    con = connect(paths.duckdb_path, read_only=True)
    assert _counts(con, TASK_ACTIVITY) == (6, 6)
    con.close()


def test_land_windows_refuses_a_table_listed_twice(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="listed twice"):
        land_windows(WarehousePaths(tmp_path), [AGENT_SESSION, AGENT_SESSION], ORG, DAY0, DAY1, [])
