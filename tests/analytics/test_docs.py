"""The warehouse documents itself: every table, view and column has a comment, docs/warehouse.md
is generated from them (stale: fails), and every cookbook answer runs and answers."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

import queries
from warehouse import descriptions, docs, duck, metrics
from warehouse.catalog import TABLES
from warehouse.publish import create_views

TODAY = date(2026, 11, 3)  # the truth holds 2026-10-31 .. 2026-11-02


def test_docs_are_generated_from_the_comments() -> None:
    assert docs.DOC.read_text(encoding="utf-8") == docs.render(), "run: python -m warehouse.docs"


def test_metric_views_are_rendered_from_the_registry() -> None:
    assert metrics.stale_files() == [], "run: python -m warehouse.metrics"


def test_every_table_view_and_column_has_a_comment() -> None:
    con = duck.connect(":memory:")
    duck.create_tables(con, TABLES.values())
    create_views(con)
    descriptions.apply(con)
    missing = con.execute(
        """
        SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns()
        WHERE database_name = current_database() AND coalesce(comment, '') = ''
        UNION ALL
        SELECT schema_name || '.' || table_name FROM duckdb_tables()
        WHERE database_name = current_database() AND coalesce(comment, '') = ''
        UNION ALL
        SELECT schema_name || '.' || view_name FROM duckdb_views()
        WHERE database_name = current_database() AND NOT internal AND coalesce(comment, '') = ''
        """
    ).fetchall()
    assert missing == []
    [(described,)] = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'search' "
        "AND database_name = current_database() AND comment NOT LIKE 'API field%'"
    ).fetchall()
    assert described > 400  # the data dictionaries' words, not just the field path
    # A second publish re-applies only what changed (views are re-created).
    create_views(con)
    assert len(descriptions.statements(con)) > 1000


def test_source_columns_take_the_data_dictionary_words() -> None:
    table = TABLES["search.task_details"]
    assert descriptions.column_comment(table, "created_time") == (
        "Time when the contact started. "
        "[API field createdTime (epoch ms in the API; a UTC timestamp here)]"
    )
    assert descriptions.view_column_comment("queue_day_local", "sl_pct_handled_only") == (
        metrics.QUEUE_METRICS[0].description
    )


@pytest.mark.parametrize("name", queries.sql_names("cookbook"))
def test_cookbook_answer_runs_and_answers(warehouse: duckdb.DuckDBPyConnection, name: str) -> None:
    text = queries.sql(name)
    params = {"today": TODAY} if "$today" in text else {}
    rows = warehouse.execute(text, params).fetchall()
    assert rows, name
    assert any(value is not None for row in rows for value in row[1:])


def test_the_cookbook_has_ten_questions_at_least() -> None:
    assert len(queries.sql_names("cookbook")) >= 10
