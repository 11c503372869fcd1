"""Analysts open the published warehouse read-only while a load runs, and see whole windows."""

from __future__ import annotations

import threading

import pytest

from tests.support import Pipeline, point_at, sandbox
from warehouse import duck

DAYS = ("2026-11-16", "2026-11-17", "2026-11-18")


def _rows_per_day(path) -> dict[str, int]:  # noqa: ANN001
    with duck.connect(path, read_only=True) as con:
        return dict(
            con.execute(
                "SELECT strftime(created_time, '%Y-%m-%d'), count(*) FROM search.task_details "
                "GROUP BY 1"
            ).fetchall()
        )


def test_a_reader_is_never_locked_out_and_never_sees_half_a_window(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = pipeline.data_dir / "warehouse.duckdb"
    seen: list[dict[str, int]] = []
    with sandbox("2026-11-20T15:30:00") as url:
        point_at(monkeypatch, url)
        results: list = []
        loader = threading.Thread(target=lambda: results.extend(pipeline.load(*DAYS)))
        loader.start()
        while loader.is_alive():
            if published.exists():
                seen.append(_rows_per_day(published))  # raises if the file were locked
        loader.join()
    assert all(r.success for r in results)
    final = _rows_per_day(published)
    assert sorted(final) == list(DAYS)
    assert len(seen) > 3, "the reader should have read while the load ran"
    for snapshot in seen:
        assert {day: final[day] for day in snapshot} == snapshot  # whole windows only
