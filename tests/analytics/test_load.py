"""`wxcc-warehouse load` (the search job through Dagster) leaves the marts current: they equal
the marts built from the sandbox's ground truth, and their roll-ups are exact."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.analytics.support import NOW, truth_warehouse
from tests.support import Pipeline, point_at, sandbox
from warehouse.schemas_analytics import AGENT_INTERVAL_15M, QUEUE_INTERVAL_15M

UNTIL = "2026-11-03 00:00:00+00"  # the truth covers three days; the load also builds the 4th


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(
        f"SELECT * EXCLUDE (org_id) FROM {table} WHERE interval_start < $until ORDER BY ALL",
        {"until": UNTIL},
    ).fetchall()


def test_a_load_leaves_the_marts_equal_to_those_of_the_truth(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, truth_dir: Path
) -> None:
    with sandbox(NOW) as url:
        point_at(monkeypatch, url)
        results = pipeline.load("2026-10-31", "2026-11-01", "2026-11-02")
    assert [r.success for r in results] == [True, True, True]
    checks = [
        (e.asset_key.to_user_string(), e.check_name, e.passed)
        for r in results
        for e in r.get_asset_check_evaluations()
        if e.asset_key.path[0] == "analytics"
    ]
    assert checks and all(passed for _, _, passed in checks), checks

    expected = truth_warehouse(truth_dir)
    with duckdb.connect(str(pipeline.data_dir / "warehouse.duckdb"), read_only=True) as got:
        for table in (QUEUE_INTERVAL_15M, AGENT_INTERVAL_15M):
            assert _rows(got, table.qualified_name) == _rows(expected, table.qualified_name)
        assert len(_rows(got, QUEUE_INTERVAL_15M.qualified_name)) > 300

        # The 15-minute mart summed to a day equals the daily roll-ups exactly.
        for day_view, day_column in (
            ("queue_day_utc", "utc_date"),
            ("queue_day_local", "local_date"),
        ):
            mismatched = got.execute(
                f"""
                WITH summed AS (
                    SELECT queue_id, channel_type, {day_column.replace("utc_date", "(interval_start AT TIME ZONE 'UTC')::DATE")} AS day,
                        sum(n_entered) AS n_entered, sum(n_answered_in_sl) AS n_answered_in_sl,
                        sum(sum_connected_ms) AS sum_connected_ms, sum(n_handled) AS n_handled
                    FROM analytics.queue_interval_15m GROUP BY ALL
                )
                SELECT count(*) FROM summed s FULL JOIN analytics.{day_view} d
                    ON d.queue_id = s.queue_id AND d.channel_type = s.channel_type
                    AND d.{day_column} = s.day
                WHERE d.n_entered IS DISTINCT FROM s.n_entered
                    OR d.n_answered_in_sl IS DISTINCT FROM s.n_answered_in_sl
                    OR d.sum_connected_ms IS DISTINCT FROM s.sum_connected_ms
                    OR d.n_handled IS DISTINCT FROM s.n_handled
                """
            ).fetchall()
            assert mismatched == [(0,)], day_view

        # 2026-11-01 in New York is the fall-back day: 25 hours, 100 quarter-hours, from
        # 04:00 UTC (EDT midnight) to 05:00 UTC the next day (EST midnight).
        spans = got.execute(
            """
            SELECT DISTINCT d.local_intervals_15m, d.day_start
            FROM analytics.queue_day_local AS d WHERE d.local_date = DATE '2026-11-01'
            """
        ).fetchall()
        assert [(n, s.isoformat()) for n, s in spans] == [(100, "2026-11-01T04:00:00+00:00")]
        [(first, last)] = got.execute(
            """
            SELECT min(interval_start), max(interval_start)
            FROM analytics.queue_interval_15m WHERE local_date = DATE '2026-11-01'
            """
        ).fetchall()
        # (the sandbox's traffic follows business hours: every quarter-hour of the 25 hours is
        # checked in test_time_zones.py)
        assert first.isoformat() >= "2026-11-01T04:00:00+00:00"
        assert last.isoformat() < "2026-11-02T05:00:00+00:00"
