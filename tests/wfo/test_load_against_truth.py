"""Two UTC days of every wfo.* table through the client and land_windows equal the truth,
through the synchronous and the asynchronous export path; a second load changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences, table_rows
from tests.support import SEED, TASKS_PER_DAY, ms
from tests.wfo.support import DAY1, DAY2, NOW, SharedClock, client, sandbox, tenant
from warehouse.land import WarehousePaths, land_windows
from warehouse.schemas_wfo import DEFAULT_REPORTS, SNAPSHOTS


def _load(url: str, paths: WarehousePaths, state: Path, clock: SharedClock) -> dict[str, int]:
    org_id = tenant().org_id
    replaced: dict[str, int] = {}
    with client(url, state, clock) as wfo:
        for start, end in (DAY1, DAY2):
            for report in DEFAULT_REPORTS:
                result = land_windows(
                    paths,
                    [report.table],
                    org_id,
                    start,
                    end,
                    wfo.report_pages(report, start, end, org_id),
                )
                name = report.table.qualified_name
                replaced[name] = replaced.get(name, 0) + result[report.table].rows_replaced
            for kind, export in SNAPSHOTS.items():
                result = land_windows(
                    paths,
                    [export.table],
                    org_id,
                    start,
                    end,
                    wfo.snapshot_pages(kind, start, end, org_id),
                )
                name = export.table.qualified_name
                replaced[name] = replaced.get(name, 0) + result[export.table].rows_replaced
        stats = wfo.stats
    assert stats.logins == 1 and stats.logouts == 1
    return replaced


@pytest.mark.parametrize(
    "options",
    [{"wfo.sync_max_rows": 1_000_000}, {"wfo.force_async": True}],
    ids=["sync", "async"],
)
def test_two_days_equal_the_truth_and_reload_changes_nothing(
    tmp_path: Path, options: dict[str, object]
) -> None:
    truth_dir = tmp_path / "truth"
    write_truth(
        truth_dir,
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=ms(NOW),
        from_ms=DAY1[0],
        to_ms=DAY2[1],
        families=("wfo",),
    )
    paths = WarehousePaths(tmp_path / "data")
    tables = [r.table for r in DEFAULT_REPORTS] + [e.table for e in SNAPSHOTS.values()]
    clock = SharedClock()
    with sandbox(clock, **options) as url:
        _load(url, paths, tmp_path / "state", clock)
        first = {t.qualified_name: table_rows(paths.duckdb_path, t) for t in tables}
        for table in tables:
            truth = truth_dir / f"{table.qualified_name}.parquet"
            assert differences(paths.duckdb_path, truth, table) == {}, table.qualified_name
            assert first[table.qualified_name], f"{table.qualified_name} is empty"
        replaced = _load(url, paths, tmp_path / "state", clock)
    assert {t.qualified_name: table_rows(paths.duckdb_path, t) for t in tables} == first
    assert replaced == {name: len(rows) for name, rows in first.items()}
    # the productivity report is over 1,000 rows a day: it came in several exports
    assert len(first["wfo.agent_interval_productivity"]) > 2 * 1000
    if options.get("wfo.force_async"):
        assert clock.sleeps, "the asynchronous path polled"
    assert not list((tmp_path / "state").glob("*.tmp"))
