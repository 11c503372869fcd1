"""A one-day window over the client's raw-paging cap loads whole: the client splits it by time
(and says so), every task of the day lands exactly once, and the rows equal the ground truth.

Test-friendly volume: the sandbox's raw cap and the client's ``page_cap`` are lowered to 150
records, so a UTC day of the 400-tasks-a-day tenant (~430 tasks) must be split.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from pipelines.sources.http import RetryPolicy, WxccHttp
from pipelines.sources.search import TASK_DETAILS as QUERY
from pipelines.sources.search import SearchClient
from sandbox.model import Tenant
from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences, table_rows
from tests.support import SEED, TASKS_PER_DAY, ms, sandbox, sandbox_tokens
from warehouse.land import WarehousePaths, land_windows
from warehouse.schemas import TASK_DETAILS

NOW = "2026-11-20T15:30:00"
DAY = ("2026-11-18T00:00:00", "2026-11-19T00:00:00")
CAP = 150


def test_a_day_over_the_cap_is_split_and_lands_every_task_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    start, end = ms(DAY[0]), ms(DAY[1])
    expected = [t["id"] for t in Tenant(SEED, TASKS_PER_DAY).tasks(start, end, ms(NOW))]
    assert len(expected) > 2 * CAP  # the day needs at least two splits
    paths = WarehousePaths(tmp_path / "data")
    caplog.set_level(logging.INFO, logger="pipelines.sources.search")
    with sandbox(NOW, raw_record_cap=CAP) as url:
        tokens = sandbox_tokens(url, tmp_path / "state")
        org_id = tokens.token().split("_")[2]
        http = WxccHttp(url, token_provider=tokens, retry=RetryPolicy())
        with SearchClient(http, page_cap=CAP) as client:
            pages = client.window_pages(QUERY, start, end)
            landed = land_windows(paths, [TASK_DETAILS], org_id, start, end, pages)
            stats = client.stats
        tokens.close()

    assert landed[TASK_DETAILS].rows == len(expected)
    rows = table_rows(paths.duckdb_path, TASK_DETAILS)
    ids = Counter(r[1] for r in rows)
    assert sorted(ids) == sorted(expected) and set(ids.values()) == {1}
    assert stats.splits >= 2 and stats.pieces == stats.splits + 1
    assert all(p.count <= CAP for p in stats.piece_counts)
    assert sum(p.count for p in stats.piece_counts) == len(expected)
    splits = [r.getMessage() for r in caplog.records if "split at" in r.getMessage()]
    assert len(splits) == stats.splits
    assert splits[0].startswith(
        f"taskDetails [{DAY[0]}Z, {DAY[1]}Z) holds {len(expected):,} > {CAP:,}: split at"
    )

    truth = tmp_path / "truth"
    write_truth(
        truth, seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=ms(NOW), from_ms=start, to_ms=end
    )
    assert differences(paths.duckdb_path, truth / "search.task_details.parquet", TASK_DETAILS) == {}
