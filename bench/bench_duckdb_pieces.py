"""The Search load's DuckDB pieces, each timed alone over a landed data directory (issue 21).

Runs, in one process and in this order, what a whole ``wxcc-warehouse load --source search``
runs in DuckDB for the windows a load landed in ``DATA_DIR`` (e.g. one of ``/work/prof/load.sh``):

1. ``checks``: ``warehouse.land.check_window_file`` over every current window file, twice
   (the load checks each file before its commit and again in the step's ``unique_keys`` check);
2. ``marts``: per mart asset, one ``open_sources`` connection and ``build_window`` of its mart
   for each day the load builds (each day and the day after), as
   ``pipelines/assets/analytics.py`` does, then its ``counts_consistent`` query;
3. ``publish``: a full write of the published file, then an incremental one (one view changed),
   into a scratch copy of the store (``DATA_DIR`` is only read).

Prints CPU seconds (user + sys of the process: DuckDB's threads included) and minor page
faults of each piece (``resource.getrusage``), and wall seconds, as the machine may be shared::

    .venv/bin/python -m bench.bench_duckdb_pieces DATA_DIR [--only checks,marts,publish]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import queries
from warehouse import marts, publish, store
from warehouse.catalog import TABLES
from warehouse.land import check_window_file
from warehouse.paths import WarehousePaths

_WINDOW = re.compile(r"org_id=([^/]+)/date=[^/]+/(?:_versions/)?window=(\d+)-(\d+)")


@contextmanager
def measured(name: str, out: list[str]) -> Iterator[None]:
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    yield
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    line = (
        f"{name:44s} cpu {cpu:6.3f} s (user {after.ru_utime - before.ru_utime:6.3f}, "
        f"sys {after.ru_stime - before.ru_stime:5.3f})  faults "
        f"{after.ru_minflt - before.ru_minflt:8d}  wall {time.perf_counter() - wall:6.3f} s"
    )
    out.append(line)
    print(line, flush=True)


def checks(paths: WarehousePaths, out: list[str]) -> None:
    files = store.current_files(paths.store_path)
    for table_name, listed in sorted(files.items()):
        table = TABLES[table_name]
        with measured(f"check {table_name} x{2 * len(listed)}", out):
            for _ in range(2):
                for name in listed:
                    org_id, lo, hi = _WINDOW.search(name).groups()  # type: ignore[union-attr]
                    check_window_file(table, Path(name), org_id, int(lo), int(hi))


def build_marts(paths: WarehousePaths, out: list[str]) -> None:
    files = store.current_files(paths.store_path)
    windows = sorted({_WINDOW.search(n).groups() for n in files["search.task_details"]})  # type: ignore[union-attr]
    org_id = windows[0][0]
    loaded = [datetime.fromtimestamp(int(lo) / 1000, UTC) for _, lo, _ in windows]
    days = marts.days_to_build(loaded)
    for table in marts.MARTS:
        with measured(f"marts {table.qualified_name} {len(days)} days", out):
            with marts.open_sources(paths) as con:
                for day in days:
                    marts.build_window(
                        con, org_id, day, day + marts.DAY, marts.Settings(), tables=[table]
                    )
        with measured(f"consistency {table.qualified_name}", out):
            with marts.open_sources(paths) as con:
                con.execute(
                    queries.sql(f"checks/{table.name}_inconsistent_rows"),
                    {"org_id": org_id, "window_start": days[0], "window_end": days[-1]},
                ).fetchall()


def publish_twice(paths: WarehousePaths, out: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="duckdb-pieces-") as scratch:
        copy = WarehousePaths(Path(scratch))
        copy.store_path.parent.mkdir(parents=True)
        shutil.copyfile(paths.store_path, copy.store_path)
        files = copy.local_files(store.current_files(copy.store_path))
        with measured("publish (full write)", out):
            publish._write(copy, files, copy.published_path)
        some = sorted(files)[0]
        files[some] = files[some][:-1]
        with measured("publish (incremental, one view)", out):
            publish._write(copy, files, copy.published_path)


PIECES: dict[str, Callable[[WarehousePaths, list[str]], None]] = {
    "checks": checks,
    "marts": build_marts,
    "publish": publish_twice,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--only", default=",".join(PIECES))
    args = parser.parse_args(argv)
    paths = WarehousePaths(args.data_dir)
    out: list[str] = []
    with measured("all", out):
        for name in args.only.split(","):
            PIECES[name](paths, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
