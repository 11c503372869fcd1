"""Issue 21: one window with the next page in flight while this one is processed, and without.

    .venv/bin/python -m bench.bench_prefetch [--tasks-per-day 8000] [--latency-ms 100]

One sandbox in its own process with ``--latency-ms`` added to every request (the real API's
latency is ~300 ms) and an unlimited budget. One UTC day of taskDetails is landed through
``land_windows`` (as the asset does) twice per mode, alternating: pages fetched in line (request,
then normalize and write, then the next request) and with ``paging.prefetched`` (the next
request in flight while a page is normalized and written). The first pass warms the sandbox's
cache. Printed per mode: best wall time, CPU seconds, and the sum and the larger of the two
parts measured apart (pages fetched alone; the landing CPU), so the overlap can be read off.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._support import cache_mb_for, sandbox, sandbox_tokens

NOW = datetime(2026, 11, 20, tzinfo=UTC)
START = int(datetime(2026, 11, 18, tzinfo=UTC).timestamp() * 1000)
END = START + 86_400_000


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    from pipelines.sources.http import WxccHttp
    from pipelines.sources.paging import prefetched
    from pipelines.sources.search import TASK_DETAILS as QUERY
    from pipelines.sources.search import SearchClient
    from warehouse.land import WarehousePaths, land_windows
    from warehouse.schemas import TASK_DETAILS

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks-per-day", type=int, default=8000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    cache = cache_mb_for(args.tasks_per_day * 2)
    with (
        sandbox(3, args.tasks_per_day, NOW.isoformat(), cache, latency_ms=args.latency_ms) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        tokens = sandbox_tokens(url, Path(tmp))
        org_id = tokens.token().split("_")[2]
        with SearchClient(WxccHttp(url, token_provider=tokens)) as client:
            started = time.perf_counter()
            rows = sum(len(p) for p in client.window_pages(QUERY, START, END))  # warms
            print(f"{rows:,} taskDetails rows; cold fetch {time.perf_counter() - started:.1f} s")
            fetch = min(
                _timed(lambda: sum(1 for _ in client.window_pages(QUERY, START, END)))
                for _ in range(args.repeat)
            )
            results: dict[str, list[tuple[float, float]]] = {"in line": [], "prefetched": []}
            for n in range(args.repeat):
                for mode in results:
                    pages = client.window_pages(QUERY, START, END)
                    if mode == "prefetched":
                        pages = prefetched(pages)
                    paths = WarehousePaths(Path(tmp) / f"{mode}-{n}")
                    cpu, wall = _cpu(), time.perf_counter()
                    land_windows(paths, [TASK_DETAILS], org_id, START, END, pages, publish=False)
                    results[mode].append((time.perf_counter() - wall, _cpu() - cpu))
    print(f"pages fetched alone (best): {fetch[0]:.2f} s wall, {fetch[1]:.2f} s CPU")
    for mode, runs in results.items():
        wall, cpu = min(runs)
        print(f"{mode:<11} best {wall:6.2f} s wall, {cpu:6.2f} s CPU")
    return 0


def _timed(run: object) -> tuple[float, float]:
    cpu, wall = _cpu(), time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - wall, _cpu() - cpu


if __name__ == "__main__":
    raise SystemExit(main())
