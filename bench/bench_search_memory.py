"""Issue 4: the memory of loading one large day, which must not grow with the day's volume.

    .venv/bin/python -m bench.bench_search_memory [--small 15000] [--large 150000] [--phases]

Loads ONE UTC day of taskDetails at ``--small`` and at ``--large`` tasks per day, each against
its own sandbox (own process, budget unlimited, clock frozen, an answer cache holding the day),
through the asset's path: token provider, retrying transport, ``SearchClient.window_pages``
(counts the day; over the 100,000-record raw cap it splits the day in two by time, recursively,
and logs each split), normalizer, Parquet writer, DuckDB loader (``warehouse.land.land_windows``).
Per volume, in order: a fetch-only pass over the client's own pieces (warms the sandbox), the
pipeline pass in a fresh process (peak RSS above its idle baseline: ``bench/_support.py``), a
fetch-only pass again (the ceiling, sandbox warm). Prints rows, rows/s, the ceiling and the peak
above idle of each, and checks the target

    peak above idle at --large <= 1.2 x peak above idle at --small

(PASS/FAIL with the figures; exit status 1 on FAIL). ``--phases`` also reports the peak of the
streaming part (fetch, decode, Parquet) and of the window checks (DuckDB) apart. The DuckDB
settings come from the environment as in production (``$WXCC_DUCKDB_MEMORY_LIMIT``,
``$WXCC_DUCKDB_THREADS``: ``warehouse/duck.py``), so other values can be measured by setting them.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench._support import PipelineRun, cache_mb_for, fetch_only, pieces, run_pipeline, sandbox

NOW = datetime(2026, 11, 20, tzinfo=UTC)
DAY_START_MS = int(datetime(2026, 11, 18, tzinfo=UTC).timestamp() * 1000)  # a Wednesday
DAY_MS = 86_400_000
TARGET_RATIO = 1.2


def measure(
    tasks_per_day: int, seed: int, phases: bool
) -> tuple[PipelineRun, tuple[int, float], int]:
    """The pipeline pass, the warm fetch-only ceiling and the number of pieces of one day."""
    window = (DAY_START_MS, DAY_START_MS + DAY_MS)
    with (
        sandbox(seed, tasks_per_day, NOW.isoformat(), cache_mb_for(tasks_per_day * 3 // 2)) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        plan = pieces(url, [window])
        fetch_only(url, plan)  # the sandbox renders the day once and keeps every answer
        run = run_pipeline(url, [window], Path(tmp), phases=phases)
        ceiling = fetch_only(url, plan)
    return run, ceiling, len(plan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--small", type=int, default=15_000)
    parser.add_argument("--large", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args(argv)
    runs: dict[int, PipelineRun] = {}
    print(
        f"one UTC day [{datetime.fromtimestamp(DAY_START_MS / 1000, UTC):%Y-%m-%d}] of taskDetails"
    )
    for volume in (args.small, args.large):
        run, (rows, seconds), n_pieces = measure(volume, args.seed, args.phases)
        runs[volume] = run
        print(
            f"{volume:>8,} tasks/day: {run.rows:>8,} rows in {n_pieces} piece(s), "
            f"pipeline {run.rows / run.seconds:>7,.0f} rows/s ({run.seconds:.1f} s), "
            f"fetch-only ceiling {rows / seconds:>7,.0f} rows/s, "
            f"peak {run.above_idle_mib:>6,.0f} MiB above idle "
            f"(idle {run.idle_mib:,.0f}, peak {run.peak_mib:,.0f}; {run.method})"
        )
        if run.phases:
            print(
                "          peak above idle by phase: "
                + ", ".join(f"{name} {mib:,.0f} MiB" for name, mib in run.phases.items())
            )
        for line in run.splits:
            print(f"          client: {line}")
    small, large = runs[args.small].above_idle_mib, runs[args.large].above_idle_mib
    ratio = large / small if small > 0 else float("inf")
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(
        f"{verdict}: peak above idle at {args.large:,}/day {large:,.0f} MiB = {ratio:.2f} x "
        f"{small:,.0f} MiB at {args.small:,}/day (target <= {TARGET_RATIO} x)"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
