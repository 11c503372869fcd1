"""A mart built alone (as its asset builds it) equals the same mart built with every other, and a
build leaves no staging table behind, so one connection builds day after day."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from tests.analytics.support import DAYS
from warehouse import marts
from warehouse.schemas import Table

TEMP_TABLES = "SELECT table_name FROM duckdb_tables() WHERE temporary ORDER BY table_name"


@pytest.mark.parametrize("table", list(marts.MARTS), ids=lambda t: t.name)
def test_a_mart_built_alone_day_after_day_has_the_rows_built_with_the_others(
    warehouse: duckdb.DuckDBPyConnection, table: Table
) -> None:
    [(org_id,)] = warehouse.execute("SELECT DISTINCT org_id FROM search.task_details").fetchall()
    together, alone = {}, {}
    for day in DAYS:
        fresh = warehouse.cursor()  # a connection of its own: its own temp tables
        try:
            together[day] = marts.build_window(fresh, org_id, day, day + timedelta(days=1))[table]
            assert fresh.execute(TEMP_TABLES).fetchall() == []
        finally:
            fresh.close()
    con = warehouse.cursor()
    try:
        for day in DAYS:
            built = marts.build_window(con, org_id, day, day + timedelta(days=1), tables=[table])
            assert list(built) == [table]
            assert con.execute(TEMP_TABLES).fetchall() == []
            alone[day] = built[table]
    finally:
        con.close()
    assert [together[d].num_rows > 0 for d in DAYS] == [True] * len(DAYS)
    assert [alone[d].equals(together[d]) for d in DAYS] == [True] * len(DAYS)
