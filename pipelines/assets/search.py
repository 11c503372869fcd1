"""Search API assets: every search.* table, partitioned by UTC day.

One query feeds each asset (Cisco advises one record type per query: CSR or CAR, ASR or AAR);
agent sessions and their channels come from the same agentSession records, so one step lands both.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from pipelines.partitions import DAILY, Window, day_windows
from pipelines.resources import Warehouse, WxccApi
from pipelines.settings import load_settings
from pipelines.sources import search as queries
from pipelines.sources.errors import IncompleteWindow
from pipelines.sources.search import RawQuery, SearchClient
from warehouse import ops, schemas
from warehouse.land import land_windows
from warehouse.publish import publish
from warehouse.schemas import Table
from warehouse.variables import parse_config, with_variables

RECONCILED = "rows_match_api_count"


@dataclass(frozen=True)
class SearchFeed:
    """A Search query and the tables its records land in (the first is the query's own)."""

    name: str
    query: RawQuery
    tables: tuple[Table, ...]
    description: str

    @property
    def reconciled(self) -> bool:
        """The first table holds one row per record the API counts (child tables hold more)."""
        return self.tables[0].parent is None


FEEDS = (
    SearchFeed(
        "task_details",
        queries.TASK_DETAILS,
        (schemas.TASK_DETAILS, schemas.TASK_VARIABLE),
        "Contact sessions (CSR) from taskDetails, one row per task.",
    ),
    SearchFeed(
        "task_activity",
        queries.TASK_ACTIVITIES,
        (schemas.TASK_ACTIVITY,),
        "Contact activities (CAR) of each task, from taskDetails activities.",
    ),
    SearchFeed(
        "task",
        queries.TASK,
        (schemas.TASK,),
        "Tasks from the legacy task query, one row per task.",
    ),
    SearchFeed(
        "agent_session",
        queries.AGENT_SESSIONS,
        (schemas.AGENT_SESSION, schemas.AGENT_SESSION_CHANNEL),
        "Agent sessions (ASR) and their channels, from agentSession.",
    ),
    SearchFeed(
        "agent_activity",
        queries.AGENT_ACTIVITIES,
        (schemas.AGENT_ACTIVITY,),
        "Agent state activities (AAR), from agentSession channel activities.",
    ),
    SearchFeed(
        "task_leg_details",
        queries.TASK_LEG_DETAILS,
        (schemas.TASK_LEG_DETAILS,),
        "Queue legs (CLR) of each task, from taskLegDetails.",
    ),
)


def _key(table: Table) -> dg.AssetKey:
    return dg.AssetKey([table.schema, table.name])


def _search_asset(feed: SearchFeed) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            _key(table),
            description=feed.description
            if n == 0
            else f"{table.qualified_name}: {feed.description}",
            group_name="search",
            kinds={"duckdb", "parquet"},
            tags={"source": "search"},
        )
        for n, table in enumerate(feed.tables)
    ]
    checks = (
        [
            dg.AssetCheckSpec(
                RECONCILED,
                asset=_key(feed.tables[0]),
                description="Rows loaded equal the API's own count for the window",
                blocking=True,
            )
        ]
        if feed.reconciled
        else []
    )

    @dg.multi_asset(
        name=f"search_{feed.name}",
        specs=specs,
        check_specs=checks,
        partitions_def=DAILY,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def _asset(context: dg.AssetExecutionContext, wxcc: WxccApi, warehouse: Warehouse):  # noqa: ANN202
        started = time.monotonic()
        rows = dict.fromkeys(feed.tables, 0)
        windows = day_windows(context.partition_time_window)
        cad_variables = parse_config(load_settings().config.get("cad_variables"))
        try:
            with wxcc.search_client() as (client, org_id):
                for window in windows:
                    log = _AttemptLog(warehouse, feed, org_id, window, context.run_id, client)
                    pages = client.window_pages(feed.query, window.start_ms, window.end_ms)
                    if schemas.TASK_VARIABLE in feed.tables:
                        pages = (with_variables(page, cad_variables) for page in pages)
                    try:
                        landed = land_windows(
                            warehouse.paths,
                            feed.tables,
                            org_id,
                            window.start_ms,
                            window.end_ms,
                            pages,
                        )
                    except IncompleteWindow as exc:
                        log.failed(exc)
                        # Nothing of the window landed; record the failed reconciliation, then fail.
                        if feed.reconciled:
                            yield _reconciliation(feed, exc.received, exc.expected)
                        raise
                    except Exception as exc:
                        log.failed(exc)
                        raise
                    log.succeeded(landed[feed.tables[0]].rows)
                    for table, result in landed.items():
                        rows[table] += result.rows
                    context.log.info(
                        f"{feed.query.name} {window}: "
                        + ", ".join(f"{t.qualified_name} {r.rows} rows" for t, r in landed.items())
                    )
        except BaseException:
            _publish_after_failure(context, warehouse)
            raise
        publish(warehouse.paths)  # readers see every window landed, whole
        stats = client.stats.as_dict()
        seconds = round(time.monotonic() - started, 3)
        for table in feed.tables:
            yield dg.MaterializeResult(
                asset_key=_key(table),
                metadata={
                    "org_id": org_id,
                    "windows": len(windows),
                    "rows": rows[table],
                    **stats,
                    "seconds": seconds,
                },
            )
        if feed.reconciled:
            yield _reconciliation(feed, rows[feed.tables[0]], int(stats["api_count"]))

    return _asset


def _publish_after_failure(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
    """Publish the windows that landed before a failure, never hiding the failure itself."""
    try:
        publish(warehouse.paths)
    except Exception as exc:  # the original error is what the run must report
        context.log.warning(f"publishing after the failure failed too: {exc}")


class _AttemptLog:
    """Writes one ops.extraction_log row for an attempt at one window, with the API cost of it."""

    def __init__(
        self,
        warehouse: Warehouse,
        feed: SearchFeed,
        org_id: str,
        window: Window,
        run_id: str,
        client: SearchClient,
    ) -> None:
        self.path = warehouse.paths.duckdb_path
        self.feed, self.org_id, self.window, self.run_id, self.client = (
            feed,
            org_id,
            window,
            run_id,
            client,
        )
        self.started = datetime.now(UTC)
        self.before = client.stats.as_dict()

    def _write(self, status: str, rows: int | None, error: str | None) -> None:
        now = self.client.stats.as_dict()
        spent = {k: int(now[k]) - int(self.before[k]) for k in _COUNTED}
        ops.record(
            self.path,
            ops.Attempt(
                asset=self.feed.tables[0].qualified_name,
                org_id=self.org_id,
                window_start=self.window.start,
                window_end=self.window.end,
                run_id=self.run_id,
                started=self.started,
                finished=datetime.now(UTC),
                status=status,
                rows=rows,
                error=error,
                **spent,
            ),
        )

    def succeeded(self, rows: int) -> None:
        self._write("success", rows, None)

    def failed(self, exc: BaseException) -> None:
        self._write("failure", None, f"{type(exc).__name__}: {exc}"[:2000])


_COUNTED = ("pages", "requests", "retries", "rate_limited", "api_count")


def _reconciliation(feed: SearchFeed, loaded: int, counted: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=RECONCILED,
        asset_key=_key(feed.tables[0]),
        passed=loaded == counted,
        metadata={"rows_loaded": loaded, "api_count": counted},
        description=f"{loaded} rows received, the API counts {counted}",
    )


ASSETS = [_search_asset(feed) for feed in FEEDS]
