"""Issue 21, fifth and sixth passes: the Parquet writer's CPU per row, file size and DuckDB's
scan of the file under other options.

    .venv/bin/python -m bench.bench_parquet_options --data DIR [--tables task_details ...]

Reads the window files a load wrote (``DIR`` is its ``WXCC_DATA_DIR``) and writes each table's
rows again in one process, to memory, in row groups of the size ``WindowWriter`` makes (64k rows
or 16 MB of Arrow data), with the writer's options of today (``warehouse.parquet``) and others;
best of ``--repeats`` by ``process_time``. Each file is then scanned whole by DuckDB in one
thread (``max`` of every column: every page decoded), best of ``--repeats``, CPU ms.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse import parquet
from warehouse.catalog import TABLES


def _scan(path: Path, names: list[str], repeats: int) -> float:
    """CPU ms of DuckDB reading every column of the file (one thread), best of ``repeats``."""
    con = duckdb.connect()
    con.execute("SET threads = 1")
    # Column names from the table catalog, quoted; the file is a bound parameter.
    columns = ", ".join(f'max("{name}")' for name in names)
    query = f"SELECT count(*), {columns} FROM read_parquet($path)"  # noqa: S608
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        con.execute(query, {"path": str(path)}).fetchall()
        best = min(best, time.process_time() - started)
    con.close()
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--tables",
        nargs="+",
        default=["task_details", "task_activity", "task_leg_details", "agent_activity"],
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    for name in args.tables:
        table = TABLES[f"search.{name}"]
        files = sorted((args.data / "parquet" / "search" / name).glob("*/*/*.parquet"))
        rows = pa.concat_tables(pq.read_table(f, schema=table.arrow) for f in files)
        rows = rows.combine_chunks()
        group = min(
            parquet.ROW_GROUP_ROWS, parquet.ROW_GROUP_BYTES * rows.num_rows // rows.nbytes + 1
        )
        kept = parquet.statistics_columns(table)
        repeating = parquet.dictionary_columns(rows.slice(0, group))
        options: dict[str, dict[str, Any]] = {
            "dictionary on every column": {"compression": "zstd", "write_statistics": kept},
            "repeating columns (today)": {
                "compression": "zstd",
                "write_statistics": kept,
                "use_dictionary": repeating,
            },
            "no dictionary": {
                "compression": "zstd",
                "write_statistics": kept,
                "use_dictionary": False,
            },
            "zstd level -1, today's": {
                "compression": "zstd",
                "compression_level": -1,
                "write_statistics": kept,
                "use_dictionary": repeating,
            },
            "lz4, today's": {
                "compression": "lz4",
                "write_statistics": kept,
                "use_dictionary": repeating,
            },
        }
        best: dict[str, tuple[float, bytes]] = {}
        for _ in range(args.repeats):
            for label, kwargs in options.items():
                sink = io.BytesIO()
                started = time.process_time()
                with pq.ParquetWriter(sink, table.arrow, **kwargs) as writer:
                    for at in range(0, rows.num_rows, group):
                        writer.write_table(rows.slice(at, group))
                spent = time.process_time() - started
                if label not in best or spent < best[label][0]:
                    best[label] = (spent, sink.getvalue())
        print(
            f"{name}: {rows.num_rows:,} rows, {rows.num_columns} columns, row groups of "
            f"{group:,} rows, {len(repeating)} columns repeat"
        )
        base_cpu, base_file = best["dictionary on every column"]
        with tempfile.TemporaryDirectory() as folder:
            for label, (spent, data) in best.items():
                path = Path(folder) / "file.parquet"
                path.write_bytes(data)
                scan = _scan(path, rows.column_names, args.repeats)
                print(
                    f"  {label:28} {spent * 1e6 / rows.num_rows:5.2f} us a row"
                    f" ({spent / base_cpu:.2f}x)  {len(data) / 1e6:6.1f} MB"
                    f" ({len(data) / len(base_file):.2f}x)  DuckDB scan {scan:6.1f} ms"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
