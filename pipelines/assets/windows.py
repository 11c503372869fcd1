"""Landing the windows of one run: concurrently, logged, published, whatever the source.

A run covers one org and one or more UTC days (a single-run backfill covers many). Against the
real API the limit is the request budget, and one pager waiting on each page's latency cannot
spend it (300 ms a page is 200 pages a minute against a budget of 300), so windows run
concurrently in threads, every client of the org drawing on one shared limiter. Nothing here
takes a lock: each window writes its own files and commits them to the window store
(``warehouse.land``), the extraction log accepts concurrent writers (``warehouse.store``), and
publishing serializes itself across processes (``warehouse.publish``).

Every window gets an ``ops.extraction_log`` row when it starts (``running``) and its outcome when
it ends; a window that fails does not stop the others, and the step fails after all have run,
naming the failed windows. A killed process leaves ``running`` rows: a resumed backfill redoes them.
"""

import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError

from pipelines import progress
from pipelines.assets.checks import asset_key, unique_key_check, unique_key_spec
from pipelines.partitions import API_POOL, PARTITIONS, Window, day_windows, org_of
from pipelines.resources import Warehouse, WxccApi
from pipelines.settings import utc_now
from pipelines.sources.http import requests_stopped, stop_requests
from warehouse import ops
from warehouse.land import LandResult
from warehouse.publish import publish
from warehouse.schemas import Table

# Windows in flight at once per run. Four keep a 300-a-minute budget busy at up to ~700 ms of
# latency a page; more only adds memory (each holds a Parquet row group).
DEFAULT_WINDOW_WORKERS = 4

# A day's records keep arriving for a while after it ends (tasks created at 23:59 end later, the
# statistics of the last interval are computed after it); the daily schedule runs at 00:30.
SETTLING_DELAY = timedelta(minutes=30)
# How long after its end a window holding tasks not ended yet stays open (loaded again by every
# plain load): a task open longer is stuck, not in progress. Real emails can stay open for days.
OPEN_TASK_HORIZON = timedelta(days=7)

COUNTED = ("pages", "requests", "retries", "rate_limited", "api_count")


@dataclass
class Landed:
    """What one window landed and what it cost."""

    tables: dict[Table, LandResult]
    stats: Mapping[str, int | float] = field(default_factory=dict)
    # Records still in progress when fetched (tasks not ended): they will change, so the window
    # is not settled (:func:`settled_status`).
    in_progress: int = 0


LandOne = Callable[[Window], Landed]


@dataclass
class WindowFailure:
    window: Window
    error: BaseException


@dataclass
class RunOutcome:
    rows: dict[Table, int]
    stats: dict[str, float]
    failures: list[WindowFailure]
    landed: dict[Window, Landed]


def settled_status(window: Window, in_progress: int = 0) -> str:
    """``open`` for a window that may still change: it ends after now or within the settling
    delay, or it holds ``in_progress`` records (tasks not ended) and ended less than
    :data:`OPEN_TASK_HORIZON` ago. Every plain re-run loads an open window again until it
    settles; ``success`` otherwise."""
    now = utc_now()
    if now < window.end + SETTLING_DELAY:
        return "open"
    if in_progress and now < window.end + OPEN_TASK_HORIZON:
        return "open"
    return "success"


def window_workers() -> int:
    value = os.environ.get("WXCC_WINDOW_WORKERS")
    if value is None:
        return DEFAULT_WINDOW_WORKERS
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"WXCC_WINDOW_WORKERS must be a whole number >= 1, not {value!r}")
    return int(value)


def land_each(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    *,
    asset: str,
    org: str,
    org_id: str,
    windows: list[Window],
    land_one: LandOne,
    tables: tuple[Table, ...],
    workers: int | None = None,
) -> RunOutcome:
    """Land every window with ``land_one`` (threads), log each attempt, publish at the end."""
    outcome = RunOutcome(dict.fromkeys(tables, 0), dict.fromkeys(COUNTED, 0), [], {})
    paths = warehouse.paths
    run_id = context.run_id

    def attempt(window: Window) -> None:
        started = datetime.now(UTC)
        base = dict(
            asset=asset,
            org_id=org_id,
            org=org,
            window_start=window.start,
            window_end=window.end,
            run_id=run_id,
            started=started,
        )
        ops.record(paths, ops.Attempt(**base, finished=started, status="running"))
        try:
            landed = land_one(window)
        except Exception as exc:
            stats = getattr(exc, "window_stats", {})
            ops.record(
                paths,
                ops.Attempt(
                    **base,
                    finished=datetime.now(UTC),
                    status="failure",
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                    **{k: _int(stats.get(k)) for k in COUNTED},
                ),
            )
            outcome.failures.append(WindowFailure(window, exc))
            context.log.error(f"{asset} {org} {window}: {type(exc).__name__}: {exc}")
            return
        rows = landed.tables[tables[0]].rows
        ops.record(
            paths,
            ops.Attempt(
                **base,
                finished=datetime.now(UTC),
                status=settled_status(window, landed.in_progress),
                rows=rows,
                **{k: _int(landed.stats.get(k)) for k in COUNTED},
            ),
        )
        outcome.landed[window] = landed
        for table, result in landed.tables.items():
            outcome.rows[table] = outcome.rows.get(table, 0) + result.rows
        for key in COUNTED:
            outcome.stats[key] += float(landed.stats.get(key) or 0)
        progress.window_done(asset, org, window, rows)
        context.log.info(
            f"{asset} {org} {window}: "
            + ", ".join(f"{t.qualified_name} {r.rows} rows" for t, r in landed.tables.items())
        )

    try:
        count = min(workers or window_workers(), len(windows)) or 1
        if count == 1:
            for window in windows:
                if requests_stopped():
                    break
                attempt(window)
        else:
            pool = ThreadPoolExecutor(count, thread_name_prefix=f"window-{asset}")
            interrupted = False
            try:
                list(pool.map(attempt, windows))
            except (KeyboardInterrupt, DagsterExecutionInterruptedError):
                # Ctrl-C (Dagster raises its own error for it inside a run): the in-flight
                # windows stop at their next request and are not waited for, since one request
                # can hang up to the read timeout. Their rows stay "running" until the load marks
                # them; the process exits without joining their threads (pipelines.cli.console).
                interrupted = True
                stop_requests()
                raise
            finally:
                pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
    except (KeyboardInterrupt, DagsterExecutionInterruptedError):
        # Stopped: the load publishes once it has marked the unfinished windows
        # (pipelines.cli); publishing here too would only delay the stop by seconds.
        raise
    except BaseException:
        _publish(context, warehouse, quiet=True)
        raise
    _publish(context, warehouse, quiet=bool(outcome.failures))  # readers see whole windows
    return outcome


def materializations(
    tables: tuple[Table, ...],
    outcome: RunOutcome,
    org: str,
    org_id: str,
    windows: list[Window],
    started: float,
) -> list[dg.MaterializeResult]:
    """One result per table of a run's step, with what it landed and what it cost."""
    seconds = round(time.monotonic() - started, 3)
    return [
        dg.MaterializeResult(
            asset_key=asset_key(table),
            metadata={
                "org": org,
                "org_id": org_id,
                "windows": len(windows),
                "rows": outcome.rows[table],
                **{k: int(v) for k, v in outcome.stats.items()},
                "seconds": seconds,
            },
        )
        for table in tables
    ]


def raise_failures(outcome: RunOutcome, total: int) -> None:
    """Fail the step after all windows ran: the first error, with the other failed windows named."""
    if not outcome.failures:
        return
    first = min(outcome.failures, key=lambda f: f.window.start_ms)
    others = [str(f.window.start.date()) for f in outcome.failures if f is not first]
    if others:
        first.error.add_note(
            f"{len(outcome.failures)} of {total} windows failed; also: {', '.join(others)}"
        )
    raise first.error


def _publish(context: dg.AssetExecutionContext, warehouse: Warehouse, *, quiet: bool) -> None:
    """Publish the windows that landed; ``quiet`` after a failure, whose error must be the one
    the run reports."""
    try:
        publish(warehouse.paths)
    except Exception as exc:
        if not quiet:
            raise
        context.log.warning(f"publishing after the failure failed too: {exc}")


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


class Extraction(Protocol):
    """One run's access to a source for one org: its org id, and how to land one window."""

    org_id: str

    def land(self, window: Window) -> Landed: ...


Opener = Callable[
    [dg.AssetExecutionContext, WxccApi, Warehouse, str], AbstractContextManager[Extraction]
]


def windowed_asset(
    *,
    name: str,
    group: str,
    tables: tuple[Table, ...],
    description: str,
    opener: Opener,
    workers: int | None = None,
) -> dg.AssetsDefinition:
    """A multi-asset landing ``tables`` per org and UTC day from the source ``opener`` opens
    (once per run), with the unique-key check on each table."""
    specs = [
        dg.AssetSpec(
            asset_key(table),
            description=description if n == 0 else f"{table.qualified_name}: {description}",
            group_name=group,
            kinds={"duckdb", "parquet"},
            tags={"source": group},
        )
        for n, table in enumerate(tables)
    ]

    @dg.multi_asset(
        name=name,
        specs=specs,
        check_specs=[unique_key_spec(t) for t in tables],
        partitions_def=PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=API_POOL,
    )
    def _asset(context: dg.AssetExecutionContext, wxcc: WxccApi, warehouse: Warehouse):  # noqa: ANN202
        started = time.monotonic()
        org = org_of(context)
        windows = day_windows(context.partition_time_window)
        with opener(context, wxcc, warehouse, org) as source:
            outcome = land_each(
                context,
                warehouse,
                asset=tables[0].qualified_name,
                org=org,
                org_id=source.org_id,
                windows=windows,
                land_one=source.land,
                tables=tables,
                workers=workers,
            )
        raise_failures(outcome, len(windows))
        yield from materializations(tables, outcome, org, source.org_id, windows, started)
        for table in tables:
            yield unique_key_check(warehouse, table, source.org_id, windows)

    return _asset
