"""What every table, view and column means, published into the warehouse as ``COMMENT ON``.

One registry: source columns take Cisco's data-dictionary description of their API field
(``warehouse/dictionary.json``, extracted from the dictionaries ``DataDictionary/*.md`` with
``python -m warehouse.descriptions --dictionaries DIR``), or name their API field where no
dictionary covers it; the marts' columns say which clock counts them
(``warehouse.schemas_analytics``); every metric gives its formula (``warehouse.metrics``); the
views' own columns are described here. ``docs/warehouse.md`` is generated from the comments of a
warehouse built from scratch (``python -m warehouse.docs``), so the two cannot drift.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from functools import cache
from pathlib import Path

import duckdb

import queries
from warehouse import duck
from warehouse.catalog import TABLES
from warehouse.metrics import AGENT_METRICS, QUEUE_METRICS, ROLLUPS
from warehouse.schemas import Table
from warehouse.schemas_analytics import COLUMN_DESCRIPTIONS, TABLE_DESCRIPTIONS

log = logging.getLogger(__name__)

DICTIONARY = Path(__file__).with_name("dictionary.json")
# The record type whose dictionary describes a Search table's fields (by their query path).
RECORDS = {
    "search.task_details": "CSR",
    "search.task": "CSR",
    "search.task_activity": "CAR",
    "search.task_variable": "CSR",
    "search.agent_session": "ASR",
    "search.agent_session_channel": "ASR",
    "search.agent_activity": "AAR",
    "search.task_leg_details": "CLR",
}
# A child table's parent columns are fields of its parent's record.
PARENT_RECORDS = {
    "search.task_activity": "CSR",
    "search.task_variable": "CSR",
    "search.agent_session_channel": "ASR",
    "search.agent_activity": "ASR",
}
SOURCES = {
    "search": "the Search API (GraphQL)",
    "reporting": "the reporting REST API",
    "legacy": "the legacy v1 record API",
    "wfo": "WFO (Data Explorer reports and file exports)",
    "ops": "the pipeline's own bookkeeping",
}

# Columns of the analytics views that are not mart columns or metrics.
VIEW_COLUMNS = {
    "org_id": "Webex Contact Center organization (tenant) id.",
    "contact_id": "Contact (task) id: CSR id.",
    "leg_id": "Contact leg id: CLR id.",
    "event_id": "Contact event id: CAR activity id.",
    "state_id": "Agent state id: AAR activity id.",
    "agent_session_id": "Agent's sign-in session id.",
    "queue_id": "Queue id.",
    "queue_name": "Queue name (latest seen).",
    "agent_id": "Agent id.",
    "agent_name": "Agent name (latest seen).",
    "sign_in_id": "The email the agent signs in with (latest seen).",
    "team_id": "Team id.",
    "team_name": "Team name (latest seen).",
    "site_id": "Site id.",
    "site_name": "Site name (latest seen).",
    "entry_point_id": "Entry point id (the number, address or page a customer contacted).",
    "entry_point_name": "Entry point name (latest seen).",
    "channel_type": "Channel: telephony, chat, email or social.",
    "channel_name": "Channel as shown to people.",
    "is_synchronous": "Whether a customer waits live on the channel (voice, chat).",
    "idle_code_id": "Idle (auxiliary, not-ready) code id.",
    "idle_code_name": "Idle code name (latest seen).",
    "wrapup_code_id": "Wrap-up code id.",
    "wrapup_code_name": "Wrap-up code name (latest seen).",
    "created_time": "When it started (UTC).",
    "ended_time": "When it ended (UTC); NULL while active.",
    "created_date_utc": "UTC calendar date of created_time.",
    "start_time": "When the state started (UTC).",
    "end_time": "When the state ended (UTC).",
    "direction": "inbound or outbound (outdial).",
    "state": "Agent state, lower case (available, idle, ringing, connected, on-hold, wrapup ...).",
    "event_name": "The event that created the activity (CAR eventName).",
    "activity_type": "Flow activity type (CAR activityType).",
    "activity_name": "Flow activity name (CAR activityName).",
    "previous_state": "Contact state before the event.",
    "next_state": "Contact state after the event.",
    "is_answered": "Answered by an agent from the queue (isContactHandled, no abandonedType).",
    "is_answered_in_sl": "Answered within the queue's service-level threshold.",
    "is_abandoned": "Abandoned in queue (abandonedType queue or short).",
    "is_abandoned_in_sl": "Abandoned within the service-level threshold (abandonedSlCount).",
    "is_short_in_queue": "Marked a short abandon in queue by the platform (shortInQueueCount).",
    "is_active": "Still in progress when last loaded.",
    "is_within_sl": "The leg met its queue's service-level threshold (isWithinServiceLevel).",
    "is_handled": "The leg was handled by an agent (isTaskLegHandled).",
    "abandoned_type": "How the contact was abandoned (queue, short, ivr), NULL if not.",
    "sl_threshold_ms": "Service-level threshold of the queue, ms (CLR slaValue in seconds x 1000).",
    "valid_from": "First leg seen with this threshold (inclusive).",
    "valid_to": "First leg seen with the next threshold (exclusive); NULL: still in force.",
    "legs_seen": "Contact legs recorded with this threshold.",
    "time_zone": "IANA time zone of the local columns.",
    "first_seen": "First session start seen.",
    "last_seen": "Latest session start seen.",
    "total_ms": "Whole life of the contact, ms (CSR totalDuration).",
    "selfservice_ms": "Time in self-service (IVR, bot), ms.",
    "queue_ms": "Time in queues, ms.",
    "ring_ms": "Time ringing (offered to an agent), ms.",
    "connected_ms": "Time connected to an agent, ms.",
    "hold_ms": "Time on hold, ms.",
    "consult_ms": "Time consulting, ms.",
    "conference_ms": "Time in conference, ms.",
    "wrapup_ms": "Wrap-up time, ms.",
    "duration_ms": "Duration, ms.",
    "n_holds": "Holds of the contact.",
    "csat_score": "Customer satisfaction score given in the survey, if any.",
    "date": "Calendar date.",
    "year": "Year.",
    "quarter": "Quarter of the year (1-4).",
    "month": "Month (1-12).",
    "month_name": "Month name.",
    "iso_day_of_week": "ISO day of week (1 Monday .. 7 Sunday).",
    "day_name": "Day name.",
    "is_weekend": "Saturday or Sunday.",
    "iso_year_week": "ISO year and week, yyyyww.",
    "time_of_day": "Start of the quarter-hour on the clock.",
    "half_hour": "Start of its half hour.",
    "hour": "Hour of the day (0-23).",
    "quarter_hour_of_day": "Quarter-hour of the day (0-95).",
    "am_pm": "AM or PM.",
    "utc_date": "UTC calendar date.",
    "day": "UTC calendar date of the contacts' start.",
    "agrees": "Every count and duration agrees between the two APIs.",
    "local_date": "Local calendar date in time_zone.",
    "day_start": "UTC instant of the local day's midnight (its first interval_start).",
    "local_intervals_15m": "Quarter-hours in the local day: 96, or 92 on a spring-forward day and "
    "100 on a fall-back day.",
    "intervals_with_rows": "Quarter-hours of the day that had any activity (a row in the mart).",
}
VIEW_DESCRIPTIONS = {r.name: r.description for r in ROLLUPS}


def _view_header(name: str) -> str:
    """A view's description: the first comment lines of its SQL file."""
    text = queries.sql(f"analytics/{name}")
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    body = " ".join(lines)
    return re.sub(r"^analytics\.\w+:\s*", "", body).split(" Rendered from")[0]


@cache
def dictionary() -> dict[str, dict[str, str]]:
    return json.loads(DICTIONARY.read_text(encoding="utf-8"))


def table_comment(table: Table) -> str:
    if table.qualified_name in TABLE_DESCRIPTIONS:
        return TABLE_DESCRIPTIONS[table.qualified_name]
    key = ", ".join(("org_id", *table.key))
    return (
        f"From {SOURCES.get(table.schema, table.schema)}: one row per key ({key}); loads "
        f"replace whole windows of {table.time_column}."
    )


def column_comment(table: Table, name: str) -> str:
    if name == "org_id":
        return VIEW_COLUMNS["org_id"]
    marts = COLUMN_DESCRIPTIONS.get(table.qualified_name)
    if marts is not None:
        return marts[name]
    column = table.column(name)
    path = table.query_path(column)
    record = RECORDS.get(table.qualified_name)
    found = dictionary().get(record, {}).get(path) if record else None
    parent = PARENT_RECORDS.get(table.qualified_name)
    if found is None and parent and column.from_parent:
        found = dictionary()[parent].get(path)
    kind = {"instant": " (epoch ms in the API; a UTC timestamp here)"}.get(column.kind, "")
    if found:
        return f"{found} [API field {path}{kind}]"
    return f"API field {path}{kind}."


def view_column_comment(view: str, name: str) -> str:
    chosen = AGENT_METRICS if view.startswith("agent_") else QUEUE_METRICS
    metrics = {m.name: m.description for m in chosen}
    if name in metrics:
        return metrics[name]
    mart = COLUMN_DESCRIPTIONS[
        "analytics.agent_interval_15m"
        if view.startswith("agent_")
        else "analytics.queue_interval_15m"
    ]
    if name in mart and not view.startswith(("fct_", "dim_")):
        return mart[name]
    if name in VIEW_COLUMNS:
        return VIEW_COLUMNS[name]
    compared = re.fullmatch(r"(legacy|search)_(\w+)|(\w+)_difference", name)
    if view == "legacy_vs_search" and compared:
        measure = (compared.group(2) or compared.group(3)).replace("_", " ")
        if compared.group(1):
            side = "legacy CSRs" if compared.group(1) == "legacy" else "Search taskDetails"
            return f"{measure.capitalize()} of the day's {side} (durations in ms)."
        return f"Legacy minus Search {measure}."
    if name in mart:
        return mart[name]
    raise KeyError(f"analytics.{view}.{name} has no description: add it to VIEW_COLUMNS")


def statements(con: duckdb.DuckDBPyConnection) -> list[str]:
    """``COMMENT ON`` for every catalog table and column and every analytics view and column."""
    return [statement for _, _, statement in _comments(con)]


def _comments(
    con: duckdb.DuckDBPyConnection,
) -> list[tuple[tuple[str, str | None], str, str]]:
    """(object, column or None), its comment and the statement setting it. Comments are
    literals (DuckDB binds no parameters in COMMENT ON), quoted by the one helper."""
    out = []

    def add(target: str, column: str | None, kind: str, comment: str) -> None:
        what = f"COLUMN {target}.{column}" if column else f"{kind} {target}"
        out.append(((target, column), comment, f"COMMENT ON {what} IS {duck.sql_string(comment)}"))

    for table in TABLES.values():
        add(table.qualified_name, None, "TABLE", table_comment(table))
        for name in table.column_names:
            add(table.qualified_name, name, "TABLE", column_comment(table, name))
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'analytics' "
        "AND database_name = current_database() AND NOT internal ORDER BY view_name"
    ).fetchall()
    for (view,) in views:
        if f"analytics.{view}" in TABLES:  # a landed mart, published as a view: commented above
            continue
        add(f"analytics.{view}", None, "VIEW", _view_header(view))
        columns = con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'analytics' "
            "AND database_name = current_database() AND table_name = $view "
            "ORDER BY column_index",
            {"view": view},
        ).fetchall()
        for (column,) in columns:
            add(f"analytics.{view}", column, "VIEW", view_column_comment(view, column))
    return out


def apply(con: duckdb.DuckDBPyConnection) -> None:
    """Comment every table, view and column (after the tables and views exist), skipping the
    comments already in place (a statement costs ~2 ms; views are re-created on each publish)."""
    current = {
        (f"{schema}.{name}", column): comment
        for schema, name, column, comment in con.execute(
            "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = current_database()"
        ).fetchall()
    } | {
        (f"{schema}.{name}", None): comment
        for schema, name, comment in con.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() "
            "WHERE database_name = current_database() UNION ALL "
            "SELECT schema_name, view_name, comment FROM duckdb_views() "
            "WHERE database_name = current_database() AND NOT internal"
        ).fetchall()
    }
    needed = [
        statement for target, comment, statement in _comments(con) if current.get(target) != comment
    ]
    if needed:
        con.execute(";\n".join(needed))


def extract(directory: Path) -> dict[str, dict[str, str]]:
    """Field path -> description of each ``<RECORD>.md`` data dictionary in ``directory``."""
    out: dict[str, dict[str, str]] = {}
    for record in sorted(set(RECORDS.values())):
        fields: dict[str, str] = {}
        for line in (directory / f"{record}.md").read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 3 or not re.fullmatch(r"[A-Za-z][\w.]*", cells[0]):
                continue
            if cells[0] in ("Field", "FieldName") or cells[1] in ("Field Type", "Data Type"):
                continue
            fields.setdefault(cells[0], re.sub(r"\s+", " ", cells[2].replace("<br/>", " ")))
        out[record] = fields
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Extract the data dictionaries' descriptions.")
    parser.add_argument("--dictionaries", type=Path, required=True, help="DataDictionary dir")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    DICTIONARY.write_text(
        json.dumps(extract(args.dictionaries), indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    log.info("wrote %s", DICTIONARY)
    return 0


if __name__ == "__main__":
    sys.exit(main())
