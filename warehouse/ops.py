"""The extraction log (``ops.extraction_log``): one row per attempt at an asset, org and window."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import duckdb

import queries
from warehouse import ddl, duck, store
from warehouse.paths import WarehousePaths

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Attempt:
    """What one attempt did; counts are None where the attempt did not get that far."""

    asset: str
    org_id: str
    window_start: datetime
    window_end: datetime
    run_id: str
    started: datetime
    finished: datetime
    status: str  # "running", "success" or "failure"
    pages: int | None = None
    requests: int | None = None
    retries: int | None = None
    rate_limited: int | None = None
    rows: int | None = None
    api_count: int | None = None
    error: str | None = None
    org: str | None = None  # the org's partition name


@dataclass(frozen=True)
class WindowStatus:
    asset: str
    org_id: str
    freshest_end: datetime | None
    gaps: list[datetime]
    org: str | None = None  # the org's partition name


def record(paths: WarehousePaths, attempt: Attempt) -> None:
    """Write one attempt (its own transaction: a failed window is logged all the same). An
    attempt is recorded as ``running`` when it starts and replaced by its outcome when it ends,
    so a killed process leaves its unfinished windows visible. Any number of processes write at
    once (``warehouse.store``); the published warehouse shows the log from its next publish."""
    if attempt.status not in ("running", "success", "failure"):
        raise ValueError(f"unknown attempt status {attempt.status!r}")
    row: dict[str, object] = asdict(attempt)
    for name in ("window_start", "window_end"):
        row[name] = _ms(attempt.__dict__[name])
    for name in ("started", "finished"):
        row[name] = _us(attempt.__dict__[name])
    store.record_attempt(paths.store_path, row)


@contextmanager
def log_connection(paths: WarehousePaths) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB holding ``ops.extraction_log`` as the store has it now."""
    with duck.connect(":memory:") as con:
        con.execute(queries.sql("ops/create_schema_ops"))
        log = store.ops_tables(paths.store_path)["extraction_log"]
        con.register("log_rows", log)
        con.execute(ddl.render_copy_table("ops", "extraction_log", "log_rows"))
        con.unregister("log_rows")
        yield con


def complete_windows(
    paths: WarehousePaths, assets: list[str], org: str, since: datetime, until: datetime
) -> set[datetime]:
    """Starts of the windows in ``[since, until)`` whose latest attempt succeeded for every one
    of ``assets`` (qualified table names) of the org named ``org``."""
    with log_connection(paths) as con:
        rows = con.execute(
            queries.sql("ops/select_complete_windows"),
            {"org": org, "assets": assets, "since": since, "until": until},
        ).fetchall()
    return {start.astimezone(UTC) for (start,) in rows}


def org_ids(paths: WarehousePaths, org: str) -> list[str]:
    """The org ids windows of the org named ``org`` were landed under."""
    with log_connection(paths) as con:
        return [
            org_id
            for (org_id,) in con.execute(queries.sql("ops/select_org_ids"), {"org": org}).fetchall()
        ]


def window_status(paths: WarehousePaths) -> list[WindowStatus]:
    """Per asset and org: the freshest complete window's end and the failed or missing windows."""
    with log_connection(paths) as con:
        rows = con.execute(queries.sql("ops/select_window_status")).fetchall()
    return [
        WindowStatus(a, o, f, [g.astimezone(UTC) for g in (gaps or [])], name)
        for a, o, f, name, gaps in rows
    ]


def _ms(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(milliseconds=1)


def _us(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(microseconds=1)
