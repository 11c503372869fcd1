"""Issue 21: N orgs from one machine, each at its API budget (N = 5, 10, 20 by default).

    PATH=.venv/bin:$PATH .venv/bin/python -m bench.bench_many_orgs [--orgs 5,10,20]
        [--days 2] [--tasks-per-day 15000 | --minutes 5] [--latency-ms 300] [--budget 300]

One ``wxcc-sandbox serve --orgs MAX`` process serves every org (each its own org id, OAuth
integration and budget ledger of ``--budget`` requests a minute, ``--latency-ms`` added to every
request; all on the same simulated days: ``sandbox/tenants.py``). Its answer cache is warmed
first: the bare loop's requests (``bench/bare_search_loop.py``: every request the Search job
sends for the days), split over the orgs so the warming itself is not paced by one budget; then
the bench waits a minute so no org's ledger holds warming requests.

Then, for each N: ``wxcc-warehouse load --source search`` of the days for orgs 1..N (one
``WXCC_CONFIG`` naming them, ``requests_per_minute`` = the budget, a fresh data directory), with
a minute's pause between loads for the same reason. Printed per N: per org its requests, the
span of its extraction (first window started to last window finished, ``ops.extraction_log``),
requests a minute in that span and its share of the budget (target >= 90% at N = 10), and the
sandbox's 429s for it; the load's wall, CPU seconds of its process tree (user + system of the
load and every lane process it waited for), rows landed (the seven Search tables) and CPU seconds
per 1,000 rows, the peak RSS of its process tree (the sum over the load and its lane
processes, sampled every second) and of its largest process, the sandbox's CPU seconds, and
the machine's mean load average and CPU pressure. Last, the projection: how many orgs at full
budget one machine of ``os.cpu_count()`` cores keeps busy, from the measured CPU per row.

``--minutes M`` sizes the days so that each org needs about M minutes at its budget (the
Search job sends ~0.054 requests a task: 1,608 for 2 days at 15,000 tasks).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import orjson
import yaml

from bench._support import (
    LoadSampler,
    Sampler,
    cache_mb_for,
    cpu_stall_us,
    process_cpu,
    serving,
)
from bench.bare_search_loop import DAY_MS, FEEDS, Loop
from bench.bench_search_cpu import NOW, ROW_TABLES

BIN = Path(sys.executable).parent
REQUESTS_PER_TASK = 1_608 / 30_000  # measured: 2 days at 15,000 tasks (bench/README.md)
LEDGER_S = 61  # the sandbox's budget is a rolling minute: wait it out between phases


@dataclass(frozen=True)
class Org:
    k: int
    org_id: str
    client_id: str

    @property
    def secret(self) -> str:
        return "sandbox-secret" if self.k == 1 else f"sandbox-secret-{self.k}"

    @property
    def refresh(self) -> str:
        return "sandbox-refresh" if self.k == 1 else f"sandbox-refresh-{self.k}"

    @property
    def name(self) -> str:
        return f"org{self.k:02d}"


@contextmanager
def _sandbox(args: argparse.Namespace, orgs: int, cache_mb: int) -> Iterator[tuple[str, int]]:
    cmd = [
        str(BIN / "wxcc-sandbox"),
        "serve",
        "--orgs",
        str(orgs),
        "--seed",
        str(args.seed),
        "--now",
        NOW.isoformat(),
        "--tasks-per-day",
        str(args.tasks_per_day),
        "--budget",
        str(args.budget),
        "--latency-ms",
        str(args.latency_ms),
        "--cache-mb",
        str(cache_mb),
    ]
    with serving(cmd) as found:
        yield found


def _orgs(url: str) -> list[Org]:
    health = httpx.get(f"{url}/healthz").json()
    return [Org(k, o["orgId"], o["clientId"]) for k, o in enumerate(health["orgs"], start=1)]


def _responses(url: str) -> dict[str, dict[str, int]]:
    """Per org id, the sandbox's API responses so far by status."""
    health = httpx.get(f"{url}/healthz").json()
    return {o["orgId"]: o["responses"] for o in health["orgs"]}


class _WarmLoop(Loop):
    """The bare loop, waiting out the org's budget (429 + Retry-After) instead of failing."""

    def post(self, name: str, variables: dict[str, object], root: str) -> dict:
        while True:
            try:
                return super().post(name, variables, root)
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code != 429:
                    raise
                time.sleep(int(exc.response.headers.get("Retry-After", "1")))


def _warm(url: str, orgs: list[Org], days: list[date]) -> tuple[float, int]:
    """Every request of the Search job for ``days``, each (feed, day) piece through another
    org's budget, pieces at once: the sandbox's answer cache then holds every page."""
    pieces = [(feed, day) for feed in FEEDS for day in days]
    started = time.perf_counter()

    def run(i: int) -> int:
        feed, day = pieces[i]
        org = orgs[i % len(orgs)]
        with httpx.Client(base_url=url, timeout=600) as http:
            token = http.post(
                "/v1/access_token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": org.client_id,
                    "client_secret": org.secret,
                    "refresh_token": org.refresh,
                },
            )
            token.raise_for_status()
            http.headers["Authorization"] = f"Bearer {orjson.loads(token.content)['access_token']}"
            loop = _WarmLoop(http)
            start = int(datetime.combine(day, datetime.min.time(), UTC).timestamp() * 1000)
            loop.feed(feed, start, start + DAY_MS)
            return loop.requests

    with ThreadPoolExecutor(len(pieces)) as pool:
        requests = sum(pool.map(run, range(len(pieces))))
    return time.perf_counter() - started, requests


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


class _TreeRss(Sampler):
    """Peak RSS of a process and its descendants (sum, and the largest one), every second."""

    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid
        self.peak_sum = 0
        self.peak_one = 0
        self.peak_processes = 0

    def sample(self) -> None:
        sizes = [_rss_bytes(p) for p in _descendants(self.pid)]
        self.peak_sum = max(self.peak_sum, sum(sizes))
        self.peak_one = max(self.peak_one, max(sizes, default=0))
        self.peak_processes = max(self.peak_processes, len(sizes))


@dataclass
class OrgFigures:
    name: str
    requests: int
    span_s: float
    rate_limited: int  # the pipeline's own count of 429s it got
    refused: int  # the sandbox's 429s for this org

    def per_minute(self) -> float:
        return self.requests * 60 / self.span_s if self.span_s > 0 else 0.0


@dataclass
class Measured:
    n: int
    wall_s: float
    cpu_s: float
    sandbox_cpu_s: float
    rows: int
    peak_rss_sum: int
    peak_rss_one: int
    processes: int
    load: float
    stalled: float | None
    orgs: list[OrgFigures] = field(default_factory=list)


def _load(
    url: str,
    orgs: list[Org],
    start: date,
    end: date,
    budget: int,
    sandbox_pid: int,
    data_dir: Path,
) -> Measured:
    data_dir.mkdir(parents=True)
    config = {
        "orgs": [
            {
                "name": o.name,
                "api_url": url,
                "identity_url": url,
                "client_id_env": f"ORG{o.k}_CLIENT_ID",
                "client_secret_env": f"ORG{o.k}_CLIENT_SECRET",
                "refresh_token_env": f"ORG{o.k}_REFRESH_TOKEN",
                "requests_per_minute": budget,
            }
            for o in orgs
        ]
    }
    (data_dir / "wxcc.yaml").write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXCC_")}
    env |= {
        "WXCC_DATA_DIR": str(data_dir),
        "WXCC_CONFIG": str(data_dir / "wxcc.yaml"),
        "DAGSTER_HOME": str(data_dir / "dagster"),
        "WXCC_API_URL": url,
        "WXCC_IDENTITY_URL": url,
        # With WXCC_API_URL set the CLI asks for the single-org variables too, although every
        # org names its own: org 1's integration.
        "WXCC_CLIENT_ID": orgs[0].client_id,
        "WXCC_CLIENT_SECRET": orgs[0].secret,
        "WXCC_REFRESH_TOKEN": orgs[0].refresh,
    }
    for o in orgs:
        env[f"ORG{o.k}_CLIENT_ID"] = o.client_id
        env[f"ORG{o.k}_CLIENT_SECRET"] = o.secret
        env[f"ORG{o.k}_REFRESH_TOKEN"] = o.refresh
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
    before = _responses(url)
    sandbox_cpu = process_cpu(sandbox_pid)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    stall = cpu_stall_us()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with LoadSampler() as load, _TreeRss(proc.pid) as rss:
        _out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"load of {len(orgs)} orgs failed ({proc.returncode}): {err[-2000:]!r}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stall_end = cpu_stall_us()
    refused = _responses(url)
    measured = Measured(
        n=len(orgs),
        wall_s=wall,
        cpu_s=(after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime),
        sandbox_cpu_s=process_cpu(sandbox_pid) - sandbox_cpu,
        rows=0,
        peak_rss_sum=rss.peak_sum,
        peak_rss_one=rss.peak_one,
        processes=rss.peak_processes,
        load=load.mean,
        stalled=(stall_end - stall) / 1e6 / wall if stall is not None and stall_end else None,
    )
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        measured.rows = sum(
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - constants
            for t in ROW_TABLES
        )
        per_org = con.execute(
            "SELECT org, org_id, sum(requests), epoch(max(finished)) - epoch(min(started)), "
            "sum(coalesce(rate_limited, 0)) FROM ops.extraction_log "
            "WHERE status <> 'running' GROUP BY org, org_id ORDER BY org"
        ).fetchall()
    for name, org_id, requests, span, limited in per_org:
        was = before.get(org_id, {}).get("429", 0)
        measured.orgs.append(
            OrgFigures(
                name, int(requests), float(span), int(limited), refused[org_id].get("429", 0) - was
            )
        )
    return measured


def _report(m: Measured, budget: int, cores: int) -> str:
    lines = [f"\nN = {m.n} orgs"]
    lines.append("  org    requests  span (s)  req/min  share of budget  429s (sandbox)")
    for o in m.orgs:
        share = o.per_minute() / budget
        lines.append(
            f"  {o.name}  {o.requests:8,}  {o.span_s:8.1f}  {o.per_minute():7.1f}  "
            f"{share:15.1%}  {o.refused:5}"
        )
    shares = [o.per_minute() / budget for o in m.orgs]
    cpu_per_k = 1000 * m.cpu_s / max(m.rows, 1)
    lines.append(
        f"  share of budget: min {min(shares):.1%}, mean {sum(shares) / len(shares):.1%}; "
        f"{sum(o.requests for o in m.orgs):,} requests, {m.rows:,} rows"
    )
    lines.append(
        f"  load: {m.wall_s:.1f} s wall, {m.cpu_s:.1f} s CPU (process tree), "
        f"{cpu_per_k:.4f} CPU s per 1,000 rows; peak RSS {m.peak_rss_sum / 2**20:,.0f} MiB "
        f"(process tree, {m.processes} processes; largest {m.peak_rss_one / 2**20:,.0f} MiB)"
    )
    stalled = f", some task waiting for a CPU {m.stalled:.0%} of the time" if m.stalled else ""
    lines.append(
        f"  sandbox: {m.sandbox_cpu_s:.1f} s CPU "
        f"({1000 * m.sandbox_cpu_s / max(sum(o.requests for o in m.orgs), 1):.1f} ms a request); "
        f"machine: load average {m.load:.1f} on {cores} cores{stalled}; "
        f"{(m.cpu_s + m.sandbox_cpu_s) / m.wall_s:.2f} cores busy with this load on average"
    )
    rows_per_request = m.rows / max(sum(o.requests for o in m.orgs), 1)
    org_rows_s = budget / 60 * rows_per_request
    org_cores = org_rows_s * m.cpu_s / max(m.rows, 1)
    lines.append(
        f"  projection: an org at its full budget lands {org_rows_s:,.0f} rows/s "
        f"({rows_per_request:.0f} rows a request), {org_cores:.3f} cores at this CPU per row: "
        f"{cores} cores keep {math.floor(cores / org_cores) if org_cores else 0} orgs busy "
        "(the pipeline alone; the API is elsewhere)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orgs", default="5,10,20", help="Ns, comma-separated")
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--tasks-per-day", type=int, default=15_000)
    parser.add_argument(
        "--minutes", type=float, default=None, help="size the days for M minutes an org"
    )
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    ns = sorted({int(n) for n in args.orgs.split(",")})
    if args.minutes is not None:
        args.tasks_per_day = math.ceil(args.minutes * args.budget / (args.days * REQUESTS_PER_TASK))
    end = NOW.date()
    start = end - timedelta(days=args.days)
    days = [start + timedelta(days=d) for d in range(args.days)]
    cache_mb = cache_mb_for(args.days * args.tasks_per_day * 4)
    cores = os.cpu_count() or 1
    out = sys.stdout
    out.write(
        f"{args.days} days ({start}..{end}) at {args.tasks_per_day:,} tasks a day, seed "
        f"{args.seed}; each org: budget {args.budget}/min, latency {args.latency_ms} ms; "
        f"one sandbox process serving {max(ns)} orgs, answer cache {cache_mb:,} MiB\n"
    )
    with _sandbox(args, max(ns), cache_mb) as (url, pid), tempfile.TemporaryDirectory() as tmp:
        orgs = _orgs(url)
        cpu0 = process_cpu(pid)
        warm_s, warm_requests = _warm(url, orgs, days)
        out.write(
            f"warmed: {warm_requests:,} requests in {warm_s:.1f} s, sandbox "
            f"{process_cpu(pid) - cpu0:.1f} s CPU\n"
        )
        out.flush()
        for n in ns:
            time.sleep(LEDGER_S)  # no org's rolling minute holds the previous phase's requests
            measured = _load(url, orgs[:n], start, end, args.budget, pid, Path(tmp) / f"n{n}")
            out.write(_report(measured, args.budget, cores) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
