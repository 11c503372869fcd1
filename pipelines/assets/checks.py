"""Asset checks every table gets: unique keys (the Parquet copy agreeing with DuckDB) and freshness.

Reconciliation against the API's own count lives with the sources that have one (Search).
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import dagster as dg

import queries
from pipelines.assets.windows import DUCK_LOCK
from pipelines.partitions import Window
from pipelines.resources import Warehouse
from warehouse import ddl, duck, parquet
from warehouse.schemas import Table

UNIQUE_KEYS = "unique_keys"
# A daily schedule lands yesterday shortly after midnight UTC; a table not updated for a day and
# a half has missed a tick (or its run failed).
FRESHNESS = timedelta(hours=36)


def asset_key(table: Table) -> dg.AssetKey:
    return dg.AssetKey([table.schema, table.name])


def unique_key_spec(table: Table) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        UNIQUE_KEYS,
        asset=asset_key(table),
        description=(
            f"No key ({', '.join(('org_id', *table.key))}) repeats in the landed windows' "
            "Parquet files, and DuckDB holds as many rows for each window"
        ),
    )


def unique_key_check(
    warehouse: Warehouse, table: Table, org_id: str, windows: list[Window]
) -> dg.AssetCheckResult:
    """Check the windows just landed (the private DuckDB file is this run's to read)."""
    root = warehouse.paths.parquet_root
    bad: list[str] = []
    rows = 0
    with DUCK_LOCK, duck.connect(warehouse.paths.duckdb_path) as con:
        for window in windows:
            path = parquet.window_path(root, table, org_id, window.start_ms, window.end_ms)
            if not path.exists():
                continue
            files = [str(path)]
            parquet_rows, parquet_keys, duckdb_rows = con.execute(
                queries.sql(ddl.window_keys_query(table)),
                {
                    "files": files,
                    "org_id": org_id,
                    "window_start": window.start,
                    "window_end": window.end,
                },
            ).fetchall()[0]
            rows += parquet_rows
            if not parquet_rows == parquet_keys == duckdb_rows:
                bad.append(
                    f"{window.start.date()}: {parquet_rows} Parquet rows, {parquet_keys} keys, "
                    f"{duckdb_rows} DuckDB rows"
                )
    return dg.AssetCheckResult(
        check_name=UNIQUE_KEYS,
        asset_key=asset_key(table),
        passed=not bad,
        metadata={"windows": len(windows), "rows": rows, "problems": "; ".join(bad) or "none"},
        description="; ".join(bad) if bad else f"{rows} rows, every key once, stores agree",
    )


def freshness_checks(assets: list[dg.AssetsDefinition]) -> list[dg.AssetChecksDefinition]:
    """Each asset materialized within ``FRESHNESS`` (any partition); evaluated by the sensor.

    Freshness *checks*, not Dagster 1.12's freshness policies: they show with the other checks
    in the UI, and policies need an opt-in instance flag while they are in preview.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return list(
            dg.build_last_update_freshness_checks(assets=assets, lower_bound_delta=FRESHNESS)
        )


def freshness_sensor(checks: list[dg.AssetChecksDefinition]) -> dg.SensorDefinition:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return dg.build_sensor_for_freshness_checks(freshness_checks=checks)
