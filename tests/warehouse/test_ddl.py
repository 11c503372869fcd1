"""The SQL rendered from the table catalog: snapshotted, and every statement runs."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from warehouse import ddl
from warehouse.catalog import TABLES
from warehouse.duck import connect
from warehouse.schemas import Table

ALL = list(TABLES.values())


def test_the_rendered_sql_matches_its_snapshot() -> None:
    # A schema change shows here as a diff of the statements: review it, then rewrite the
    # snapshot with `.venv/bin/python -m warehouse.ddl`.
    assert ddl.render_all(ALL) == ddl.SNAPSHOT.read_text(encoding="utf-8")


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_every_statement_runs_for_every_table(tmp_path: Path, table: Table) -> None:
    path = tmp_path / "w.parquet"
    pq.write_table(table.arrow.empty_table(), path)
    with connect(":memory:") as con:
        con.execute(ddl.render_create_schema(table.schema))
        con.execute(ddl.render_create_view(table.schema, table.name, table.arrow, [str(path)]))
        assert con.execute(f"SELECT count(*) FROM {table.qualified_name}").fetchall() == [(0,)]
        con.execute(ddl.render_create_view(table.schema, table.name, table.arrow, []))
        assert con.execute(f"SELECT count(*) FROM {table.qualified_name}").fetchall() == [(0,)]
        found = con.execute(
            ddl.render_check_window(table), {"file": str(path), "org_id": "o"}
        ).fetchall()
        assert found[0][:4] == (0, 0, 0, 0)
        assert con.execute(ddl.render_duplicate_keys(table), {"file": str(path)}).fetchall() == []


def test_identifiers_and_paths_are_quoted() -> None:
    assert ddl.ident('a"b') == '"a""b"'
    assert ddl.literal("it's") == "'it''s'"
    (table,) = [t for t in ALL if t.qualified_name == "search.task"]
    text = ddl.render_create_view("search", "task", table.arrow, ["/x/it's.parquet"])
    assert "read_parquet(['/x/it''s.parquet'], hive_partitioning = false)" in text
