"""Issue 21, fifth pass: one Search feed's CPU, system time and minor page faults, with glibc's
default allocator thresholds or with freed memory kept (``--kept``: blocks up to 32 MiB from the
heap, 128 MiB of a heap's free top kept; the same as ``MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=134217728`` in the environment).

    .venv/bin/python -m bench.bench_allocator --url URL --feed task_details [--days 1] [--kept]

Against a warm sandbox (``bench_search_cpu``'s: seed 3, ``--now 2026-11-20``): each day a window
thread pages the feed (pages prefetched by a thread of their own, as the asset does) and lands
it with ``warehouse.land.land_windows`` into a temporary directory. Printed: this process's user
and system CPU seconds, minor page faults and peak RSS. Run it alternated, each mode in a
process of its own (the thresholds are the process's).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import tempfile
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from bench._support import days_before, sandbox_tokens
from pipelines.assets.search import FEEDS
from pipelines.sources.http import WxccHttp
from pipelines.sources.paging import prefetched
from pipelines.sources.search import SearchClient
from warehouse.land import land_windows
from warehouse.paths import WarehousePaths

NOW = datetime(2026, 11, 20, tzinfo=UTC)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt(3), malloc.h


def keep_freed_memory() -> bool:
    """glibc's thresholds set so that freed blocks stay in the process (False: not glibc)."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, ValueError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20)) and bool(
        mallopt(_M_TRIM_THRESHOLD, 128 << 20)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--feed", default="task_details", choices=[f.name for f in FEEDS])
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--kept", action="store_true", help="the load's allocator thresholds")
    args = parser.parse_args(argv)
    if args.kept and not keep_freed_memory():
        parser.error("--kept needs glibc")
    feed = next(f for f in FEEDS if f.name == args.feed)
    days = days_before(NOW, args.days)
    with tempfile.TemporaryDirectory() as tmp:
        tokens = sandbox_tokens(args.url, Path(tmp))
        paths = WarehousePaths(Path(tmp) / "data")
        rows: list[int] = []

        def land(start: int, stop: int) -> None:
            with (
                SearchClient(WxccHttp(args.url, token_provider=tokens)) as client,
                closing(
                    prefetched(client.window_pages(feed.query, start, stop, decoder=feed.decoder))
                ) as pages,
            ):
                landed = land_windows(
                    paths, feed.tables, "bench-org", start, stop, pages, publish=False
                )
                rows.append(sum(r.rows for r in landed.values()))

        before, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        threads = [threading.Thread(target=land, args=day) for day in days]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(
        f"{'kept' if args.kept else 'default':8} {feed.name} rows {sum(rows):,}  user {user:.2f} s"
        f"  sys {system:.2f} s  CPU {user + system:.2f} s"
        f"  minor faults {after.ru_minflt - before.ru_minflt:,}"
        f"  peak RSS {after.ru_maxrss // 1024} MiB  wall {time.monotonic() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
