"""The contact-center lead's dashboard: service level, volume, ASA and abandon rate by hour and
queue for a local day, over the published warehouse (read-only, so it runs during loads).

Started by ``make dashboard`` (see README). Its queries are the files of
``queries/sql/dashboard`` with the day bound as a parameter.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries" / "sql" / "dashboard"
DATABASE = Path(os.environ.get("WXCC_DATA_DIR") or ROOT / "data").expanduser() / "warehouse.duckdb"


def sql(name: str) -> str:
    return (QUERIES / f"{name}.sql").read_text(encoding="utf-8")


@st.cache_data(ttl=60)
def query(name: str, day: object = None):  # noqa: ANN201
    # A fresh read-only connection per query: the publish step replaces the file atomically, and
    # a new connection sees the newest copy.
    with duckdb.connect(str(DATABASE), read_only=True) as con:
        return con.execute(sql(name), {"day": day} if day is not None else {}).df()


st.set_page_config(page_title="Contact center: queues", layout="wide")
st.title("Contact center: queues by hour")
if not DATABASE.exists():
    st.error(f"No warehouse at {DATABASE}: run `make run` (or `make dashboard`) first.")
    st.stop()

days = [d.date() for d in query("local_days")["local_date"]]
if not days:
    st.warning("The warehouse holds no analytics marts yet: load some days first.")
    st.stop()
day = st.sidebar.selectbox("Local day", days, index=min(1, len(days) - 1))
hourly = query("hourly_by_queue", day)
queues = sorted(hourly["queue_name"].unique())
chosen = st.sidebar.multiselect("Queues", queues, default=queues)
hourly = hourly[hourly["queue_name"].isin(chosen)]

totals = query("day_totals", day).iloc[0]
a, b, c, d, e = st.columns(5)
a.metric("Contacts", f"{int(totals.contacts or 0):,}")
b.metric("Service level (handled only)", f"{100 * (totals.sl_handled_only or 0):.1f} %")
c.metric("Service level (abandons negative)", f"{100 * (totals.sl_abandon_negative or 0):.1f} %")
d.metric("ASA", f"{totals.asa_s or 0:.1f} s")
e.metric("Abandon rate", f"{100 * (totals.abandon_rate or 0):.1f} %")

left, right = st.columns(2)
left.subheader("Volume by hour and queue")
left.bar_chart(hourly, x="local_hour", y="contacts", color="queue_name", height=300)
right.subheader("Service level (handled only) by hour")
right.line_chart(hourly, x="local_hour", y="service_level", color="queue_name", height=300)
left.subheader("ASA (s) by hour")
left.line_chart(hourly, x="local_hour", y="asa_s", color="queue_name", height=300)
right.subheader("Abandon rate by hour")
right.line_chart(hourly, x="local_hour", y="abandon_rate", color="queue_name", height=300)

st.subheader(f"Queues on {day}")
st.dataframe(query("queue_scorecard", day), hide_index=True, use_container_width=True)
st.caption(
    "Definitions: docs/warehouse.md. Local time of the tenant's time zone; hours of a fall-back "
    "day appear twice ((2nd)). Source: analytics.queue_day_local and queue_interval_60m_local."
)
