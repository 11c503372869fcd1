"""Ctrl-C while DuckDB runs a query in the load's own process is a stop, not a failure."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines import runner
from pipelines.sources.http import requests_stopped
from tests.support import Pipeline


class _FailedRun:
    """What ``execute_in_process`` returns when a step failed."""

    success = False
    all_events: list = []

    def get_asset_materialization_events(self) -> list:
        return []


@pytest.mark.parametrize(
    ("reason", "interrupted"),
    [
        ("RuntimeError: Query interrupted", True),
        ("dagster._core.errors.DagsterExecutionInterruptedError", True),
        ("ServerError: HTTP 500", False),
    ],
    ids=["duckdb-interrupted", "dagster-interrupted", "a-real-failure"],
)
def test_a_query_interrupted_by_ctrl_c_stops_the_lane_and_names_its_unfinished_days(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, reason: str, interrupted: bool
) -> None:
    days = [date(2026, 11, 17), date(2026, 11, 18)]
    lane = runner.Lane("search_job", "default", [runner.Chunk("default", days)])
    monkeypatch.setattr(runner, "_execute", lambda *_: _FailedRun())
    monkeypatch.setattr(runner, "_failure_reason", lambda _: reason)

    outcome = runner.run_lane(lane)

    assert outcome.interrupted is interrupted
    assert requests_stopped() is interrupted
    if interrupted:
        assert outcome.failure is None
        assert outcome.unfinished == [("search_job", "default", d) for d in days]
    else:
        assert outcome.failure == ("search window 2026-11-17..2026-11-18 (org default)", reason)
        assert outcome.unfinished == []
