"""Local attributes of the marts: a contact in every UTC quarter-hour around New York's fall-back
day, for queues in New York, India (+05:30) and Nepal (+05:45)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from warehouse import duck, marts
from warehouse.catalog import TABLES
from warehouse.publish import create_views
from warehouse.schemas import TASK_DETAILS

ORG = "org-1"
ZONES = {"q-ny": "America/New_York", "q-in": "Asia/Kolkata", "q-np": "Asia/Kathmandu"}
START = datetime(2026, 10, 31, tzinfo=UTC)
DAYS = 3


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duck.connect(":memory:")
    duck.create_tables(con, TABLES.values())
    quarters = [START + timedelta(minutes=15 * n) for n in range(96 * DAYS)]
    rows = {
        "org_id": [],
        "id": [],
        "channel_type": [],
        "created_time": [],
        "ended_time": [],
        "last_queue_id": [],
        "last_queue_name": [],
        "is_contact_handled": [],
        "is_with_in_service_level": [],
        "connected_duration": [],
    }
    for queue in ZONES:
        for n, at in enumerate(quarters):
            rows["org_id"].append(ORG)
            rows["id"].append(f"{queue}-{n}")
            rows["channel_type"].append("telephony")
            rows["created_time"].append(at + timedelta(minutes=1))
            rows["ended_time"].append(at + timedelta(minutes=3))
            rows["last_queue_id"].append(queue)
            rows["last_queue_name"].append(queue)
            rows["is_contact_handled"].append(True)
            rows["is_with_in_service_level"].append(n % 2 == 0)
            rows["connected_duration"].append(60_000)
    schema = pa.schema([TASK_DETAILS.arrow.field(name) for name in rows])
    con.register("contacts", pa.table(rows, schema=schema))
    con.execute("INSERT INTO search.task_details BY NAME SELECT * FROM contacts")
    settings = marts.Settings(queue_time_zones=ZONES)
    for day in range(DAYS):
        start = START + timedelta(days=day)
        built = marts.build_window(con, ORG, start, start + timedelta(days=1), settings)
        con.register("built", built[TABLES["analytics.queue_interval_15m"]])
        con.execute("INSERT INTO analytics.queue_interval_15m BY NAME SELECT * FROM built")
    create_views(con)
    return con


def test_local_days_have_the_quarter_hours_of_their_zone(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        SELECT queue_id, local_intervals_15m, intervals_with_rows, day_start, n_entered
        FROM analytics.queue_day_local WHERE local_date = DATE '2026-11-01' ORDER BY queue_id
        """
    ).fetchall()
    assert [(q, n, w, s.isoformat(), e) for q, n, w, s, e in rows] == [
        ("q-in", 96, 96, "2026-10-31T18:30:00+00:00", 96),
        ("q-np", 96, 96, "2026-10-31T18:15:00+00:00", 96),
        ("q-ny", 100, 100, "2026-11-01T04:00:00+00:00", 100),  # 25 hours: fall-back
    ]


def test_offsets_and_local_starts(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        SELECT queue_id, strftime(interval_start, '%H:%M'), strftime(interval_start_local,
            '%Y-%m-%d %H:%M'), utc_offset_minutes
        FROM analytics.queue_interval_15m
        WHERE interval_start IN ('2026-11-01 05:45:00+00', '2026-11-01 06:00:00+00')
        ORDER BY ALL
        """
    ).fetchall()
    assert rows == [
        ("q-in", "05:45", "2026-11-01 11:15", 330),
        ("q-in", "06:00", "2026-11-01 11:30", 330),
        ("q-np", "05:45", "2026-11-01 11:30", 345),
        ("q-np", "06:00", "2026-11-01 11:45", 345),
        ("q-ny", "05:45", "2026-11-01 01:45", -240),  # EDT
        ("q-ny", "06:00", "2026-11-01 01:00", -300),  # EST: 01:00 again
    ]


def test_local_hours_split_the_repeated_hour_and_follow_half_hour_zones(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rows = con.execute(
        """
        SELECT queue_id, strftime(interval_start, '%H:%M'), utc_offset_minutes, n_entered,
            sl_pct_handled_only
        FROM analytics.queue_interval_60m_local
        WHERE local_date = DATE '2026-11-01' AND hour(interval_start_local) = 1
        ORDER BY ALL
        """
    ).fetchall()
    assert rows == [
        ("q-in", "19:30", 330, 4, 0.5),
        ("q-np", "19:15", 345, 4, 0.5),
        ("q-ny", "05:00", -240, 4, 0.5),
        ("q-ny", "06:00", -300, 4, 0.5),
    ]
    [(days,)] = con.execute(
        "SELECT count(*) FROM analytics.queue_interval_60m_local "
        "WHERE queue_id = 'q-ny' AND local_date = DATE '2026-11-01'"
    ).fetchall()
    assert days == 25


def test_a_spring_forward_day_has_92_quarter_hours() -> None:
    con = duck.connect(":memory:")
    duck.create_tables(con, TABLES.values())
    con.execute(
        """
        INSERT INTO search.task_details (org_id, id, channel_type, created_time, last_queue_id)
        VALUES ('o', 'a', 'chat', '2027-03-14 12:00:00+00', 'q-ny')
        """
    )
    day = datetime(2027, 3, 14, tzinfo=UTC)
    built = marts.build_window(con, "o", day, day + timedelta(days=1))
    con.register("built", built[TABLES["analytics.queue_interval_15m"]])
    con.execute("INSERT INTO analytics.queue_interval_15m BY NAME SELECT * FROM built")
    create_views(con)
    rows = con.execute(
        "SELECT local_date, local_intervals_15m, n_entered FROM analytics.queue_day_local"
    ).fetchall()
    assert [(str(d), n, e) for d, n, e in rows] == [("2027-03-14", 92, 1)]
