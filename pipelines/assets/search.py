"""Search API assets: every search.* table, partitioned by UTC day.

One query feeds each asset (Cisco advises one record type per query: CSR or CAR, ASR or AAR);
agent sessions and their channels come from the same agentSession records, so one step lands both.
"""

import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import dagster as dg

from pipelines.assets.checks import unique_key_check, unique_key_spec
from pipelines.assets.windows import (
    Landed,
    land_each,
    materializations,
    raise_failures,
)
from pipelines.partitions import API_POOL, PARTITIONS, Window, day_windows, org_of
from pipelines.resources import Warehouse, WxccApi
from pipelines.settings import load_settings
from pipelines.sources import search as queries
from pipelines.sources.errors import IncompleteWindow
from pipelines.sources.paging import prefetched
from pipelines.sources.search import Page, RawQuery
from warehouse import schemas
from warehouse.json_arrow import DecodedPage, PageDecoder
from warehouse.land import land_windows
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
    # Pages decoded from their bytes straight into Arrow (warehouse.json_arrow) when they prove
    # regular; None: every page through orjson and warehouse.normalize.
    decoder: PageDecoder | None = None

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
        PageDecoder(
            queries.TASK_DETAILS.root,
            queries.TASK_DETAILS.list_field,
            queries.TASK_DETAILS.key_field,
            queries.TASK_DETAILS.time_field,
            schemas.TASK_DETAILS,
        ),
    ),
    SearchFeed(
        "task_activity",
        queries.TASK_ACTIVITIES,
        (schemas.TASK_ACTIVITY,),
        "Contact activities (CAR) of each task, from taskDetails activities.",
        PageDecoder(
            queries.TASK_ACTIVITIES.root,
            queries.TASK_ACTIVITIES.list_field,
            queries.TASK_ACTIVITIES.key_field,
            queries.TASK_ACTIVITIES.time_field,
            schemas.TASK_ACTIVITY,
            inner="activities",
        ),
    ),
    SearchFeed(
        "task",
        queries.TASK,
        (schemas.TASK,),
        "Tasks from the legacy task query, one row per task.",
        # No decoder: its small pages (100 records) cost more through the Arrow path's
        # per-column proof than through orjson and the normalizer (bench/README.md, issue 21,
        # fourth pass), although the decoder read them as the dict path does (the tests of
        # tests/warehouse/test_json_arrow.py, run with a task decoder at commit 39c5b92).
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
        PageDecoder(
            queries.AGENT_ACTIVITIES.root,
            queries.AGENT_ACTIVITIES.list_field,
            queries.AGENT_ACTIVITIES.key_field,
            queries.AGENT_ACTIVITIES.time_field,
            schemas.AGENT_ACTIVITY,
            inner="activities",
        ),
    ),
    SearchFeed(
        "task_leg_details",
        queries.TASK_LEG_DETAILS,
        (schemas.TASK_LEG_DETAILS,),
        "Queue legs (CLR) of each task, from taskLegDetails.",
        PageDecoder(
            queries.TASK_LEG_DETAILS.root,
            queries.TASK_LEG_DETAILS.list_field,
            queries.TASK_LEG_DETAILS.key_field,
            queries.TASK_LEG_DETAILS.time_field,
            schemas.TASK_LEG_DETAILS,
        ),
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
    checks = [
        *(
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
        ),
        *(unique_key_spec(table) for table in feed.tables),
    ]

    @dg.multi_asset(
        name=f"search_{feed.name}",
        specs=specs,
        check_specs=checks,
        partitions_def=PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=API_POOL,
    )
    def _asset(context: dg.AssetExecutionContext, wxcc: WxccApi, warehouse: Warehouse):  # noqa: ANN202
        started = time.monotonic()
        org = org_of(context)
        windows = day_windows(context.partition_time_window)
        cad_variables = parse_config(load_settings().config.get("cad_variables"))
        with wxcc.session(org) as session:

            def land_one(window: Window) -> Landed:
                with (
                    session.search_client() as client,
                    # The next page is requested while this one is normalized and written.
                    closing(
                        prefetched(
                            client.window_pages(
                                feed.query, window.start_ms, window.end_ms, decoder=feed.decoder
                            ),
                            name=f"pages-{feed.name}",
                        )
                    ) as fetched,
                ):
                    pages: Iterator[Any] = fetched
                    in_progress = [0]
                    if feed.tables[0] is schemas.TASK_DETAILS:
                        pages = _counting_in_progress(pages, in_progress)
                    if schemas.TASK_VARIABLE in feed.tables:
                        pages = (with_variables(page, cad_variables) for page in pages)
                    try:
                        tables = land_windows(
                            warehouse.paths,
                            feed.tables,
                            session.org_id,
                            window.start_ms,
                            window.end_ms,
                            pages,
                            publish=False,  # the step publishes once its windows landed
                        )
                    except Exception as exc:
                        exc.window_stats = client.stats.as_dict()  # type: ignore[attr-defined]
                        raise
                    return Landed(tables, client.stats.as_dict(), in_progress[0])

            outcome = land_each(
                context,
                warehouse,
                asset=feed.tables[0].qualified_name,
                org=org,
                org_id=session.org_id,
                windows=windows,
                land_one=land_one,
                tables=feed.tables,
            )
        incomplete = [f.error for f in outcome.failures if isinstance(f.error, IncompleteWindow)]
        if feed.reconciled and incomplete:
            # Nothing of those windows landed; record the failed reconciliation, then fail.
            yield _reconciliation(
                feed,
                sum(e.received for e in incomplete),
                sum(e.expected for e in incomplete),
            )
        raise_failures(outcome, len(windows))
        yield from materializations(feed.tables, outcome, org, session.org_id, windows, started)
        if feed.reconciled:
            yield _reconciliation(
                feed, outcome.rows[feed.tables[0]], int(outcome.stats["api_count"])
            )
        for table in feed.tables:
            yield unique_key_check(warehouse, table, session.org_id, windows)

    return _asset


def _counting_in_progress(
    pages: Iterator[Page | DecodedPage], count: list[int]
) -> Iterator[Page | DecodedPage]:
    """The pages, counting into ``count[0]`` the tasks not ended yet (the window is then open:
    a plain re-run loads it again until they end)."""
    for page in pages:
        if isinstance(page, DecodedPage):
            count[0] += page.in_progress()
        else:
            count[0] += sum(1 for r in page if r.get("isActive") or r.get("endedTime") is None)
        yield page


def _reconciliation(feed: SearchFeed, loaded: int, counted: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=RECONCILED,
        asset_key=_key(feed.tables[0]),
        passed=loaded == counted,
        metadata={"rows_loaded": loaded, "api_count": counted},
        description=f"{loaded} rows received, the API counts {counted}",
    )


ASSETS = [_search_asset(feed) for feed in FEEDS]
