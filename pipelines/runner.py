"""Run partitioned jobs in-process for the CLI, one run per window, recorded in the instance."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import dagster as dg
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pipelines.definitions import defs

# The event log keeps everything (see it in the UI); the terminal shows the progress bar and the
# one-line reason of a failure, not Dagster's stack traces.
_QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class Outcome:
    rows: dict[str, int] = field(default_factory=dict)
    failure: tuple[str, str] | None = None  # (partition key, one-line reason)


def run_windows(keys: list[str], *, progress: bool, job_name: str = "search_job") -> Outcome:
    """Materialize ``job_name`` for each partition key in order; stop at the first failure."""
    logging.getLogger("dagster").setLevel(logging.WARNING)
    job = defs.resolve_job_def(job_name)
    outcome = Outcome()
    with (
        dg.DagsterInstance.get() as instance,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("windows  {task.fields[rows]:,} rows"),
            TimeRemainingColumn(),
            disable=not progress,
        ) as bar,
    ):
        task = bar.add_task(f"loading {job_name}", total=len(keys), rows=0)
        for key in keys:
            result = job.execute_in_process(
                partition_key=key, instance=instance, raise_on_error=False, run_config=_QUIET
            )
            if not result.success:
                outcome.failure = (key, _failure_reason(result))
                break
            for event in result.get_asset_materialization_events():
                materialization = event.step_materialization_data.materialization
                table = ".".join(materialization.asset_key.path)
                rows = materialization.metadata.get("rows")
                count = int(rows.value) if rows is not None else 0
                outcome.rows[table] = outcome.rows.get(table, 0) + count
            bar.update(task, advance=1, rows=sum(outcome.rows.values()))
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
