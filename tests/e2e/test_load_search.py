"""A load through Dagster against the sandbox equals the sandbox's ground truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences, table_rows
from tests.support import Pipeline, ms, point_at, sandbox
from warehouse.schemas import TABLES, TASK_DETAILS

NOW = "2026-11-20T15:30:00"


def _truth(tmp_path: Path, now: str, start: str, end: str) -> Path:
    out = tmp_path / f"truth-{now.replace(':', '')}"
    write_truth(out, seed=42, tasks_per_day=400, now_ms=ms(now), from_ms=ms(start), to_ms=ms(end))
    return out / "search.task_details.parquet"


def test_two_day_load_equals_truth_and_reload_changes_nothing(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = pipeline.data_dir / "warehouse.duckdb"
    with sandbox(NOW) as url:
        point_at(monkeypatch, url)
        results = pipeline.load("2026-11-18", "2026-11-19")
        assert [r.success for r in results] == [True, True]
        first = table_rows(db, TASK_DETAILS)
        again = pipeline.load("2026-11-18", "2026-11-19")
        assert [r.success for r in again] == [True, True]

    truth = _truth(tmp_path, NOW, "2026-11-18T00:00:00", "2026-11-20T00:00:00")
    assert differences(db, truth, TASK_DETAILS) == {}
    assert len(first) > 600  # two weekdays at 400 a day: the load is not trivially empty
    assert table_rows(db, TASK_DETAILS) == first
    [metadata] = [
        e.materialization.metadata
        for e in results[0].get_asset_materialization_events()
        if e.materialization.asset_key.path == ["search", "task_details"]
    ]
    assert metadata["rows"].value == sum(
        1 for r in first if r[4].date().isoformat() == "2026-11-18"
    )
    assert metadata["pages"].value >= 2


def test_open_tasks_reach_their_final_state_on_a_later_load(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = pipeline.data_dir / "warehouse.duckdb"
    t1, t2 = "2026-11-20T15:30:00", "2026-11-22T06:00:00"
    with sandbox(t1) as url:
        point_at(monkeypatch, url)
        assert pipeline.load("2026-11-20")[0].success
    with duckdb.connect(str(db), read_only=True) as con:
        open_at_t1 = con.sql(
            "SELECT id FROM search.task_details WHERE is_active AND ended_time IS NULL"
        ).fetchall()
    assert open_at_t1, "the sandbox at T1 should have tasks in progress"

    with sandbox(t2) as url:
        point_at(monkeypatch, url)
        assert pipeline.load("2026-11-20")[0].success
    with duckdb.connect(str(db), read_only=True) as con:
        still_open = con.sql(
            "SELECT count(*) FROM search.task_details WHERE is_active OR ended_time IS NULL"
        ).fetchall()
    assert still_open == [(0,)]
    truth = _truth(tmp_path, t2, "2026-11-20T00:00:00", "2026-11-21T00:00:00")
    assert differences(db, truth, TASK_DETAILS) == {}


CANARY = "CANARY-SECRET-7c41e9"


def _files_containing(root: Path, needle: str, *, skip: Path | None = None) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and (skip is None or skip not in path.parents):
            if needle.encode() in path.read_bytes():
                hits.append(str(path.relative_to(root)))
    return hits


def test_a_refused_secret_fails_clearly_and_leaks_nowhere(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("WXCC_CLIENT_SECRET", CANARY)
    caplog.set_level("DEBUG")
    with sandbox(NOW) as url:
        point_at(monkeypatch, url)
        [result] = pipeline.load("2026-11-18")
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.to_string()
    assert "AuthError" in message and "WXCC_CLIENT_SECRET" in message
    assert CANARY not in message
    assert CANARY not in caplog.text
    assert _files_containing(pipeline.dagster_home, CANARY) == []
    assert (
        _files_containing(pipeline.data_dir, CANARY) == [] if pipeline.data_dir.exists() else True
    )
    assert not (pipeline.data_dir / "parquet").exists()


def test_a_successful_load_keeps_secrets_out_of_logs_events_and_data(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("WXCC_CLIENT_SECRET", CANARY)
    caplog.set_level("DEBUG")
    # The sandbox accepts only its development secret; accept the canary too for this test.
    with sandbox(NOW, client_secrets=("sandbox-secret", CANARY)) as url:
        point_at(monkeypatch, url)
        [result] = pipeline.load("2026-11-18")
    assert result.success
    state = pipeline.data_dir / "state"
    assert CANARY not in caplog.text
    assert _files_containing(pipeline.dagster_home, CANARY) == []
    assert _files_containing(pipeline.data_dir, CANARY, skip=state) == []
    for path in state.iterdir():
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"


def test_every_search_table_equals_truth_over_three_days(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    days = ("2026-11-16", "2026-11-17", "2026-11-18")  # Sunday to Tuesday: a weekend and weekdays
    db = pipeline.data_dir / "warehouse.duckdb"
    with sandbox(NOW) as url:
        point_at(monkeypatch, url)
        assert all(r.success for r in pipeline.load(*days))
        first = {t.qualified_name: table_rows(db, t) for t in TABLES.values()}
        assert all(r.success for r in pipeline.load(*days))
    out = tmp_path / "truth"
    write_truth(
        out,
        seed=42,
        tasks_per_day=400,
        now_ms=ms(NOW),
        from_ms=ms("2026-11-16T00:00:00"),
        to_ms=ms("2026-11-19T00:00:00"),
    )
    for name, table in TABLES.items():
        assert differences(db, out / f"{name}.parquet", table) == {}, name
        assert first[name], f"{name} is empty"
        assert table_rows(db, table) == first[name], f"{name} changed on reload"


def test_reconciliation_fails_naming_both_counts_when_pages_drop_records(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sandbox ends raw paging at 300 records: the second page of the day comes back short.
    with sandbox(NOW, raw_record_cap=300) as url:
        point_at(monkeypatch, url)
        [result] = pipeline.load("2026-11-18")
    assert not result.success
    checks = {
        (e.asset_check_evaluation_data.asset_key.to_user_string()): e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    check = checks["search/task_details"]
    assert not check.passed
    assert check.metadata["rows_loaded"].value == 300
    assert check.metadata["api_count"].value > 300
    assert (
        check.description
        == f"300 rows received, the API counts {check.metadata['api_count'].value}"
    )
    assert not list((pipeline.data_dir / "parquet" / "search" / "task_details").rglob("*.parquet"))
