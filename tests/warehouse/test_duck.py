"""The published warehouse: views typed as the catalog says, v1.1 storage, read-only BI reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import sqlalchemy as sa

from tests.warehouse.factories import DAY0, DAY1, ORG, task_batch
from warehouse import duck
from warehouse.catalog import TABLES
from warehouse.duck import connect, storage_version
from warehouse.land import WarehousePaths, land_window
from warehouse.publish import publish
from warehouse.schemas import TASK_DETAILS, Table

T = TASK_DETAILS
ALL = list(TABLES.values())


@pytest.fixture
def paths(tmp_path: Path) -> WarehousePaths:
    paths = WarehousePaths(tmp_path / "data")
    land_window(paths, T, ORG, DAY0, DAY1, task_batch([1, 2]))
    return paths


@pytest.fixture
def db_path(paths: WarehousePaths) -> Path:
    return paths.published_path


_TYPES = {
    pa.string(): "VARCHAR",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.timestamp("ms", tz="UTC"): "TIMESTAMP WITH TIME ZONE",
    pa.date32(): "DATE",
    pa.timestamp("ms"): "TIMESTAMP",  # the marts' local wall-clock times
}


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_every_table_has_the_columns_and_types_of_its_arrow_schema(
    db_path: Path, table: Table
) -> None:
    # search.task_details has a window file, every other table is still empty: both typed alike.
    with connect(db_path, read_only=True) as con:
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [table.schema, table.name],
        ).fetchall()
    expected = [
        (f.name, "JSON" if (f.metadata or {}).get(b"kind") == b"json" else _TYPES[f.type])
        for f in table.arrow
    ]
    assert columns == expected


def test_connections_use_no_extension_download_and_utc(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() "
                "WHERE name IN ('autoinstall_known_extensions', 'TimeZone')"
            ).fetchall()
        )
        assert settings == {"autoinstall_known_extensions": "false", "TimeZone": "UTC"}
        assert con.execute("SELECT '{\"a\": 1}'::JSON ->> 'a'").fetchall() == [("1",)]


def test_the_published_file_is_written_in_the_v1_storage_format(db_path: Path) -> None:
    with connect(db_path, read_only=True) as con:
        assert storage_version(con) == "v1.0.0+"
    header = db_path.read_bytes()[:16]
    # Main header: 8-byte checksum, b"DUCK", then the storage version number. 64 is the number
    # DuckDB 1.0 to 1.1 read (DuckDB 2's own format is 999).
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:16], "little") == 64


def test_writing_needs_duckdb_1_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duckdb, "__version__", "1.1.3")
    with pytest.raises(RuntimeError, match=r"needs duckdb >= 1.2 \(installed: 1.1.3\)"):
        connect(tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


def test_readers_cannot_write(db_path: Path) -> None:
    with connect(db_path, read_only=True) as reader, pytest.raises(duckdb.Error, match="(?i)read"):
        reader.execute("CREATE TABLE search.x (a INTEGER)")


def test_check_connections_bound_their_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    def settings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        names = ["memory_limit", "threads", "preserve_insertion_order"]
        rows = con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE list_contains($names, name)",
            {"names": names},
        ).fetchall()
        return dict(rows)

    defaults = {
        "memory_limit": "61.0 MiB",  # DEFAULT_MEMORY_LIMIT, 64 MB
        "threads": "1",
        "preserve_insertion_order": "false",
    }
    monkeypatch.delenv(duck.MEMORY_LIMIT_ENV, raising=False)
    monkeypatch.delenv(duck.THREADS_ENV, raising=False)
    with connect(":memory:", memory_limit=duck.configured_memory_limit()) as con:
        assert settings(con) == defaults
    with duck.scratch() as con:  # the checks' connections to the process's scratch database
        assert settings(con) == defaults
    monkeypatch.setenv(duck.MEMORY_LIMIT_ENV, "1GiB")
    monkeypatch.setenv(duck.THREADS_ENV, "2")
    with connect(":memory:", memory_limit=duck.configured_memory_limit()) as con:
        assert settings(con)["memory_limit"] == "1.0 GiB"
        assert settings(con)["threads"] == "2"
    with duck.scratch() as con:  # other settings: another scratch database
        assert (settings(con)["memory_limit"], settings(con)["threads"]) == ("1.0 GiB", "2")
    monkeypatch.setenv(duck.MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match="WXCC_DUCKDB_MEMORY_LIMIT='lots' is not a size"):
        duck.configured_memory_limit()


def test_bi_tools_read_it_through_sqlalchemy_read_only(db_path: Path) -> None:
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
            assert sa.inspect(conn).get_view_names(schema="search") == sorted(
                t.name for t in ALL if t.schema == "search"
            )
    finally:
        engine.dispose()
    assert row.id == "task-2"
    assert row.created_time == datetime(2024, 6, 1, 0, 1, tzinfo=UTC)
    assert row.created_time.utcoffset().total_seconds() == 0
    assert (row.hold_count, row.hold_duration, row.is_active) == (2, 10_000_000_002, True)
    assert row.global_variables == {"a": [1, "x", None], "z": 2}  # duckdb-engine parses JSON


def test_an_empty_warehouse_is_published_with_every_table(tmp_path: Path) -> None:
    paths = WarehousePaths(tmp_path / "empty")
    assert publish(paths) is True
    assert publish(paths) is False  # nothing committed since
    with connect(paths.published_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM search.task_details").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM ops.extraction_log").fetchall() == [(0,)]


def test_bi_tools_can_reflect_the_columns(db_path: Path) -> None:
    engine = sa.create_engine(f"duckdb:///{db_path}", connect_args={"read_only": True})
    try:
        with engine.connect() as conn:
            columns = sa.inspect(conn).get_columns("task_details", schema="search")
    finally:
        engine.dispose()
    assert [c["name"] for c in columns] == T.arrow.names
