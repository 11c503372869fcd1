"""One ground-truth run shared by the analytics tests (three sandbox days around a DST change)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.analytics.support import truth_warehouse, write_day_truth


@pytest.fixture(scope="package")
def truth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_day_truth(tmp_path_factory.mktemp("truth"))


@pytest.fixture(scope="package")
def warehouse(truth_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = truth_warehouse(truth_dir)
    yield con
    con.close()
