"""The one Definitions loads, and every job, schedule and asset resolves by name."""

from dataclasses import replace
from datetime import UTC, datetime

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.partitions import START_DATE, build_partitions
from pipelines.settings import load_settings
from pipelines.sources.errors import ConfigError

EXPECTED_ASSETS = {
    "search/task_details",
    "search/task_activity",
    "search/task",
    "search/agent_session",
    "search/agent_session_channel",
    "search/agent_activity",
    "search/task_leg_details",
    "search/task_variable",
    "reporting/tasks",
    "reporting/queue_statistics",
    "reporting/agent_statistics",
    "reporting/agent_activities",
    "reporting/captures",
    "legacy/csr",
    "legacy/car",
    "legacy/asr",
    "legacy/aar",
    "wfo/persons",
    "wfo/groups",
    "wfo/teams",
    "wfo/agent_interval_productivity",
    "wfo/evaluation_scores",
    "wfo/schedule_adherence",
    "analytics/queue_interval_15m",
    "analytics/agent_interval_15m",
}
EXPECTED_SCHEDULES = {
    "search_job_schedule": "30 0 * * *",
    "reporting_job_schedule": "30 0 * * *",
    "legacy_job_schedule": "30 0 * * *",
    "wfo_job_schedule": "30 0 * * *",
}


def test_definitions_resolve() -> None:
    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == EXPECTED_ASSETS
    assert defs.resolve_job_def("search_job").name == "search_job"


def test_schedules_derive_from_the_partitioned_job() -> None:
    crons = {}
    for name in EXPECTED_SCHEDULES:
        schedule = defs.resolve_schedule_def(name)
        assert schedule.job_name == name.removesuffix("_schedule")
        crons[name] = schedule.cron_schedule
    assert crons == EXPECTED_SCHEDULES


def test_schedule_tick_requests_the_last_complete_day_and_the_lookback() -> None:
    schedule = defs.resolve_schedule_def("search_job_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 23, 0, 30, tzinfo=UTC),
        repository_def=defs.get_repository_def(),
    )
    requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert [r.partition_key for r in requests] == ["2026-11-21|default", "2026-11-22|default"]
    assert len({r.run_key for r in requests}) == 2


def _partitions(config: dict, env: dict[str, str] | None = None) -> dg.MultiPartitionsDefinition:
    settings = load_settings(env or {}, dotenv=False)
    return build_partitions(replace(settings, config=config))


def test_every_org_gets_its_windows_and_the_lookback_stops_at_the_configured_start() -> None:
    from pipelines.jobs import lookback_schedule, search_job

    partitions = _partitions(
        {
            "start_date": "2026-03-01",
            "orgs": [
                {"name": "acme", "client_id_env": "A_ID"},
                {"name": "globex", "client_id_env": "G_ID"},
            ],
        }
    )
    schedule = lookback_schedule(search_job, partitions, lookback=5)
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    )
    requests = schedule(context)  # the tick's function (evaluate_tick wants the job's repository)
    assert [r.partition_key for r in requests] == [
        "2026-03-01|acme",
        "2026-03-02|acme",
        "2026-03-01|globex",
        "2026-03-02|globex",
    ]


def test_the_first_window_of_an_empty_warehouse_is_the_configured_start_date() -> None:
    partitions = _partitions({}, {"WXCC_START_DATE": "2026-10-01"})
    assert partitions.get_partition_keys()[0] == "2026-10-01|default"
    assert _partitions({}).get_partition_keys()[0] == f"{START_DATE}|default"


def test_a_bad_org_list_or_start_date_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="names partitions"):
        _partitions({"orgs": [{"name": "a b"}]})
    with pytest.raises(ConfigError, match="repeat"):
        _partitions({"orgs": [{"name": "a"}, {"name": "a"}]})
    with pytest.raises(ConfigError, match="unknown keys client_secret"):
        _partitions({"orgs": [{"name": "a", "client_secret": "s3cr3t"}]})
    with pytest.raises(ConfigError, match="not an ISO date"):
        _partitions({"start_date": "March"})
