"""Baseline: load N taskDetails through the real code path and compare with a bare fetch loop.

The sandbox runs in its own process (budget unlimited, clock frozen) so it shares no core time
slices or GIL with the measured client. Windows are UTC days of ``--tasks-per-day`` tasks, under
the Search API's 100,000-record cap. The pipeline path is the asset's: token provider, retrying
transport, Search client (count query + pages), column-wise normalizer, Parquet writer and
DuckDB loader. The fetch-only ceiling posts the same page queries with httpx and reads only the
next cursor out of each body.

    .venv/bin/python -m bench.bench_task_details [--rows 200000] [--tasks-per-day 50000]
"""

from __future__ import annotations

import argparse
import math
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

import queries
from pipelines.sources.auth import TokenProvider
from pipelines.sources.http import WxccHttp
from pipelines.sources.search import SearchClient
from warehouse.land import WarehousePaths, land_window
from warehouse.normalize import records_to_batch
from warehouse.schemas import TASK_DETAILS

DAY_MS = 86_400_000
NOW = datetime(2026, 11, 20, tzinfo=UTC)
_CURSOR = re.compile(rb'"hasNextPage":(true|false),"endCursor":(null|"[^"]*")')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--tasks-per-day", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.tasks_per_day > 80_000:
        sys.exit("--tasks-per-day must leave days under the 100,000-record cap (say 80,000)")
    days = math.ceil(args.rows / args.tasks_per_day) + 1  # arrivals vary by weekday; one spare
    end = NOW.replace(hour=0) - timedelta(days=1)
    windows = [
        (
            int((end - timedelta(days=d + 1)).timestamp() * 1000),
            int((end - timedelta(days=d)).timestamp() * 1000),
        )
        for d in range(days)
    ]
    with _sandbox(args.seed, args.tasks_per_day) as base_url, tempfile.TemporaryDirectory() as tmp:
        cold = _fetch_only(base_url, windows, args.rows)
        piped = _pipeline(base_url, windows, args.rows, Path(tmp))
        warm = _fetch_only(base_url, windows, args.rows)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"taskDetails rows            {piped[0]:>10,}")
    print(f"pipeline (fetch..DuckDB)    {piped[0] / piped[1]:>10,.0f} rows/s  ({piped[1]:.1f} s)")
    print(f"fetch-only, sandbox cold    {cold[0] / cold[1]:>10,.0f} rows/s  ({cold[1]:.1f} s)")
    print(f"fetch-only, sandbox warm    {warm[0] / warm[1]:>10,.0f} rows/s  ({warm[1]:.1f} s)")
    print(f"peak RSS (bench process)    {peak_mib:>10,.0f} MiB")


class _sandbox:
    def __init__(self, seed: int, tasks_per_day: int) -> None:
        self.cmd = [
            sys.executable,
            "-m",
            "sandbox.cli",
            "serve",
            "--port",
            "0",
            "--budget",
            "0",
            "--seed",
            str(seed),
            "--tasks-per-day",
            str(tasks_per_day),
            "--now",
            NOW.isoformat(),
        ]

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("sandbox listening on "):
            self.proc.kill()
            raise RuntimeError(f"sandbox did not start: {line!r}")
        return line.removeprefix("sandbox listening on ")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _tokens(base_url: str, data_dir: Path) -> TokenProvider:
    return TokenProvider(
        identity_url=base_url,
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        refresh_token="sandbox-refresh",
        state_dir=data_dir / "state",
    )


def _pipeline(
    base_url: str, windows: list[tuple[int, int]], rows: int, data_dir: Path
) -> tuple[int, float]:
    paths = WarehousePaths(data_dir)
    tokens = _tokens(base_url, data_dir)
    org_id = tokens.token().split("_")[2]
    done = 0
    started = time.perf_counter()
    with SearchClient(WxccHttp(base_url, token_provider=tokens)) as client:
        for start_ms, end_ms in windows:
            if done >= rows:
                break
            pages = client.task_details_pages(start_ms, end_ms)
            batches = (records_to_batch(TASK_DETAILS, page, org_id) for page in pages)
            done += land_window(paths, TASK_DETAILS, org_id, start_ms, end_ms, batches).rows
    return done, time.perf_counter() - started


def _fetch_only(base_url: str, windows: list[tuple[int, int]], rows: int) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        token = _tokens(base_url, Path(tmp)).token()
    query = queries.graphql("task_details")
    done = 0
    started = time.perf_counter()
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        for start_ms, end_ms in windows:
            cursor: str | None = "NA"
            while cursor is not None and done < rows:
                body = {
                    "query": query,
                    "variables": {"from": start_ms, "to": end_ms, "cursor": cursor},
                }
                content = http.post(
                    "/search",
                    content=orjson.dumps(body),
                    headers={"Content-Type": "application/json"},
                ).content
                done += content.count(b'"status":')  # one per task record; no JSON parsing
                match = _CURSOR.search(content, max(0, len(content) - 200))
                cursor = (
                    orjson.loads(match.group(2)) if match and match.group(1) == b"true" else None
                )
            if done >= rows:
                break
    return done, time.perf_counter() - started


if __name__ == "__main__":
    main()
