"""Two orgs at once: loading both takes about as long as loading one, and both equal the truth.

Sandboxes (seeds 42 and 7, started afresh for each load, so no load meets another's requests in
an org's budget minute) serve in their own processes with ``--latency-ms 300 --budget 300`` (the
real service's latency and per-org budget). ``wxcc-warehouse load --source search`` loads
``--days`` days of one org alone into a fresh data directory, then of both orgs (one WXCC_CONFIG
naming both) into another. Printed: each load's wall time, the ratio both / one (target
<= 1.25), and whether every Search table of each org equals the sandbox's truth.

    .venv/bin/python -m bench.bench_two_orgs [--days 3] [--tasks-per-day 2000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import yaml

from bench._support import LoadSampler, cpu_stall_us, process_cpu
from sandbox.model import Tenant
from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences
from warehouse.schemas import TABLES

BIN = Path(sys.executable).parent
NOW = "2026-11-20T15:30:00"
SEEDS = {"acme": 42, "globex": 7}


@contextmanager
def _sandbox(
    seed: int, tasks_per_day: int, latency_ms: int, budget: int
) -> Iterator[tuple[str, int]]:
    proc = subprocess.Popen(
        [
            str(BIN / "wxcc-sandbox"),
            "serve",
            "--seed",
            str(seed),
            "--now",
            NOW,
            "--tasks-per-day",
            str(tasks_per_day),
            "--latency-ms",
            str(latency_ms),
            "--budget",
            str(budget),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        yield line.rsplit(" ", 1)[-1], proc.pid
    finally:
        proc.terminate()
        proc.wait()


@dataclass(frozen=True)
class Measured:
    wall: float
    cpu: float  # user + system seconds of the load and every process it started
    sandbox_cpu: float  # the sandboxes' CPU seconds meanwhile (they serve this load only)
    load: float  # the machine's mean 1-minute load average during the load
    stalled: float | None  # share of the load's time some task waited for a CPU (Linux PSI)
    lanes: list[str]  # per org: requests, the budget's floor, when its windows ran

    def __str__(self) -> str:
        share = (self.cpu + self.sandbox_cpu) / self.wall
        return (
            f"{self.wall:.1f}s wall, {self.cpu:.1f}s CPU (+{self.sandbox_cpu:.1f}s sandboxes: "
            f"{share:.2f} cores busy on average), load average {self.load:.1f}"
            + (
                f", some task waiting for a CPU {self.stalled:.0%} of the time"
                if self.stalled is not None
                else ""
            )
            + "\n"
            + "".join(f"      {lane}\n" for lane in self.lanes)
        )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _lanes(db: Path, started: float, budget: int) -> list[str]:
    """Per org, from the extraction log: requests, the floor the budget sets on them, and when
    the org's first window started and its last one finished (seconds after the load began)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "SELECT org, sum(requests), epoch(min(started)), epoch(max(finished)), count(*) "
            "FROM ops.extraction_log GROUP BY org ORDER BY org"
        ).fetchall()
    return [
        f"{org}: {requests} requests (budget floor {requests * 60 / budget:.0f}s), "
        f"{attempts} window attempts from +{first - started:.1f}s to +{last - started:.1f}s"
        for org, requests, first, last, attempts in rows
    ]


def _load(
    data_dir: Path, config: dict, start: date, end: date, sandboxes: list[int], budget: int
) -> Measured:
    data_dir.mkdir(parents=True)
    path = data_dir / "wxcc.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {
        **os.environ,
        "WXCC_DATA_DIR": str(data_dir),
        "WXCC_CONFIG": str(path),
        "DAGSTER_HOME": str(data_dir / "dagster"),
        "WXCC_API_URL": config["orgs"][0]["api_url"],
        "WXCC_IDENTITY_URL": config["orgs"][0]["api_url"],
        "WXCC_CLIENT_ID": "sandbox-client",
        "WXCC_CLIENT_SECRET": "sandbox-secret",
        "WXCC_REFRESH_TOKEN": "sandbox-refresh",
    }
    sandbox_cpu = sum(process_cpu(pid) for pid in sandboxes)
    epoch, started, cpu = time.time(), time.perf_counter(), _children_cpu()
    stall = cpu_stall_us()
    with LoadSampler() as load:
        subprocess.run(
            [
                str(BIN / "wxcc-warehouse"),
                "load",
                "--from",
                start.isoformat(),
                "--to",
                end.isoformat(),
                "--source",
                "search",
                "--no-progress",
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    wall = time.perf_counter() - started
    stall_end = cpu_stall_us()
    return Measured(
        wall=wall,
        cpu=_children_cpu() - cpu,
        sandbox_cpu=sum(process_cpu(pid) for pid in sandboxes) - sandbox_cpu,
        load=load.mean,
        stalled=(stall_end - stall) / 1e6 / wall if stall is not None and stall_end else None,
        lanes=_lanes(data_dir / "warehouse.duckdb", epoch, budget),
    )


def _org(name: str, url: str) -> dict[str, object]:
    return {"name": name, "api_url": url, "identity_url": url, "requests_per_minute": 300}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--tasks-per-day", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--budget", type=int, default=300)
    args = parser.parse_args(argv)
    end = datetime.fromisoformat(NOW).date()
    start = end - timedelta(days=args.days)
    with tempfile.TemporaryDirectory() as tmp:

        def load(names: list[str], data_dir: Path) -> Measured:
            # Fresh sandboxes for every load: each org's budget ledger starts empty (a second
            # load within a minute of the first would meet the first one's requests in the
            # org's rolling minute, and its 429s) and no answer is cached from an earlier load.
            with ExitStack() as stack:
                served = {
                    name: stack.enter_context(
                        _sandbox(SEEDS[name], args.tasks_per_day, args.latency_ms, args.budget)
                    )
                    for name in names
                }
                config = {"orgs": [_org(n, url) for n, (url, _pid) in served.items()]}
                pids = [pid for _url, pid in served.values()]
                return _load(data_dir, config, start, end, pids, args.budget)

        one = load(["acme"], Path(tmp) / "one")
        both_dir = Path(tmp) / "both"
        both = load(list(SEEDS), both_dir)
        sys.stdout.write(
            f"{args.days} days of Search, {args.tasks_per_day} tasks a day, latency "
            f"{args.latency_ms} ms, budget {args.budget}/min per org, {os.cpu_count()} cores\n"
            f"  one org alone:    {one}"
            f"  two orgs at once: {both}"
            f"  ratio {both.wall / one.wall:.2f}x wall (target <= 1.25x), "
            f"{both.cpu / one.cpu:.2f}x CPU\n"
        )
        now_ms = int(datetime.fromisoformat(NOW).replace(tzinfo=UTC).timestamp() * 1000)
        for name, seed in SEEDS.items():
            truth = Path(tmp) / f"truth-{name}"
            write_truth(
                truth,
                seed=seed,
                tasks_per_day=args.tasks_per_day,
                now_ms=now_ms,
                from_ms=int(datetime.combine(start, datetime.min.time(), UTC).timestamp() * 1000),
                to_ms=int(datetime.combine(end, datetime.min.time(), UTC).timestamp() * 1000),
                families=("search",),
            )
            org_id = Tenant(seed, args.tasks_per_day).org_id
            bad = [
                table
                for table, t in TABLES.items()
                if differences(
                    both_dir / "warehouse.duckdb", truth / f"{table}.parquet", t, org_id=org_id
                )
            ]
            sys.stdout.write(
                f"  {name}: {'equals the truth' if not bad else f'DIFFERS in {bad}'}\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
