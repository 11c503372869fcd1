"""What the benchmarks share: the sandbox in its own process, a bare fetch loop, and a pipeline
pass in a fresh process whose peak memory above its idle baseline is measured.

Peak memory: the pipeline pass runs in a new Python process (``python -m bench._support``) that
imports everything, takes its token, builds its Search client and lands the first 15 minutes of
its first window into a scratch warehouse (so codecs, DuckDB and compiled plans are loaded), then
reads its RSS (the *idle baseline*), resets the kernel's high-water mark (``echo 5 > /proc/self/clear_refs``, which sets
``VmHWM`` back to the current RSS) and runs the pass; ``VmHWM`` afterwards is the pass's peak.
Where ``clear_refs`` cannot be written, a thread samples ``VmRSS`` every 2 ms instead (it can miss
a spike shorter than that); the report names the method used.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import httpx
import orjson

DAY_MS = 86_400_000
WARM_UP_MS = 15 * 60_000
_CURSOR = re.compile(rb'"hasNextPage":(true|false),"endCursor":(null|"[^"]*")')
CREDENTIALS = {
    "client_id": "sandbox-client",
    "client_secret": "sandbox-secret",
    "refresh_token": "sandbox-refresh",
}


@contextmanager
def serving(cmd: list[str]) -> Iterator[tuple[str, int]]:
    """A ``wxcc-sandbox serve`` command run in its own process until the block ends: its URL
    (read from its first line) and its pid."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("sandbox listening on "):
            raise RuntimeError(f"sandbox did not start: {line!r}")
        yield line.removeprefix("sandbox listening on "), proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def sandbox(
    seed: int,
    tasks_per_day: int,
    now_iso: str,
    cache_mb: int,
    *,
    budget: int = 0,
    latency_ms: int = 0,
) -> Iterator[str]:
    """``wxcc-sandbox serve`` in its own process (clock frozen; budget unlimited unless given);
    its URL."""
    cmd = [
        sys.executable,
        "-m",
        "sandbox.cli",
        "serve",
        "--port",
        "0",
        "--budget",
        str(budget),
        "--latency-ms",
        str(latency_ms),
        "--seed",
        str(seed),
        "--tasks-per-day",
        str(tasks_per_day),
        "--now",
        now_iso,
        "--cache-mb",
        str(cache_mb),
    ]
    with serving(cmd) as (url, _pid):
        yield url


def cpu_stall_us() -> int | None:
    """Microseconds some task waited for a CPU since boot (``/proc/pressure/cpu``), if known."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return None
    return int(line.rsplit("total=", 1)[1])


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (``/proc``; 0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """Calls ``sample`` every second, in a thread of its own, while the block runs."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(1.0):
                return


class LoadSampler(Sampler):
    """The machine's 1-minute load average, sampled every second while a load runs."""

    def __init__(self) -> None:
        super().__init__()
        self.samples: list[float] = []

    def sample(self) -> None:
        self.samples.append(os.getloadavg()[0])

    @property
    def mean(self) -> float:
        return sum(self.samples) / max(len(self.samples), 1)


def cache_mb_for(rows: int) -> int:
    """An answer cache holding every page of ``rows`` all-fields taskDetails records (about
    5.1 kB a record as JSON, gzip copies an eighth of that) with room to spare."""
    return 256 + rows * 6 * 1024 // (1024 * 1024)


def sandbox_tokens(base_url: str, data_dir: Path) -> Any:
    """The pipeline's token provider for a sandbox (its fixed client), state under ``data_dir``."""
    from pipelines.sources.auth import TokenProvider

    return TokenProvider(identity_url=base_url, state_dir=data_dir / "state", **CREDENTIALS)


def days_before(now: datetime, days: int) -> list[tuple[int, int]]:
    """The ``days`` whole UTC days before ``now`` (midnight), oldest first, as epoch-ms windows."""
    end = int(now.timestamp() * 1000)
    return [(end - (n + 1) * DAY_MS, end - n * DAY_MS) for n in reversed(range(days))]


def pieces(base_url: str, windows: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """The pieces the Search client pages for these windows (its own count queries and splits):
    ``(start, end, count)``."""
    from pipelines.sources.http import WxccHttp
    from pipelines.sources.search import TASK_DETAILS, SearchClient

    with tempfile.TemporaryDirectory() as tmp:
        tokens = sandbox_tokens(base_url, Path(tmp))
        with SearchClient(WxccHttp(base_url, token_provider=tokens)) as client:
            return [
                piece
                for start, end in windows
                for piece in client.window_pieces(TASK_DETAILS, start, end)
            ]


def fetch_only(base_url: str, pieces_: list[tuple[int, int, int]]) -> tuple[int, float]:
    """Page the pieces with the pipeline's own requests (query text, variables, first cursor
    ``NA``, httpx's default gzip) and read each body, decompressed, without parsing it: the
    client cost of moving the bytes, the ceiling of the pipeline. Rows and seconds."""
    import queries

    with tempfile.TemporaryDirectory() as tmp:
        token = sandbox_tokens(base_url, Path(tmp)).token()
    query = queries.graphql("task_details")
    done = 0
    started = time.perf_counter()
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=600
    ) as http:
        for start, end, count in pieces_:
            cursor: str | None = "NA"
            while cursor is not None:
                body = {"query": query, "variables": {"from": start, "to": end, "cursor": cursor}}
                response = http.post(
                    "/search",
                    content=orjson.dumps(body),
                    headers={"Content-Type": "application/json"},
                )
                response.raise_for_status()
                content = response.content
                match = _CURSOR.search(content, max(0, len(content) - 300))
                cursor = (
                    orjson.loads(match.group(2)) if match and match.group(1) == b"true" else None
                )
            done += count
    return done, time.perf_counter() - started


# -- the pipeline pass, in a fresh process -------------------------------------------------------


@dataclass
class PipelineRun:
    """What one pipeline pass reports."""

    rows: int = 0
    seconds: float = 0.0
    idle_mib: float = 0.0  # RSS before the pass
    peak_mib: float = 0.0  # highest RSS during the pass
    method: str = ""
    splits: list[str] = field(default_factory=list)  # the client's split log lines
    phases: dict[str, float] = field(default_factory=dict)  # peak above idle per phase (MiB)

    @property
    def above_idle_mib(self) -> float:
        return self.peak_mib - self.idle_mib


def run_pipeline(
    base_url: str,
    windows: list[tuple[int, int]],
    data_dir: Path,
    *,
    phases: bool = False,
) -> PipelineRun:
    """Run :func:`_pipeline_pass` in a new Python process and return what it measured."""
    cmd = [
        sys.executable,
        "-m",
        "bench._support",
        "--url",
        base_url,
        "--data-dir",
        str(data_dir),
        "--windows",
        json.dumps(windows),
    ]
    if phases:
        cmd.append("--phases")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pipeline pass failed:\n{done.stderr[-4000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return PipelineRun(**report)


def _status_kib(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {name} in /proc/self/status")


class PeakMeter:
    """The process's peak RSS from :meth:`start` on (see the module docstring)."""

    def __init__(self) -> None:
        self.method = ""
        self._sampled = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.method = "VmHWM after clear_refs"
        except OSError:
            self.method = "VmRSS sampled every 2 ms"
            self._sampled = _status_kib("VmRSS")
            self._stop.clear()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self._sampled = max(self._sampled, _status_kib("VmRSS"))

    def peak_kib(self) -> int:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
            return max(self._sampled, _status_kib("VmRSS"))
        return _status_kib("VmHWM")


class _Splits(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "split at" in message:
            self.lines.append(message)


def _pipeline_pass(
    base_url: str, windows: list[tuple[int, int]], data_dir: Path, phases: bool
) -> PipelineRun:
    """The asset's path for taskDetails: token provider, retrying transport, Search client
    (counts, splits, pages, fetched one page ahead), the feed's decoder as ``FEEDS`` sets it
    (or the normalizer), its CAD variables, Parquet writers, window checks and commit
    (``land_windows``), into task_details and task_variable."""
    from pipelines.assets.search import FEEDS
    from pipelines.sources.http import RetryPolicy, WxccHttp
    from pipelines.sources.paging import prefetched
    from pipelines.sources.search import SearchClient
    from warehouse import land
    from warehouse.land import WarehousePaths, land_windows
    from warehouse.variables import with_variables

    feed = next(f for f in FEEDS if f.name == "task_details")
    table = feed.tables[0]

    def pages(client: SearchClient, start: int, end: int) -> Iterator[Any]:
        # As the asset does: the next page is fetched while this one is landed.
        fetched = prefetched(client.window_pages(feed.query, start, end, decoder=feed.decoder))
        return (with_variables(page) for page in fetched)

    splits = _Splits()
    logging.getLogger("pipelines.sources.search").addHandler(splits)
    logging.getLogger("pipelines.sources.search").setLevel(logging.INFO)
    paths = WarehousePaths(data_dir)
    tokens = sandbox_tokens(base_url, data_dir)
    org_id = tokens.token().split("_")[2]
    meter = PeakMeter()
    report = PipelineRun()
    phase_peaks: dict[str, float] = {}
    if phases:  # peak of the streaming (fetch, decode, Parquet) and of the window checks
        check = land.check_window_file

        def measured_check(*args: Any, **kwargs: Any) -> Any:
            phase_peaks["stream"] = max(phase_peaks.get("stream", 0), meter.peak_kib() / 1024)
            meter.start()
            try:
                return check(*args, **kwargs)
            finally:
                phase_peaks["check"] = max(phase_peaks.get("check", 0), meter.peak_kib() / 1024)
                meter.start()

        land.check_window_file = measured_check  # type: ignore[assignment]
    with SearchClient(WxccHttp(base_url, token_provider=tokens, retry=RetryPolicy())) as client:
        # Warm-up: land the first minutes of the first window into a scratch warehouse, so the
        # baseline holds what any load needs once (codecs, DuckDB, compiled plans).
        start, _end = windows[0]
        with tempfile.TemporaryDirectory() as scratch:
            land_windows(
                WarehousePaths(Path(scratch)),
                feed.tables,
                org_id,
                start,
                start + WARM_UP_MS,
                pages(client, start, start + WARM_UP_MS),
            )
        idle = _status_kib("VmRSS") / 1024
        meter.start()
        started = time.perf_counter()
        for start, end in windows:
            landed = land_windows(paths, feed.tables, org_id, start, end, pages(client, start, end))
            report.rows += landed[table].rows
        report.seconds = time.perf_counter() - started
        peak = meter.peak_kib() / 1024
    report.idle_mib = idle
    report.peak_mib = max([peak, *phase_peaks.values()])
    report.method = meter.method
    report.splits = splits.lines
    report.phases = {k: round(v - idle, 1) for k, v in phase_peaks.items()}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one pipeline pass (the benchmarks' worker)")
    parser.add_argument("--url", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--windows", required=True, help="JSON list of [start_ms, end_ms]")
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args(argv)
    windows = [(int(a), int(b)) for a, b in json.loads(args.windows)]
    report = _pipeline_pass(args.url, windows, args.data_dir, args.phases)
    sys.stdout.write(json.dumps(asdict(report)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
