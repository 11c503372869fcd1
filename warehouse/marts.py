"""Building the analytics interval marts of one window from the source tables, and landing them.

The models are SQL files read by name (``queries/sql/models``), layered like a dbt project:
``stg_*`` rename and type one source table, ``int_*`` reshape (agent states cut at quarter-hour
boundaries), and each mart file is one ``SELECT`` whose rows are exactly one catalog table's
(``warehouse.schemas_analytics``). They run on any DuckDB connection where the source tables
are readable by their names (``search.task_details``, ``search.agent_activity``,
``search.agent_session``), whatever stores them, and produce Arrow tables that land like any
other table's window (``warehouse.land.land_window``): a Parquet window file and the DuckDB rows,
replaced whole.

A window is one org and UTC day. Its marts read the contacts and agent sessions created from the
day before (tasks and sessions live at most a day), so a day's marts are complete once that day
and the one before are loaded; :func:`days_to_build` adds the day after each loaded day, whose
end-clock figures the loaded day's contacts feed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa

import queries
from warehouse import ddl, duck, publish, store
from warehouse.land import LandResult, WarehousePaths, land_window
from warehouse.schemas import Table
from warehouse.schemas_analytics import AGENT_INTERVAL_15M, QUEUE_INTERVAL_15M

# The sandbox's org clock (sandbox/clock.py) and the WFO login's timezoneString: the tenant
# time zone when none is configured. No served API names a queue's time zone (see docs).
DEFAULT_TIME_ZONE = "America/New_York"
TIME_ZONE_ENV = "WXCC_TIME_ZONE"
# Cisco's tenant setting "Short Call Threshold" (seconds) is not served by any API we read; the
# sandbox's short-abandon threshold is 5 s.
DEFAULT_SHORT_CALL_SECONDS = 5
SHORT_CALL_ENV = "WXCC_SHORT_CALL_SECONDS"

# Staging and intermediate models, in dependency order; each is a CREATE TEMP TABLE statement.
STAGING = ("models/stg_contact", "models/stg_agent_state", "models/int_agent_state_interval")
# Each mart: the table it fills and its SELECT.
MARTS: dict[Table, str] = {
    QUEUE_INTERVAL_15M: "models/queue_interval_15m",
    AGENT_INTERVAL_15M: "models/agent_interval_15m",
}
# The staging models each mart reads: a mart built alone runs only these (the agent states' two
# cost ~3x the contacts' one; bench/README.md, issue 21, sixth pass).
READS: dict[Table, tuple[str, ...]] = {
    QUEUE_INTERVAL_15M: ("models/stg_contact",),
    AGENT_INTERVAL_15M: STAGING,
}
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Settings:
    """Tenant settings the marts need that no API we read serves."""

    time_zone: str = DEFAULT_TIME_ZONE
    queue_time_zones: Mapping[str, str] | None = None  # queue id -> IANA zone
    short_call_seconds: int = DEFAULT_SHORT_CALL_SECONDS

    @classmethod
    def from_env(cls) -> Settings:
        seconds = os.environ.get(SHORT_CALL_ENV) or str(DEFAULT_SHORT_CALL_SECONDS)
        if not seconds.isdigit():
            raise ValueError(f"{SHORT_CALL_ENV} must be whole seconds, not {seconds!r}")
        return cls(
            time_zone=os.environ.get(TIME_ZONE_ENV) or DEFAULT_TIME_ZONE,
            short_call_seconds=int(seconds),
        )


def build_window(
    con: duckdb.DuckDBPyConnection,
    org_id: str,
    start: datetime,
    end: datetime,
    settings: Settings = Settings(),
    tables: Iterable[Table] | None = None,
) -> dict[Table, pa.Table]:
    """Every mart's rows (or those of ``tables`` only) for ``[start, end)`` (within one UTC day)
    of ``org_id``, from ``con``'s source tables. Leaves no object behind: the staging temp
    tables it makes are dropped before it returns, so one connection builds window after
    window and holds no rows meanwhile."""
    wanted = list(MARTS) if tables is None else [t for t in MARTS if t in set(tables)]
    staging = [name for name in STAGING if any(name in READS[t] for t in wanted)]
    zones = settings.queue_time_zones or {}
    queue_time_zone = pa.table(
        {"queue_id": list(zones), "time_zone": list(zones.values())},
        schema=pa.schema([("queue_id", pa.string()), ("time_zone", pa.string())]),
    )
    con.register("queue_time_zone", queue_time_zone)
    try:
        params = {
            "org_id": org_id,
            "source_start": start - DAY,
            "window_start": start,
            "window_end": end,
        }
        for name in staging:
            con.execute(queries.sql(name), _used(name, params))
        mart_params = {
            **params,
            "time_zone": settings.time_zone,
            "short_call_ms": settings.short_call_seconds * 1000,
        }
        return {
            table: con.sql(queries.sql(MARTS[table]), params=_used(MARTS[table], mart_params))
            .to_arrow_table()
            .cast(table.arrow)
            for table in wanted
        }
    finally:
        con.unregister("queue_time_zone")
        for name in reversed(staging):
            con.execute(f"DROP TABLE IF EXISTS temp.main.{ddl.ident(_table_of(name))}")


def _table_of(name: str) -> str:
    """The temp table a staging model's file creates: named as the file (a catalog constant)."""
    return name.rsplit("/", 1)[1]


def _used(name: str, params: dict[str, object]) -> dict[str, object]:
    """The parameters a statement names (DuckDB rejects unused named parameters)."""
    text = queries.sql(name)
    return {k: v for k, v in params.items() if f"${k}" in text}


def open_sources(paths: WarehousePaths) -> duckdb.DuckDBPyConnection:
    """An in-memory connection where every table is readable by its qualified name: views over
    the window files current now (the same views the published file holds), so building marts
    takes no lock and never opens the file readers have open."""
    # One thread: the marts' queries are small, and a second thread cost ~10% more CPU for no
    # shorter wall on the shared 2 cores (bench/README.md, issue 21, sixth pass).
    con = duck.connect(":memory:", threads=duck.configured_threads())
    publish.create_table_views(con, paths.local_files(store.current_files(paths.store_path)))
    return con


def land_marts(
    paths: WarehousePaths,
    org_id: str,
    start: datetime,
    end: datetime,
    marts: Mapping[Table, pa.Table],
) -> dict[Table, LandResult]:
    """Land one window of every mart (each replaces its window whole)."""
    start_ms, end_ms = _ms(start), _ms(end)
    return {
        # Published once by the caller after all its days, not per window.
        table: land_window(paths, table, org_id, start_ms, end_ms, rows.to_batches(), publish=False)
        for table, rows in marts.items()
    }


def days_to_build(loaded_days: list[datetime]) -> list[datetime]:
    """UTC days whose marts a load of ``loaded_days`` changes: each day and the day after."""
    return sorted({d for day in loaded_days for d in (day, day + DAY)})


def _ms(at: datetime) -> int:
    return int(at.astimezone(UTC).timestamp() * 1000)
