"""The DuckDB warehouse: DDL against the schemas, idempotent window loads, rollback, BI reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import sqlalchemy as sa

import queries
from tests.warehouse.factories import DAY0, DAY1, DAY_MS, HOUR_MS, ORG, OTHER_ORG, task_batch
from warehouse import ddl
from warehouse.catalog import TABLES
from warehouse.duck import LoadResult, connect, create_tables, load_window, storage_version
from warehouse.schemas import TASK_DETAILS, Table

T = TASK_DETAILS
ALL = list(TABLES.values())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(db_path)
    create_tables(connection, ALL)
    yield connection
    connection.close()


def _rows(con: duckdb.DuckDBPyConnection, org: str = ORG) -> pa.Table:
    return con.sql(
        "SELECT * FROM search.task_details WHERE org_id = ? ORDER BY id", params=[org]
    ).to_arrow_table()


def _count(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    rows = con.execute(
        "SELECT count(*), count(DISTINCT (org_id, id)) FROM search.task_details"
    ).fetchall()
    return rows[0]


# --- DDL and SQL files -----------------------------------------------------------------------


def test_generated_sql_files_are_up_to_date() -> None:
    assert ddl.stale_files() == [], "run: .venv/bin/python -m warehouse.ddl"


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_ddl_columns_types_and_key_match_the_arrow_schema(
    con: duckdb.DuckDBPyConnection, table: Table
) -> None:
    columns = con.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [table.schema, table.name],
    ).fetchall()
    expected_types = {
        pa.string(): "VARCHAR",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.timestamp("ms", tz="UTC"): "TIMESTAMP WITH TIME ZONE",
        pa.date32(): "DATE",
    }
    expected = []
    for field in table.arrow:
        kind = (field.metadata or {}).get(b"kind")
        sql_type = "JSON" if kind == b"json" else expected_types[field.type]
        nullable = "NO" if field.name in ("org_id", *table.key) else "YES"
        expected.append((field.name, sql_type, nullable))
    assert columns == expected
    constraints = con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE schema_name = ? AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
        [table.schema, table.name],
    ).fetchall()
    assert constraints == [(["org_id", *table.key],)]


def test_create_tables_is_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    load_window(con, T, ORG, DAY0, DAY1, task_batch([1]))
    create_tables(con, ALL)
    assert _count(con) == (1, 1)


def test_every_sql_file_runs_against_an_empty_warehouse(tmp_path: Path) -> None:
    names = queries.sql_names("ddl") + queries.sql_names("load")
    assert {n.split("/")[0] for n in names} == {"ddl", "load"}
    con = connect(tmp_path / "empty.duckdb")
    ddl_names = queries.sql_names("ddl")
    for name in sorted(ddl_names, key=lambda n: not n.startswith("ddl/create_schema_")):
        con.execute(queries.sql(name))
    for table in ALL:
        con.register(ddl.staged_name(table), table.arrow.empty_table())
    values = {
        "org_id": ORG,
        "window_start": datetime(2024, 6, 1, tzinfo=UTC),
        "window_end": datetime(2024, 6, 2, tzinfo=UTC),
    }
    for name in queries.sql_names("load"):
        text = queries.sql(name)
        params = {p: values[p] for p in re.findall(r"\$([a-z_]+)", text)}
        con.begin()
        con.execute(text, params).fetchall()
        con.rollback()
    con.close()


def test_ddl_uses_no_extension_download(tmp_path: Path) -> None:
    # JSON is built into DuckDB here; the loader also forbids auto-installing extensions.
    con = connect(tmp_path / "w.duckdb")
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() "
            "WHERE name IN ('autoinstall_known_extensions', 'TimeZone')"
        ).fetchall()
    )
    assert settings == {"autoinstall_known_extensions": "false", "TimeZone": "UTC"}
    create_tables(con, ALL)
    assert con.execute("SELECT '{\"a\": 1}'::JSON ->> 'a'").fetchall() == [("1",)]


# --- loads ---------------------------------------------------------------------------------


def test_load_round_trips_every_column(con: duckdb.DuckDBPyConnection) -> None:
    batch = task_batch([1, 2, 3])
    assert load_window(con, T, ORG, DAY0, DAY1, batch) == LoadResult(0, 3)
    got = _rows(con)
    assert got.schema.field("created_time").type == pa.timestamp("us", tz="UTC")
    assert got.cast(T.arrow).equals(pa.Table.from_batches([batch]))


def test_loading_a_window_twice_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    batch = task_batch(list(range(50)))
    assert load_window(con, T, ORG, DAY0, DAY1, batch) == LoadResult(0, 50)
    first = _rows(con)
    assert load_window(con, T, ORG, DAY0, DAY1, batch) == LoadResult(50, 50)
    assert _count(con) == (50, 50)
    assert _rows(con).equals(first)


def test_a_reload_drops_rows_no_longer_in_the_window_and_keeps_other_windows(
    con: duckdb.DuckDBPyConnection,
) -> None:
    load_window(con, T, ORG, DAY0, DAY1, task_batch([1, 2, 3]))
    load_window(con, T, ORG, DAY1, DAY1 + DAY_MS, task_batch([4, 5], DAY1))
    load_window(con, T, OTHER_ORG, DAY0, DAY1, task_batch([1, 2, 3], org=OTHER_ORG))
    assert load_window(con, T, ORG, DAY0, DAY1, task_batch([1, 2])) == LoadResult(3, 2)
    assert _rows(con).column("id").to_pylist() == ["task-1", "task-2", "task-4", "task-5"]
    assert _rows(con, OTHER_ORG).num_rows == 3
    # An hour inside the day replaces only that hour's rows.
    hour = task_batch([9], DAY0 + HOUR_MS)
    assert load_window(con, T, ORG, DAY0 + HOUR_MS, DAY0 + 2 * HOUR_MS, hour) == LoadResult(0, 1)
    assert _count(con) == (8, 8)


def test_an_empty_window_deletes_its_rows(con: duckdb.DuckDBPyConnection) -> None:
    load_window(con, T, ORG, DAY0, DAY1, task_batch([1, 2]))
    assert load_window(con, T, ORG, DAY0, DAY1, []) == LoadResult(2, 0)
    assert load_window(con, T, ORG, DAY0, DAY1, T.arrow.empty_table()) == LoadResult(0, 0)
    assert _count(con) == (0, 0)


def test_a_task_reloaded_under_another_window_replaces_its_older_version(
    con: duckdb.DuckDBPyConnection,
) -> None:
    load_window(con, T, ORG, DAY0, DAY1, task_batch([1, 2], status="open"))
    moved = task_batch([2], DAY1 + HOUR_MS, status="closed")
    assert load_window(con, T, ORG, DAY1, DAY1 + DAY_MS, moved) == LoadResult(1, 1)
    assert _count(con) == (2, 2)
    rows = {r["id"]: r for r in _rows(con).to_pylist()}
    assert rows["task-1"]["status"] == "open"
    assert rows["task-2"]["status"] == "closed"
    assert rows["task-2"]["created_time"] == datetime(2024, 6, 2, 1, tzinfo=UTC)


def test_a_failing_insert_rolls_back_and_keeps_the_old_rows(
    con: duckdb.DuckDBPyConnection,
) -> None:
    load_window(con, T, ORG, DAY0, DAY1, task_batch([1, 2, 3]))
    before = _rows(con)
    batch = task_batch([1, 4])
    index = batch.schema.get_field_index("global_variables")
    broken = batch.set_column(
        index, batch.schema.field(index), pa.array(['{"ok": 1}', "{not json"], pa.string())
    )
    with pytest.raises(duckdb.Error, match="(?i)json"):
        load_window(con, T, ORG, DAY0, DAY1, broken)
    assert _rows(con).equals(before)
    # The connection is usable afterwards and the staged view is gone.
    assert load_window(con, T, ORG, DAY0, DAY1, task_batch([1])) == LoadResult(3, 1)
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    assert views == []


def test_duplicate_keys_are_refused_with_the_key_named(con: duckdb.DuckDBPyConnection) -> None:
    load_window(con, T, ORG, DAY0, DAY1, task_batch([1]))
    twice = pa.Table.from_batches([task_batch([5, 6]), task_batch([5], DAY0 + HOUR_MS)])
    with pytest.raises(
        ValueError, match=r"1 key\(s\) occur more than once.*id='task-5' \(2 rows\)"
    ):
        load_window(con, T, ORG, DAY0, DAY1, twice)
    assert _rows(con).column("id").to_pylist() == ["task-1"]


def test_rows_outside_the_window_or_of_another_org_are_refused(
    con: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(ValueError, match="outside the window"):
        load_window(con, T, ORG, DAY0, DAY0 + HOUR_MS, task_batch([1, 2], DAY0 + HOUR_MS - 1))
    with pytest.raises(ValueError, match="rows of another org"):
        load_window(con, T, ORG, DAY0, DAY1, task_batch([1], org=OTHER_ORG))
    with pytest.raises(ValueError, match="empty or inverted window"):
        load_window(con, T, ORG, DAY1, DAY0, [])
    assert _count(con) == (0, 0)


def test_null_keys_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    table = pa.Table.from_batches([task_batch([1, 2])])
    ids = pc.if_else(pa.array([True, False]), table.column("id"), pa.scalar(None, pa.string()))
    with pytest.raises(ValueError, match="key column id is null"):
        load_window(con, T, ORG, DAY0, DAY1, table.set_column(1, table.schema.field(1), ids))


def test_batches_of_an_iterable_are_loaded_together(con: duckdb.DuckDBPyConnection) -> None:
    pages = (task_batch([i], DAY0 + i * 1000) for i in range(5))
    assert load_window(con, T, ORG, DAY0, DAY1, pages) == LoadResult(0, 5)


# --- the file readers open -------------------------------------------------------------------


def test_a_new_file_is_written_in_the_v1_storage_format(db_path: Path) -> None:
    con = connect(db_path)
    create_tables(con, ALL)
    load_window(con, T, ORG, DAY0, DAY1, task_batch([1]))
    assert storage_version(con) == "v1.0.0+"
    con.close()
    header = db_path.read_bytes()[:16]
    # Main header: 8-byte checksum, b"DUCK", then the storage version number. 64 is the number
    # DuckDB 1.0 to 1.1 read (DuckDB 2's own format is 999).
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:16], "little") == 64
    reopened = connect(db_path)  # a later writer keeps the format
    load_window(reopened, T, ORG, DAY0, DAY1, task_batch([1, 2]))
    assert storage_version(reopened) == "v1.0.0+"
    reopened.close()


def test_writing_needs_duckdb_1_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duckdb, "__version__", "1.1.3")
    with pytest.raises(RuntimeError, match=r"needs duckdb >= 1.2 \(installed: 1.1.3\)"):
        connect(tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


def test_read_only_connections_cannot_write(db_path: Path) -> None:
    con = connect(db_path)
    create_tables(con, ALL)
    con.close()
    reader = connect(db_path, read_only=True)
    with pytest.raises(duckdb.Error, match="(?i)read-only"):
        load_window(reader, T, ORG, DAY0, DAY1, task_batch([1]))
    reader.close()


def test_bi_tools_read_it_through_sqlalchemy_read_only(db_path: Path) -> None:
    con = connect(db_path)
    create_tables(con, ALL)
    load_window(con, T, ORG, DAY0, DAY1, task_batch([1, 2]))
    con.close()
    engine = sa.create_engine(f"duckdb:///{db_path}", connect_args={"read_only": True})
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT id, created_time, hold_count, hold_duration, is_active, "
                    "global_variables FROM search.task_details WHERE id = :id"
                ),
                {"id": "task-2"},
            ).one()
            assert sa.inspect(conn).get_table_names(schema="search") == sorted(
                t.name for t in ALL if t.schema == "search"
            )
    finally:
        engine.dispose()
    assert row.id == "task-2"
    assert row.created_time == datetime(2024, 6, 1, 0, 1, tzinfo=UTC)
    assert row.created_time.utcoffset().total_seconds() == 0
    assert (row.hold_count, row.hold_duration, row.is_active) == (2, 10_000_000_002, True)
    assert row.global_variables == {"a": [1, "x", None], "z": 2}  # duckdb-engine parses JSON


def test_bi_tools_can_reflect_the_columns(db_path: Path) -> None:
    con = connect(db_path)
    create_tables(con, ALL)
    con.close()
    engine = sa.create_engine(f"duckdb:///{db_path}", connect_args={"read_only": True})
    try:
        with engine.connect() as conn:
            columns = sa.inspect(conn).get_columns("task_details", schema="search")
    finally:
        engine.dispose()
    assert [c["name"] for c in columns] == T.arrow.names
