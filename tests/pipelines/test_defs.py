"""The one Definitions loads, and every job, schedule and asset resolves by name."""

from datetime import UTC, datetime

import dagster as dg

from pipelines.definitions import defs

EXPECTED_ASSETS = {
    "search/task_details",
    "search/task_activity",
    "search/task",
    "search/agent_session",
    "search/agent_session_channel",
    "search/agent_activity",
    "search/task_leg_details",
    "search/task_variable",
}
EXPECTED_SCHEDULES = {"search_job_schedule": "30 0 * * *"}


def test_definitions_resolve() -> None:
    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == EXPECTED_ASSETS
    assert defs.resolve_job_def("search_job").name == "search_job"


def test_schedules_derive_from_the_partitioned_job() -> None:
    crons = {}
    for name in EXPECTED_SCHEDULES:
        schedule = defs.resolve_schedule_def(name)
        assert schedule.job_name == "search_job"
        crons[name] = schedule.cron_schedule
    assert crons == EXPECTED_SCHEDULES


def test_schedule_tick_requests_the_last_complete_day_and_the_lookback() -> None:
    schedule = defs.resolve_schedule_def("search_job_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 23, 0, 30, tzinfo=UTC),
        repository_def=defs.get_repository_def(),
    )
    requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert [r.partition_key for r in requests] == ["2026-11-21", "2026-11-22"]
    assert len({r.run_key for r in requests}) == 2


def test_lookback_stops_at_the_configured_start_date() -> None:
    from pipelines.jobs import lookback_schedule, search_job
    from pipelines.partitions import DAILY, START_DATE

    schedule = lookback_schedule(search_job, DAILY, lookback=5)
    first_day = datetime.fromisoformat(START_DATE).replace(tzinfo=UTC)
    context = dg.build_schedule_context(
        scheduled_execution_time=first_day.replace(day=3, hour=0, minute=30),
        repository_def=defs.get_repository_def(),
    )
    requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert [r.partition_key for r in requests] == ["2024-01-01", "2024-01-02"]
