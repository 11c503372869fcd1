"""Window files: layout, atomic replace, covered and overlapping windows, Hive reads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tests.warehouse.factories import DAY0, DAY1, DAY_MS, HOUR_MS, ORG, OTHER_ORG, task_batch
from warehouse import parquet
from warehouse.normalize import empty_batch
from warehouse.parquet import read_window, table_glob, window_path, write_window
from warehouse.schemas import TASK_DETAILS

T = TASK_DETAILS


def _files(folder: Path) -> list[str]:
    """The window files readers of the Hive tree see (versions live in ``_versions``)."""
    return sorted(p.name for p in folder.iterdir() if p.name != parquet.VERSIONS)


def test_layout_compression_and_round_trip(tmp_path: Path) -> None:
    batch = task_batch(list(range(5)))
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, [batch])
    assert path == (
        tmp_path / "search" / "task_details" / f"org_id={ORG}" / "date=2024-06-01"
        / f"window={DAY0}-{DAY1}.parquet"
    )  # fmt: skip
    assert path == window_path(tmp_path, T, ORG, DAY0, DAY1)
    assert _files(path.parent) == [path.name]
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 5
    assert meta.row_group(0).column(0).compression == "ZSTD"
    back = read_window(tmp_path, T, ORG, DAY0, DAY1)
    assert back.schema.equals(T.arrow, check_metadata=True)  # api_path metadata survives
    assert back.equals(pa.Table.from_batches([batch]))


def test_statistics_are_written_for_the_columns_readers_filter_on(tmp_path: Path) -> None:
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch(list(range(5)))])
    group = pq.ParquetFile(path).metadata.row_group(0)
    stats = {
        group.column(i).path_in_schema: group.column(i).statistics for i in range(len(T.arrow))
    }
    kept = {"org_id", "id", "created_time", "ended_time", "last_activity_time"}
    assert {name for name, s in stats.items() if s is not None} >= kept
    assert stats["created_time"].has_min_max and stats["created_time"].null_count == 0
    assert stats["id"].min == "task-0" and stats["id"].max == "task-4"
    assert stats["channel_type"] is None  # a column nobody filters by: read, not skipped
    # DuckDB still filters by a column without statistics, by its values
    values = pq.read_table(path).column("channel_type").to_pylist()
    found = (
        duckdb.connect()
        .execute(
            "SELECT count(*) FROM read_parquet($f) WHERE channel_type IS NOT DISTINCT FROM $v",
            {"f": str(path), "v": values[3]},
        )
        .fetchone()
    )
    assert found == (values.count(values[3]),)


def test_only_columns_whose_values_repeat_are_dictionary_encoded(tmp_path: Path) -> None:
    batch = task_batch(list(range(40)), channelType="telephony")
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, [batch])
    group = pq.ParquetFile(path).metadata.row_group(0)
    encoded = {
        group.column(i).path_in_schema: group.column(i).has_dictionary_page
        for i in range(len(T.arrow))
    }
    assert len(set(batch.column("id").to_pylist())) == 40  # a value a row: plain
    assert not encoded["id"] and not encoded["created_time"]
    assert set(batch.column("channel_type").to_pylist()) == {"telephony"}  # a dictionary
    assert encoded["channel_type"] and encoded["org_id"]
    chosen = parquet.dictionary_columns(pa.Table.from_batches([batch]))
    assert "id" not in chosen and {"channel_type", "org_id"} <= set(chosen)
    assert {name for name, has in encoded.items() if has} <= set(chosen)  # booleans have none
    assert read_window(tmp_path, T, ORG, DAY0, DAY1).equals(pa.Table.from_batches([batch]))
    # a column whose values repeat only after the sample's rows is written plain, and reads back
    unique = parquet.dictionary_columns(pa.table({"a": list(range(10_000)) + [1] * 10_000}))
    assert unique == []


def test_rewriting_a_window_replaces_its_file(tmp_path: Path) -> None:
    write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([1, 2, 3])])
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([7, 8])])
    assert _files(path.parent) == [path.name]
    assert read_window(tmp_path, T, ORG, DAY0, DAY1).column("id").to_pylist() == [
        "task-7",
        "task-8",
    ]


def test_hourly_windows_coexist_and_a_covering_window_replaces_them(tmp_path: Path) -> None:
    h0 = write_window(tmp_path, T, ORG, DAY0, DAY0 + HOUR_MS, [task_batch([1])])
    h1 = write_window(
        tmp_path, T, ORG, DAY0 + HOUR_MS, DAY0 + 2 * HOUR_MS, [task_batch([2], DAY0 + HOUR_MS)]
    )
    assert _files(h0.parent) == sorted([h0.name, h1.name])
    # An open day written up to "now", then the complete day: both cover the hourly files.
    partial = write_window(tmp_path, T, ORG, DAY0, DAY0 + 3 * HOUR_MS, [task_batch([1, 2, 3])])
    assert _files(h0.parent) == [partial.name]
    full = write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([1, 2, 3, 4])])
    assert _files(h0.parent) == [full.name]


def test_a_partly_overlapping_window_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    path = write_window(tmp_path, T, ORG, DAY0, DAY0 + 2 * HOUR_MS, [task_batch([1])])
    before = path.read_bytes()
    with pytest.raises(ValueError, match="partly overlaps"):
        write_window(tmp_path, T, ORG, DAY0 + HOUR_MS, DAY0 + 3 * HOUR_MS, [])
    with pytest.raises(ValueError, match="partly overlaps"):
        write_window(tmp_path, T, ORG, DAY0, DAY0 + HOUR_MS, [])  # inside the existing file
    assert _files(path.parent) == [path.name]
    assert path.read_bytes() == before


def test_a_failure_while_writing_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([1, 2])])
    before = path.read_bytes()

    def failing() -> Iterator[pa.RecordBatch]:
        yield task_batch([3])
        raise RuntimeError("page 2 failed")

    with pytest.raises(RuntimeError, match="page 2 failed"):
        write_window(tmp_path, T, ORG, DAY0, DAY1, failing())
    assert _files(path.parent) == [path.name]
    assert path.read_bytes() == before


def test_a_failed_rename_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([1, 2])])
    before = path.read_bytes()

    def no_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(parquet.os, "replace", no_replace)
    with pytest.raises(OSError, match="disk full"):
        write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([3])])
    assert _files(path.parent) == [path.name]
    assert path.read_bytes() == before


def test_stray_temp_files_are_invisible_to_readers_and_cleaned_by_the_next_write(
    tmp_path: Path,
) -> None:
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([1, 2])])
    # What a killed run leaves behind, beside the window's versions.
    stray = path.parent / parquet.VERSIONS / f".tmp-deadbeef-{path.name}.partial"
    stray.write_bytes(b"PAR1 half a file")
    dataset = ds.dataset(
        tmp_path / "search" / "task_details", format="parquet", partitioning="hive"
    )
    assert dataset.count_rows() == 2
    con = duckdb.connect()
    count = con.execute(
        "SELECT count(*) FROM read_parquet(?, hive_partitioning = true)", [table_glob(tmp_path, T)]
    ).fetchall()
    assert count == [(2,)]
    write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([1, 2, 3])])
    assert _files(path.parent) == [path.name]
    assert not stray.exists()
    # Two versions are kept (the older one for readers of an older publish); readers of the
    # Hive tree see the current one only.
    assert len(list((path.parent / parquet.VERSIONS).glob("*.parquet.v"))) == 2
    assert (
        ds.dataset(
            tmp_path / "search" / "task_details", format="parquet", partitioning="hive"
        ).count_rows()
        == 3
    )
    assert con.execute(
        "SELECT count(*) FROM read_parquet(?, hive_partitioning = true)", [table_glob(tmp_path, T)]
    ).fetchall() == [(3,)]


def test_hive_partitions_read_back_with_pyarrow_and_duckdb(tmp_path: Path) -> None:
    write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([1, 2])])
    write_window(tmp_path, T, ORG, DAY1, DAY1 + DAY_MS, [task_batch([3], DAY1)])
    write_window(tmp_path, T, OTHER_ORG, DAY0, DAY1, [task_batch([1], org=OTHER_ORG)])

    dataset = ds.dataset(
        tmp_path / "search" / "task_details", format="parquet", partitioning="hive"
    )
    rows = dataset.to_table(columns=["org_id", "id", "date"]).to_pylist()
    assert sorted((r["org_id"], r["id"], str(r["date"])) for r in rows) == [
        (ORG, "task-1", "2024-06-01"),
        (ORG, "task-2", "2024-06-01"),
        (ORG, "task-3", "2024-06-02"),
        (OTHER_ORG, "task-1", "2024-06-01"),
    ]

    con = duckdb.connect()
    source = "read_parquet(?, hive_partitioning = true)"
    types = dict(
        con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})",
            [table_glob(tmp_path, T)],
        ).fetchall()
    )
    assert types["created_time"] == "TIMESTAMP WITH TIME ZONE"
    assert types["hold_count"] == "INTEGER"
    assert types["hold_duration"] == "BIGINT"
    assert types["is_active"] == "BOOLEAN"
    assert types["date"] == "DATE"
    got = con.execute(
        f"SELECT org_id, id, epoch_ms(created_time) FROM {source} "
        "WHERE date = DATE '2024-06-01' AND org_id = ? ORDER BY id",
        [table_glob(tmp_path, T), ORG],
    ).fetchall()
    assert got == [(ORG, "task-1", DAY0), (ORG, "task-2", DAY0 + 60_000)]


def test_an_empty_window_is_a_file_with_no_rows(tmp_path: Path) -> None:
    write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([1])])
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, [])
    assert pq.ParquetFile(path).metadata.num_rows == 0
    assert read_window(tmp_path, T, ORG, DAY0, DAY1).schema.equals(T.arrow)
    write_window(tmp_path, T, ORG, DAY0, DAY1, [empty_batch(T)])
    assert read_window(tmp_path, T, ORG, DAY0, DAY1).num_rows == 0


def test_small_pages_are_buffered_into_row_groups(tmp_path: Path) -> None:
    pages = [task_batch([i], DAY0 + i * 1000) for i in range(40)]
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, iter(pages))
    meta = pq.ParquetFile(path).metadata
    assert (meta.num_rows, meta.num_row_groups) == (40, 1)
    table = pa.Table.from_batches([task_batch(list(range(10)))])
    write_window(tmp_path, T, ORG, DAY0, DAY1, table)  # a pa.Table is accepted too
    assert read_window(tmp_path, T, ORG, DAY0, DAY1).num_rows == 10


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (DAY0, DAY0, "empty or inverted"),
        (DAY1, DAY0, "empty or inverted"),
        (DAY0, DAY1 + 1, "more than one UTC day"),
        (DAY0 - HOUR_MS, DAY0 + HOUR_MS, "more than one UTC day"),
    ],
)
def test_bad_windows(tmp_path: Path, start: int, end: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_window(tmp_path, T, ORG, start, end, [])


def test_rows_outside_the_window_are_refused(tmp_path: Path) -> None:
    late = task_batch([1, 2], DAY0 + HOUR_MS - 60_000)  # the second row is at DAY0 + 1h
    with pytest.raises(ValueError, match=r"created_time spans .* outside the window"):
        write_window(tmp_path, T, ORG, DAY0, DAY0 + HOUR_MS, [late])
    folder = parquet.window_dir(tmp_path, T, ORG, DAY0)
    assert _files(folder) == []


def test_rows_of_another_org_or_schema_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rows of another org"):
        write_window(tmp_path, T, ORG, DAY0, DAY1, [task_batch([1], org=OTHER_ORG)])
    wrong = task_batch([1]).drop_columns(["status"])
    with pytest.raises(ValueError, match=r"batch schema differs.*missing \['status'\]"):
        write_window(tmp_path, T, ORG, DAY0, DAY1, [wrong])
    batch = task_batch([1])
    retyped = batch.set_column(
        batch.schema.get_field_index("hold_count"),
        "hold_count",
        batch.column("hold_count").cast(pa.int64()),
    )
    with pytest.raises(ValueError, match="hold_count is int64, not int32"):
        write_window(tmp_path, T, ORG, DAY0, DAY1, [retyped])


@pytest.mark.parametrize("org", ["", "../x", "a/b", ".hidden"])
def test_an_org_id_that_cannot_name_a_folder_is_refused(tmp_path: Path, org: str) -> None:
    with pytest.raises(ValueError, match="cannot name a partition folder"):
        write_window(tmp_path, T, org, DAY0, DAY1, [])
    assert os.listdir(tmp_path) == []


def test_batches_on_another_schema_object_still_land_with_the_tables_metadata(
    tmp_path: Path,
) -> None:
    # Batches built on the table's schema take one call; others (no field metadata, org_id
    # nullable) are rebuilt column by column; both files carry the table's schema.
    on_schema = task_batch([1, 2])
    plain = pa.schema([pa.field(f.name, f.type) for f in T.arrow])
    other = pa.RecordBatch.from_arrays(task_batch([3]).columns, schema=plain)
    assert not other.schema.equals(T.arrow)
    path = write_window(tmp_path, T, ORG, DAY0, DAY1, [on_schema, other])
    back = read_window(tmp_path, T, ORG, DAY0, DAY1)
    assert pq.read_schema(path).equals(T.arrow, check_metadata=True)
    assert back.column("id").to_pylist() == ["task-1", "task-2", "task-3"]
    assert back.equals(pa.Table.from_batches([on_schema, other.cast(T.arrow)]))
