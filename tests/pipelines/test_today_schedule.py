"""The current day every 15 minutes: a schedule per source whose API has the day's data."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from pipelines.definitions import defs


def test_the_today_schedules_request_the_open_day_of_every_org_every_15_minutes() -> None:
    for source in ("search", "reporting"):
        schedule = defs.resolve_schedule_def(f"{source}_job_today_schedule")
        assert schedule.job_name == f"{source}_job"
        assert schedule.cron_schedule == "*/15 * * * *"
        # It spends API budget all day: on when the operator turns it on.
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
        context = dg.build_schedule_context(
            scheduled_execution_time=datetime(2026, 11, 20, 10, 45, tzinfo=UTC),
            repository_def=defs.get_repository_def(),
        )
        requests = list(schedule.evaluate_tick(context).run_requests or [])
        assert [r.partition_key for r in requests] == ["2026-11-20|default"]
        assert requests[0].run_key == "today:2026-11-20T10:45:default"


def test_the_open_day_is_a_partition() -> None:
    """`load --today` and the schedule need the current day in the partition set."""
    from pipelines.partitions import DAILY

    now = datetime(2026, 11, 20, 10, 45, tzinfo=UTC)
    assert DAILY.get_partition_keys(current_time=now)[-1] == "2026-11-20"
