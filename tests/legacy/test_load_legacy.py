"""End to end: the client lands two UTC days of every legacy table, in JSON and in CSV, and the
warehouse equals the sandbox's ground truth (computed from the data model, not the HTTP app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.server import serve_in_background
from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences, table_rows
from tests.legacy._support import DAY1, DAY2, NOW_MS, ORG_ID, SharedClock, client
from tests.support import SEED, TASKS_PER_DAY
from warehouse import duck
from warehouse.land import WarehousePaths, land_windows
from warehouse.schemas import Table
from warehouse.schemas_legacy import CSR, TABLES

DAYS = (DAY1, DAY2)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_in_background(
        seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=NOW_MS, budget_per_minute=0
    ) as base:
        yield base


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("truth")
    write_truth(
        out,
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=NOW_MS,
        from_ms=DAY1[0],
        to_ms=DAY2[1],
        families=("legacy",),
    )
    return out


def _land(url: str, fmt: str, paths: WarehousePaths, table: Table) -> int:
    with client(url, fmt) as legacy:
        rows = 0
        for start, end in DAYS:
            results = land_windows(
                paths, [table], ORG_ID, start, end, legacy.pages(table, start, end, org_id=ORG_ID)
            )
            rows += results[table].rows
    return rows


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_two_days_equal_the_truth_and_a_second_load_changes_nothing(
    url: str, truth: Path, tmp_path: Path, fmt: str
) -> None:
    paths = WarehousePaths(tmp_path / "data")
    for table in TABLES:
        rows = _land(url, fmt, paths, table)
        assert rows > 0, table.qualified_name
        truth_file = truth / f"{table.qualified_name}.parquet"
        assert differences(paths.duckdb_path, truth_file, table) == {}, table.qualified_name
        before = table_rows(paths.duckdb_path, table)
        assert _land(url, fmt, paths, table) == rows
        assert table_rows(paths.duckdb_path, table) == before
        with duck.connect(paths.duckdb_path, read_only=True) as con:
            keys = ", ".join(("org_id", *table.key))
            distinct = con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM {table.qualified_name})"
            ).fetchone()
        assert distinct == (len(before),)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_commas_quotes_and_line_breaks_survive(url: str, tmp_path: Path, fmt: str) -> None:
    paths = WarehousePaths(tmp_path / "data")
    _land(url, fmt, paths, CSR)
    with duck.connect(paths.duckdb_path, read_only=True) as con:
        transcripts = con.sql(
            "SELECT transcript FROM legacy.csr WHERE transcript LIKE '%' || chr(10) || '%'"
        ).fetchall()
        callers = con.sql("SELECT caller_id FROM legacy.csr WHERE caller_id LIKE '\"%'").fetchall()
        sequences = con.execute(
            "SELECT count(*) FROM legacy.csr WHERE flow_activity_sequence LIKE '%,%'"
        ).fetchone()
    assert transcripts and all(t[0].startswith("Customer: ") for t in transcripts)
    assert callers and all(c[0].count('"') == 2 and c[0].endswith(">") for c in callers)
    assert sequences is not None and sequences[0] > 0


def test_a_low_budget_run_waits_on_429s_and_loses_nothing(tmp_path: Path) -> None:
    clock = SharedClock()
    with serve_in_background(
        seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=NOW_MS, budget_per_minute=2, clock=clock
    ) as base:
        with client(base, "json", clock=clock) as legacy:
            got = [
                r["sid"]
                for start, end in DAYS
                for page in legacy.pages("legacy.asr", start, end, org_id=ORG_ID)
                for r in page
            ]
            got += [r["sid"] for page in legacy.pages(CSR, *DAY1, org_id=ORG_ID) for r in page]
    assert legacy.http_stats.rate_limited > 0
    assert clock.slept >= 50  # the third request waited for the rolling minute
    assert len(got) == len(set(got)) > 0
