"""Serving rate of raw Search pages over HTTP (figures in sandbox/README.md (Part 2)).

    .venv/bin/python -m sandbox.search.benchmark [--days 3] [--tasks-per-day 2000]
        [--window-hours 24] [--cache-mb 2048] [--encodings gzip,identity] [--warm-passes 3]
        [--query task_details|task|task_leg_details|agent_sessions|agent_activities]

Starts ``wxcc-sandbox serve`` in a subprocess (so client and server do not share a GIL), takes a
token, then for each of ``--days`` past days of the tenant (org-local days, each new to the
server) cuts the day into windows of ``--window-hours`` and pages each window with one of the
project's all-fields queries (default ``queries/graphql/task_details.graphql``, 250 rows a page;
``task`` 100, ``task_leg_details`` 500, ``agent_sessions`` and ``agent_activities`` 250 sessions
a page with UUID cursors) the way the pipeline does: one count aggregation, a window over the
100,000-record raw cap split in two by time until every piece fits (as ``SearchClient``
does), then every page of each piece. Reported per pass, in rows (records: tasks, legs,
sessions) a second:

- cold: counts + pages of a day not seen before (the data model simulates the day);
- cold pages: the pages alone, after the counts loaded the day (the server renders each page
  from the model, projects it and serializes it; nothing is cached yet);
- warm: the same requests again, ``--warm-passes`` times (answers served from the cache: the
  server starts with ``--cache-mb``, enough for a day's pages);

each with gzip (httpx's default ``Accept-Encoding``) and without. The client reads each body as
sent and does not decode it (page-index cursors are known in advance; search-after cursors are
read from the end of the body), so the figures are the server's. The server's peak RSS is
printed last.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from queries import graphql

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
NOW_ISO = "2025-11-20T15:00:00Z"
NOW_MS = 1_763_650_800_000
FIRST_DAY_MS = 1_763_528_400_000  # 2025-11-19 00:00 America/New_York
RAW_CAP = 100_000
_CURSOR = re.compile(rb'"hasNextPage":(true|false),"endCursor":(null|"[^"]*")')


def _start(tasks_per_day: int, cache_mb: int) -> tuple[subprocess.Popen[str], str]:
    exe = Path(sys.executable).with_name("wxcc-sandbox")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "sandbox.cli"]
    proc = subprocess.Popen(
        [
            *cmd,
            "serve",
            "--now",
            NOW_ISO,
            "--budget",
            "0",
            "--tasks-per-day",
            str(tasks_per_day),
            "--cache-mb",
            str(cache_mb),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    return proc, line.removeprefix("sandbox listening on ")


# query file -> (root field, count query file, page size, raw cap applies, search-after cursor)
QUERIES: dict[str, tuple[str, str, int, bool, bool]] = {
    "task_details": ("taskDetails", "task_details_count", 250, True, False),
    "task": ("task", "task_count", 100, True, False),
    "task_leg_details": ("taskLegDetails", "task_leg_details_count", 500, True, False),
    "agent_sessions": ("agentSession", "agent_sessions_count", 250, False, True),
    "agent_activities": ("agentSession", "agent_sessions_count", 250, False, True),
}

Request = tuple[int, int, str | None]  # piece start, piece end, cursor


def _count(http: httpx.Client, headers: dict[str, str], name: str, start: int, end: int) -> int:
    root, count_name, *_ = QUERIES[name]
    response = http.post(
        "/search",
        json={"query": graphql(count_name), "variables": {"from": start, "to": end}},
        headers=headers,
    )
    response.raise_for_status()
    answer = orjson.loads(response.content)["data"][root]
    list_field = next(k for k in answer if k != "pageInfo")
    return int(answer[list_field][0]["aggregation"][0]["value"])


def _pieces(
    http: httpx.Client, headers: dict[str, str], name: str, start: int, end: int
) -> list[tuple[int, int, int]]:
    """``(start, end, count)`` of the pieces of a window, split in two while over the cap."""
    capped = QUERIES[name][3]
    count = _count(http, headers, name, start, end)
    if not capped or count <= RAW_CAP or end - start <= 1:
        return [(start, end, count)]
    middle = start + (end - start) // 2
    return _pieces(http, headers, name, start, middle) + _pieces(http, headers, name, middle, end)


def _post(http: httpx.Client, headers: dict[str, str], body: dict[str, Any], decode: bool) -> bytes:
    """One page as sent (``decode``: as received, gzip undone, to read its cursor)."""
    with http.stream("POST", "/search", json=body, headers=headers) as response:
        response.raise_for_status()
        if decode:
            return response.read()
        raw = b"".join(response.iter_raw())
    if not raw:
        raise RuntimeError("empty page")
    return raw


def _first_pass(
    http: httpx.Client, headers: dict[str, str], name: str, pieces: list[tuple[int, int, int]]
) -> tuple[int, float, list[Request]]:
    """Page every piece once; rows, seconds and the requests made (to replay them)."""
    query = graphql(name)
    _root, _count_name, size, capped, search_after = QUERIES[name]
    rows = 0
    requests: list[Request] = []
    started = time.perf_counter()
    for start, end, count in pieces:
        reachable = min(count, RAW_CAP) if capped else count
        rows += reachable
        if not search_after:  # page-index cursors: known in advance
            for page in range(max(1, -(-reachable // size))):
                cursor = str(page) if page else None
                body = {"query": query, "variables": {"from": start, "to": end, "cursor": cursor}}
                _post(http, headers, body, decode=False)
                requests.append((start, end, cursor))
            continue
        cursor = None
        while True:
            body = {"query": query, "variables": {"from": start, "to": end, "cursor": cursor}}
            content = _post(http, headers, body, decode=True)
            requests.append((start, end, cursor))
            match = _CURSOR.search(content, max(0, len(content) - 300))
            if match is None or match.group(1) == b"false":
                break
            cursor = orjson.loads(match.group(2))
    return rows, time.perf_counter() - started, requests


def _replay(
    http: httpx.Client, headers: dict[str, str], name: str, requests: list[Request]
) -> float:
    query = graphql(name)
    started = time.perf_counter()
    for start, end, cursor in requests:
        body = {"query": query, "variables": {"from": start, "to": end, "cursor": cursor}}
        _post(http, headers, body, decode=False)
    return time.perf_counter() - started


def _peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--tasks-per-day", type=int, default=2000)
    parser.add_argument("--window-hours", type=int, default=24, choices=(1, 2, 3, 4, 6, 8, 12, 24))
    parser.add_argument("--query", choices=sorted(QUERIES), default="task_details")
    parser.add_argument("--cache-mb", type=int, default=2048)
    parser.add_argument("--encodings", default="gzip,identity")
    parser.add_argument("--warm-passes", type=int, default=3)
    args = parser.parse_args(argv)
    encodings = [e.strip() for e in args.encodings.split(",") if e.strip()]
    proc, url = _start(args.tasks_per_day, args.cache_mb)
    results: dict[str, list[tuple[int, float]]] = {}
    pieces_seen = 0
    peak: float | None = None
    try:
        with httpx.Client(base_url=url, timeout=600) as http:
            token = http.post(
                "/v1/access_token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": "sandbox-client",
                    "client_secret": "sandbox-secret",
                    "refresh_token": "sandbox-refresh",
                },
            ).json()["access_token"]
            for n, encoding in enumerate(encodings):
                headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": encoding}
                for day in range(args.days):
                    day_start = FIRST_DAY_MS - (day + n * args.days) * DAY_MS
                    step = args.window_hours * HOUR_MS
                    counted = time.perf_counter()
                    pieces = [
                        piece
                        for start in range(day_start, day_start + DAY_MS, step)
                        for piece in _pieces(http, headers, args.query, start, start + step)
                    ]
                    count_s = time.perf_counter() - counted
                    pieces_seen += len(pieces)
                    rows, pages_s, requests = _first_pass(http, headers, args.query, pieces)
                    results.setdefault(f"cold ({encoding})", []).append((rows, count_s + pages_s))
                    results.setdefault(f"cold pages ({encoding})", []).append((rows, pages_s))
                    for _ in range(args.warm_passes):
                        warm_s = _replay(http, headers, args.query, requests)
                        results.setdefault(f"warm ({encoding})", []).append((rows, warm_s))
            peak = _peak_rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    sys.stdout.write(
        f"{args.query}: {args.tasks_per_day} tasks/day, {args.days} day(s) per encoding, "
        f"{args.window_hours} h windows, {pieces_seen} pieces paged\n"
    )
    for name, runs in results.items():
        rows = sum(r for r, _ in runs)
        seconds = sum(s for _, s in runs)
        sys.stdout.write(
            f"{name:24s} {rows:8d} rows {seconds:8.3f} s {rows / seconds:10.0f} rows/s\n"
        )
    if peak is not None:
        sys.stdout.write(f"sandbox peak RSS {peak:,.0f} MiB\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
