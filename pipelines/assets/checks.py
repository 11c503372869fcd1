"""Asset checks every table gets: unique keys (per window file, as the store recorded it) and freshness.

Reconciliation against the API's own count lives with the sources that have one (Search).
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import dagster as dg

from pipelines.partitions import Window
from pipelines.resources import Warehouse
from warehouse import store
from warehouse.land import check_window_file
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
            f"No key ({', '.join(('org_id', *table.key))}) repeats in each landed window's "
            "current file, which holds the rows the window store recorded for it"
        ),
    )


def unique_key_check(
    warehouse: Warehouse, table: Table, org_id: str, windows: list[Window]
) -> dg.AssetCheckResult:
    """Check the windows just landed, each on its own current file (no other window is read)."""
    bad: list[str] = []
    rows = 0
    for window in windows:
        current = store.window_file(
            warehouse.paths.store_path,
            table.qualified_name,
            org_id,
            window.start_ms,
            window.end_ms,
        )
        if current is None:
            continue
        path, recorded = current
        try:
            local = warehouse.paths.local_file(path)
            found = check_window_file(table, local, org_id, window.start_ms, window.end_ms)
        except ValueError as exc:
            bad.append(f"{window.start.date()}: {exc}")
            continue
        rows += found
        if found != recorded:
            bad.append(f"{window.start.date()}: {found} rows in the file, {recorded} recorded")
    return dg.AssetCheckResult(
        check_name=UNIQUE_KEYS,
        asset_key=asset_key(table),
        passed=not bad,
        metadata={"windows": len(windows), "rows": rows, "problems": "; ".join(bad) or "none"},
        description="; ".join(bad) if bad else f"{rows} rows, every key once, as recorded",
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
