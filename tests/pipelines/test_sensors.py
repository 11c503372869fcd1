"""Tick-level tests of the open-tasks sensor against a warehouse loaded from the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.resources import Warehouse
from pipelines.sensors import open_task_days
from tests.support import Pipeline, point_at, sandbox


def test_days_with_open_tasks_are_requested_again(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = datetime(2026, 11, 21, tzinfo=UTC)  # after a Friday, seed 42: evening traffic
    yesterday = "2026-11-20"
    monkeypatch.setattr("pipelines.sensors._now", lambda: today + timedelta(hours=1))
    # Loaded a minute after midnight UTC (evening in the org's New York): the last tasks of
    # yesterday are still in progress.
    loaded_at = (today + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    with sandbox(loaded_at) as url:
        point_at(monkeypatch, url)
        assert pipeline.load(yesterday)[0].success
    warehouse = Warehouse(data_dir=str(pipeline.data_dir))
    assert open_task_days(warehouse, today + timedelta(hours=1)) == [(yesterday, "default")]

    sensor = defs.resolve_sensor_def("open_tasks_sensor")
    context = dg.build_sensor_context(
        instance=pipeline.instance, resources={"warehouse": warehouse}
    )
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    assert [r.partition_key for r in result.run_requests] == [f"{yesterday}|default"]


def test_an_empty_warehouse_skips(pipeline: Pipeline) -> None:
    sensor = defs.resolve_sensor_def("open_tasks_sensor")
    warehouse = Warehouse(data_dir=str(pipeline.data_dir))
    context = dg.build_sensor_context(
        instance=pipeline.instance, resources={"warehouse": warehouse}
    )
    result = sensor(context)
    assert isinstance(result, dg.SkipReason)
