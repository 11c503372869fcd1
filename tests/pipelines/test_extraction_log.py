"""ops.extraction_log: a row per attempt, and `wxcc-warehouse status` reads freshness and gaps."""

from __future__ import annotations

import re

import pytest

from pipelines.cli import main
from tests.support import Pipeline, point_at, sandbox
from warehouse import duck


def _log(pipeline: Pipeline) -> list[tuple]:
    with duck.connect(pipeline.data_dir / "warehouse.duckdb", read_only=True) as con:
        return con.execute(
            "SELECT asset, strftime(window_start, '%Y-%m-%d'), status, pages, requests, rows, "
            "api_count, error FROM ops.extraction_log ORDER BY finished"
        ).fetchall()


def test_every_attempt_is_logged_and_status_shows_gaps(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with sandbox("2026-11-20T15:30:00") as url:
        point_at(monkeypatch, url)
        assert all(r.success for r in pipeline.load("2026-11-16", "2026-11-18"))
    with sandbox("2026-11-20T15:30:00", raw_record_cap=100) as url:  # pages come back short
        point_at(monkeypatch, url)
        assert not pipeline.load("2026-11-17")[0].success

    log = _log(pipeline)
    done = [r for r in log if r[0] == "search.task_details" and r[2] == "success"]
    assert [r[1] for r in done] == ["2026-11-16", "2026-11-18"]
    assert all(r[3] >= 1 and r[4] >= 2 and r[5] == r[6] > 0 and r[7] is None for r in done)
    [failed] = [r for r in log if r[0] == "search.task_details" and r[2] == "failure"]
    assert failed[1] == "2026-11-17" and failed[7].startswith("IncompleteWindow")

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "search (org default, org id" in out
    assert "  complete through 2026-11-19 (2 day(s) complete)" in out
    assert re.search(r"\n  failed 2026-11-17: search\.\w+: IncompleteWindow", out), out
    assert (
        "  to fill: wxcc-warehouse load --source search --org default --from 2026-11-17 --to 2026-11-18"
        in out
    )
