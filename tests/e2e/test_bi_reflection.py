"""BI tools list the published warehouse's schemas, tables and columns through SQLAlchemy.

Superset, Metabase-style tools and ``pandas.read_sql`` users discover tables by reflection
(duckdb-engine's dialect), so the locked SQLAlchemy must reflect every relation and column of the
file analysts open, with a type, exactly as DuckDB itself lists them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.support import Pipeline, point_at, sandbox
from warehouse.catalog import TABLES

SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "main"}


def _duckdb_columns(path: Path) -> dict[tuple[str, str], list[tuple[str, str]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_schema, table_name, column_name, data_type "
            "FROM information_schema.columns WHERE table_catalog = current_database() "
            "ORDER BY table_schema, table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        if schema not in SYSTEM_SCHEMAS:
            columns.setdefault((schema, table), []).append((column, data_type))
    return columns


def test_sqlalchemy_reflects_every_schema_table_and_column_of_the_published_file(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sandbox("2026-11-20T15:30:00") as url:
        point_at(monkeypatch, url)
        assert pipeline.load("2026-11-18")[0].success
    published = pipeline.data_dir / "warehouse.duckdb"
    expected = _duckdb_columns(published)
    assert {f"{s}.{t}" for s, t in expected} >= set(TABLES), "every catalog table is published"

    engine = sa.create_engine(f"duckdb:///{published}", connect_args={"read_only": True})
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            # duckdb-engine names schemas with their database: "warehouse.search".
            schemas = {n.split(".")[-1] for n in inspector.get_schema_names() if "." in n}
            reflected: dict[tuple[str, str], list[tuple[str, sa.types.TypeEngine]]] = {}
            for schema in sorted({s for s, _ in expected}):
                assert schema in schemas
                names = inspector.get_table_names(schema=schema)
                names += inspector.get_view_names(schema=schema)
                for name in names:
                    columns = inspector.get_columns(name, schema=schema)
                    reflected[(schema, name)] = [(c["name"], c["type"]) for c in columns]
            # What pandas users run over the same engine.
            frame = pd.read_sql(
                sa.text(
                    "SELECT channel_type, count(*) AS tasks FROM search.task_details GROUP BY 1"
                ),
                conn,
            )
    finally:
        engine.dispose()

    assert sorted(reflected) == sorted(expected)
    for relation, columns in expected.items():
        assert [name for name, _ in reflected[relation]] == [c for c, _ in columns], relation
        untyped = [n for n, t in reflected[relation] if isinstance(t, sa.types.NullType)]
        assert untyped == [], (relation, untyped)
    assert frame["tasks"].sum() > 0 and list(frame.columns) == ["channel_type", "tasks"]
    task_details = dict(reflected[("search", "task_details")])
    assert isinstance(task_details["created_time"], sa.types.DateTime)
    assert isinstance(task_details["total_duration"], sa.types.BigInteger)
