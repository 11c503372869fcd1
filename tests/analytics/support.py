"""A warehouse built from the sandbox's ground truth (``wxcc-sandbox truth``), marts included.

The source tables hold exactly what a perfect load would (the truth files), so the marts' tests
check the models alone; the pipeline's own load is checked against the same truth elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from sandbox.truth import write_truth
from tests.support import SEED, ms
from warehouse import duck, marts
from warehouse.catalog import TABLES
from warehouse.publish import create_views

NOW = "2026-11-03T12:00:00"
FIRST_DAY = datetime(2026, 10, 31, tzinfo=UTC)  # 2026-11-01 is the fall-back day in New York
DAYS = [FIRST_DAY + timedelta(days=n) for n in range(3)]
SOURCES = (
    "search.task_details",
    "search.agent_activity",
    "search.agent_session",
    "search.task_leg_details",
    "search.task_activity",
)


def write_day_truth(out: Path, tasks_per_day: int = 400) -> Path:
    end = DAYS[-1] + timedelta(days=1)
    write_truth(
        out,
        seed=SEED,
        tasks_per_day=tasks_per_day,
        now_ms=ms(NOW),
        from_ms=ms(DAYS[0].strftime("%Y-%m-%dT%H:%M:%S")),
        to_ms=ms(end.strftime("%Y-%m-%dT%H:%M:%S")),
    )
    return out


def truth_warehouse(
    truth: Path, settings: marts.Settings | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse: every table, the truth's source rows, the marts of every day."""
    con = duck.connect(":memory:")
    duck.create_tables(con, TABLES.values())
    for name in SOURCES:
        # Identifiers from the catalog; the file path is bound.
        con.execute(
            f"INSERT INTO {name} BY NAME SELECT * FROM read_parquet($path)",
            {"path": str(truth / f"{name}.parquet")},
        )
    [(org_id,)] = con.execute("SELECT DISTINCT org_id FROM search.task_details").fetchall()
    for day in DAYS:
        built = marts.build_window(
            con, org_id, day, day + timedelta(days=1), settings or marts.Settings()
        )
        for table, rows in built.items():
            con.register("built_rows", rows)
            con.execute(f"INSERT INTO {table.qualified_name} BY NAME SELECT * FROM built_rows")
            con.unregister("built_rows")
    create_views(con)
    return con
