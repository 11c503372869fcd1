"""Diagnosis for issue 4: the memory of loading window files into DuckDB, today's way and others.

    .venv/bin/python -m bench.diag_load_memory DATA_DIR [--how files|arrow|parquet]
        [--memory-limit 256MB] [--threads 1] [--no-insertion-order]

``DATA_DIR`` holds window files of ``search.task_details`` (``DATA_DIR/parquet/...``), e.g. from a
pipeline pass kept on disk::

    .venv/bin/python -m bench._support --url URL --data-dir /tmp/wh --windows '[[START, END]]'

All the files found are loaded in ONE transaction into a new DuckDB file (``duck.connect`` as a
window load does, so with its memory settings, ``$WXCC_DUCKDB_MEMORY_LIMIT`` and
``$WXCC_DUCKDB_THREADS``; the options override them), with the committed delete/insert
statements, and the peak RSS above the process's RSS before the load is printed (``VmHWM`` after
``clear_refs``; see bench/_support.py):

- ``files`` (``warehouse.land._load`` since issue 4): ``duck.load_window_files``, DuckDB reads
  each file itself through a temp view and checks it in SQL (one file at a time);
- ``arrow`` (before issue 4): ``pq.read_table`` of the files, then ``duck.load_windows`` (Arrow
  checks, register, insert);
- ``parquet``: a temp view over ``read_parquet`` of all the files, the delete/insert statements
  alone (no checks).

Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import queries
from bench._support import _status_kib
from warehouse import duck
from warehouse.ddl import delete_window_query, insert_query, staged_name
from warehouse.schemas import TASK_DETAILS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--how", choices=("files", "arrow", "parquet"), default="files")
    parser.add_argument("--memory-limit")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--no-insertion-order", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="load the files this many times")
    args = parser.parse_args(argv)
    files = sorted((args.data_dir / "parquet").rglob("window=*.parquet"))
    if not files:
        raise SystemExit(f"no window files under {args.data_dir / 'parquet'}")
    bounds = [_bounds(f) for f in files]
    start, end = min(b[0] for b in bounds), max(b[1] for b in bounds)
    org_id = files[0].parent.parent.name.split("=", 1)[1]
    with tempfile.TemporaryDirectory() as tmp:
        con = duck.connect(Path(tmp) / "w.duckdb", memory_limit=duck.configured_memory_limit())
        if args.memory_limit:
            con.execute(f"SET memory_limit = '{args.memory_limit}'")
        if args.threads:
            con.execute(f"SET threads = {int(args.threads)}")
        if args.no_insertion_order:
            con.execute("SET preserve_insertion_order = false")
        duck.create_tables(con, [TASK_DETAILS])
        before = _status_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")
        if args.how == "files":
            for path in files:
                for _ in range(args.repeat):
                    rows = duck.load_window_files(
                        con, org_id, *_bounds(path), {TASK_DETAILS: path}
                    )[TASK_DETAILS].rows_inserted
        elif args.how == "arrow":
            data = pa.concat_tables([pq.read_table(f, schema=TASK_DETAILS.arrow) for f in files])
            rows = duck.load_windows(con, org_id, start, end, {TASK_DETAILS: data})[
                TASK_DETAILS
            ].rows_inserted
        else:
            listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
            con.execute(
                f"CREATE TEMP VIEW {staged_name(TASK_DETAILS)} AS "
                f"SELECT * FROM read_parquet([{listed}])"
            )
            params = {
                "org_id": org_id,
                "window_start": duck._instant(start),
                "window_end": duck._instant(end),
            }
            con.begin()
            con.execute(queries.sql(delete_window_query(TASK_DETAILS)), params).fetchall()
            rows = con.execute(queries.sql(insert_query(TASK_DETAILS))).fetchall()[0][0]
            con.commit()
        con.execute("CHECKPOINT")
        peak = _status_kib("VmHWM")
        limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        con.close()
    print(
        f"{args.how}: {rows:,} rows from {len(files)} file(s) in one transaction, peak "
        f"{(peak - before) / 1024:,.0f} MiB above the RSS before the load (memory_limit {limit})"
    )
    return 0


def _bounds(path: Path) -> tuple[int, int]:
    start, end = path.stem.split("=", 1)[1].split("-")
    return int(start), int(end)


if __name__ == "__main__":
    raise SystemExit(main())
