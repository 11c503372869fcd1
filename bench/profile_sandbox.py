"""Where a cold sandbox spends its CPU per Search feed, in process (no HTTP, no gzip).

    .venv/bin/python -m bench.profile_sandbox [--tasks-per-day 15000] [--days 2]
        [--feeds task_details,...] [--profile DIR] [--top 25] [--no-simulate-first]

A fresh ``Tenant`` and ``SearchEngine`` (seed 3, ``now`` 2026-11-20T00:00Z, default caches, no
disk cache) answer the requests ``bench.bare_search_loop`` sends (count, pages, further
activity pages), feed after feed in the assets' order, the days of each one after the other.
Per feed: rows, CPU seconds (``resource.getrusage``, this process) and CPU per task of the
days; the simulation of the days is timed apart (it happens inside the first feed's count),
and so is writing them as day files (a served sandbox keeps its days on disk; the first feed
pays for it), into a temporary folder removed afterwards.
With ``--profile DIR``, cProfile per feed (``DIR/<feed>.prof``) and the top functions by own
time printed: cProfile in process is steadier than sampling on a shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import tempfile
from pathlib import Path

import orjson

import queries
from bench.bare_search_loop import DAY_MS, FEEDS, TABLE_OF, Loop
from sandbox.daystore import DayStore
from sandbox.model import gc_paused
from sandbox.search.engine import SearchEngine

SEED = 3
NOW_MS = 1_795_132_800_000  # 2026-11-20T00:00:00Z


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class EngineLoop(Loop):
    """The bare fetch loop with the engine called directly instead of over HTTP."""

    def __init__(self, engine: SearchEngine) -> None:
        super().__init__(None)  # type: ignore[arg-type]
        self.engine = engine
        self.body_bytes = 0
        self.parse_cpu = 0.0  # the client's share: parsing answers

    def post(self, name: str, variables: dict[str, object], root: str) -> dict:
        self.requests += 1
        result = self.engine.execute(queries.graphql(name), variables)
        if result.status != 200:
            raise RuntimeError(f"{name}: {result.status} {result.body[:300]!r}")
        self.body_bytes += len(result.body)
        t0 = _cpu()
        answer = orjson.loads(result.body)["data"][root]
        self.parse_cpu += _cpu() - t0
        return answer


def main(argv: list[str] | None = None) -> int:
    from sandbox.model import Tenant

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks-per-day", type=int, default=15000)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--feeds", default="")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--no-simulate-first",
        action="store_true",
        help="leave simulating the days to the first feed's count (as a served cold pass does)",
    )
    args = parser.parse_args(argv)
    wanted = set(filter(None, args.feeds.split(",")))
    tenant = Tenant(SEED, args.tasks_per_day)
    engine = SearchEngine(tenant, lambda: NOW_MS)
    loop = EngineLoop(engine)
    starts = [NOW_MS - (d + 1) * DAY_MS for d in reversed(range(args.days))]
    out = sys.stdout
    if not args.no_simulate_first:
        from sandbox.clock import day_of

        days = range(day_of(starts[0]), day_of(NOW_MS - 1) + 1)
        t0 = _cpu()
        for day in days:
            tenant.day(day)
        out.write(f"simulate days: {_cpu() - t0:.2f} s CPU\n")
        # What a served cold pass also pays (its days go to the disk cache): writing them.
        with tempfile.TemporaryDirectory() as folder:
            store = DayStore(Path(folder), tenant.entities, SEED, args.tasks_per_day)
            t0 = _cpu()
            with gc_paused():
                for day in days:
                    store.save(tenant.day(day))
            out.write(f"write days (day files, as --cache-dir): {_cpu() - t0:.2f} s CPU\n")
    tasks = tenant.task_count(starts[0], NOW_MS, NOW_MS)
    out.write(f"tasks in the days: {tasks}\n")
    total = 0.0
    for feed in FEEDS:
        name = feed[0]
        if wanted and name not in wanted:
            continue
        before = dict(loop.rows)
        parsed = loop.parse_cpu
        prof = cProfile.Profile() if args.profile else None
        t0 = _cpu()
        if prof:
            prof.enable()
        for start in starts:
            loop.feed(feed, start, start + DAY_MS)
        if prof:
            prof.disable()
        spent = _cpu() - t0 - (loop.parse_cpu - parsed)
        total += spent
        table = TABLE_OF[name]
        rows = loop.rows.get(table, 0) - before.get(table, 0)
        out.write(
            f"{name:<18} rows {rows:>9} CPU {spent:7.2f} s  {rows / max(spent, 1e-9):>10,.0f} rows/s"
            f"  {1e6 * spent / max(tasks, 1):7.1f} us/task\n"
        )
        if prof and args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            path = args.profile / f"{name}.prof"
            prof.dump_stats(path)
            stats = pstats.Stats(str(path), stream=out)
            stats.sort_stats("tottime").print_stats(args.top)
    out.write(f"all feeds: CPU {total:.2f} s, {1e6 * total / max(tasks, 1):.1f} us/task\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
