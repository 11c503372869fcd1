"""Sensors: reload the windows whose tasks were still open when they were loaded."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import duckdb

import queries
from pipelines.assets.windows import OPEN_TASK_HORIZON
from pipelines.jobs import ORG_TAG, search_job
from pipelines.partitions import partition_key
from pipelines.resources import Warehouse
from warehouse import duck


def open_task_days(warehouse: Warehouse, now: datetime) -> list[tuple[str, str]]:
    """``(day, org)`` of closed UTC days (before today) holding tasks open when loaded."""
    path = warehouse.paths.published_path
    if not path.exists():
        return []
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)
    with duck.connect(path, read_only=True) as con:
        present = con.execute(
            queries.sql("ops/count_tables"),
            {"names": ["search.task_details", "ops.extraction_log"]},
        ).fetchall()[0][0]
        if present < 2:
            return []
        rows = con.execute(
            queries.sql("ops/select_open_task_days"),
            {"since": today - OPEN_TASK_HORIZON, "before": today},
        ).fetchall()
    return [(day, org) for day, org in rows]


def _now() -> datetime:
    return datetime.now(UTC)  # tests pin it


@dg.sensor(
    job=search_job, minimum_interval_seconds=3600, default_status=dg.DefaultSensorStatus.RUNNING
)
def open_tasks_sensor(
    context: dg.SensorEvaluationContext, warehouse: Warehouse
) -> dg.SensorResult | dg.SkipReason:
    """Reload closed days whose tasks were still open when loaded, at most once an hour each."""
    now = _now()
    try:
        days = open_task_days(warehouse, now)
    except duckdb.IOException as exc:  # a load holds the writer lock; try at the next tick
        return dg.SkipReason(f"warehouse busy: {exc}")
    if not days:
        return dg.SkipReason("no loaded day holds tasks still open")
    hour = now.strftime("%Y-%m-%dT%H")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"open-tasks-{org}-{day}-{hour}",
                partition_key=partition_key(org, day),
                tags={ORG_TAG: org},
            )
            for day, org in days
        ]
    )


SENSORS = [open_tasks_sensor]
