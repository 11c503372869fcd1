"""Window files: the rows of one table, org and window as one Hive-partitioned Parquet file.

Layout under the Parquet root (``$WXCC_DATA_DIR/parquet``)::

    <schema>/<table>/org_id=<org>/date=<YYYY-MM-DD>/window=<start_ms>-<end_ms>.parquet

``date`` is the UTC day of the window, which lies within one UTC day (daily windows
``[00:00, 24:00)`` or smaller, e.g. hourly), and every row's ``time_column`` lies in the window,
so a filter on ``date`` prunes correctly. Several windows of one day are separate files, so hourly
loads never clobber each other. Readers glob ``**/*.parquet`` with Hive partitioning
(``pyarrow.dataset`` with ``partitioning="hive"``, DuckDB ``read_parquet(...,
hive_partitioning = true)``); the files also hold ``org_id`` itself, so one file read alone is
complete.

Writing a window never changes a file a reader may be reading. Batches stream through
``pq.ParquetWriter`` into a temp file in the day folder's ``_versions`` folder, which is fsynced
and renamed to a name of its own, ``_versions/window=<start>-<end>~<version>.parquet.v``: that
immutable file is what the published warehouse's views read (``warehouse.publish``), and it is
deleted only after a grace period once a newer version replaced it. Then :meth:`WindowWriter.link`
hard-links it under the window's plain name, ``window=<start>-<end>.parquet``, atomically
(``os.replace``), so the Hive tree always holds the current version of each window once. Neither
pyarrow (which skips ``_`` folders) nor DuckDB's ``**/*.parquet`` glob (the ``.v`` suffix) reads
a version file. A crash leaves at most a stray temp file, which the next write of that window
removes, or a version file no commit names (killed between its rename and the store's commit),
which nothing reads and nothing removes: the garbage collection deletes only versions a commit
retired, since telling an abandoned version from one a concurrent load is about to commit would
need a walk of every day folder. Files of smaller
windows that the new one covers (hourly files under a new daily window) lose their plain names
when it is linked. A window that partly overlaps an existing file is refused, since replacing
either would lose or duplicate rows. One writer per window at a time.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from warehouse.schemas import Table

DAY_MS = 86_400_000
# Small API pages are buffered into row groups of at most this many rows or bytes of Arrow data,
# whichever comes first: ~190-column taskDetails rows reach the byte bound at ~10,000 rows, so the
# writer's memory stays the same whatever the window's size (bench/README.md, issue 4).
ROW_GROUP_ROWS = 64 * 1024
ROW_GROUP_BYTES = 16 * 1024 * 1024
COMPRESSION = "zstd"
# Rows of a window's first row group whose distinct counts choose the dictionary-encoded
# columns (dictionary_columns): ~8 ms of count_distinct for 187 columns, once a file.
DICTIONARY_SAMPLE_ROWS = 4096
_WINDOW_FILE = re.compile(r"^window=(\d+)-(\d+)\.parquet$")
VERSIONS = "_versions"  # pyarrow's dataset discovery skips folders starting with "_"
_SAFE_ORG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

Data: TypeAlias = pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch]


def statistics_columns(table: Table) -> list[str]:
    """The columns whose Parquet statistics (min, max, nulls) a window file holds: ``org_id``,
    the key, the window column and every instant, which readers filter on (DuckDB skips row
    groups by them: the window check's org and null counts, a time range over many files).
    Every other column's cost 6-16% of the write's CPU (task_details 4.1 -> 3.65 us a row,
    bench/README.md, issue 21, fifth pass); a filter on one reads its values instead."""
    kept = {"org_id", table.time_column, *table.key}
    return [f.name for f in table.arrow if f.name in kept or pa.types.is_timestamp(f.type)]


def dictionary_columns(rows: pa.Table) -> list[str]:
    """The columns a window file dictionary-encodes: those whose values repeat in its first
    rows (the first ``DICTIONARY_SAMPLE_ROWS`` of its first row group: at most half as many
    distinct values as values), or that hold none there. The others (ids, instants, durations,
    free text, JSON) are written plain: for them the writer built a dictionary of every value
    of a row group up to its page limit and wrote a larger file (bench/README.md, issue 21,
    sixth pass: 11-23% less CPU a row and 13-21% smaller files for most Search tables, DuckDB's
    scans as fast)."""
    sample = rows.slice(0, DICTIONARY_SAMPLE_ROWS)
    repeating = []
    for name, column in zip(sample.column_names, sample.columns, strict=True):
        present = len(column) - column.null_count
        if not present or 2 * pc.count_distinct(column).as_py() <= present:
            repeating.append(name)
    return repeating


def window_dir(root: Path, table: Table, org_id: str, start_ms: int) -> Path:
    """Folder of the windows of one table, org and UTC day."""
    _check_org(org_id)
    day = datetime.fromtimestamp(start_ms // 1000, tz=UTC).date().isoformat()
    return Path(root) / table.schema / table.name / f"org_id={org_id}" / f"date={day}"


def window_path(root: Path, table: Table, org_id: str, start_ms: int, end_ms: int) -> Path:
    """Path of the file holding the window ``[start_ms, end_ms)``."""
    check_window_bounds(start_ms, end_ms)
    return window_dir(root, table, org_id, start_ms) / f"window={start_ms}-{end_ms}.parquet"


def table_glob(root: Path, table: Table) -> str:
    """Glob of every window file of a table, for ``read_parquet(..., hive_partitioning = true)``."""
    return str(Path(root) / table.schema / table.name / "**" / "*.parquet")


def check_window_bounds(start_ms: int, end_ms: int) -> None:
    """A window is ``[start_ms, end_ms)`` with start < end, within one UTC day."""
    if isinstance(start_ms, bool) or isinstance(end_ms, bool):
        raise ValueError("window bounds must be epoch milliseconds, not booleans")
    if not start_ms < end_ms:
        raise ValueError(f"empty or inverted window [{start_ms}, {end_ms})")
    if start_ms // DAY_MS != (end_ms - 1) // DAY_MS:
        raise ValueError(
            f"window [{start_ms}, {end_ms}) spans more than one UTC day; write one window per day"
        )


def same_columns(expected: pa.Schema, got: pa.Schema) -> bool:
    """Same column names, order and types (metadata and nullability aside)."""
    if got is expected or got.equals(expected):  # the rule: batches built on the table's schema
        return True
    return expected.names == got.names and all(
        f.type == g.type for f, g in zip(expected, got, strict=True)
    )


def check_rows(table: Table, data: pa.Table, org_id: str, start_ms: int, end_ms: int) -> None:
    """Every row belongs to ``org_id`` and has its ``time_column`` in ``[start_ms, end_ms)``."""
    if not same_columns(table.arrow, data.schema):
        raise ValueError(
            f"{table.qualified_name}: data schema differs from the table's schema: "
            f"{_schema_diff(table.arrow, data.schema)}"
        )
    if data.num_rows == 0:
        return
    orgs = data.column("org_id")
    if orgs.null_count or not pc.all(pc.equal(orgs, org_id)).as_py():
        raise ValueError(f"{table.qualified_name}: rows of another org than {org_id!r}")
    times = data.column(table.time_column)
    if times.null_count:
        raise ValueError(f"{table.qualified_name}: {table.time_column} is null in some rows")
    bounds = pc.min_max(times.cast(pa.int64()))
    lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
    if lo < start_ms or hi >= end_ms:
        raise ValueError(
            f"{table.qualified_name}: {table.time_column} spans [{lo}, {hi}] ms, outside the "
            f"window [{start_ms}, {end_ms})"
        )


def write_window(
    root: Path,
    table: Table,
    org_id: str,
    window_start_ms: int,
    window_end_ms: int,
    batches: Data,
) -> Path:
    """Write (or replace) one window's file atomically and return its path.

    Raises:
        ValueError: a window across UTC days, a batch of another schema or org, a row outside the
            window, or an existing file that partly overlaps the window.
    """
    writer = WindowWriter(root, table, org_id, window_start_ms, window_end_ms)
    try:
        for batch in _batches(batches):
            writer.write(batch)
    except BaseException:
        writer.abort()
        raise
    writer.commit()
    return writer.link()


class WindowWriter:
    """One window's file being written: batches are pushed in, then it is committed or aborted.

    Several writers can be open at once, so one pass over a query's pages can feed a parent table
    and its child tables. Until :meth:`commit` the window's old file stays untouched.
    """

    def __init__(
        self, root: Path, table: Table, org_id: str, window_start_ms: int, window_end_ms: int
    ) -> None:
        self.table, self.org_id = table, org_id
        self.start_ms, self.end_ms = window_start_ms, window_end_ms
        self.path = window_path(root, table, org_id, window_start_ms, window_end_ms)
        self.folder = self.path.parent
        self.versions = self.folder / VERSIONS
        self.versions.mkdir(parents=True, exist_ok=True)
        self._covered = _covered_files(self.folder, window_start_ms, window_end_ms)
        for stray in self.versions.glob(f".tmp-*-{self.path.name}.partial"):
            stray.unlink(missing_ok=True)  # left by a killed run of this window
        version = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        self.version_path = self.versions / f"{self.path.stem}~{version}.parquet.v"
        self._tmp = self.versions / f".tmp-{uuid.uuid4().hex}-{self.path.name}.partial"
        self._sink = open(self._tmp, "wb")  # noqa: SIM115 - closed by commit() or abort()
        # Opened with the first row group, whose rows choose the columns' encodings.
        self._writer: pq.ParquetWriter | None = None
        self._buffer: list[pa.RecordBatch] = []
        self._rows = self._bytes = 0
        self.rows_written = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Buffer one batch; a row group is written every ``ROW_GROUP_ROWS`` rows or
        ``ROW_GROUP_BYTES`` bytes."""
        if not same_columns(self.table.arrow, batch.schema):
            raise ValueError(
                f"{self.table.qualified_name}: batch schema differs from the table's schema: "
                f"{_schema_diff(self.table.arrow, batch.schema)}"
            )
        self._buffer.append(batch)
        self._rows += batch.num_rows
        # The buffers' total, not ``nbytes``: that walks every column's slices (0.4 ms a
        # 250-task page, ~0.5 s a 60,000-task load); a batch here is never a slice of a
        # larger one, so the two agree (and more bytes counted only flushes a group sooner).
        self._bytes += batch.get_total_buffer_size()
        if self._rows >= ROW_GROUP_ROWS or self._bytes >= ROW_GROUP_BYTES:
            self._flush()

    def commit(self) -> Path:
        """Write what is buffered and rename the file to its version name; return that path."""
        try:
            self._flush()
            self._open(None).close()
            self._sink.flush()
            os.fsync(self._sink.fileno())
            self._sink.close()
            os.replace(self._tmp, self.version_path)
        except BaseException:
            self.abort()
            raise
        _fsync_dir(self.versions)
        return self.version_path

    def link(self) -> Path:
        """Give the committed version the window's plain name (atomically); return that path."""
        tmp = self.versions / f".tmp-{uuid.uuid4().hex}-{self.path.name}.partial"
        os.link(self.version_path, tmp)
        os.replace(tmp, self.path)
        for old in self._covered:
            old.unlink(missing_ok=True)
        _fsync_dir(self.folder)
        return self.path

    def abort(self) -> None:
        """Drop the temp file; the window's old file stays."""
        try:
            if self._writer is not None:
                self._writer.close()
        except Exception:  # noqa: BLE001, S110 - already failing; the temp file goes anyway
            pass
        self._sink.close()
        self._tmp.unlink(missing_ok=True)

    def _open(self, first: pa.Table | None) -> pq.ParquetWriter:
        """The file's writer, opened for the ``first`` rows it writes (None: it has none)."""
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self._sink,
                self.table.arrow,
                compression=COMPRESSION,
                write_statistics=statistics_columns(self.table),
                use_dictionary=True if first is None else dictionary_columns(first),
            )
        return self._writer

    def _flush(self) -> None:
        if not self._buffer:
            return
        chunk = _as_table(self.table, self._buffer)
        self._buffer, self._rows, self._bytes = [], 0, 0
        check_rows(self.table, chunk, self.org_id, self.start_ms, self.end_ms)
        self._open(chunk).write_table(chunk, row_group_size=ROW_GROUP_ROWS)
        self.rows_written += chunk.num_rows


def read_window(
    root: Path, table: Table, org_id: str, window_start_ms: int, window_end_ms: int
) -> pa.Table:
    """The rows of one window's file (``FileNotFoundError`` if it was never written)."""
    path = window_path(root, table, org_id, window_start_ms, window_end_ms)
    return pq.read_table(path, schema=table.arrow)


def _covered_files(folder: Path, start_ms: int, end_ms: int) -> list[Path]:
    """Other window files that the new window replaces; refuse partial overlaps."""
    covered = []
    for path in sorted(folder.iterdir()):
        match = _WINDOW_FILE.match(path.name)
        if not match:
            continue
        start, end = int(match[1]), int(match[2])
        if (start, end) == (start_ms, end_ms) or end <= start_ms or start >= end_ms:
            continue
        if start_ms <= start and end <= end_ms:
            covered.append(path)
        else:
            raise ValueError(
                f"window [{start_ms}, {end_ms}) partly overlaps {path}; rewrite the whole of "
                f"[{start}, {end}) or remove that file first"
            )
    return covered


def _batches(data: Data) -> Iterator[pa.RecordBatch]:
    if isinstance(data, pa.Table):
        yield from data.to_batches()
    elif isinstance(data, pa.RecordBatch):
        yield data
    else:
        for batch in data:
            if not isinstance(batch, pa.RecordBatch):
                raise TypeError(f"expected pyarrow.RecordBatch, got {type(batch).__name__}")
            yield batch


def _as_table(table: Table, batches: list[pa.RecordBatch]) -> pa.Table:
    # Rebuilt on the table's schema so the file carries its field metadata (api_path, kind).
    schema = table.arrow
    if all(b.schema is schema or b.schema.equals(schema) for b in batches):
        # One call for the usual batches (built on this schema); column by column in Python
        # cost ~22 ms a 64k-row group of 100-row pages (bench/README.md, issue 21, fifth pass).
        return pa.Table.from_batches(batches, schema=schema)
    columns = [
        pa.chunked_array([b.column(i) for b in batches], type=field.type)
        for i, field in enumerate(table.arrow)
    ]
    return pa.Table.from_arrays(columns, schema=table.arrow)


def _schema_diff(expected: pa.Schema, got: pa.Schema) -> str:
    if expected.names != got.names:
        missing = [n for n in expected.names if n not in got.names]
        extra = [n for n in got.names if n not in expected.names]
        return f"missing {missing[:5]}, unexpected {extra[:5]} (or another column order)"
    return "; ".join(
        f"{f.name} is {g.type}, not {f.type}"
        for f, g in zip(expected, got, strict=True)
        if f.type != g.type
    )


def _check_org(org_id: str) -> None:
    if not isinstance(org_id, str) or not _SAFE_ORG.match(org_id):
        raise ValueError(f"org_id {org_id!r} cannot name a partition folder")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
