"""Two closed UTC days (and the open one of now) of every reporting.* table through the client and the loader, against the
sandbox's ground truth; a second load changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pipelines.sources.reporting import ReportingClient
from sandbox.model import Tenant
from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences, table_rows
from tests.reporting.support import DAY1, DAY2, NOW, reporting_client
from tests.support import SEED, TASKS_PER_DAY, ms
from warehouse import duck
from warehouse.land import WarehousePaths, land_windows
from warehouse.schemas import Table
from warehouse.schemas_reporting import (
    AGENT_ACTIVITIES,
    AGENT_STATISTICS,
    CAPTURES,
    QUEUE_STATISTICS,
    TASKS,
)

Pages = Callable[[ReportingClient, int, int], Iterator[list[dict]]]
SOURCES: list[tuple[Table, Pages]] = [
    (TASKS, lambda c, lo, hi: c.tasks_pages(lo, hi)),
    (QUEUE_STATISTICS, lambda c, lo, hi: c.queue_statistics_pages(lo, hi)),
    (AGENT_STATISTICS, lambda c, lo, hi: c.agent_statistics_pages(lo, hi)),
    (AGENT_ACTIVITIES, lambda c, lo, hi: c.agent_activities_pages(lo, hi)),
    (CAPTURES, lambda c, lo, hi: c.window_capture_pages(lo, hi)),
]
# The day of the sandbox's now: open tasks, current agent states (endTime -1), partial intervals.
TODAY = (DAY2[1], DAY2[1] + 86_400_000)
# A pre-signed URL and its expiry depend on when they were asked for: not in the truth.
VOLATILE = {"attributes_file_path", "url_expires_at"}


def _land_all(client: ReportingClient, paths: WarehousePaths, org_id: str) -> None:
    for table, pages in SOURCES:
        for lo, hi in (DAY1, DAY2, TODAY):
            land_windows(paths, [table], org_id, lo, hi, pages(client, lo, hi))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("reporting_e2e")
    paths = WarehousePaths(tmp / "data")
    truth_dir = tmp / "truth"
    write_truth(
        truth_dir,
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=ms(NOW),
        from_ms=DAY1[0],
        to_ms=TODAY[1],
        families=("reporting",),
    )
    with reporting_client(tmp) as (client, _url, clock):
        org_id = Tenant(SEED, TASKS_PER_DAY).org_id
        _land_all(client, paths, org_id)
        first = {t.qualified_name: table_rows(paths.duckdb_path, t) for t, _ in SOURCES}
        clock.advance(120)  # new capture URLs expire later
        _land_all(client, paths, org_id)
        requests = client.stats.http.requests
    second = {t.qualified_name: table_rows(paths.duckdb_path, t) for t, _ in SOURCES}
    return {
        "paths": paths,
        "truth": truth_dir,
        "first": first,
        "second": second,
        "requests": requests,
    }


@pytest.mark.parametrize("table", [t for t, _ in SOURCES], ids=lambda t: t.qualified_name)
def test_each_table_equals_the_truth(loaded: dict, table: Table) -> None:
    paths: WarehousePaths = loaded["paths"]
    truth = loaded["truth"] / f"{table.qualified_name}.parquet"
    found = differences(paths.duckdb_path, truth, table)
    if table is CAPTURES:
        assert set(found) <= VOLATILE, {k: found[k] for k in set(found) - VOLATILE}
    else:
        assert found == {}
    with duck.connect(paths.duckdb_path, read_only=True) as con:
        rows = con.execute(f"SELECT count(*) FROM {table.qualified_name}").fetchone()[0]
    assert rows > 0


def test_a_second_load_changes_nothing(loaded: dict) -> None:
    for name, rows in loaded["first"].items():
        again = loaded["second"][name]
        if name == CAPTURES.qualified_name:
            keep = [i for i, c in enumerate(CAPTURES.column_names) if c not in VOLATILE]
            rows = [tuple(r[i] for i in keep) for r in rows]
            again = [tuple(r[i] for i in keep) for r in again]
        assert again == rows, name


def test_capture_urls_are_kept_with_their_expiry(loaded: dict) -> None:
    paths: WarehousePaths = loaded["paths"]
    with duck.connect(paths.duckdb_path, read_only=True) as con:
        missing = con.execute(
            "SELECT count(*) FROM reporting.captures "
            "WHERE attributes_file_path IS NULL OR url_expires_at IS NULL"
        ).fetchone()[0]
    assert missing == 0
    first = {r[1:3]: r for r in loaded["first"][CAPTURES.qualified_name]}
    expiry = CAPTURES.column_names.index("url_expires_at")
    for row in loaded["second"][CAPTURES.qualified_name]:
        # the reload replaced the URL and its expiry with the newer ones
        assert row[expiry] > first[row[1:3]][expiry]


def test_open_records_of_now_are_loaded_as_open(loaded: dict) -> None:
    paths: WarehousePaths = loaded["paths"]
    with duck.connect(paths.duckdb_path, read_only=True) as con:
        current = con.execute(
            "SELECT count(*) FROM reporting.agent_activities WHERE end_time IS NULL AND active"
        ).fetchall()[0][0]
        statuses = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT attributes_status FROM reporting.tasks"
            ).fetchall()
        }
        no_owner = con.execute(
            "SELECT count(*) FROM reporting.tasks WHERE attributes_owner_id IS NULL"
        ).fetchall()[0][0]
    assert current > 0  # the API's endTime -1 is no time
    assert {"completed", "abandoned", "assigned"} <= statuses
    assert no_owner > 0
