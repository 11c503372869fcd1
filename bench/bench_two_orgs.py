"""Two orgs at once: loading both takes about as long as loading one, and both equal the truth.

Two sandboxes (seeds 42 and 7) serve in their own processes with ``--latency-ms 300 --budget 300``
(the real service's latency and per-org budget). ``wxcc-warehouse load --source search`` loads
``--days`` days of one org alone into a fresh data directory, then of both orgs (one WXCC_CONFIG
naming both) into another. Printed: each load's wall time, the ratio both / one (target
<= 1.25), and whether every Search table of each org equals the sandbox's truth.

    .venv/bin/python -m bench.bench_two_orgs [--days 3] [--tasks-per-day 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

from sandbox.model import Tenant
from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences
from warehouse.schemas import TABLES

BIN = Path(sys.executable).parent
NOW = "2026-11-20T15:30:00"
SEEDS = {"acme": 42, "globex": 7}


@contextmanager
def _sandbox(seed: int, tasks_per_day: int, latency_ms: int, budget: int) -> Iterator[str]:
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
        yield line.rsplit(" ", 1)[-1]
    finally:
        proc.terminate()
        proc.wait()


def _load(data_dir: Path, config: dict, start: date, end: date) -> float:
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
    started = time.perf_counter()
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
    return time.perf_counter() - started


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
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        urls = {
            name: stack.enter_context(
                _sandbox(seed, args.tasks_per_day, args.latency_ms, args.budget)
            )
            for name, seed in SEEDS.items()
        }
        one = _load(Path(tmp) / "one", {"orgs": [_org("acme", urls["acme"])]}, start, end)
        both_dir = Path(tmp) / "both"
        both = _load(both_dir, {"orgs": [_org(n, u) for n, u in urls.items()]}, start, end)
        sys.stdout.write(
            f"{args.days} days of Search, {args.tasks_per_day} tasks a day, latency "
            f"{args.latency_ms} ms, budget {args.budget}/min per org: one org {one:.1f}s, "
            f"two orgs at once {both:.1f}s, ratio {both / one:.2f}x (target <= 1.25x)\n"
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
