"""Reporting REST assets: reporting.tasks, queue and agent statistics, agent activities, captures.

One asset per endpoint, each window landed by the reporting client under the endpoint's limits
(24-hour spans, 10,000 activities). ``reporting.queue_statistics`` carries the cross-source check
against ``search.task_details`` (offered and abandoned per queue and interval), its differences
recorded in ``ops.cross_check_differences``. Capture downloads are off unless
``WXCC_RECORDINGS_DIR`` names a directory: then each window's recordings are downloaded there,
resumably and checked by size.
"""

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

import queries
from pipelines.assets.checks import asset_key
from pipelines.assets.windows import Landed, windowed_asset
from pipelines.partitions import Window
from pipelines.resources import OrgSession, Warehouse, WxccApi
from pipelines.sources.recordings import RecordingDownloader
from pipelines.sources.reporting import ReportingClient
from warehouse import ops, schemas_reporting
from warehouse.cross_checks import check_queue_statistics
from warehouse.land import land_windows
from warehouse.schemas import Table

TABLES = {t.name: t for t in schemas_reporting.TABLES}
CROSS_CHECK = "agrees_with_search"
Pages = Callable[[ReportingClient, Window], Iterable[list[dict]]]

_FEEDS: dict[str, tuple[Pages, str]] = {
    "tasks": (
        lambda c, w: c.tasks_pages(w.start_ms, w.end_ms),
        "Tasks from GET /v1/tasks, one row per task.",
    ),
    "queue_statistics": (
        lambda c, w: c.queue_statistics_pages(w.start_ms, w.end_ms),
        "Queue statistics per queue, 15-minute interval and channel (GET /v1/queues/statistics).",
    ),
    "agent_statistics": (
        lambda c, w: c.agent_statistics_pages(w.start_ms, w.end_ms),
        "Agent statistics per agent, 15-minute interval and channel (GET /v1/agents/statistics).",
    ),
    "agent_activities": (
        lambda c, w: c.agent_activities_pages(w.start_ms, w.end_ms),
        "Agent state activities (GET /v1/agents/activities).",
    ),
    "captures": (
        lambda c, w: c.window_capture_pages(w.start_ms, w.end_ms),
        "Recordings of the tasks that requested capture (POST /v1/captures/query), with the "
        "expiry of each URL.",
    ),
}


@dataclass
class _Reporting:
    org_id: str
    session: OrgSession
    table: Table
    pages: Pages
    warehouse: Warehouse
    context: dg.AssetExecutionContext

    def land(self, window: Window) -> Landed:
        recordings = (
            os.environ.get("WXCC_RECORDINGS_DIR") if self.table.name == "captures" else None
        )
        with ReportingClient(self.session.http(), org_id=self.session.org.org_id) as client:
            try:
                if recordings:  # the tasks are fetched once, for the metadata and the files
                    tasks = list(client.capture_tasks(window.start_ms, window.end_ms))
                    pages = client.capture_pages(tasks)
                else:
                    pages = self.pages(client, window)
                tables = land_windows(
                    self.warehouse.paths,
                    (self.table,),
                    self.org_id,
                    window.start_ms,
                    window.end_ms,
                    pages,
                    publish=False,  # the step publishes once its windows landed
                )
                if recordings:
                    with RecordingDownloader(client, Path(recordings)) as downloader:
                        stats = downloader.download(tasks)
                    self.context.log.info(f"recordings {window}: {stats}")
            except Exception as exc:
                exc.window_stats = _stats(client)  # type: ignore[attr-defined]
                raise
            return Landed(tables, _stats(client))


def _stats(client: ReportingClient) -> dict[str, int]:
    stats = client.stats.as_dict()
    return {
        "pages": int(stats["pages"]),
        "requests": int(stats.get("http_requests", 0)),
        "retries": int(stats.get("http_retries", 0)),
        "rate_limited": int(stats.get("http_rate_limited", 0)),
    }


def _opener(name: str):  # noqa: ANN202
    pages, _ = _FEEDS[name]

    @contextmanager
    def open_reporting(
        context: dg.AssetExecutionContext, wxcc: WxccApi, warehouse: Warehouse, org: str
    ) -> Iterator[_Reporting]:
        with wxcc.session(org) as session:
            yield _Reporting(session.org_id, session, TABLES[name], pages, warehouse, context)

    return open_reporting


def _cross_check(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse
) -> dg.AssetCheckResult:
    """Offered and abandoned per queue and interval: reporting.queue_statistics against
    search.task_details, for the windows of the run (both must have been loaded)."""
    differences: list[str] = []
    windows = 0
    with ops.log_connection(warehouse.paths) as con:
        rows = con.execute(
            queries.sql("ops/select_cross_check_windows"),
            {
                "run_id": context.op_execution_context.run_id,
                "asset": TABLES["queue_statistics"].qualified_name,
                "other": "search.task_details",
            },
        ).fetchall()
    for org_id, start_ms, end_ms in rows:
        windows += 1
        differences += [
            d.describe() for d in check_queue_statistics(warehouse.paths, org_id, start_ms, end_ms)
        ]
    if not windows:
        description = "no window of this run has search.task_details loaded: nothing compared"
    else:
        description = "; ".join(differences[:20]) or (
            f"{windows} window(s): offered and abandoned agree with search.task_details"
        )
    return dg.AssetCheckResult(
        passed=not differences,
        metadata={"windows": windows, "differences": len(differences)},
        description=description,
    )


ASSETS = [
    windowed_asset(
        name=f"reporting_{name}",
        group="reporting",
        tables=(TABLES[name],),
        description=description,
        opener=_opener(name),
    )
    for name, (_, description) in _FEEDS.items()
]
CHECKS = [
    dg.asset_check(
        asset=asset_key(TABLES["queue_statistics"]),
        name=CROSS_CHECK,
        description="Offered and abandoned per queue and interval agree with search.task_details "
        "(differences recorded in ops.cross_check_differences)",
        additional_deps=[dg.AssetKey(["search", "task_details"])],
    )(_cross_check)
]
LOGGED = [TABLES[name].qualified_name for name in _FEEDS]
