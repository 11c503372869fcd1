"""The sandbox's cold serving rate per Search root, with the pipeline's own request pattern.

    .venv/bin/python -m bench.bench_sandbox [--tasks-per-day 15000,60000] [--days 2]
        [--feeds task_details,task_activity,...] [--py-spy DIR] [--no-pipeline] [--no-truth]
        [--warm-disk] [--load | --only-load]

For each volume a fresh ``wxcc-sandbox serve`` (default options: no ``--cache-mb``; clock frozen,
budget unlimited, seed 3) in its own process; then, per feed the pipeline loads (taskDetails,
taskDetails with activities, the older task query, agentSession with channels, agentSession with
activities, taskLegDetails), the two UTC days before ``now`` fetched through the pipeline's own
Search client (``SearchClient.window_pages``: the count query, splits, every page, the further
activity pages of long lists), the two windows side by side in threads as the assets land them,
each page's JSON parsed and dropped: the bare fetch loop. Feeds run in the assets' order, so
the first feed of a day pays for simulating it, as the first asset of a real load does.

Per feed: rows of the feed's table (tasks, legs, sessions; activities for the activity feeds),
wall seconds, rows/s, the sandbox process's CPU seconds (``/proc/<pid>/stat``), the client's,
and rows per sandbox CPU second; the sandbox's CPU per task of the days. Then (unless
``--no-pipeline``) the pipeline's own pass over the same feeds and days (``land_windows``:
client, normalizer or the feed's Arrow decoder as ``FEEDS`` sets it, Parquet, DuckDB; the
sandbox now partly warm) and the ratio of the cold
rate to the pipeline's, by wall time and by CPU (rows per sandbox CPU second over rows per
pipeline CPU second: the figure a shared machine does not distort). Then (unless
``--no-truth``) ``wxcc-sandbox truth`` of the same days in a fresh process.

Each sandbox keeps its simulated days in a new empty folder (``--cache-dir``): the cold figures
are a fresh process with nothing on disk. ``--warm-disk`` then starts a second sandbox on the same
folder and fetches again (days read from disk, nothing rendered yet). Truth is timed twice: its
days simulated anew (``--cache-dir off``) and read from the serving sandbox's folder.

``--load`` (or ``--only-load``) also times a real ``wxcc-warehouse load --source search`` of the
days into a fresh data directory against a fresh sandbox (an empty disk cache; budget unlimited
on both sides, as in issue 15's table): wall time, the load's CPU (process and children) and the
sandbox's.

``--py-spy DIR`` records the sandbox process with py-spy (if installed) per volume and writes
the collapsed stacks and the top functions by own and inclusive time there.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._support import process_cpu, serving

SEED = 3
NOW_ISO = "2026-11-20T00:00:00Z"
NOW_MS = 1_795_132_800_000  # 2026-11-20T00:00:00Z
DAY_MS = 86_400_000
# Windows in flight at once, as ``pipelines.assets.windows`` lands them (its default).
DEFAULT_WINDOW_WORKERS = 4

log = logging.getLogger("bench.bench_sandbox")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def serve(
    tasks_per_day: int, cache_dir: Path, extra: tuple[str, ...] = ()
) -> Iterator[tuple[str, int]]:
    """``wxcc-sandbox serve`` with default options (clock frozen, budget unlimited) keeping its
    simulated days in ``cache_dir`` (an empty one: cold): URL, pid."""
    cmd = [sys.executable, "-m", "sandbox.cli", "serve", "--port", "0", "--budget", "0"]
    cmd += ["--seed", str(SEED), "--tasks-per-day", str(tasks_per_day), "--now", NOW_ISO]
    cmd += ["--cache-dir", str(cache_dir)]
    with serving([*cmd, *extra]) as found:
        yield found


def _task_activities(page: list[dict[str, Any]]) -> int:
    return sum(len(r["activities"]["nodes"]) for r in page)


def _agent_activities(page: list[dict[str, Any]]) -> int:
    return sum(len(c["activities"]["nodes"]) for r in page for c in r["channelInfo"])


# Rows of the feed's first table a page makes: its records, or the activities of the feeds
# whose table holds activities (so the cold fetch and the pipeline count the same rows).
_ROWS = {"task_activity": _task_activities, "agent_activity": _agent_activities}


@dataclass
class FeedRun:
    feed: str
    rows: int
    requests: int
    wall_s: float
    sandbox_cpu_s: float
    client_cpu_s: float

    @property
    def rate(self) -> float:
        return self.rows / self.wall_s if self.wall_s else 0.0


def fetch_feeds(
    url: str, pid: int, feeds: list[str], windows: list[tuple[int, int]]
) -> list[FeedRun]:
    """Every window of every feed through the pipeline's Search client, pages parsed and
    dropped; per feed what it took."""
    from pipelines.assets.search import FEEDS  # the asset order and the query of each feed
    from pipelines.sources.auth import TokenProvider
    from pipelines.sources.http import RetryPolicy, WxccHttp
    from pipelines.sources.search import RawQuery, SearchClient

    by_name = {f.name: f for f in FEEDS}
    runs: list[FeedRun] = []
    with tempfile.TemporaryDirectory() as tmp:
        tokens = TokenProvider(
            identity_url=url,
            state_dir=Path(tmp) / "state",
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            refresh_token="sandbox-refresh",
        )
        tokens.token()
        for name in feeds:
            query = by_name[name].query
            count = _ROWS.get(name, len)

            def one(
                window: tuple[int, int], query: RawQuery = query, count: Any = count
            ) -> tuple[int, int]:
                # A client per window, windows side by side, as the assets land them.
                with SearchClient(
                    WxccHttp(url, token_provider=tokens, retry=RetryPolicy()), sources=(query,)
                ) as client:
                    rows = sum(count(page) for page in client.window_pages(query, *window))
                    return rows, client.stats.requests

            cpu0, own0, t0 = process_cpu(pid), _own_cpu(), time.perf_counter()
            with ThreadPoolExecutor(min(DEFAULT_WINDOW_WORKERS, len(windows))) as pool:
                done = list(pool.map(one, windows))
            runs.append(
                FeedRun(
                    name,
                    sum(r for r, _q in done),
                    sum(q for _r, q in done),
                    time.perf_counter() - t0,
                    process_cpu(pid) - cpu0,
                    _own_cpu() - own0,
                )
            )
            log.info("%s", runs[-1])
    return runs


def land_feeds(
    url: str, pid: int, feeds: list[str], windows: list[tuple[int, int]], data_dir: Path
) -> list[FeedRun]:
    """The pipeline's own pass over the same feeds and windows, after the cold fetch (so the
    sandbox mostly answers from its caches): Search client, normalizer, Parquet writer, DuckDB
    loader (``land_windows``, as the assets call it), windows side by side; per feed what it
    took. The client CPU is the pipeline's (this process; Dagster's bookkeeping is not in it).

    Each feed's pages take the asset's own path: its Arrow decoder (``SearchFeed.decoder``,
    read from ``FEEDS``, so a feed given one there is measured with it here) and the next page
    prefetched while one is landed."""
    from contextlib import closing

    from pipelines.assets.search import FEEDS
    from pipelines.sources.auth import TokenProvider
    from pipelines.sources.http import RetryPolicy, WxccHttp
    from pipelines.sources.paging import prefetched
    from pipelines.sources.search import SearchClient
    from warehouse import schemas
    from warehouse.land import WarehousePaths, land_windows
    from warehouse.variables import with_variables

    by_name = {f.name: f for f in FEEDS}
    paths = WarehousePaths(data_dir)
    tokens = TokenProvider(
        identity_url=url,
        state_dir=data_dir / "state",
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        refresh_token="sandbox-refresh",
    )
    org_id = tokens.token().split("_")[2]
    runs: list[FeedRun] = []
    for name in feeds:
        feed = by_name[name]

        def one(window: tuple[int, int], feed: Any = feed) -> tuple[int, int]:
            with (
                SearchClient(
                    WxccHttp(url, token_provider=tokens, retry=RetryPolicy()),
                    sources=(feed.query,),
                ) as client,
                closing(
                    prefetched(
                        client.window_pages(feed.query, *window, decoder=feed.decoder),
                        name=f"pages-{feed.name}",
                    )
                ) as fetched,
            ):
                pages: Any = fetched
                if schemas.TASK_VARIABLE in feed.tables:
                    pages = (with_variables(page) for page in pages)
                landed = land_windows(paths, feed.tables, org_id, *window, pages)
                return landed[feed.tables[0]].rows, client.stats.requests

        cpu0, own0, t0 = process_cpu(pid), _own_cpu(), time.perf_counter()
        with ThreadPoolExecutor(min(DEFAULT_WINDOW_WORKERS, len(windows))) as pool:
            done = list(pool.map(one, windows))
        runs.append(
            FeedRun(
                name,
                sum(r for r, _q in done),
                sum(q for _r, q in done),
                time.perf_counter() - t0,
                process_cpu(pid) - cpu0,
                _own_cpu() - own0,
            )
        )
        log.info("pipeline %s", runs[-1])
    return runs


def time_truth(
    tasks_per_day: int, windows: list[tuple[int, int]], cache_dir: str
) -> tuple[float, float]:
    """``wxcc-sandbox truth`` (every family) for the days, in a fresh process, its simulated
    days in ``cache_dir`` (``off``: simulated anew): wall and CPU s."""
    from datetime import UTC, datetime

    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "sandbox.cli", "truth", "--seed", str(SEED)]
        cmd += ["--now", NOW_ISO, "--tasks-per-day", str(tasks_per_day)]
        cmd += ["--from", iso(windows[0][0]), "--to", iso(windows[-1][1]), "--out", out]
        cmd += ["--cache-dir", cache_dir]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def time_load(tasks_per_day: int, windows: list[tuple[int, int]]) -> dict[str, float]:
    """``wxcc-warehouse load --source search`` of the days into a fresh data directory against a
    fresh sandbox (default options, an empty disk cache; budget unlimited on both sides): wall
    seconds, the load's CPU (its process and children) and the sandbox's CPU."""
    from datetime import UTC, datetime

    import yaml

    def day(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir, days_dir = Path(tmp) / "data", Path(tmp) / "days"
        data_dir.mkdir()
        with serve(tasks_per_day, days_dir) as (url, pid):
            config = data_dir / "wxcc.yaml"
            org = {"name": "bench", "api_url": url, "identity_url": url}
            config.write_text(yaml.safe_dump({"orgs": [{**org, "requests_per_minute": 0}]}))
            env = {
                **os.environ,
                "WXCC_DATA_DIR": str(data_dir),
                "WXCC_CONFIG": str(config),
                "DAGSTER_HOME": str(data_dir / "dagster"),
                "WXCC_API_URL": url,
                "WXCC_IDENTITY_URL": url,
                "WXCC_CLIENT_ID": "sandbox-client",
                "WXCC_CLIENT_SECRET": "sandbox-secret",
                "WXCC_REFRESH_TOKEN": "sandbox-refresh",
            }
            cmd = [str(Path(sys.executable).parent / "wxcc-warehouse"), "load", "--source"]
            cmd += ["search", "--from", day(windows[0][0]), "--to", day(windows[-1][1])]
            cmd += ["--no-progress"]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu0, t0 = process_cpu(pid), time.perf_counter()
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
            wall = time.perf_counter() - t0
            sandbox_cpu = process_cpu(pid) - cpu0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"wall": wall, "load_cpu": load_cpu, "sandbox_cpu": sandbox_cpu}


def _load() -> str:
    """The 1-minute load average (the machine is shared: it says what the wall times mean)."""
    return f"{os.getloadavg()[0]:.1f}"


def _commit(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return done.stdout.strip()


def _top(collapsed: Path, n: int = 25) -> str:
    """The top functions of py-spy's collapsed stacks, by own and by inclusive samples."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _sep, count = line.rpartition(" ")
        k = int(count)
        frames = stack.split(";")
        total += k
        own[frames[-1]] += k
        for f in set(frames):
            inclusive[f] += k
    out = [f"{total} samples", "own:"]
    out += [f"  {100 * k / total:5.1f}%  {f}" for f, k in own.most_common(n)]
    out.append("inclusive:")
    out += [f"  {100 * k / total:5.1f}%  {f}" for f, k in inclusive.most_common(n)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks-per-day", default="15000,60000")
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument(
        "--feeds",
        default="task_details,task_activity,task,agent_session,agent_activity,task_leg_details",
    )
    parser.add_argument("--py-spy", type=Path, default=None, dest="py_spy")
    parser.add_argument(
        "--no-pipeline",
        action="store_false",
        dest="pipeline",
        help="skip the pipeline's own pass (normalize, Parquet, DuckDB) after the cold fetch",
    )
    parser.add_argument(
        "--no-truth", action="store_false", dest="truth", help="skip timing wxcc-sandbox truth"
    )
    parser.add_argument(
        "--load",
        action="store_true",
        help="also time a real wxcc-warehouse load --source search of the days (fresh sandbox)",
    )
    parser.add_argument(
        "--only-load",
        action="store_true",
        help="only the real load (no fetch loop, pipeline pass or truth)",
    )
    parser.add_argument(
        "--warm-disk",
        action="store_true",
        help="also fetch the days again from a second sandbox reading the first's days on disk",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    feeds = args.feeds.split(",")
    windows = [(NOW_MS - (d + 1) * DAY_MS, NOW_MS - d * DAY_MS) for d in range(args.days)][::-1]
    out = sys.stdout
    out.write("sandbox cold serving rate, pipeline's Search client as a bare fetch loop\n")
    out.write(f"seed {SEED}, now {NOW_ISO}, {args.days} UTC days; CPU in seconds\n")
    head = _commit("rev-parse", "--short", "HEAD")
    same = _commit("diff", "--stat", "main", "--", "pipelines", "warehouse", "queries") == ""
    out.write(
        f"pipeline code (pipelines/, warehouse/, queries/) at {head}"
        f"{', the same as main ' + _commit('rev-parse', '--short', 'main') if same else ''};"
        " each sandbox cold: a fresh process, an empty disk cache of days\n\n"
    )
    for volume in (int(v) for v in args.tasks_per_day.split(",")):
        if args.load or args.only_load:
            load0 = _load()
            t = time_load(volume, windows)
            out.write(
                f"{volume:,} tasks/day: wxcc-warehouse load --source search of the days, cold "
                f"sandbox: {t['wall']:.1f} s wall, load CPU {t['load_cpu']:.1f} s (process and "
                f"children), sandbox CPU {t['sandbox_cpu']:.1f} s; load average before / after "
                f"{load0} / {_load()}\n"
            )
            out.flush()
            if args.only_load:
                continue
        load0 = _load()
        spy: subprocess.Popen[bytes] | None = None
        days_dir = Path(tempfile.mkdtemp(prefix="bench-sandbox-days-"))
        with serve(volume, days_dir) as (url, pid):
            if args.py_spy is not None and shutil.which("py-spy"):
                args.py_spy.mkdir(parents=True, exist_ok=True)
                spy = subprocess.Popen(
                    [
                        "py-spy",
                        "record",
                        "--pid",
                        str(pid),
                        "--format",
                        "raw",
                        "--rate",
                        "50",
                        "--function",
                        "--output",
                        str(args.py_spy / f"sandbox-{volume}.txt"),
                        "--nonblocking",
                    ],  # fmt: skip
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(1)  # py-spy attaches before the first request
            started_cpu = process_cpu(pid)
            runs = fetch_feeds(url, pid, feeds, windows)
            total_cpu = process_cpu(pid) - started_cpu
            if spy is not None:
                spy.send_signal(2)
                spy.wait(60)
            landed: list[FeedRun] = []
            if args.pipeline:
                with tempfile.TemporaryDirectory() as data_dir:
                    landed = land_feeds(url, pid, feeds, windows, Path(data_dir))
        warm: list[FeedRun] = []
        if args.warm_disk:
            with serve(volume, days_dir) as (url, pid):
                warm = fetch_feeds(url, pid, feeds, windows)
        tasks = next((r.rows for r in runs if r.feed in ("task_details", "task")), 0)
        out.write(f"{volume:,} tasks/day ({tasks:,} tasks in the days)\n")
        out.write(f"  load average before / after this volume: {load0} / {_load()}\n")
        out.write("  cold sandbox, bare fetch loop:\n")
        out.write(
            f"  {'feed':<18}{'rows':>9}{'requests':>10}{'wall s':>9}{'rows/s':>10}"
            f"{'sandbox CPU':>13}{'client CPU':>12}{'rows/sandbox CPU s':>20}\n"
        )
        for r in runs:
            per_cpu = r.rows / r.sandbox_cpu_s if r.sandbox_cpu_s else 0.0
            out.write(
                f"  {r.feed:<18}{r.rows:>9,}{r.requests:>10,}{r.wall_s:>9.1f}{r.rate:>10,.0f}"
                f"{r.sandbox_cpu_s:>13.1f}{r.client_cpu_s:>12.1f}{per_cpu:>20,.0f}\n"
            )
        wall = sum(r.wall_s for r in runs)
        per_task = 1e6 * total_cpu / tasks if tasks else 0.0
        out.write(
            f"  all feeds: {wall:.1f} s wall, sandbox CPU {total_cpu:.1f} s "
            f"({per_task:.0f} us per task)\n"
        )
        if landed:
            from pipelines.assets.search import FEEDS

            decoded = [f.name for f in FEEDS if f.name in feeds and f.decoder is not None]
            out.write(
                "  the pipeline's pass (fetch, normalize, Parquet, DuckDB), same days; pages "
                f"decoded into Arrow as the assets do for: {', '.join(decoded) or 'none'}:\n"
            )
            out.write(
                f"  {'feed':<18}{'rows':>9}{'wall s':>9}{'rows/s':>10}{'pipeline CPU':>14}"
                f"{'sandbox CPU':>13}{'cold/pipeline rows/s':>23}{'by CPU':>8}\n"
            )
            for cold, r in zip(runs, landed, strict=True):
                by_wall = cold.rate / r.rate if r.rate else 0.0
                cold_cpu = cold.rows / cold.sandbox_cpu_s if cold.sandbox_cpu_s else 0.0
                pipe_cpu = r.rows / r.client_cpu_s if r.client_cpu_s else 0.0
                by_cpu = cold_cpu / pipe_cpu if pipe_cpu else 0.0
                out.write(
                    f"  {r.feed:<18}{r.rows:>9,}{r.wall_s:>9.1f}{r.rate:>10,.0f}"
                    f"{r.client_cpu_s:>14.1f}{r.sandbox_cpu_s:>13.1f}{by_wall:>23.1f}"
                    f"{by_cpu:>8.1f}\n"
                )
            met = [
                cold.feed
                for cold, r in zip(runs, landed, strict=True)
                if cold.sandbox_cpu_s
                and r.client_cpu_s
                and (cold.rows / cold.sandbox_cpu_s) >= 3 * (r.rows / r.client_cpu_s)
            ]
            out.write(
                f"  cold >= 3x the pipeline by CPU: {len(met)} of {len(runs)} feeds"
                f" ({', '.join(met) or 'none'})\n"
            )
        if warm:
            warm_cpu = sum(r.sandbox_cpu_s for r in warm)
            out.write(
                f"  a second sandbox reading the days from disk: sandbox CPU {warm_cpu:.1f} s "
                f"({1e6 * warm_cpu / tasks if tasks else 0:.0f} us per task), "
                f"{sum(r.wall_s for r in warm):.1f} s wall\n"
            )
        if args.truth:
            for label, where in (("days simulated anew", "off"), ("days on disk", str(days_dir))):
                truth_wall, truth_cpu = time_truth(volume, windows, where)
                out.write(
                    f"  wxcc-sandbox truth of the days (every family, {label}): "
                    f"{truth_wall:.1f} s wall, {truth_cpu:.1f} s CPU; serving the Search feeds "
                    f"cold: {wall:.1f} s wall, sandbox CPU {total_cpu:.1f} s\n"
                )
        shutil.rmtree(days_dir, ignore_errors=True)
        if spy is not None:
            collapsed = args.py_spy / f"sandbox-{volume}.txt"
            if collapsed.exists():
                top = _top(collapsed)
                (args.py_spy / f"sandbox-{volume}.top.txt").write_text(top + "\n")
        out.write("\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
