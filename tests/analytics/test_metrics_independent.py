"""Every metric variant of the marts equals an independent pandas computation over the truth.

The pandas side reads the sandbox's ground-truth Parquet files directly and shares no SQL (and no
code) with the models: it derives the interval, local day, outcome flags and every formula on its
own, so a mistake in a model, a roll-up or a metric view shows as a difference.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ZONE = "America/New_York"
DAYS = ["2026-11-01", "2026-11-02"]  # their contacts' whole lives are in the truth


def _contacts(truth: Path, short_ms: int = 5000) -> pd.DataFrame:
    df = pd.read_parquet(truth / "search.task_details.parquet")
    df = df[df["last_queue_id"].notna()].copy()
    answered = df["is_contact_handled"].fillna(False).astype(bool) & df["abandoned_type"].isna()
    abandoned = df["abandoned_type"].isin(["queue", "short"])
    life_ms = (df["ended_time"] - df["created_time"]).dt.total_seconds() * 1000
    out = pd.DataFrame(
        {
            "queue_id": df["last_queue_id"],
            "channel_type": df["channel_type"],
            "created": df["created_time"],
            "ended": df["ended_time"],
            "answered": answered,
            "in_sl": answered & df["is_with_in_service_level"].fillna(False).astype(bool),
            "abandoned": abandoned,
            "ab_in_sl": abandoned & (df["abandoned_sl_count"].fillna(0) > 0),
            "short": abandoned & (life_ms < short_ms),
            "short_in_queue": abandoned & (df["short_in_queue_count"].fillna(0) > 0),
            "queue_ms": np.where(answered, df["queue_duration"].fillna(0), 0),
            "ring_ms": np.where(answered, df["ringing_duration"].fillna(0), 0),
            "connected": df["connected_duration"].fillna(0),
            "hold": df["hold_duration"].fillna(0),
            "wrapup": df["wrapup_duration"].fillna(0),
            "transfers": df["transfer_count"].fillna(0),
            "consults": df["consult_count"].fillna(0),
            "conferences": df["conference_count"].fillna(0),
        }
    )
    out["short_in_sl"] = out["short"] & out["ab_in_sl"]
    return out


def _div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _queue_metrics(arrivals: pd.DataFrame, ends: pd.DataFrame) -> dict[str, float | None]:
    """The metric variants from the contacts that arrived in, and the handled contacts that
    ended in, one group (queue, channel and period)."""
    ans, ab = arrivals["answered"].sum(), arrivals["abandoned"].sum()
    in_sl, ab_sl = arrivals["in_sl"].sum(), arrivals["ab_in_sl"].sum()
    short = arrivals["short"].sum()
    handled = len(ends)
    return {
        "n_entered": len(arrivals),
        "n_answered": ans,
        "n_abandoned": ab,
        "n_short_abandoned": short,
        "n_short_abandoned_in_queue": arrivals["short_in_queue"].sum(),
        "n_handled": handled,
        "n_transfers": ends["transfers"].sum(),
        "n_consults": ends["consults"].sum(),
        "n_conferences": ends["conferences"].sum(),
        "sl_pct_handled_only": _div(in_sl, ans),
        "sl_pct_abandon_negative": _div(in_sl, ans + ab),
        "sl_pct_abandon_ignored": _div(in_sl, ans + ab - ab_sl),
        "sl_pct_abandon_positive": _div(in_sl + ab_sl, ans + ab),
        "sl_pct_excl_short": _div(in_sl, ans + ab - short),
        "abandon_rate_offered": _div(ab, ans + ab),
        "abandon_rate_entered": _div(ab, len(arrivals)),
        "short_abandon_share": _div(short, ab),
        "asa_s": _div(arrivals["queue_ms"].sum() / 1000, ans),
        "asa_with_ring_s": _div(
            (arrivals["queue_ms"].sum() + arrivals["ring_ms"].sum()) / 1000, ans
        ),
        "aht_queue_s": _div(ends["connected"].sum() / 1000, handled),
        "aht_agent_s": _div(
            (ends["connected"].sum() + ends["hold"].sum() + ends["wrapup"].sum()) / 1000, handled
        ),
        "transfer_rate": _div(ends["transfers"].sum(), handled),
        "consult_rate": _div(ends["consults"].sum(), handled),
        "conference_rate": _div(ends["conferences"].sum(), handled),
    }


def _expected_by(contacts: pd.DataFrame, period_of, periods: set) -> dict:  # noqa: ANN001
    arrivals = contacts.assign(period=period_of(contacts["created"]))
    ends = contacts[contacts["answered"] & contacts["ended"].notna()]
    ends = ends.assign(period=period_of(ends["ended"]))
    keys = set(arrivals.groupby(["queue_id", "channel_type", "period"]).groups) | set(
        ends.groupby(["queue_id", "channel_type", "period"]).groups
    )
    a_groups = dict(list(arrivals.groupby(["queue_id", "channel_type", "period"])))
    e_groups = dict(list(ends.groupby(["queue_id", "channel_type", "period"])))
    empty = contacts.iloc[0:0]
    return {
        key: _queue_metrics(a_groups.get(key, empty), e_groups.get(key, empty))
        for key in keys
        if key[2] in periods
    }


def _actual(con: duckdb.DuckDBPyConnection, view: str, period: str, names: list[str]) -> dict:
    rows = con.execute(
        f"SELECT queue_id, channel_type, {period}, {', '.join(names)} FROM analytics.{view}"
    ).fetchall()
    return {(r[0], r[1], r[2]): dict(zip(names, r[3:], strict=True)) for r in rows}


def _assert_equal(expected: dict, actual: dict) -> None:
    assert set(actual) == set(expected)
    bad = []
    for key, metrics in expected.items():
        for name, value in metrics.items():
            got = actual[key][name]
            same = (
                got is None
                if value is None
                else got is not None and math.isclose(float(got), float(value), rel_tol=1e-12)
            )
            if not same:
                bad.append((key, name, value, got))
    assert bad == []


METRICS = [
    "n_entered", "n_answered", "n_abandoned", "n_short_abandoned", "n_short_abandoned_in_queue",
    "n_handled", "n_transfers", "n_consults", "n_conferences", "sl_pct_handled_only",
    "sl_pct_abandon_negative", "sl_pct_abandon_ignored", "sl_pct_abandon_positive",
    "sl_pct_excl_short", "abandon_rate_offered", "abandon_rate_entered", "short_abandon_share",
    "asa_s", "asa_with_ring_s", "aht_queue_s", "aht_agent_s", "transfer_rate", "consult_rate",
    "conference_rate",
]  # fmt: skip


def _only(actual: dict, periods: set) -> dict:
    return {k: v for k, v in actual.items() if k[2] in periods}


def test_every_queue_metric_per_15_minutes_equals_pandas(
    warehouse: duckdb.DuckDBPyConnection, truth_dir: Path
) -> None:
    contacts = _contacts(truth_dir)
    quarters = {
        q.to_pydatetime()
        for d in DAYS
        for q in pd.date_range(d, periods=96, freq="15min", tz="UTC")
    }
    expected = _expected_by(contacts, lambda t: t.dt.floor("15min"), quarters)
    actual = _only(
        _actual(warehouse, "queue_interval_15m_metrics", "interval_start", METRICS), quarters
    )
    assert len(expected) > 300  # two days of ten queues: not trivially empty
    _assert_equal(expected, actual)


def test_every_queue_metric_per_utc_day_equals_pandas(
    warehouse: duckdb.DuckDBPyConnection, truth_dir: Path
) -> None:
    contacts = _contacts(truth_dir)
    days = {pd.Timestamp(d).date() for d in DAYS}
    expected = _expected_by(contacts, lambda t: t.dt.date, days)
    actual = _only(_actual(warehouse, "queue_day_utc", "utc_date", METRICS), days)
    _assert_equal(expected, actual)
    # the variants really differ on this data: none is silently the same as another
    values = {n: sum(v[n] or 0 for v in expected.values()) for n in METRICS}
    assert values["sl_pct_handled_only"] != values["sl_pct_abandon_negative"]
    assert values["sl_pct_abandon_ignored"] != values["sl_pct_abandon_positive"]
    assert values["asa_s"] < values["asa_with_ring_s"]
    assert values["aht_queue_s"] < values["aht_agent_s"]
    # (abandon rate over offered and over entered coincide here: every sandbox contact that
    # enters a queue ends answered or abandoned in it; they differ for contacts routed onward.)
    assert values["n_short_abandoned_in_queue"] > 0
    assert values["n_abandoned"] > 0 and values["n_transfers"] > 0 and values["n_consults"] > 0


def test_every_queue_metric_per_local_day_equals_pandas(
    warehouse: duckdb.DuckDBPyConnection, truth_dir: Path
) -> None:
    """Local days of America/New_York, from pandas' own time-zone conversion: 2026-11-01
    (fall-back, 25 hours) is complete in the truth, as its hours lie on 11-01 and 11-02 UTC."""
    contacts = _contacts(truth_dir)
    day = {pd.Timestamp("2026-11-01").date()}
    expected = _expected_by(contacts, lambda t: t.dt.tz_convert(ZONE).dt.date, day)
    actual = _only(_actual(warehouse, "queue_day_local", "local_date", METRICS), day)
    _assert_equal(expected, actual)


def test_short_abandons_follow_the_tenant_threshold_from_call_start(truth_dir: Path) -> None:
    """With a 90-second short-call threshold (measured from call start) short abandons exist, and
    the short-excluded service level differs from abandons-negative."""
    from tests.analytics.support import truth_warehouse
    from warehouse.marts import Settings

    con = truth_warehouse(truth_dir, Settings(short_call_seconds=90))
    contacts = _contacts(truth_dir, short_ms=90_000)
    days = {pd.Timestamp(d).date() for d in DAYS}
    expected = _expected_by(contacts, lambda t: t.dt.date, days)
    actual = _only(_actual(con, "queue_day_utc", "utc_date", METRICS), days)
    _assert_equal(expected, actual)
    shorts = sum(v["n_short_abandoned"] for v in expected.values())
    assert shorts > 0
    assert any(v["sl_pct_excl_short"] != v["sl_pct_abandon_negative"] for v in expected.values())
