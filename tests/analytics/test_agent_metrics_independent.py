"""Agent metrics (occupancy, utilization, agent AHT, transfers, consults, RONA) per agent, channel
and New York day equal an independent pandas computation over the truth's agent states and
contacts: states clipped to the local day's bounds by pandas' own time-zone arithmetic."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd

ZONE = "America/New_York"
DAY = "2026-11-01"  # 25 hours
BUSY = {"connected", "hold-done", "consult-done", "on-hold", "consulting", "wrapup"}


def _expected(truth: Path) -> dict:
    lo = pd.Timestamp(DAY, tz=ZONE).tz_convert("UTC")
    hi = (pd.Timestamp(DAY) + pd.Timedelta(days=1)).tz_localize(ZONE).tz_convert("UTC")
    states = pd.read_parquet(truth / "search.agent_activity.parquet")
    sessions = pd.read_parquet(truth / "search.agent_session.parquet")[
        ["agent_session_id", "agent_id"]
    ]
    states = states.merge(sessions, on="agent_session_id")
    start = states["start_time"].clip(lower=lo)
    end = states["end_time"].clip(upper=hi)
    states["ms"] = ((end - start).dt.total_seconds() * 1000).clip(lower=0)
    states["state"] = states["state"].str.lower()
    out: dict = {}
    for (agent, channel), g in states.groupby(["agent_id", "channel_type"]):
        staffed = g.loc[g["state"] != "logged-out", "ms"].sum()
        busy = g.loc[g["state"].isin(BUSY), "ms"].sum()
        available = g.loc[g["state"] == "available", "ms"].sum()
        rona = ((g["state"] == "rona") & (g["start_time"] >= lo) & (g["start_time"] < hi)).sum()
        if staffed == 0 and rona == 0:
            continue
        out[(agent, channel)] = {
            "sum_staffed_ms": staffed,
            "sum_busy_ms": busy,
            "occupancy": busy / (busy + available) if busy + available else None,
            "utilization": busy / staffed if staffed else None,
            "n_rona": rona,
        }
    contacts = pd.read_parquet(truth / "search.task_details.parquet")
    handled = contacts[
        contacts["is_contact_handled"].fillna(False).astype(bool)
        & contacts["abandoned_type"].isna()
        & contacts["last_agent_id"].notna()
        & (contacts["ended_time"] >= lo)
        & (contacts["ended_time"] < hi)
    ]
    for (agent, channel), g in handled.groupby(["last_agent_id", "channel_type"]):
        row = out.setdefault(
            (agent, channel),
            {"sum_staffed_ms": 0, "sum_busy_ms": 0, "occupancy": None, "utilization": None,
             "n_rona": 0},
        )  # fmt: skip
        handle = (
            g["connected_duration"].fillna(0).sum()
            + g["hold_duration"].fillna(0).sum()
            + g["wrapup_duration"].fillna(0).sum()
        )
        row["n_handled"] = len(g)
        row["aht_agent_s"] = handle / 1000 / len(g)
        row["n_transfers"] = g["transfer_count"].fillna(0).sum()
        row["n_consults"] = g["consult_count"].fillna(0).sum()
    for row in out.values():
        row.setdefault("n_handled", 0)
        row.setdefault("aht_agent_s", None)
        row.setdefault("n_transfers", 0)
        row.setdefault("n_consults", 0)
    return out


def test_agent_metrics_per_local_day_equal_pandas(
    warehouse: duckdb.DuckDBPyConnection, truth_dir: Path
) -> None:
    expected = _expected(truth_dir)
    names = list(next(iter(expected.values())))
    rows = warehouse.execute(
        f"SELECT agent_id, channel_type, {', '.join(names)} FROM analytics.agent_day_local "
        "WHERE local_date = $day",
        {"day": DAY},
    ).fetchall()
    actual = {(r[0], r[1]): dict(zip(names, r[2:], strict=True)) for r in rows}
    assert set(actual) == set(expected)
    bad = [
        (key, name, value, actual[key][name])
        for key, metrics in expected.items()
        for name, value in metrics.items()
        if not (
            actual[key][name] is None
            if value is None
            else math.isclose(float(actual[key][name]), float(value), rel_tol=1e-12)
        )
    ]
    assert bad == []
    assert len(expected) > 40
    occupancy = [m["occupancy"] for m in expected.values() if m["occupancy"]]
    assert 0 < min(occupancy) < max(occupancy) < 1
    assert sum(m["n_handled"] for m in expected.values()) > 100  # a Sunday


def test_states_are_clipped_at_quarter_hours_and_ronas_counted_at_their_start() -> None:
    """A state from 09:10 to 09:40 puts 5, 15 and 10 minutes in 09:00, 09:15 and 09:30; a RONA
    (the sandbox never rings out) counts once, where it started."""
    from datetime import UTC, datetime, timedelta

    from warehouse import duck, marts
    from warehouse.catalog import TABLES

    con = duck.connect(":memory:")
    duck.create_tables(con, TABLES.values())
    con.execute(
        """
        INSERT INTO search.agent_session (org_id, agent_session_id, agent_id, agent_name,
            team_id, start_time)
        VALUES ('o', 's1', 'a1', 'Ana', 't1', '2026-11-10 08:00:00+00');
        INSERT INTO search.agent_activity (org_id, agent_session_id, agent_session_start_time,
            channel_id, channel_type, id, start_time, end_time, duration, state)
        VALUES
            ('o', 's1', '2026-11-10 08:00:00+00', 'c1', 'telephony', 'x1',
             '2026-11-10 09:10:00+00', '2026-11-10 09:40:00+00', 1800000, 'available'),
            ('o', 's1', '2026-11-10 08:00:00+00', 'c1', 'telephony', 'x2',
             '2026-11-10 09:40:00+00', '2026-11-10 09:40:12+00', 12000, 'RONA'),
            ('o', 's1', '2026-11-10 08:00:00+00', 'c1', 'telephony', 'x3',
             '2026-11-10 09:40:12+00', '2026-11-10 09:50:00+00', 588000, 'wrapup');
        """
    )
    day = datetime(2026, 11, 10, tzinfo=UTC)
    built = marts.build_window(con, "o", day, day + timedelta(days=1))
    rows = (
        built[TABLES["analytics.agent_interval_15m"]]
        .select(["interval_start", "sum_available_ms", "sum_wrapup_ms", "sum_staffed_ms", "n_rona"])
        .to_pylist()
    )
    assert [
        (r["interval_start"].strftime("%H:%M"), r["sum_available_ms"], r["sum_wrapup_ms"],
         r["sum_staffed_ms"], r["n_rona"])
        for r in rows
    ] == [
        ("09:00", 300_000, 0, 300_000, 0),
        ("09:15", 900_000, 0, 900_000, 0),
        ("09:30", 600_000, 288_000, 900_000, 1),
        ("09:45", 0, 300_000, 300_000, 0),
    ]  # fmt: skip
