"""Issue 21, third pass: each Search feed's CPU through the dict path and the Arrow decoder.

    .venv/bin/python -m bench.bench_feed_cpu --url URL [--days 2] [--repeats 3]

Against a sandbox already serving (``bench_search_cpu``'s: seed 3, ``--now 2026-11-20``, warm),
for every Search feed (``pipelines.assets.search.FEEDS``): page each day with the
Search client and land it with ``warehouse.land.land_windows`` (Parquet, file checks, store
commit; no publish) into a fresh directory, without the decoder and (a feed that has one) with
it, alternated ``--repeats`` times. Printed per feed and path: the best CPU seconds of this process
(``process_time``: the client, decoding, normalizing, writing; the sandbox is another process)
and rows. No Dagster, no start-up: the feeds' own per-row work, which ``bench_search_cpu``'s
whole-process figure buries in its noise.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._support import days_before, sandbox_tokens
from pipelines.assets.search import FEEDS
from pipelines.sources.http import WxccHttp
from pipelines.sources.search import SearchClient
from warehouse.land import land_windows
from warehouse.paths import WarehousePaths

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    days = days_before(NOW, args.days)
    with tempfile.TemporaryDirectory() as tmp:
        tokens = sandbox_tokens(args.url, Path(tmp))
        for feed in FEEDS:
            best = {"dict path": float("inf")}
            if feed.decoder is not None:
                best["Arrow"] = float("inf")
            rows = {}
            for _ in range(args.repeats):
                for mode in best:
                    data = Path(tmp) / "data"
                    shutil.rmtree(data, ignore_errors=True)
                    paths = WarehousePaths(data)
                    decoder = feed.decoder if mode == "Arrow" else None
                    started = time.process_time()
                    landed = 0
                    with SearchClient(WxccHttp(args.url, token_provider=tokens)) as client:
                        for start, stop in days:
                            pages = client.window_pages(feed.query, start, stop, decoder=decoder)
                            result = land_windows(
                                paths, feed.tables, "bench-org", start, stop, pages, publish=False
                            )
                            landed += sum(r.rows for r in result.values())
                    best[mode] = min(best[mode], time.process_time() - started)
                    rows[mode] = landed
            line = f"{feed.name:<18} dict path {best['dict path']:6.2f} s"
            if "Arrow" in best:
                ratio = best["Arrow"] / best["dict path"]
                line += f"  Arrow {best['Arrow']:6.2f} s ({ratio:.2f}x)"
            else:
                line += "  (no decoder: the dict path only)"
            print(line + f"  rows {rows['dict path']:,}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
