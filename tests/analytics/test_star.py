"""The star schema: facts at the grain of their source, keyed to dimensions that hold every key
they use, and a queue's service-level threshold history."""

from __future__ import annotations

import duckdb
import pytest

from warehouse import duck
from warehouse.catalog import TABLES
from warehouse.publish import create_views

FACTS = {
    "analytics.fct_contact": "search.task_details",
    "analytics.fct_contact_leg": "search.task_leg_details",
    "analytics.fct_contact_event": "search.task_activity",
    "analytics.fct_agent_state": "search.agent_activity",
}
# (fact, key column, dimension): every key a fact uses is in the dimension.
JOINS = [
    ("fct_contact", "queue_id", "dim_queue"),
    ("fct_contact", "agent_id", "dim_agent"),
    ("fct_contact", "team_id", "dim_team"),
    ("fct_contact", "site_id", "dim_site"),
    ("fct_contact", "entry_point_id", "dim_entry_point"),
    ("fct_contact", "channel_type", "dim_channel"),
    ("fct_contact", "wrapup_code_id", "dim_wrapup_code"),
    ("fct_agent_state", "agent_id", "dim_agent"),
    ("fct_agent_state", "idle_code_id", "dim_idle_code"),
    ("fct_agent_state", "channel_type", "dim_channel"),
    ("fct_contact_leg", "queue_id", "dim_queue"),
]


def test_facts_keep_the_grain_of_their_source(warehouse: duckdb.DuckDBPyConnection) -> None:
    for fact, source in FACTS.items():
        [(n,)] = warehouse.execute(f"SELECT count(*) FROM {fact}").fetchall()
        [(m,)] = warehouse.execute(f"SELECT count(*) FROM {source}").fetchall()
        assert n == m > 0, fact


@pytest.mark.parametrize(("fact", "column", "dim"), JOINS)
def test_every_fact_key_is_in_its_dimension(
    warehouse: duckdb.DuckDBPyConnection, fact: str, column: str, dim: str
) -> None:
    [(missing, used)] = warehouse.execute(
        f"""
        SELECT count(*) FILTER (WHERE d.found IS NULL), count(*)
        FROM (SELECT DISTINCT {column} FROM analytics.{fact} WHERE {column} IS NOT NULL) AS f
        LEFT JOIN (SELECT DISTINCT {column} AS {column}, true AS found FROM analytics.{dim}) AS d
            USING ({column})
        """
    ).fetchall()
    assert (missing, used > 0) == (0, True)


def test_dimensions_hold_the_queue_thresholds_and_zones(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = warehouse.execute(
        "SELECT channel_type, sl_threshold_ms, time_zone FROM analytics.dim_queue ORDER BY ALL"
    ).fetchall()
    assert set(rows) == {
        ("chat", 60_000, "America/New_York"),
        ("email", 14_400_000, "America/New_York"),
        ("social", 900_000, "America/New_York"),
        ("telephony", 30_000, "America/New_York"),
    }
    assert len(rows) == 10


def test_a_changed_threshold_starts_a_new_period() -> None:
    con = duck.connect(":memory:")
    duck.create_tables(con, TABLES.values())
    con.execute(
        """
        INSERT INTO search.task_leg_details (org_id, id, created_time, queue_id, sla_value)
        VALUES ('o', 'a', '2025-01-01 10:00+00', 'q', '30'),
               ('o', 'b', '2025-06-01 10:00+00', 'q', '30'),
               ('o', 'c', '2025-07-01 10:00+00', 'q', '20'),
               ('o', 'd', '2025-08-01 10:00+00', 'q', '20')
        """
    )
    create_views(con)
    rows = con.execute(
        "SELECT sl_threshold_ms, strftime(valid_from, '%Y-%m-%d'), "
        "strftime(valid_to, '%Y-%m-%d'), legs_seen "
        "FROM analytics.dim_queue_sl_threshold ORDER BY valid_from"
    ).fetchall()
    assert rows == [(30_000, "2025-01-01", "2025-07-01", 2), (20_000, "2025-07-01", None, 2)]
    [(now,)] = con.execute("SELECT sl_threshold_ms FROM analytics.dim_queue").fetchall()
    assert now == 20_000
