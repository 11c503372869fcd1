"""Analytics assets: the interval marts, rebuilt per org and UTC day after the sources load.

One asset per landed model (``warehouse.marts``), downstream of the source tables it reads, so
the UI shows the lineage; the roll-ups and metric variants are views over them, published with
the warehouse. A day's marts also change the next day's (contacts that end after midnight), so
each run rebuilds the day after each of its days too.
"""

import time
from datetime import datetime

import dagster as dg

import queries
from pipelines.assets.checks import asset_key, unique_key_check, unique_key_spec
from pipelines.partitions import PARTITIONS, Window, day_windows, org_of
from pipelines.resources import Warehouse
from warehouse import marts, ops
from warehouse.catalog import TABLES
from warehouse.publish import publish
from warehouse.schemas import Table
from warehouse.schemas_analytics import AGENT_INTERVAL_15M, QUEUE_INTERVAL_15M

GROUP = "analytics"
CONSISTENT = "counts_consistent"
MATCHES_VENDOR = "matches_queue_statistics"

# The source tables each mart reads (its upstream assets).
UPSTREAM: dict[Table, tuple[str, ...]] = {
    QUEUE_INTERVAL_15M: ("search.task_details",),
    AGENT_INTERVAL_15M: ("search.task_details", "search.agent_session", "search.agent_activity"),
}
VENDOR_CHECKS = {
    QUEUE_INTERVAL_15M: (
        dg.AssetCheckSpec(
            MATCHES_VENDOR,
            asset=asset_key(QUEUE_INTERVAL_15M),
            additional_deps=[asset_key(TABLES["reporting.queue_statistics"])],
            description="Offered, accepted and abandoned counts, handled-only service level and "
            "AHT (connected only) equal the reporting API's queue statistics per interval, "
            "where both are loaded",
        ),
    )
}
DESCRIPTIONS = {
    QUEUE_INTERVAL_15M: "Queue x channel x 15-minute counts and sums (service level, ASA, AHT).",
    AGENT_INTERVAL_15M: "Agent x channel x 15-minute state time and handled contacts.",
}


def _mart_asset(table: Table) -> dg.AssetsDefinition:
    @dg.asset(
        key=asset_key(table),
        description=DESCRIPTIONS[table],
        group_name=GROUP,
        deps=[asset_key(TABLES[name]) for name in UPSTREAM[table]],
        partitions_def=PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"duckdb", "parquet", "sql"},
        check_specs=[
            unique_key_spec(table),
            dg.AssetCheckSpec(
                CONSISTENT,
                asset=asset_key(table),
                description="Counts nest (in service level <= answered <= entered, short "
                "abandons <= abandons) and no sum is negative",
            ),
            *VENDOR_CHECKS.get(table, ()),
        ],
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse):  # noqa: ANN202
        started = time.monotonic()
        org = org_of(context)
        loaded = [w.start for w in day_windows(context.partition_time_window)]
        days = marts.days_to_build(loaded)
        settings = marts.Settings.from_env()
        rows = 0
        windows: list[Window] = []
        # The org id the sources landed under: the marts need no API call (nor credentials).
        ids = ops.org_ids(warehouse.paths, org, landed_only=True)
        if len(ids) > 1:
            raise ValueError(
                f"org {org} has windows landed under several org ids ({', '.join(ids)}): one "
                "data directory holds two tenants under one org name; give each tenant its own "
                "org name (WXCC_CONFIG orgs:) or its own WXCC_DATA_DIR"
            )
        org_id = ids[0] if ids else ""
        # One connection for every day: the sources' views do not change meanwhile (a mart
        # reads no mart), and each build drops its staging tables before the landing.
        with marts.open_sources(warehouse.paths) as con:
            for day in days if ids else []:
                end = day + marts.DAY
                built = marts.build_window(con, org_id, day, end, settings, tables=[table])
                if day not in loaded and built[table].num_rows == 0:
                    continue  # the day after holds nothing of these days (yet): no empty file
                landed = marts.land_marts(warehouse.paths, org_id, day, end, {table: built[table]})
                rows += landed[table].rows
                windows.append(Window(_ms(day), _ms(end)))
                context.log.info(
                    f"{table.qualified_name} {org} {day.date()}: {landed[table].rows} rows"
                )
        if windows:
            publish(warehouse.paths)
        if not ids:
            context.log.warning(f"org {org}: no Search window landed yet, no mart built")
        yield dg.MaterializeResult(
            metadata={
                "org": org,
                "org_id": org_id,
                "days": [str(w.start.date()) for w in windows],
                "rows": rows,
                "seconds": round(time.monotonic() - started, 3),
            }
        )
        yield unique_key_check(warehouse, table, org_id, windows)
        yield _consistency_check(warehouse, table, org_id, windows)
        if table in VENDOR_CHECKS:
            yield _vendor_check(warehouse, table, org_id, windows)

    return _asset


def _consistency_check(
    warehouse: Warehouse, table: Table, org_id: str, windows: list[Window]
) -> dg.AssetCheckResult:
    name = f"checks/{table.name}_inconsistent_rows"
    bad = 0
    if windows:
        with marts.open_sources(warehouse.paths) as con:
            [(bad,)] = con.execute(
                queries.sql(name),
                {
                    "org_id": org_id,
                    "window_start": windows[0].start,
                    "window_end": windows[-1].end,
                },
            ).fetchall()
    return dg.AssetCheckResult(
        check_name=CONSISTENT,
        asset_key=asset_key(table),
        passed=bad == 0,
        metadata={"inconsistent_rows": bad},
        description=f"{bad} rows whose counts do not nest" if bad else "every row's counts nest",
    )


def _vendor_check(
    warehouse: Warehouse, table: Table, org_id: str, windows: list[Window]
) -> dg.AssetCheckResult:
    """The queue mart against reporting.queue_statistics where the two are loaded for the same
    windows (the reporting job may run later: then nothing is compared yet)."""
    compared = different = 0
    if windows:
        with marts.open_sources(warehouse.paths) as con:
            [(compared, different)] = con.execute(
                queries.sql("checks/queue_interval_15m_vs_queue_statistics"),
                {
                    "org_id": org_id,
                    "window_start": windows[0].start,
                    "window_end": windows[-1].end,
                },
            ).fetchall()
    return dg.AssetCheckResult(
        check_name=MATCHES_VENDOR,
        asset_key=asset_key(table),
        passed=different == 0,
        metadata={"intervals_compared": compared, "intervals_different": different},
        description=(
            f"{different} of {compared} intervals differ from the reporting API's queue statistics"
            if different
            else f"{compared} intervals agree with the reporting API's queue statistics"
            if compared
            else "reporting.queue_statistics not loaded for these windows: nothing compared"
        ),
    )


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


ASSETS = [_mart_asset(t) for t in (QUEUE_INTERVAL_15M, AGENT_INTERVAL_15M)]
