"""The cross-source check: queue statistics against the tasks Search reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.sources.search import SearchClient
from sandbox.model import Tenant
from sandbox.reporting import model
from tests.reporting.support import DAY1, NOW, reporting_client
from tests.support import SEED, TASKS_PER_DAY, ms
from warehouse import duck
from warehouse.cross_checks import (
    QUEUE_STATISTICS_CHECK,
    check_queue_statistics,
    queue_statistics_differences,
)
from warehouse.land import WarehousePaths, land_windows
from warehouse.schemas import TASK_DETAILS
from warehouse.schemas_reporting import QUEUE_STATISTICS

ORG = Tenant(SEED, TASKS_PER_DAY).org_id


def _load(tmp_path: Path, **serve: object) -> WarehousePaths:
    paths = WarehousePaths(tmp_path / "data")
    with reporting_client(tmp_path, **serve) as (client, _url, _clock):
        search = SearchClient(client._http)
        land_windows(paths, [TASK_DETAILS], ORG, *DAY1, search.task_details_pages(*DAY1))
        land_windows(paths, [QUEUE_STATISTICS], ORG, *DAY1, client.queue_statistics_pages(*DAY1))
    return paths


def _copy(paths: WarehousePaths) -> duckdb.DuckDBPyConnection:
    """A scratch database holding both sides' rows, for tests that alter them."""
    con = duck.connect(":memory:")
    con.execute("ATTACH ? AS published (READ_ONLY)", [str(paths.published_path)])
    for name in ("search.task_details", "reporting.queue_statistics"):
        schema = name.split(".")[0]
        con.execute(f"CREATE SCHEMA IF NOT EXISTS memory.{schema}")
        con.execute(f"CREATE TABLE memory.{name} AS SELECT * FROM published.{name}")
    con.execute("USE memory")
    return con


def test_the_check_passes_on_sandbox_data(tmp_path: Path) -> None:
    paths = _load(tmp_path)
    assert check_queue_statistics(paths, ORG, *DAY1) == []
    with duck.connect(paths.published_path, read_only=True) as con:
        offered = con.execute(
            "SELECT sum(total_offered_tasks), sum(total_abandoned_tasks) "
            "FROM reporting.queue_statistics"
        ).fetchall()[0]
        recorded = con.execute("SELECT count(*) FROM ops.cross_check_differences").fetchall()
    assert offered[0] > 100 and offered[1] > 0  # the check compared real figures
    assert recorded == [(0,)]


def _busy_cells(count: int) -> list[tuple[str, int]]:
    """Queue cells of DAY1 with offered tasks (from the model)."""
    stats = model.queue_statistics(Tenant(SEED, TASKS_PER_DAY), *DAY1, ms(NOW))
    busy = [(s.queue_id, s.interval_start_time) for s in stats if s.total_offered_tasks > 1]
    return busy[:: len(busy) // count][:count]


def test_the_check_names_the_intervals_where_statistics_disagree(tmp_path: Path) -> None:
    (q1, t1), (q2, t2) = _busy_cells(2)
    skew = {(q1, t1): {"offered": 2}, (q2, t2): {"abandoned": 1}}
    paths = _load(tmp_path, options={"reporting.queue_statistics_skew": skew})
    found = check_queue_statistics(paths, ORG, *DAY1, checked_at=datetime(2026, 11, 21, tzinfo=UTC))
    with duck.connect(paths.published_path, read_only=True) as con:
        recorded = con.execute(
            "SELECT check_name, queue_id, figure, reporting_value - search_value "
            "FROM ops.cross_check_differences ORDER BY interval_start_time"
        ).fetchall()
    # a second run over the same window replaces the first run's rows
    check_queue_statistics(paths, ORG, *DAY1)
    with duck.connect(paths.published_path, read_only=True) as con:
        again = con.execute("SELECT count(*) FROM ops.cross_check_differences").fetchall()
    named = sorted(
        (d.queue_id, int(d.interval_start_time.timestamp() * 1000), d.figure) for d in found
    )
    assert named == sorted([(q1, t1, "offered"), (q2, t2, "abandoned")])
    assert {(d.figure, d.reporting_value - d.search_value) for d in found} == {
        ("offered", 2),
        ("abandoned", 1),
    }
    assert any(q1 in d.describe() and "offered" in d.describe() for d in found)
    assert sorted(r[1:] for r in recorded) == sorted([(q1, "offered", 2), (q2, "abandoned", 1)])
    assert {r[0] for r in recorded} == {QUEUE_STATISTICS_CHECK}
    assert again == [(2,)]


def test_a_queue_missing_from_one_side_is_a_difference(tmp_path: Path) -> None:
    paths = _load(tmp_path)
    with _copy(paths) as con:
        queue = con.execute(
            "SELECT queue_id FROM reporting.queue_statistics "
            "ORDER BY total_offered_tasks DESC, queue_id LIMIT 1"
        ).fetchall()[0][0]
        con.execute("DELETE FROM reporting.queue_statistics WHERE queue_id = ?", [queue])
        found = queue_statistics_differences(con, ORG, *DAY1)
    assert found and {d.queue_id for d in found} == {queue}
    assert all(
        d.reporting_value == 0 and d.search_value > 0 for d in found if d.figure == "offered"
    )


@pytest.mark.parametrize("window", [(DAY1[0], DAY1[0] + 3_600_000)])
def test_the_check_only_reads_its_window(tmp_path: Path, window: tuple[int, int]) -> None:
    paths = _load(tmp_path)
    with _copy(paths) as con:
        con.execute(
            "UPDATE reporting.queue_statistics SET total_offered_tasks = total_offered_tasks + 5 "
            "WHERE interval_start_time >= to_timestamp(?)",
            [window[1] / 1000],
        )
        assert queue_statistics_differences(con, ORG, *window) == []
        assert queue_statistics_differences(con, ORG, *DAY1) != []
