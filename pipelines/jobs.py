"""Jobs and the schedules derived from them, so cadence and grain cannot drift."""

from __future__ import annotations

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

# Daily, shortly after the UTC day closes: the schedule targets the last complete day.
search_schedule = dg.build_schedule_from_partitioned_job(
    search_job, minute_of_hour=30, hour_of_day=0
)

JOBS = [search_job]
SCHEDULES = [search_schedule]
