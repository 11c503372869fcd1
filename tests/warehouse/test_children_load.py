"""Child tables: idempotent window loads, parents and children landed and published together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from tests.warehouse.factories import DAY0, DAY1, DAY_MS, ORG, session_record, task_record
from warehouse import parquet, store
from warehouse.duck import connect
from warehouse.land import WarehousePaths, land_window, land_windows
from warehouse.normalize import NormalizeError, records_to_batch
from warehouse.publish import publish
from warehouse.schemas import (
    AGENT_ACTIVITY,
    AGENT_SESSION,
    AGENT_SESSION_CHANNEL,
    TASK_ACTIVITY,
    Table,
)

SESSION_TABLES = [AGENT_SESSION, AGENT_SESSION_CHANNEL, AGENT_ACTIVITY]


def _con(paths: WarehousePaths) -> duckdb.DuckDBPyConnection:
    return connect(paths.published_path, read_only=True)


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


def test_a_reload_drops_children_a_task_no_longer_has_and_keeps_other_windows(
    tmp_path: Path,
) -> None:
    paths = WarehousePaths(tmp_path / "data")
    day0 = [task_record(i, activities=3, created_ms=DAY0 + i) for i in range(3)]
    day1 = [task_record(10 + i, activities=2, created_ms=DAY1 + i) for i in range(2)]
    land_window(paths, TASK_ACTIVITY, ORG, DAY0, DAY1, _activities(day0))
    land_window(paths, TASK_ACTIVITY, ORG, DAY1, DAY1 + DAY_MS, _activities(day1))
    fewer = [task_record(i, activities=2, created_ms=DAY0 + i) for i in range(2)]
    result = land_window(paths, TASK_ACTIVITY, ORG, DAY0, DAY1, _activities(fewer))
    assert (result.rows, result.rows_replaced) == (4, 9)
    with _con(paths) as con:
        per_task = con.execute(
            "SELECT task_id, count(*) FROM search.task_activity GROUP BY task_id ORDER BY task_id"
        ).fetchall()
    assert per_task == [("task-0", 2), ("task-1", 2), ("task-10", 2), ("task-11", 2)]


def test_child_rows_outside_the_inherited_window_are_refused(tmp_path: Path) -> None:
    batch = _activities([task_record(1, created_ms=DAY1)])
    with pytest.raises(ValueError, match="task_created_time spans"):
        land_window(WarehousePaths(tmp_path), TASK_ACTIVITY, ORG, DAY0, DAY1, batch)


def test_a_duplicate_child_key_refuses_the_parent_and_every_child(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path / "data")
    records = [session_record(i, start_ms=DAY0 + i) for i in range(4)]
    land_windows(paths, SESSION_TABLES, ORG, DAY0, DAY1, [records])
    with _con(paths) as con:
        before = {t.name: _rows(con, t) for t in SESSION_TABLES}
    records[0]["channelInfo"][1]["channelId"] = records[0]["channelInfo"][0]["channelId"]
    with pytest.raises(ValueError, match="agent_session_channel: 1 key"):
        land_windows(paths, SESSION_TABLES, ORG, DAY0, DAY1, [records])
    with _con(paths) as con:
        assert {t.name: _rows(con, t) for t in SESSION_TABLES} == before
        for table in SESSION_TABLES:
            count, distinct = _counts(con, table)
            assert count == distinct


def test_a_parent_window_is_never_published_without_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A publish racing a landing sees the store before or after the window's one commit.
    paths = WarehousePaths(tmp_path / "data")
    records = [session_record(i, start_ms=DAY0 + i) for i in range(3)]
    land_windows(paths, SESSION_TABLES, ORG, DAY0, DAY1, [records])
    seen: list[dict[str, int]] = []
    real = store.commit_window

    def commit_and_publish_between(*args: Any, **kwargs: Any) -> Any:
        publish(paths)  # just before the commit
        with _con(paths) as con:
            seen.append({t.name: _counts(con, t)[0] for t in SESSION_TABLES})
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "commit_window", commit_and_publish_between)
    more = [session_record(i, start_ms=DAY0 + i) for i in range(5)]
    land_windows(paths, SESSION_TABLES, ORG, DAY0, DAY1, [more])
    with _con(paths) as con:
        seen.append({t.name: _counts(con, t)[0] for t in SESSION_TABLES})
    assert seen == [
        {"agent_session": 3, "agent_session_channel": 6, "agent_activity": 12},
        {"agent_session": 5, "agent_session_channel": 10, "agent_activity": 20},
    ]


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
