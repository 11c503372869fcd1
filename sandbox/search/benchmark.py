"""Serving rate of raw Search pages over HTTP (figures in sandbox/README.md (Part 2)).

    .venv/bin/python -m sandbox.search.benchmark [--days 3] [--tasks-per-day 2000]
        [--query task_details|task|task_leg_details|agent_sessions|agent_activities]

Starts ``wxcc-sandbox serve`` in a subprocess (so client and server do not share a GIL), takes a
token, then for each of ``--days`` past days of the tenant pages the day with one of the
project's all-fields queries (default ``queries/graphql/task_details.graphql``, 250 rows a page;
``task`` 100, ``task_leg_details`` 500, ``agent_sessions`` and ``agent_activities`` 250 sessions
a page with UUID cursors) the way the pipeline does: one count aggregation, then every page.
Reported per pass, in rows (records: tasks, legs, sessions) a second:

- cold: count + pages of a day not seen before (the data model simulates and renders the day);
- cold pages: the pages alone, after the count loaded the day (projection + JSON, no cache);
- warm: the same requests again, three times (answers served from the cache), the client
  reading the bytes as sent without decoding them;

each with gzip (httpx's default ``Accept-Encoding``) and without.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from queries import graphql

DAY_MS = 86_400_000
NOW_ISO = "2025-11-20T15:00:00Z"
NOW_MS = 1_763_650_800_000
FIRST_DAY_MS = 1_763_528_400_000  # 2025-11-19 00:00 America/New_York


def _start(tasks_per_day: int) -> tuple[subprocess.Popen[str], str]:
    exe = Path(sys.executable).with_name("wxcc-sandbox")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "sandbox.cli"]
    proc = subprocess.Popen(
        [*cmd, "serve", "--now", NOW_ISO, "--budget", "0", "--tasks-per-day", str(tasks_per_day)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    return proc, line.removeprefix("sandbox listening on ")


# query file -> (root field, record list, count query file)
QUERIES: dict[str, tuple[str, str, str]] = {
    "task_details": ("taskDetails", "tasks", "task_details_count"),
    "task": ("task", "tasks", "task_count"),
    "task_leg_details": ("taskLegDetails", "taskLegs", "task_leg_details_count"),
    "agent_sessions": ("agentSession", "agentSessions", "agent_sessions_count"),
    "agent_activities": ("agentSession", "agentSessions", "agent_sessions_count"),
}


def _pages(
    http: httpx.Client,
    headers: dict[str, str],
    start: int,
    rows_per_page: list[tuple[int, str | None]] | None,
    name: str = "task_details",
) -> tuple[int, float, list[tuple[int, str | None]]]:
    """Page a day; the client reads each body but decodes only what paging needs.

    The first pass counts rows (decoding the JSON) and notes each page's cursor; later passes
    replay the same requests and only read the bytes as sent, so the figure is the server's, not
    the client's JSON parser.
    """
    query = graphql(name)
    root, list_field, _count_name = QUERIES[name]
    rows = 0
    counts: list[tuple[int, str | None]] = []
    cursor: str | None = None
    t0 = time.perf_counter()
    page_no = 0
    while True:
        if rows_per_page is not None:
            cursor = rows_per_page[page_no][1]
        variables: dict[str, Any] = {"from": start, "to": start + DAY_MS, "cursor": cursor}
        body = {"query": query, "variables": variables}
        if rows_per_page is None:
            response = http.post("/search", json=body, headers=headers)
            response.raise_for_status()
            answer = orjson.loads(response.content)["data"][root]
            n = len(answer[list_field])
            counts.append((n, cursor))
            rows += n
            page_no += 1
            info = answer["pageInfo"]
            if not info["hasNextPage"]:
                return rows, time.perf_counter() - t0, counts
            cursor = info["endCursor"]
            continue
        with http.stream("POST", "/search", json=body, headers=headers) as response:
            response.raise_for_status()
            raw = b"".join(response.iter_raw())
        if not raw:
            raise RuntimeError("empty page")
        rows += rows_per_page[page_no][0]
        page_no += 1
        if page_no == len(rows_per_page):
            return rows, time.perf_counter() - t0, rows_per_page


def _count(http: httpx.Client, headers: dict[str, str], start: int, name: str) -> float:
    t0 = time.perf_counter()
    response = http.post(
        "/search",
        json={
            "query": graphql(QUERIES[name][2]),
            "variables": {"from": start, "to": start + DAY_MS},
        },
        headers=headers,
    )
    response.raise_for_status()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--tasks-per-day", type=int, default=2000)
    parser.add_argument("--query", choices=sorted(QUERIES), default="task_details")
    args = parser.parse_args(argv)
    proc, url = _start(args.tasks_per_day)
    results: dict[str, list[tuple[int, float]]] = {}
    try:
        with httpx.Client(base_url=url, timeout=120) as http:
            token = http.post(
                "/v1/access_token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": "sandbox-client",
                    "client_secret": "sandbox-secret",
                    "refresh_token": "sandbox-refresh",
                },
            ).json()["access_token"]
            for encoding in ("gzip", "identity"):
                headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": encoding}
                for day in range(args.days):
                    offset = 0 if encoding == "gzip" else args.days
                    start = FIRST_DAY_MS - (day + offset) * DAY_MS
                    count_s = _count(http, headers, start, args.query)
                    rows, pages_s, per_page = _pages(http, headers, start, None, args.query)
                    results.setdefault(f"cold ({encoding})", []).append((rows, count_s + pages_s))
                    results.setdefault(f"cold pages ({encoding})", []).append((rows, pages_s))
                    for _ in range(3):
                        rows, warm_s, _n = _pages(http, headers, start, per_page, args.query)
                        results.setdefault(f"warm ({encoding})", []).append((rows, warm_s))
    finally:
        proc.terminate()
        proc.wait(10)
    for name, runs in results.items():
        rows = sum(r for r, _ in runs)
        seconds = sum(s for _, s in runs)
        sys.stdout.write(
            f"{name:24s} {rows:7d} rows {seconds:7.3f} s {rows / seconds:10.0f} rows/s\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
