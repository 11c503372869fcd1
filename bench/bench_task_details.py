"""Issue 3's baseline: load N taskDetails through the real code path, beside a bare fetch loop.

    .venv/bin/python -m bench.bench_task_details [--rows 200000] [--tasks-per-day 50000]

The sandbox runs in its own process (budget unlimited, clock frozen, an answer cache holding
every page of the run). Windows are UTC days before the sandbox's now, enough for ``--rows``
(50,000 tasks a day: 4-5 days); the Search client splits any over the 100,000-record cap. Three
passes over the same requests, in this order:

1. fetch-only, sandbox cold: a bare httpx loop posting the pipeline's own page queries and
   reading each body (gzip undone) without parsing it; the sandbox simulates and renders the
   days, then keeps every answer;
2. pipeline: the asset's path (token provider, retrying transport, Search client with its count
   queries and splits, column-wise normalizer, Parquet writer, DuckDB loader, i.e.
   ``warehouse.land.land_windows``) in a fresh process, against the warm sandbox; its peak RSS
   above its idle baseline is measured (see ``bench/_support.py``);
3. fetch-only, sandbox warm: the ceiling the pipeline pass was up against.

Figures and what bounds them: bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._support import cache_mb_for, fetch_only, pieces, run_pipeline, sandbox

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def day_windows(rows: int, tasks_per_day: int) -> list[tuple[int, int]]:
    """UTC days before ``NOW``'s previous day, newest first, enough for ``rows`` (one spare:
    weekends carry less)."""
    days = math.ceil(rows / tasks_per_day) + 1
    end = NOW - timedelta(days=1)
    return [
        (
            int((end - timedelta(days=d + 1)).timestamp() * 1000),
            int((end - timedelta(days=d)).timestamp() * 1000),
        )
        for d in range(days)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--tasks-per-day", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    windows = day_windows(args.rows, args.tasks_per_day)
    cache_mb = cache_mb_for(len(windows) * args.tasks_per_day * 6 // 5)
    with (
        sandbox(args.seed, args.tasks_per_day, NOW.isoformat(), cache_mb) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        # Whole windows until --rows are reached (a window is loaded whole or not at all).
        counted = time.perf_counter()
        plan = pieces(url, windows)  # the client's count queries: the sandbox simulates the days
        counted = time.perf_counter() - counted
        chosen: list[tuple[int, int]] = []
        total = 0
        for start, end in windows:
            if total >= args.rows:
                break
            chosen.append((start, end))
            total += sum(c for s, e, c in plan if start <= s and e <= end)
        plan = [p for p in plan if any(s <= p[0] and p[1] <= e for s, e in chosen)]
        cold = fetch_only(url, plan)
        piped = run_pipeline(url, chosen, Path(tmp))
        warm = fetch_only(url, plan)
    print(
        f"{len(chosen)} UTC-day windows at {args.tasks_per_day:,} tasks/day, "
        f"{len(plan)} pieces (sandbox cache {cache_mb:,} MiB)"
    )
    print(f"taskDetails rows             {piped.rows:>10,}")
    print(f"counts (sandbox simulates)   {counted:>10.1f} s for {len(windows)} windows")
    print(f"fetch-only, sandbox cold     {cold[0] / cold[1]:>10,.0f} rows/s  ({cold[1]:.1f} s)")
    print(
        f"pipeline (fetch..DuckDB)     {piped.rows / piped.seconds:>10,.0f} rows/s  "
        f"({piped.seconds:.1f} s)"
    )
    print(f"fetch-only, sandbox warm     {warm[0] / warm[1]:>10,.0f} rows/s  ({warm[1]:.1f} s)")
    print(
        f"pipeline peak RSS            {piped.peak_mib:>10,.0f} MiB = idle {piped.idle_mib:,.0f} "
        f"+ {piped.above_idle_mib:,.0f} MiB ({piped.method})"
    )
    for line in piped.splits:
        print(f"  client: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
