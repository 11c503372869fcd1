"""The published warehouse opens in DuckDB 1.1, which many BI drivers still bundle."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import queries
from tests.support import Pipeline, point_at, sandbox
from warehouse.schemas import TABLES

READ_ALL = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in sys.argv[2:]}
print(json.dumps({"version": duckdb.__version__, "counts": counts}))
"""


@pytest.fixture(scope="session")
def duckdb11(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A separate environment with duckdb 1.1.3 (pip, from the package index or its cache)."""
    venv = tmp_path_factory.mktemp("duckdb11")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "duckdb==1.1.3"],
        check=True,
        capture_output=True,
    )
    return python


def test_duckdb_1_1_reads_every_table(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, duckdb11: Path
) -> None:
    with sandbox("2026-11-20T15:30:00") as url:
        point_at(monkeypatch, url)
        assert pipeline.load("2026-11-18")[0].success
    published = pipeline.data_dir / "warehouse.duckdb"
    views = [f"analytics.{n.split('/')[1]}" for n in queries.sql_names("analytics")]
    tables = sorted(TABLES) + views  # the analyst views too: their SQL must bind in 1.1
    result = subprocess.run(
        [str(duckdb11), "-c", READ_ALL, str(published), *tables],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["version"] == "1.1.3"
    assert set(answer["counts"]) == set(tables)
    assert answer["counts"]["search.task_details"] > 0
    assert answer["counts"]["analytics.queue_day_local"] > 0
