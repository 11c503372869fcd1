"""Issue 21, fifth pass: one Search feed's CPU and cyclic-GC time in one process.

    .venv/bin/python -m bench.bench_feed_gc --url URL --feed agent_activity [--days 1] [--repeats 2]

Against a sandbox already serving (``bench_search_cpu``'s: seed 3, ``--now 2026-11-20``, warm),
the feed (``pipelines.assets.search.FEEDS``) is paged day by day with its decoder and the page
prefetch, as the asset does (task_details with its CAD variables, unconfigured), and landed with
``warehouse.land.land_windows`` (Parquet, file checks, store commit; no publish) into a fresh
directory. Printed per repeat: CPU seconds of this process, wall, rows, requests, and the time
the cyclic garbage collector ran (``gc.callbacks``, thread CPU time) with its full collections.
The CPU figure moves by 10-20 % on a shared machine; the GC time much less, which is how the
fifth pass showed what freeing the further activity pages' dicts early saved. Run it with
another checkout's interpreter (``/path/to/other/.venv/bin/python -m bench.bench_feed_gc`` from
that checkout) to compare, alternating.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._support import days_before, sandbox_tokens
from pipelines.assets.search import FEEDS
from pipelines.sources.http import WxccHttp
from pipelines.sources.paging import prefetched
from pipelines.sources.search import SearchClient
from warehouse import schemas
from warehouse.land import land_windows
from warehouse.paths import WarehousePaths
from warehouse.variables import with_variables

NOW = datetime(2026, 11, 20, tzinfo=UTC)


class _GcClock:
    """CPU time the collector runs (its thread's), and how many full collections."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.thread_time()
            return
        self.seconds += time.thread_time() - self._started
        self.full += info["generation"] == 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--feed", required=True, choices=[f.name for f in FEEDS])
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    feed = next(f for f in FEEDS if f.name == args.feed)
    days = days_before(NOW, args.days)
    clock = _GcClock()
    gc.callbacks.append(clock)
    with tempfile.TemporaryDirectory() as tmp:
        tokens = sandbox_tokens(args.url, Path(tmp))
        for repeat in range(args.repeats):
            data = Path(tmp) / "data"
            shutil.rmtree(data, ignore_errors=True)
            paths = WarehousePaths(data)
            clock.seconds, clock.full = 0.0, 0
            cpu, wall = time.process_time(), time.monotonic()
            rows = 0
            with SearchClient(WxccHttp(args.url, token_provider=tokens)) as client:
                for start, stop in days:
                    pages: Iterator[Any] = prefetched(
                        client.window_pages(feed.query, start, stop, decoder=feed.decoder)
                    )
                    if schemas.TASK_VARIABLE in feed.tables:
                        pages = (with_variables(page, ()) for page in pages)
                    landed = land_windows(
                        paths, feed.tables, "bench-org", start, stop, pages, publish=False
                    )
                    rows += sum(r.rows for r in landed.values())
                stats = client.stats
            print(
                f"{feed.name} #{repeat + 1}: CPU {time.process_time() - cpu:.2f} s, wall "
                f"{time.monotonic() - wall:.2f} s, rows {rows:,}, requests {stats.requests:,}, "
                f"GC {clock.seconds:.2f} s ({clock.full} full)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
