"""analytics.legacy_vs_search: legacy CSRs against Search taskDetails per day and channel."""

from __future__ import annotations

import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import queries
from pipelines.sources.http import WxccHttp
from pipelines.sources.search import SearchClient
from sandbox.model import Tenant
from sandbox.server import serve_in_background
from tests.legacy._support import DAY1, DAY2, NOW_MS, ORG_ID, SharedClock, client
from tests.support import SEED, TASKS_PER_DAY, sandbox_tokens
from warehouse import duck
from warehouse.land import WarehousePaths, land_windows
from warehouse.schemas import TASK_DETAILS
from warehouse.schemas_legacy import CSR

DAYS = (DAY1, DAY2)
DROP_ONE_IN = 5


def _load_both(url: str, tmp_path: Path) -> WarehousePaths:
    paths = WarehousePaths(tmp_path / "data")
    clock = SharedClock()
    tokens = sandbox_tokens(url, tmp_path / "state", clock=clock)
    with SearchClient(WxccHttp(url, token_provider=tokens, clock=clock)) as search:
        for start, end in DAYS:
            land_windows(
                paths, [TASK_DETAILS], ORG_ID, start, end, search.task_details_pages(start, end)
            )
    with client(url, "csv", clock=clock) as legacy:
        for start, end in DAYS:
            land_windows(
                paths, [CSR], ORG_ID, start, end, legacy.pages(CSR, start, end, org_id=ORG_ID)
            )
    return paths


def _view(paths: WarehousePaths) -> list[dict[str, Any]]:
    with duck.connect(paths.duckdb_path) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS analytics")
        con.execute(queries.sql("analytics/legacy_vs_search"))
        rel = con.execute("SELECT * FROM analytics.legacy_vs_search")
        names = [d[0] for d in rel.description]
        return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def _model_days(drop_one_in: int = 0) -> tuple[Counter[tuple[Any, str]], Counter[tuple[Any, str]]]:
    """Per (UTC day, channel): tasks and summed totalDuration, from the model; with
    ``drop_one_in`` only the tasks the sandbox's CSR answers leave out."""
    count: Counter[tuple[Any, str]] = Counter()
    duration: Counter[tuple[Any, str]] = Counter()
    for task in Tenant(SEED, TASKS_PER_DAY).tasks(DAY1[0], DAY2[1], NOW_MS):
        if drop_one_in and zlib.crc32(task["id"].encode()) % drop_one_in:
            continue
        day = datetime.fromtimestamp(task["createdTime"] / 1000, UTC).date()
        count[(day, task["channelType"])] += 1
        duration[(day, task["channelType"])] += task["totalDuration"]
    return count, duration


def test_sandbox_data_shows_no_difference(tmp_path: Path) -> None:
    with serve_in_background(
        seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=NOW_MS, budget_per_minute=0
    ) as url:
        paths = _load_both(url, tmp_path)
    rows = _view(paths)
    count, duration = _model_days()
    assert {(r["day"], r["channel_type"]): r["search_csr_count"] for r in rows} == count
    assert {(r["day"], r["channel_type"]): r["legacy_total_duration"] for r in rows} == duration
    assert all(r["agrees"] for r in rows)
    differences = [k for k in rows[0] if k.endswith("_difference")]
    assert len(differences) == 6
    assert all(r[k] == 0 for r in rows for k in differences)


def test_dropped_csrs_show_as_differences(tmp_path: Path) -> None:
    with serve_in_background(
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=NOW_MS,
        budget_per_minute=0,
        options={"legacy.drop_csr_one_in": DROP_ONE_IN},
    ) as url:
        paths = _load_both(url, tmp_path)
    rows = _view(paths)
    dropped, dropped_duration = _model_days(DROP_ONE_IN)
    assert sum(dropped.values()) > 0
    by_key = {(r["day"], r["channel_type"]): r for r in rows}
    for key, row in by_key.items():
        assert row["csr_count_difference"] == -dropped.get(key, 0), key
        assert row["total_duration_difference"] == -dropped_duration.get(key, 0), key
        assert row["agrees"] == (dropped.get(key, 0) == 0), key
