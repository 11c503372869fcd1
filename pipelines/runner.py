"""Run partitioned jobs in-process for the CLI, recorded in the instance (the UI shows them).

A load of N days is a bounded number of runs: per org, each run covers a range of up to
``CHUNK_DAYS`` consecutive days (a single-run backfill of that range; the windows of a run land
concurrently under the org's API budget). Resumable: windows whose latest attempt succeeded for
every asset of the job are skipped unless a reload is asked for, and windows a killed run left
``running`` are loaded again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from pipelines import progress
from pipelines.definitions import JOB_LOGGED_ASSETS, defs
from pipelines.partitions import partition_key
from warehouse import ops
from warehouse.land import WarehousePaths

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
            done = {d.date() for d in ops.complete_windows(paths, assets, org, since, until)}
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
        landed: dict[tuple[str, object], int] = {}

        def on_window(_asset: str, org: str, window: object, rows: int) -> None:
            with lock:
                landed[(org, window)] = landed.get((org, window), 0) + 1
                whole = sum(1 for n in landed.values() if n >= steps)
                outcome_rows = sum(outcome.rows.values()) + rows
                bar.update(task, advance=1, windows=f"{whole}/{total}", rows=outcome_rows)

        with progress.listening(on_window):
            for chunk in chunks:
                result = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    run_config=_QUIET,
                    tags={
                        ASSET_PARTITION_RANGE_START_TAG: partition_key(
                            chunk.org, chunk.days[0].isoformat()
                        ),
                        ASSET_PARTITION_RANGE_END_TAG: partition_key(
                            chunk.org, chunk.days[-1].isoformat()
                        ),
                    },
                )
                outcome.runs += 1
                for event in result.get_asset_materialization_events():
                    materialization = event.step_materialization_data.materialization
                    table = ".".join(materialization.asset_key.path)
                    rows = materialization.metadata.get("rows")
                    count = int(rows.value) if rows is not None else 0
                    outcome.rows[table] = outcome.rows.get(table, 0) + count
                if not result.success:
                    outcome.failure = (chunk.label, _failure_reason(result))
                    break
    return outcome


def _failure_reason(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            # The asset's own exception is the innermost cause; Dagster wraps it once.
            while error.cause is not None:
                error = error.cause
            return (
                error.message.strip().splitlines()[-1] if error.message else error.cls_name or "?"
            )
    return "the run failed before any step ran (see the Dagster UI for its event log)"
