"""The legacy and WFO assets through Dagster and the CLI equal the sandbox's ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main
from sandbox.truth import write_truth
from tests.e2e.truth_compare import differences, table_rows
from tests.support import SEED, TASKS_PER_DAY, Pipeline, ms, point_at, sandbox
from warehouse import duck, schemas_legacy, schemas_reporting
from warehouse.schemas_wfo import SNAPSHOTS, reports_from_config

NOW = "2026-11-20T15:30:00"
LOAD = ["load", "--from", "2026-11-18", "--to", "2026-11-20", "--no-progress"]


def _truth(tmp_path: Path, family: str) -> Path:
    out = tmp_path / f"truth-{family}"
    write_truth(
        out,
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=ms(NOW),
        from_ms=ms("2026-11-18T00:00:00"),
        to_ms=ms("2026-11-20T00:00:00"),
        families=(family,),
    )
    return out


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_legacy_tables_equal_truth_and_agree_with_search(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fmt: str
) -> None:
    monkeypatch.setenv("WXCC_LEGACY_FORMAT", fmt)
    db = pipeline.data_dir / "warehouse.duckdb"
    with sandbox(NOW) as url:
        point_at(monkeypatch, url)
        assert main([*LOAD, "--source", "legacy"]) == 0
        first = {t.name: table_rows(db, t) for t in schemas_legacy.TABLES}
        assert main([*LOAD, "--source", "legacy", "--reload"]) == 0
        assert main([*LOAD, "--source", "search"]) == 0
    truth = _truth(tmp_path, "legacy")
    for table in schemas_legacy.TABLES:
        assert differences(db, truth / f"{table.qualified_name}.parquet", table) == {}
        assert first[table.name] and table_rows(db, table) == first[table.name]
    with duck.connect(db, read_only=True) as con:
        rows, off = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT agrees) FROM analytics.legacy_vs_search"
        ).fetchall()[0]
    assert rows > 0 and off == 0


def test_wfo_tables_equal_truth(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = pipeline.data_dir / "warehouse.duckdb"
    with sandbox(NOW) as url:
        point_at(monkeypatch, url)
        assert main([*LOAD, "--source", "wfo"]) == 0
        assert main([*LOAD, "--source", "wfo", "--reload"]) == 0
    truth = _truth(tmp_path, "wfo")
    tables = [e.table for e in SNAPSHOTS.values()] + [r.table for r in reports_from_config({})]
    for table in tables:
        assert differences(db, truth / f"{table.qualified_name}.parquet", table) == {}, table.name
        assert table_rows(db, table), table.name


def test_reporting_tables_equal_truth_and_the_cross_check_passes(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pipelines.definitions import defs
    from pipelines.partitions import partition_key

    db = pipeline.data_dir / "warehouse.duckdb"
    with sandbox(NOW) as url:
        point_at(monkeypatch, url)
        assert main([*LOAD, "--source", "search"]) == 0
        results = [
            defs.resolve_job_def("reporting_job").execute_in_process(
                partition_key=partition_key("default", day),
                instance=pipeline.instance,
                raise_on_error=False,
            )
            for day in ("2026-11-18", "2026-11-19")
        ]
    assert all(r.success for r in results)
    checks = [
        e.asset_check_evaluation_data
        for r in results
        for e in r.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.check_name == "agrees_with_search"
    ]
    assert len(checks) == 2 and all(c.passed for c in checks)
    assert all(c.metadata["windows"].value == 1 for c in checks)
    truth = _truth(tmp_path, "reporting")
    volatile = {"attributes_file_path", "url_expires_at"}  # URLs signed when fetched
    for table in schemas_reporting.TABLES:
        found = differences(db, truth / f"{table.qualified_name}.parquet", table)
        assert set(found) <= volatile, (table.name, found)
        assert table_rows(db, table), table.name


def test_recordings_download_beside_the_captures_when_asked(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.partitions import partition_key

    recordings = tmp_path / "recordings"
    monkeypatch.setenv("WXCC_RECORDINGS_DIR", str(recordings))
    with sandbox(NOW) as url:
        point_at(monkeypatch, url)
        result = defs.resolve_job_def("reporting_job").execute_in_process(
            partition_key=partition_key("default", "2026-11-18"),
            instance=pipeline.instance,
            asset_selection=[dg.AssetKey(["reporting", "captures"])],
        )
    assert result.success
    with duck.connect(pipeline.data_dir / "warehouse.duckdb", read_only=True) as con:
        captures = con.execute("SELECT count(*) FROM reporting.captures").fetchall()[0][0]
    files = [p for p in recordings.rglob("*") if p.is_file() and not p.name.endswith(".part")]
    assert captures > 0 and len(files) == captures
    assert all(p.stat().st_size > 0 for p in files)
