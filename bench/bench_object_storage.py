"""Window files on S3-compatible storage: what the bucket adds to landing, publishing and reading.

A local S3-compatible server (``moto_server``, in its own process) holds the window files. One day
of the Search tables (the sandbox's ground truth at ``--tasks-per-day``) is landed ``--days``
times (shifted by whole days, as ``bench_incremental`` does) on the local disk and then on the
bucket. Printed, wall and CPU seconds of this process:

- landing one day: local files, or local files plus the put of every version;
- publishing on the writing machine (its versions mirrored already: O(files)) and on a fresh
  machine that has the store only (every version downloaded once into its mirror);
- one analyst query (rows and distinct queues per day of ``search.task_details``) through the
  published file (views over the mirror), and through a pyarrow dataset over the bucket
  registered in DuckDB, the one way DuckDB 2.0 reads S3 here (no httpfs): each query reads the
  bucket again.

moto keeps objects in its own memory and answers on loopback: a real bucket adds network
latency and bandwidth, so these are lower bounds for the bucket's part.

    .venv/bin/python -m bench.bench_object_storage [--tasks-per-day 2000] [--days 5]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pyarrow import fs as pafs

from bench.bench_incremental import (
    DAY0_MS,
    DAY_MS,
    NOW_MS,
    SEED,
    Step,
    _land_day,
    _shifted,
    _timed,
)
from sandbox.truth import write_truth
from warehouse import store
from warehouse.objects import ObjectStore
from warehouse.paths import WarehousePaths
from warehouse.publish import publish
from warehouse.schemas import TABLES

BUCKET = "wxcc-bench"
QUERY = (
    "SELECT CAST(created_time AS DATE) AS day, count(*) AS tasks, "
    "count(DISTINCT last_queue_id) AS queues FROM {relation} GROUP BY ALL ORDER BY ALL"
)


@contextmanager
def _s3_server() -> Iterator[str]:
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        for line in server.stderr:
            found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
            if found:
                break
        else:
            raise RuntimeError("moto_server did not start")
        yield found[1]
    finally:
        server.terminate()
        server.wait()


def _line(what: str, step: Step) -> str:
    return f"{what}: {step.wall:.2f}s wall, {step.cpu:.2f}s CPU"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks-per-day", type=int, default=2000)
    parser.add_argument("--days", type=int, default=5)
    args = parser.parse_args(argv)
    out = sys.stdout
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    with tempfile.TemporaryDirectory() as tmp, _s3_server() as endpoint:
        truth = Path(tmp) / "truth"
        write_truth(
            truth,
            seed=SEED,
            tasks_per_day=args.tasks_per_day,
            now_ms=NOW_MS,
            from_ms=DAY0_MS,
            to_ms=DAY0_MS + DAY_MS,
            families=("search",),
        )
        day = {t: pq.read_table(truth / f"{n}.parquet", schema=t.arrow) for n, t in TABLES.items()}
        rows = sum(d.num_rows for d in day.values())
        host = endpoint.removeprefix("http://")
        pafs.S3FileSystem(
            endpoint_override=host, scheme="http", region="us-east-1", allow_bucket_creation=True
        ).create_dir(BUCKET)
        bucket = ObjectStore(f"s3://{BUCKET}/bench", endpoint)
        local = WarehousePaths(Path(tmp) / "local")
        remote = WarehousePaths(Path(tmp) / "s3", bucket)
        days = [_shifted(day, offset) for offset in range(args.days)]
        landed = {}
        for name, paths in (("local disk", local), ("S3", remote)):
            steps = [
                _timed(lambda p=paths, d=d, o=o: _land_day(p, d, o)) for o, d in enumerate(days)
            ]
            landed[name] = min(steps, key=lambda s: s.wall)
        day_bytes = (
            sum(
                p.stat().st_size for p in local.parquet_root.rglob("*.parquet") if "date=" in str(p)
            )
            / args.days
        )
        out.write(
            f"one day: {args.tasks_per_day} tasks, {rows:,} rows, {day_bytes / 1e6:.1f} MB of "
            f"window files; {args.days} days landed\n"
        )
        for name, step in landed.items():
            out.write(_line(f"  land one day, {name} (best of {args.days})", step) + "\n")
        files = sum(len(v) for v in store.current_files(remote.store_path).values())
        out.write(_line("  publish, local disk", _timed(lambda: publish(local))) + "\n")
        out.write(
            _line(
                f"  publish, S3, writing machine ({files} files mirrored)",
                _timed(lambda: publish(remote)),
            )
            + "\n"
        )
        fresh = WarehousePaths(Path(tmp) / "fresh", bucket)
        shutil.copytree(remote.store_path.parent, fresh.store_path.parent)
        first = _timed(lambda: publish(fresh))
        mirrored = sum(p.stat().st_size for p in fresh.parquet_root.rglob("*.parquet.v"))
        out.write(
            _line(
                f"  publish, S3, fresh machine (downloads {mirrored / 1e6:.1f} MB, "
                f"{mirrored / 1e6 / max(first.wall, 1e-9):.0f} MB/s)",
                first,
            )
            + "\n"
        )
        with duckdb.connect(str(fresh.published_path), read_only=True) as con:
            expected = con.sql(QUERY.format(relation="search.task_details")).fetchall()
            via_mirror = _timed(
                lambda: con.sql(QUERY.format(relation="search.task_details")).fetchall()
            )
        current = store.current_files(remote.store_path)["search.task_details"]
        s3 = bucket.filesystem()
        keys = [f.removeprefix("s3://") for f in current]
        with duckdb.connect() as con:
            found: list[object] = []

            def query_s3() -> None:
                dataset = ds.dataset(keys, filesystem=s3, format="parquet")
                con.register("task_details_s3", dataset)
                found[:] = con.sql(QUERY.format(relation="task_details_s3")).fetchall()
                con.unregister("task_details_s3")

            via_s3 = _timed(query_s3)
        assert found == expected, "the bucket and the mirror disagree"
        out.write(_line("  query through the published file (mirror)", via_mirror) + "\n")
        out.write(_line("  query through a pyarrow dataset on S3", via_s3) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
