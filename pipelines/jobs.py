"""Jobs and the schedules derived from them, so cadence and grain cannot drift."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import dagster as dg

from pipelines.partitions import DAY, ORG, PARTITIONS, partition_key

# Every run of an org carries this tag (schedules and `wxcc-warehouse load` set it); dagster.yaml
# limits runs per org, each org's API budget being what paces it. Nothing limits runs globally
# for the warehouse's sake: runs only write their own window files (warehouse.land).
ORG_TAG = "wxcc/org"

SOURCES = ("search", "reporting", "legacy", "wfo")
_TITLES = {
    "search": "the Search API tables",
    "reporting": "the reporting REST tables",
    "legacy": "the legacy v1 record tables",
    "wfo": "the WFO report and snapshot tables",
}


def source_job(source: str) -> dg.UnresolvedAssetJobDefinition:
    """The partitioned job of one source's asset group."""
    return dg.define_asset_job(
        f"{source}_job",
        # The analytics marts are rebuilt with the Search tables they read, so a load leaves them
        # current.
        selection=dg.AssetSelection.groups(source, *(("analytics",) if source == "search" else ())),
        partitions_def=PARTITIONS,
        description=f"Load {_TITLES[source]} for one org and UTC day (or a range of days).",
        # One process per run: its windows run in threads under the org's one budget ledger.
        executor_def=dg.in_process_executor,
    )


JOBS_BY_SOURCE = {source: source_job(source) for source in SOURCES}
search_job = JOBS_BY_SOURCE["search"]

# Late updates: windows before the last closed one are loaded again (tasks that were still open,
# records the API back-fills). WXCC_LOOKBACK_DAYS overrides it when the code location loads.
DEFAULT_LOOKBACK_DAYS = 1


def lookback_schedule(
    job: dg.UnresolvedAssetJobDefinition,
    partitions: dg.MultiPartitionsDefinition,
    *,
    lookback: int,
    minute_of_hour: int = 30,
    hour_of_day: int = 0,
) -> dg.ScheduleDefinition:
    """A schedule whose cadence is the job's time grain, requesting for every org the last
    closed window and the ``lookback`` windows before it, one run each (oldest first)."""
    partitions_def = partitions.get_partitions_def_for_dimension(DAY)
    assert isinstance(partitions_def, dg.TimeWindowPartitionsDefinition)
    orgs = partitions.get_partitions_def_for_dimension(ORG).get_partition_keys()
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
        return [
            dg.RunRequest(
                run_key=f"{tick}:{org}:{key}",
                partition_key=partition_key(org, key),
                tags={ORG_TAG: org},
            )
            for org in orgs
            for key in keys
        ]

    return _schedule


# The current day, refreshed: every TODAY_MINUTES a run reloads today's window for every org
# (replacing the day's rows; the window stays "open" in the extraction log until it settles).
# Off until turned on (in the UI or with DefaultScheduleStatus): each refresh spends API budget
# (README, "The current day").
TODAY_MINUTES = 15
TODAY_SOURCES = ("search", "reporting")


def today_schedule(
    job: dg.UnresolvedAssetJobDefinition,
    partitions: dg.MultiPartitionsDefinition,
    *,
    minutes: int = TODAY_MINUTES,
) -> dg.ScheduleDefinition:
    """Every ``minutes``, for every org, a run of the UTC day still open at the tick."""
    partitions_def = partitions.get_partitions_def_for_dimension(DAY)
    assert isinstance(partitions_def, dg.TimeWindowPartitionsDefinition)
    orgs = partitions.get_partitions_def_for_dimension(ORG).get_partition_keys()

    @dg.schedule(
        name=f"{job.name}_today_schedule",
        cron_schedule=f"*/{minutes} * * * *",
        job=job,
        execution_timezone="UTC",
        description=f"The current UTC day so far, every {minutes} minutes (it stays open).",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        now = context.scheduled_execution_time or datetime.now(UTC)
        day = partitions_def.get_partition_key_for_timestamp(now.timestamp())
        tick = now.strftime("%Y-%m-%dT%H:%M")
        return [
            dg.RunRequest(run_key=f"today:{tick}:{org}", partition_key=partition_key(org, day))
            for org in orgs
        ]

    return _schedule


JOBS = list(JOBS_BY_SOURCE.values())
SCHEDULES = [
    lookback_schedule(
        job,
        PARTITIONS,
        lookback=int(os.environ.get("WXCC_LOOKBACK_DAYS", DEFAULT_LOOKBACK_DAYS)),
    )
    for job in JOBS
] + [today_schedule(JOBS_BY_SOURCE[source], PARTITIONS) for source in TODAY_SOURCES]
