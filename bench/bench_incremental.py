"""Incremental cost: landing and publishing one more day, after 1 and after 30 days of history.

One day of the Search tables (``search.*``, the sandbox's ground truth at ``--tasks-per-day``) is
computed once; the history is that day shifted by whole days (every instant moved, keys made
unique per day), landed through ``warehouse.land.land_window`` like any window. Then one more day
is landed and published, best of ``--repeat`` (the same day reloaded: a reload replaces the window
as a new one arrives), with 1 and with 30 days of history. Printed: wall and CPU seconds of the
land (write files, check them, commit) and of the publish, the published file's size, and the
ratio 30-day / 1-day of the total (target <= 1.2).

The projection to 36 months at 50,000 tasks a day uses the measured parts: landing costs per GB of
window files (linear in the day's bytes, whatever the history), publishing costs a fixed part plus
a part per window file (fitted from the two publishes), and disk is a day's bytes times the days.

    .venv/bin/python -m bench.bench_incremental [--tasks-per-day 5000] [--history 30]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.model import Tenant
from sandbox.truth import write_truth
from warehouse import store
from warehouse.land import WarehousePaths, land_window
from warehouse.publish import publish
from warehouse.schemas import TABLES, Table

DAY_MS = 86_400_000
DAY0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
NOW_MS = DAY0_MS + 2 * DAY_MS  # every task of the day ended
SEED = 42
PROJECTION_TASKS = 50_000
PROJECTION_DAYS = 36 * 30 + 15  # 36 months


@dataclass
class Step:
    wall: float
    cpu: float


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn) -> Step:  # noqa: ANN001
    wall, cpu = time.perf_counter(), _cpu()
    fn()
    return Step(time.perf_counter() - wall, _cpu() - cpu)


def _shift(table: Table, data: pa.Table, days: int) -> pa.Table:
    """The day moved by ``days``: instants shifted, string keys suffixed so they stay unique."""
    columns = []
    keys = set(table.key) | {c.name for c in table.columns if c.from_parent and c.name in table.key}
    for field in data.schema:
        column = data.column(field.name)
        if pa.types.is_timestamp(field.type):
            shifted = pc.add(column.cast(pa.int64()), days * DAY_MS)
            column = shifted.cast(field.type)
        elif field.name in keys and pa.types.is_string(field.type):
            column = pc.binary_join_element_wise(column, pa.scalar(f"~d{days}"), "")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=data.schema)


def _shifted(day: dict[Table, pa.Table], offset: int) -> dict[Table, pa.Table]:
    return {t: _shift(t, d, offset) if offset else d for t, d in day.items()}


def _land_day(paths: WarehousePaths, day: dict[Table, pa.Table], offset: int) -> None:
    """Land ``day``, already shifted to ``offset``."""
    start = DAY0_MS + offset * DAY_MS
    org_id = Tenant(SEED, 1).org_id
    for table, data in day.items():
        land_window(paths, table, org_id, start, start + DAY_MS, data, publish=False)


def _measure(paths: WarehousePaths, day: dict[Table, pa.Table], offset: int, repeat: int):  # noqa: ANN202
    best: tuple[Step, Step] | None = None
    day = _shifted(day, offset)
    for _ in range(repeat):
        land = _timed(lambda: _land_day(paths, day, offset))
        pub = _timed(lambda: publish(paths))
        if best is None or land.wall + pub.wall < best[0].wall + best[1].wall:
            best = (land, pub)
    assert best is not None
    return best


def _publish_at(paths: WarehousePaths, days: int) -> tuple[Step, int]:
    """Point the store at ``days`` days of window files (links of the landed day's), publish."""
    current = store.current_files(paths.store_path)
    org_id = Tenant(SEED, 1).org_id
    count = 0
    for name, (first, *_rest) in current.items():
        links = Path(first).parent / "_bench"
        links.mkdir(exist_ok=True)
        for offset in range(1, days):
            link = links / f"{offset}.parquet.v"
            if not link.exists():
                os.link(first, link)
            start = DAY0_MS + (1000 + offset) * DAY_MS
            store.commit_window(
                paths.store_path,
                org_id,
                start,
                start + DAY_MS,
                [store.WindowFile(name, str(link), 0)],
            )
            count += 1
    count += sum(len(v) for v in current.values())
    return _timed(lambda: publish(paths)), count


def _day_bytes(paths: WarehousePaths, offset: int) -> int:
    day = time.strftime("%Y-%m-%d", time.gmtime((DAY0_MS + offset * DAY_MS) / 1000))
    return sum(p.stat().st_size for p in paths.parquet_root.rglob(f"date={day}/*.parquet"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks-per-day", type=int, default=5000)
    parser.add_argument("--history", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    out = sys.stdout
    with tempfile.TemporaryDirectory() as tmp:
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
        out.write(f"one day: {args.tasks_per_day} tasks, {rows:,} rows in {len(day)} tables\n")
        results = {}
        for history in (1, args.history):
            paths = WarehousePaths(Path(tmp) / f"h{history}")
            for offset in range(history):
                _land_day(paths, _shifted(day, offset), offset)
            publish(paths)
            land, pub = _measure(paths, day, history, args.repeat)
            files = sum(1 for _ in paths.parquet_root.rglob("*.parquet"))
            size = paths.published_path.stat().st_size
            day_bytes = _day_bytes(paths, history)
            results[history] = (land, pub, files, day_bytes)
            out.write(
                f"history {history:>3} days ({files:>4} window files): land {land.wall:.2f}s wall "
                f"{land.cpu:.2f}s CPU, publish {pub.wall:.3f}s wall {pub.cpu:.3f}s CPU, "
                f"published file {size / 1e6:.2f} MB, one day {day_bytes / 1e6:.1f} MB\n"
            )
        # Publishing at 36 months of history, measured: the store given one window file per table
        # and day for PROJECTION_DAYS days (hard links of the day's files: publishing reads no
        # rows, only the first file of each table to type its view).
        paths = WarehousePaths(Path(tmp) / "h1")
        long_pub = _publish_at(paths, PROJECTION_DAYS)
        out.write(
            f"publish with {PROJECTION_DAYS} days of window files ({long_pub[1]:,} files): "
            f"{long_pub[0].wall:.2f}s wall {long_pub[0].cpu:.2f}s CPU, published file "
            f"{paths.published_path.stat().st_size / 1e6:.2f} MB\n"
        )
        (l1, p1, _f1, b1), (ln, pn, _fn, _bn) = results[1], results[args.history]
        ratio = (ln.wall + pn.wall) / (l1.wall + p1.wall)
        cpu_ratio = (ln.cpu + pn.cpu) / (l1.cpu + p1.cpu)
        out.write(
            f"ratio {args.history}-day / 1-day history (land + publish): {ratio:.2f}x wall, "
            f"{cpu_ratio:.2f}x CPU (target <= 1.2x)\n"
        )
        # Projection: landing per GB of window files (from the larger day measured), publishing
        # as measured with 36 months of files.
        land_per_gb = min(l1.wall, ln.wall) / (b1 / 1e9)
        land_cpu_per_gb = min(l1.cpu, ln.cpu) / (b1 / 1e9)
        scale = PROJECTION_TASKS / args.tasks_per_day
        day_gb = b1 / 1e9 * scale
        first = land_per_gb * day_gb + p1.wall
        projected = land_per_gb * day_gb + long_pub[0].wall
        out.write(
            f"projection, one org at {PROJECTION_TASKS:,} tasks a day for 36 months: "
            f"{day_gb * 1e3:.0f} MB of window files a day, disk {day_gb * PROJECTION_DAYS:.0f} GB; "
            f"one daily load: land {land_per_gb * day_gb:.1f}s wall "
            f"({land_per_gb:.0f}s per GB; {land_cpu_per_gb * day_gb:.1f}s CPU) + publish "
            f"{long_pub[0].wall:.2f}s = {projected:.1f}s (after 1 day: {first:.1f}s), "
            f"ratio {projected / first:.2f}x\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
