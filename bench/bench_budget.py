"""Issue 6: a rate-limited backfill lands rows close to the API budget's ceiling, losing none.

    .venv/bin/python -m bench.bench_budget [--days 4] [--tasks-per-day 50000] [--latency-ms 300]

The sandbox runs in its own process with the real service's budget (300 requests a minute per
client) and ``--latency-ms`` added to every API request. The pipeline runs the
``search/task_details`` asset through Dagster (in-process executor) as one single-run backfill
of ``--days`` UTC days: its windows land concurrently (``WXCC_WINDOW_WORKERS``, default 4), every
client drawing on the org's shared limiter. The ceiling is the budget times the page size:
300 pages a minute x 250 rows = 1,250 rows/s. Counted: rows landed, requests (pages and count
queries), 429s answered by the sandbox, and each against the ceiling.

One pager alone waits ``latency`` per page (300 ms: 200 pages a minute); ``--workers 1`` shows it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench._support import cache_mb_for, sandbox

NOW = datetime(2026, 11, 20, tzinfo=UTC)
PAGE_ROWS = 250
BUDGET = 300


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--tasks-per-day", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    last = (NOW - timedelta(days=2)).date()  # weekdays before the frozen now
    first = last - timedelta(days=args.days - 1)
    cache_mb = cache_mb_for(args.days * args.tasks_per_day * 6 // 5)
    with (
        sandbox(
            args.seed,
            args.tasks_per_day,
            NOW.isoformat(),
            cache_mb,
            budget=BUDGET,
            latency_ms=args.latency_ms,
        ) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        os.environ.update(
            {
                "WXCC_API_URL": url,
                "WXCC_IDENTITY_URL": url,
                "WXCC_CLIENT_ID": "sandbox-client",
                "WXCC_CLIENT_SECRET": "sandbox-secret",
                "WXCC_REFRESH_TOKEN": "sandbox-refresh",
                "WXCC_DATA_DIR": str(Path(tmp) / "data"),
                "DAGSTER_HOME": tmp,
                "WXCC_WINDOW_WORKERS": str(args.workers),
            }
        )
        import dagster as dg
        from dagster._core.storage.tags import (
            ASSET_PARTITION_RANGE_END_TAG,
            ASSET_PARTITION_RANGE_START_TAG,
        )

        from pipelines import progress
        from pipelines.definitions import defs
        from pipelines.partitions import partition_key

        job = defs.resolve_job_def("search_job")
        landed_at: list[float] = []
        started = time.monotonic()
        with (
            dg.instance_for_test(temp_dir=tmp) as instance,
            progress.listening(lambda *_: landed_at.append(time.monotonic())),
        ):
            result = job.execute_in_process(
                instance=instance,
                asset_selection=[
                    dg.AssetKey(["search", "task_details"]),
                    dg.AssetKey(["search", "task_variable"]),
                ],
                tags={
                    ASSET_PARTITION_RANGE_START_TAG: partition_key("default", first.isoformat()),
                    ASSET_PARTITION_RANGE_END_TAG: partition_key("default", last.isoformat()),
                },
                raise_on_error=True,
            )
            seconds = time.monotonic() - started
            metadata = next(
                e.materialization.metadata
                for e in result.get_asset_materialization_events()
                if e.materialization.asset_key.path == ["search", "task_details"]
            )
    paging = max(landed_at) - started  # until the last window landed; then publish and checks
    rows = int(metadata["rows"].value)
    requests = int(metadata["requests"].value)
    pages = int(metadata["pages"].value)
    limited = int(metadata["rate_limited"].value)
    ceiling = BUDGET * PAGE_ROWS / 60
    print(f"days {first}..{last}  tasks/day {args.tasks_per_day:,}  latency {args.latency_ms} ms")
    print(f"  workers                {args.workers}")
    print(f"  rows landed            {rows:,} in {seconds:.1f} s")
    print(f"  requests               {requests:,} ({pages:,} pages), 429s answered {limited}")
    print(f"  requests a minute      {requests / seconds * 60:.0f} (budget {BUDGET})")
    print(
        f"  rows/s                 {rows / seconds:,.0f} (ceiling {ceiling:,.0f}: "
        f"{rows / seconds / ceiling:.1%})"
    )
    print(
        f"  until the last window  {paging:.1f} s: {rows / paging:,.0f} rows/s "
        f"({rows / paging / ceiling:.1%}), {requests / paging * 60:.0f} requests a minute; "
        f"then {seconds - paging:.1f} s of checks and publishing"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
