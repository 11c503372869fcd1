"""Jobs and the schedules derived from them, so cadence and grain cannot drift."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import dagster as dg

from pipelines.partitions import DAILY

search_job = dg.define_asset_job(
    "search_job",
    selection=dg.AssetSelection.groups("search"),
    partitions_def=DAILY,
    description="Load the Search API tables for one UTC day.",
    # One process writes the DuckDB file at a time (DuckDB allows a single writer process).
    executor_def=dg.in_process_executor,
)

# Late updates: windows before the last closed one are loaded again (tasks that were still open,
# records the API back-fills). WXCC_LOOKBACK_DAYS overrides it when the code location loads.
DEFAULT_LOOKBACK_DAYS = 1


def lookback_schedule(
    job: dg.UnresolvedAssetJobDefinition,
    partitions_def: dg.TimeWindowPartitionsDefinition,
    *,
    lookback: int,
    minute_of_hour: int = 30,
    hour_of_day: int = 0,
) -> dg.ScheduleDefinition:
    """A schedule whose cadence is the job's partition grain, requesting the last closed window
    and the ``lookback`` windows before it, one run each (oldest first)."""
    cron = partitions_def.get_cron_schedule(minute_of_hour=minute_of_hour, hour_of_day=hour_of_day)

    @dg.schedule(
        name=f"{job.name}_schedule",
        cron_schedule=cron,
        job=job,
        execution_timezone=partitions_def.timezone,
        description=f"The last closed window and {lookback} before it, after each window closes.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        now = context.scheduled_execution_time or datetime.now(UTC)
        current = partitions_def.time_window_for_partition_key(
            partitions_def.get_partition_key_for_timestamp(now.timestamp())
        )  # the window still open at ``now``
        keys: list[str] = []
        start = current.start
        for _ in range(lookback + 1):
            before = partitions_def.get_prev_partition_window(start)
            if before is None:
                break  # the configured start date: nothing older to look back on
            keys.insert(0, partitions_def.get_partition_key_for_timestamp(before.start.timestamp()))
            start = before.start
        tick = now.strftime("%Y-%m-%dT%H:%M")
        return [dg.RunRequest(run_key=f"{tick}:{key}", partition_key=key) for key in keys]

    return _schedule


search_schedule = lookback_schedule(
    search_job,
    DAILY,
    lookback=int(os.environ.get("WXCC_LOOKBACK_DAYS", DEFAULT_LOOKBACK_DAYS)),
)

JOBS = [search_job]
SCHEDULES = [search_schedule]
