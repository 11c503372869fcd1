"""A mart built alone (as its asset builds it) equals the same mart built with every other."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from tests.analytics.support import DAYS
from warehouse import marts
from warehouse.schemas import Table


@pytest.mark.parametrize("table", list(marts.MARTS), ids=lambda t: t.name)
def test_a_mart_built_alone_has_the_rows_it_has_built_with_the_others(
    warehouse: duckdb.DuckDBPyConnection, table: Table
) -> None:
    [(org_id,)] = warehouse.execute("SELECT DISTINCT org_id FROM search.task_details").fetchall()
    day = DAYS[-1]
    con = warehouse.cursor()  # its own temp tables: the package's warehouse is left as it was
    try:
        together = marts.build_window(con, org_id, day, day + timedelta(days=1))
        con.execute("DROP TABLE IF EXISTS int_agent_state_interval")
        con.execute("DROP TABLE IF EXISTS stg_agent_state")
        con.execute("DROP TABLE IF EXISTS stg_contact")
        alone = marts.build_window(con, org_id, day, day + timedelta(days=1), tables=[table])
    finally:
        con.close()
    assert list(alone) == [table]
    assert together[table].num_rows > 0
    assert alone[table].equals(together[table])
