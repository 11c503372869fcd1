"""Issue 21, fifth pass: the Parquet writer's CPU per row and file size under other options.

    .venv/bin/python -m bench.bench_parquet_options --data DIR [--tables task_details ...]

Reads the window files a load wrote (``DIR`` is its ``WXCC_DATA_DIR``) and writes each table's
rows again in one process, to memory, with the writer's options of today
(``warehouse.parquet``) and others; best of ``--repeats`` by ``process_time``.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse import parquet
from warehouse.catalog import TABLES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--tables", nargs="+", default=["task_details", "task_activity", "task_leg_details"]
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    for name in args.tables:
        table = TABLES[f"search.{name}"]
        files = sorted((args.data / "parquet" / "search" / name).glob("*/*/*.parquet"))
        rows = pa.concat_tables(pq.read_table(f, schema=table.arrow) for f in files)
        kept = parquet.statistics_columns(table)
        options = {
            "statistics on every column": {"compression": "zstd"},
            "statistics kept (today)": {"compression": "zstd", "write_statistics": kept},
            "no statistics": {"compression": "zstd", "write_statistics": False},
            "lz4, statistics kept": {"compression": "lz4", "write_statistics": kept},
        }
        best: dict[str, tuple[float, int]] = {}
        for _ in range(args.repeats):
            for label, kwargs in options.items():
                sink = io.BytesIO()
                started = time.process_time()
                with pq.ParquetWriter(sink, table.arrow, **kwargs) as writer:  # type: ignore[arg-type]
                    writer.write_table(rows, row_group_size=parquet.ROW_GROUP_ROWS)
                spent = time.process_time() - started
                if label not in best or spent < best[label][0]:
                    best[label] = (spent, sink.tell())
        print(f"{name}: {rows.num_rows:,} rows, {rows.num_columns} columns")
        base_cpu, base_size = best["statistics on every column"]
        for label, (spent, size) in best.items():
            print(
                f"  {label:28} {spent * 1e6 / rows.num_rows:5.2f} us a row ({spent / base_cpu:.2f}x)"
                f"  {size / 1e6:6.1f} MB ({size / base_size:.2f}x)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
