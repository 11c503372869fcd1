"""Search API assets: one table each, partitioned by UTC day."""

import time

import dagster as dg

from pipelines.partitions import DAILY, day_windows
from pipelines.resources import Warehouse, WxccApi
from warehouse.land import land_window
from warehouse.normalize import records_to_batch
from warehouse.schemas import TASK_DETAILS


@dg.asset(
    key=["search", "task_details"],
    partitions_def=DAILY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="search",
    kinds={"duckdb", "parquet"},
    tags={"source": "search"},
)
def task_details(
    context: dg.AssetExecutionContext, wxcc: WxccApi, warehouse: Warehouse
) -> dg.MaterializeResult:
    """Contact sessions (CSR) from the Search API's taskDetails, one row per task."""
    started = time.monotonic()
    rows = 0
    windows = day_windows(context.partition_time_window)
    with wxcc.search_client() as (client, org_id):
        for window in windows:
            pages = client.task_details_pages(window.start_ms, window.end_ms)
            batches = (records_to_batch(TASK_DETAILS, page, org_id) for page in pages)
            landed = land_window(
                warehouse.paths, TASK_DETAILS, org_id, window.start_ms, window.end_ms, batches
            )
            rows += landed.rows
            context.log.info(
                f"search.task_details {window}: {landed.rows} tasks, replaced {landed.rows_replaced}"
            )
    return dg.MaterializeResult(
        metadata={
            "org_id": org_id,
            "windows": len(windows),
            "rows": rows,
            **client.stats.as_dict(),
            "seconds": round(time.monotonic() - started, 3),
            "rows_per_second": round(rows / max(time.monotonic() - started, 1e-9)),
        }
    )


ASSETS = [task_details]
