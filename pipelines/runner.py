"""Run partitioned jobs in-process for the CLI, recorded in the instance (the UI shows them).

A load of N days is a bounded number of runs: per org, each run covers a range of up to
``CHUNK_DAYS`` consecutive days (a single-run backfill of that range; the windows of a run land
concurrently under the org's API budget). Resumable: windows whose latest attempt succeeded for
every asset of the job are skipped unless a reload is asked for, and windows a killed run left
``running`` are loaded again.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from pipelines import progress
from pipelines.definitions import JOB_LOGGED_ASSETS, defs
from pipelines.partitions import Window, partition_key
from pipelines.sources.http import requests_stopped, stop_requests
from warehouse import ops, parquet
from warehouse.catalog import TABLES
from warehouse.land import WarehousePaths

log = logging.getLogger(__name__)

CHUNK_DAYS = 7  # days a run covers: a 14-day backfill is 2 runs per org and job
# The event log keeps everything (see it in the UI); the terminal shows the progress bar and the
# one-line reason of a failure, not Dagster's stack traces.
_QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class Outcome:
    rows: dict[str, int] = field(default_factory=dict)
    failure: tuple[str, str] | None = None  # (what failed, one-line reason)
    runs: int = 0
    skipped: int = 0  # windows already complete
    interrupted: bool = False  # Ctrl-C: the runs stopped early
    unfinished: list[tuple[str, date]] = field(default_factory=list)  # (org, day) not landed


@dataclass(frozen=True)
class Chunk:
    org: str
    days: list[date]

    @property
    def label(self) -> str:
        first, last = self.days[0], self.days[-1]
        span = f"{first}" + (f"..{last}" if last != first else "")
        return f"window {span} (org {self.org})"


def plan(
    paths: WarehousePaths,
    job_name: str,
    orgs: list[str],
    days: list[date],
    *,
    reload: bool,
    chunk_days: int = CHUNK_DAYS,
) -> tuple[list[Chunk], int]:
    """The runs to make (per org, consecutive pending days in chunks) and windows skipped."""
    assets = _logged_assets(job_name)
    chunks: list[Chunk] = []
    skipped = 0
    for org in orgs:
        done: set[date] = set()
        if not reload and days:
            since = datetime.combine(days[0], datetime.min.time(), UTC)
            until = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), UTC)
            done = {
                d.date() for d in ops.complete_windows(paths.duckdb_path, assets, org, since, until)
            }
            lost = {d for d in done if not _files_present(paths, assets, org, d)}
            if lost:
                log.warning(
                    "%d window(s) of org %s logged complete have lost their Parquet files "
                    "(%s): loading them again",
                    len(lost),
                    org,
                    ", ".join(str(d) for d in sorted(lost)[:5]),
                )
                done -= lost
        pending = [d for d in days if d not in done]
        skipped += len(days) - len(pending)
        run: list[date] = []
        for day in pending:
            if run and (day - run[-1] != timedelta(days=1) or len(run) == chunk_days):
                chunks.append(Chunk(org, run))
                run = []
            run.append(day)
        if run:
            chunks.append(Chunk(org, run))
    return chunks, skipped


def _files_present(paths: WarehousePaths, assets: list[str], org: str, day: date) -> bool:
    """Whether every logged table of the window still has its Parquet file: derived files are
    checked, not trusted (a lost ``parquet/`` is loaded again, not counted complete)."""
    start_ms = int(datetime.combine(day, datetime.min.time(), UTC).timestamp() * 1000)
    for org_id in ops.org_ids(paths.duckdb_path, org):
        for asset in assets:
            table = TABLES.get(asset)
            if table is None:
                continue  # a configured WFO report: not in the static catalog
            folder = parquet.window_dir(paths.parquet_root, table, org_id, start_ms)
            if not (folder.is_dir() and any(folder.glob("*.parquet"))):
                return False
    return True


def _logged_assets(job_name: str) -> list[str]:
    """Tables the extraction log names for the job's steps (each step's first table)."""
    return JOB_LOGGED_ASSETS[job_name]


def run_chunks(chunks: list[Chunk], *, progress_bar: bool, job_name: str = "search_job") -> Outcome:
    """Materialize ``job_name`` for each chunk in order; stop at the first failed run."""
    logging.getLogger("dagster").setLevel(logging.WARNING)
    job = defs.resolve_job_def(job_name)
    steps = max(len(_logged_assets(job_name)), 1)
    outcome = Outcome()
    lock = threading.Lock()
    with (
        dg.DagsterInstance.get() as instance,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[windows]} windows"),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeRemainingColumn(),
            disable=not progress_bar,
        ) as bar,
    ):
        total = sum(len(c.days) for c in chunks)
        task = bar.add_task(
            f"loading {job_name}", total=total * steps, rows=0, windows=f"0/{total}"
        )
        landed: dict[tuple[str, date], int] = {}  # (org, day) -> steps that landed it

        def on_window(_asset: str, org: str, window: Window, rows: int) -> None:
            with lock:
                key = (org, window.start.date())
                landed[key] = landed.get(key, 0) + 1
                whole = sum(1 for n in landed.values() if n >= steps)
                outcome_rows = sum(outcome.rows.values()) + rows
                bar.update(task, advance=1, windows=f"{whole}/{total}", rows=outcome_rows)

        with progress.listening(on_window):
            for n, chunk in enumerate(chunks):
                result = None
                if not requests_stopped():
                    try:
                        result = _execute(job, instance, chunk)
                    except (KeyboardInterrupt, DagsterExecutionInterruptedError):
                        stop_requests()  # in-flight windows end at their next request
                if result is None or requests_stopped():  # Ctrl-C: say what is unfinished
                    outcome.interrupted = True
                    outcome.unfinished = [
                        (c.org, d)
                        for c in chunks[n:]
                        for d in c.days
                        if landed.get((c.org, d), 0) < steps
                    ]
                    break
                outcome.runs += 1
                # A single-run backfill reports one materialization per partition of its range,
                # each with the run's whole metadata: count each asset once per run.
                counted: set[str] = set()
                for event in result.get_asset_materialization_events():
                    materialization = event.step_materialization_data.materialization
                    table = ".".join(materialization.asset_key.path)
                    if table in counted:
                        continue
                    counted.add(table)
                    rows = materialization.metadata.get("rows")
                    count = int(rows.value) if rows is not None else 0
                    outcome.rows[table] = outcome.rows.get(table, 0) + count
                if not result.success:
                    outcome.failure = (chunk.label, _failure_reason(result))
                    break
    return outcome


def _execute(
    job: dg.JobDefinition, instance: dg.DagsterInstance, chunk: Chunk
) -> dg.ExecuteInProcessResult:
    return job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=_QUIET,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: partition_key(chunk.org, chunk.days[0].isoformat()),
            ASSET_PARTITION_RANGE_END_TAG: partition_key(chunk.org, chunk.days[-1].isoformat()),
        },
    )


def _failure_reason(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            # The asset's own exception is the innermost cause; Dagster wraps it once.
            while error.cause is not None:
                error = error.cause
            if not error.message:
                return error.cls_name or "?"
            # Dagster names the class by its module path: the class name says enough.
            return re.sub(r"^[\w.]+\.(\w+): ", r"\1: ", error.message.strip().splitlines()[-1])
    return "the run failed before any step ran (see the Dagster UI for its event log)"


INTERRUPTED = "Interrupted: stopped (Ctrl-C) before this window finished; a re-run resumes"


def mark_unfinished(
    paths: WarehousePaths,
    job_name: str,
    unfinished: list[tuple[str, date]],
    configured_ids: dict[str, str | None],
    since: datetime,
) -> int:
    """Record the windows a Ctrl-C left unfinished as failed, so ``status`` shows them and the
    next load redoes them (an asset's window this load landed since ``since`` stays); the rows
    written. An org whose id is not known yet (it was never
    signed in) has nothing in the log to mark."""
    now = datetime.now(UTC)
    landed = {
        (a.asset, a.org_id, a.window_start)
        for a in ops.latest_attempts(paths.duckdb_path)
        if a.status in ("success", "open") and a.finished >= since
    }  # windows of an asset this load did land before the stop: not unfinished
    run_id = f"interrupted-{now.strftime('%Y%m%dT%H%M%S')}"
    attempts: list[ops.Attempt] = []
    for org in sorted({org for org, _ in unfinished}):
        ids = ops.org_ids(paths.duckdb_path, org) or [i for i in (configured_ids.get(org),) if i]
        for day in sorted({d for o, d in unfinished if o == org}):
            start = datetime.combine(day, datetime.min.time(), UTC)
            attempts += [
                ops.Attempt(
                    asset=asset,
                    org_id=org_id,
                    window_start=start,
                    window_end=start + timedelta(days=1),
                    run_id=run_id,
                    started=now,
                    finished=now,
                    status="failure",
                    error=INTERRUPTED,
                    org=org,
                )
                for org_id in ids
                for asset in _logged_assets(job_name)
                if (asset, org_id, start) not in landed
            ]
    ops.record_many(paths.duckdb_path, attempts)
    return len(attempts)
