"""Issue 21: the Search load's rate and CPU per 1,000 rows against a bare fetch+parse loop.

    PATH=.venv/bin:$PATH .venv/bin/python -m bench.bench_search_cpu [--tasks-per-day 60000]
        [--days 2] [--loads 1] [--py-spy DIR [--gil]] [--code DIR] [--url URL [--warm]]

One ``wxcc-sandbox serve`` in its own process (seed 3, clock frozen at ``NOW``, budget
unlimited, an answer cache holding every page). In order:

1. the bare loop, sandbox cold: a fresh process posting every request the Search job sends for
   the days (each feed's count query, its pages by cursor, the further activity pages of the
   records whose activity list goes on), with httpx (gzip) and ``orjson.loads`` of every body,
   nothing else; this also fills the sandbox's answer cache;
2. ``wxcc-warehouse load --source search`` of the same days (the whole process: start-up,
   Dagster, the six Search feeds, the analytics marts, checks, publishing) into a fresh data
   directory, against the warm sandbox (optionally under ``py-spy record``);
3. the bare loop again, sandbox warm: the floor the load is compared with.

Printed per side: wall seconds, CPU seconds (user + system of the process and the children it
waited for, from ``wait4``), the ``task_details`` rows and all rows per second, CPU seconds per
1,000 rows (rows: every row of the six feeds' tables: task_details, task_variable aside, since
the bare loop has no variables), and the ratios load / bare (targets: rate >= 0.5x, CPU per row
<= 2x). The sandbox's CPU over each side is printed too. The machine is shared: CPU seconds are
the comparable figures. With ``--py-spy DIR`` the load runs under ``py-spy record --idle``
(the first load only; raw collapsed stacks in ``DIR/load-0.txt``) and ``bench.profile_breakdown`` prints where its
samples fell; with ``--gil`` py-spy samples only the thread holding the GIL, at 100 Hz, so the
samples add up to the load's Python CPU (without it, threads waiting for the GIL count as
running and inflate the stages beside the page threads). ``--url`` uses a sandbox already
serving the same seed, volume and ``now`` (started once with ``--cache-mb``), and ``--warm``
skips the cold bare loop when its cache is already filled: several loads (``--code`` for the
code before a change) then compare against one warm sandbox without simulating the days again.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench._support import cache_mb_for, process_cpu, sandbox

NOW = datetime(2026, 11, 20, tzinfo=UTC)
BIN = Path(sys.executable).parent
# Rows of the six feeds' tables; task_variable is derived from task_details' globalVariables.
ROW_TABLES = (
    "search.task_details",
    "search.task_activity",
    "search.task",
    "search.agent_session",
    "search.agent_session_channel",
    "search.agent_activity",
    "search.task_leg_details",
)


@dataclass
class Side:
    name: str
    wall_s: float
    cpu_s: float
    rows: dict[str, int]
    sandbox_cpu_s: float
    max_rss_mib: float = 0.0

    @property
    def all_rows(self) -> int:
        return sum(self.rows.get(t, 0) for t in ROW_TABLES)


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Run ``cmd``: wall s, CPU s (user + system of it and the children it waited for), the
    largest child's max RSS so far (MiB), its stdout."""

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({done.returncode}):\n{done.stderr.decode()[-4000:]}")
    out = done.stdout.decode()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far (KiB), not this one's alone.
    return wall, cpu, after.ru_maxrss / 1024, out


def _days(days: int) -> tuple[date, date]:
    end = NOW.date()  # the days before the sandbox's frozen now
    return end - timedelta(days=days), end


def _bare(url: str, start: date, end: date) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bench.bare_search_loop",
        "--url",
        url,
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
    ]


def _load_env(url: str, data_dir: Path) -> dict[str, str]:
    # The sandbox is unthrottled, so the org's budget is too (0: unlimited): with the default of
    # 300 requests a minute the load would wait on its own limiter, not on the API.
    config = data_dir / "wxcc.yaml"
    config.write_text("requests_per_minute: 0\n")
    return {
        **os.environ,
        "WXCC_CONFIG": str(config),
        "WXCC_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster"),
        "WXCC_API_URL": url,
        "WXCC_IDENTITY_URL": url,
        "WXCC_CLIENT_ID": "sandbox-client",
        "WXCC_CLIENT_SECRET": "sandbox-secret",
        "WXCC_REFRESH_TOKEN": "sandbox-refresh",
    }


def _warehouse_rows(data_dir: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        found = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - constants
            for t in (*ROW_TABLES, "search.task_variable")
        }
        found["requests"] = con.execute(
            "SELECT coalesce(sum(requests), 0) FROM ops.extraction_log WHERE status <> 'running'"
        ).fetchone()[0]
        return found
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks-per-day", type=int, default=60_000)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--py-spy", type=Path, default=None)
    parser.add_argument(
        "--gil",
        action="store_true",
        help="with --py-spy: sample only the thread holding the GIL (100 Hz), so the samples are "
        "the process's Python CPU, not every thread's time (threads waiting for the GIL count as "
        "running without it)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the load's data dir here")
    parser.add_argument("--loads", type=int, default=1, help="loads in a row (fresh dirs)")
    parser.add_argument(
        "--url",
        default=None,
        help="use this sandbox (already serving the same seed, volume and now, with an answer "
        "cache) instead of starting one; with --warm its cache is taken as filled already",
    )
    parser.add_argument(
        "--warm", action="store_true", help="skip the first (cold) bare loop: the sandbox is warm"
    )
    parser.add_argument(
        "--code",
        type=Path,
        default=None,
        help="run the load with this source tree first on PYTHONPATH (e.g. `git archive` of an "
        "older commit, for before/after figures)",
    )
    args = parser.parse_args(argv)
    start, end = _days(args.days)
    # Every feed's pages: taskDetails ~5 kB a task, its activities ~8 kB, the rest smaller.
    cache_mb = cache_mb_for(args.days * args.tasks_per_day * 4)
    sides: list[Side] = []
    with (
        _given(args.url)
        if args.url
        else sandbox(args.seed, args.tasks_per_day, NOW.isoformat(), cache_mb) as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        pid = _sandbox_pid(url)
        for name in () if args.warm else ("bare loop, sandbox cold",):
            s0 = process_cpu(pid)
            wall, cpu, rss, out = _timed(_bare(url, start, end))
            sides.append(Side(name, wall, cpu, json.loads(out), process_cpu(pid) - s0, rss))
            _report(sides[-1])
        for n in range(args.loads):
            data_dir = (args.keep or Path(tmp)) / f"load-{n}"
            shutil.rmtree(data_dir, ignore_errors=True)
            data_dir.mkdir(parents=True)
            cmd = [
                str(BIN / "wxcc-warehouse"),
                "load",
                "--from",
                start.isoformat(),
                "--to",
                end.isoformat(),
                "--source",
                "search",
                "--no-progress",
            ]
            profiled = args.py_spy is not None and n == 0
            if profiled:
                args.py_spy.mkdir(parents=True, exist_ok=True)
                cmd = [
                    str(BIN / "py-spy"),
                    "record",
                    "--gil" if args.gil else "--idle",
                    "--threads",
                    "--subprocesses",  # the lane processes, where the feeds run
                    "--format",
                    "raw",
                    "--rate",
                    "100" if args.gil else "25",
                    "-o",
                    str(args.py_spy / f"load-{n}.txt"),
                    "--",
                    *cmd,
                ]
            s0 = process_cpu(pid)
            env = _load_env(url, data_dir)
            if args.code is not None:
                env["PYTHONPATH"] = str(args.code.resolve())
            wall, cpu, rss, _ = _timed(cmd, env)
            side = Side(
                f"wxcc-warehouse load #{n + 1}" + (" (py-spy)" if profiled else ""),
                wall,
                cpu,
                _warehouse_rows(data_dir),
                process_cpu(pid) - s0,
                rss,
            )
            sides.append(side)
            _report(side)
        s0 = process_cpu(pid)
        wall, cpu, rss, out = _timed(_bare(url, start, end))
        sides.append(
            Side("bare loop, sandbox warm", wall, cpu, json.loads(out), process_cpu(pid) - s0)
        )
        _report(sides[-1])
    bare = sides[-1]
    print(
        f"\n{args.days} days ({start}..{end}) at {args.tasks_per_day:,} tasks a day, seed "
        f"{args.seed}, sandbox cache {cache_mb:,} MiB; machine load {os.getloadavg()[0]:.1f}"
    )
    for side in sides:
        if side is bare or "load" not in side.name:
            continue
        if "py-spy" in side.name:
            # py-spy does not wait for the load, so wait4 gives py-spy's CPU, not the load's.
            print(f"{side.name}: no ratios (sampled; its CPU figure is py-spy's own)")
            continue
        _ratios(side, bare)
    return 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


def _sandbox_pid(url: str) -> int:
    port = url.rsplit(":", 1)[-1].strip("/")
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True)
    marker = "pid="
    text = out.stdout
    i = text.find(marker)
    if i < 0:
        raise RuntimeError(f"cannot find the sandbox's process on port {port}: {text!r}")
    return int(text[i + len(marker) :].split(",", 1)[0])


def _report(side: Side) -> None:
    rows = side.all_rows
    td = side.rows.get("search.task_details", 0)
    print(
        f"{side.name:<28} {side.wall_s:7.1f} s wall {side.cpu_s:7.1f} s CPU  "
        f"task_details {td:,} ({td / side.wall_s:,.0f}/s)  all rows {rows:,} "
        f"({rows / side.wall_s:,.0f}/s, {1000 * side.cpu_s / max(rows, 1):.3f} CPU s per 1,000)  "
        f"sandbox {side.sandbox_cpu_s:.1f} s CPU, {side.rows.get('requests', 0):,} requests",
        flush=True,
    )


def _ratios(load: Side, bare: Side) -> None:
    if load.rows.get("search.task_details") != bare.rows.get("search.task_details"):
        print(f"  ROWS DIFFER: load {load.rows} vs bare {bare.rows}")
    rate = (load.rows["search.task_details"] / load.wall_s) / (
        bare.rows["search.task_details"] / bare.wall_s
    )
    cpu = (load.cpu_s / load.all_rows) / (bare.cpu_s / bare.all_rows)
    print(
        f"{load.name}: rate {load.rows['search.task_details'] / load.wall_s:,.0f} vs "
        f"{bare.rows['search.task_details'] / bare.wall_s:,.0f} task_details rows/s = "
        f"{rate:.2f}x (target >= 0.5x: {'met' if rate >= 0.5 else 'NOT met'}); CPU "
        f"{1000 * load.cpu_s / load.all_rows:.3f} vs {1000 * bare.cpu_s / bare.all_rows:.3f} s "
        f"per 1,000 rows = {cpu:.2f}x (target <= 2x: {'met' if cpu <= 2 else 'NOT met'})"
    )


if __name__ == "__main__":
    sys.exit(main())
