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
# "open": the window landed but had not settled (it ends after the load, or within the source's
# settling delay): every plain re-run loads it again until an attempt records "success".
STATUSES = ("running", "success", "open", "failure")


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
    status: str  # "running", "success", "open" (landed, not settled yet) or "failure"
    pages: int | None = None
    requests: int | None = None
    retries: int | None = None
    rate_limited: int | None = None
    rows: int | None = None
    api_count: int | None = None
    error: str | None = None
    org: str | None = None  # the org's partition name


def record(paths: WarehousePaths, attempt: Attempt) -> None:
    """Write one attempt (its own transaction: a failed window is logged all the same). An
    attempt is recorded as ``running`` when it starts and replaced by its outcome when it ends,
    so a killed process leaves its unfinished windows visible. Any number of processes write at
    once (``warehouse.store``); the published warehouse shows the log from its next publish."""
    if attempt.status not in STATUSES:
        raise ValueError(f"unknown attempt status {attempt.status!r}")
    store.record_attempt(paths.store_path, _row(attempt))


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


def record_many(paths: WarehousePaths, attempts: list[Attempt]) -> None:
    """Write several attempts in one transaction (a Ctrl-C marking its unfinished windows)."""
    for attempt in attempts:
        if attempt.status not in STATUSES:
            raise ValueError(f"unknown attempt status {attempt.status!r}")
    if attempts:
        store.record_attempts(paths.store_path, [_row(a) for a in attempts])


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


@dataclass(frozen=True)
class LatestAttempt:
    """The latest attempt at one asset, org and window."""

    asset: str
    org_id: str
    org: str | None
    window_start: datetime
    window_end: datetime
    status: str
    error: str | None
    finished: datetime


def latest_attempts(paths: WarehousePaths) -> list[LatestAttempt]:
    """Every asset, org and window's latest attempt (empty when nothing was logged)."""
    with log_connection(paths) as con:
        rows = con.execute(queries.sql("ops/select_latest_attempts")).fetchall()
    return [
        LatestAttempt(a, o, name, s.astimezone(UTC), e.astimezone(UTC), st, err, f.astimezone(UTC))
        for a, o, name, s, e, st, err, f in rows
    ]


def org_ids(paths: WarehousePaths, org: str, *, landed_only: bool = False) -> list[str]:
    """The org ids the log has seen under the partition name ``org``; ``landed_only``: only
    those under which windows were landed (succeeded or open)."""
    with log_connection(paths) as con:
        rows = con.execute(
            queries.sql("ops/select_org_ids"), {"org": org, "landed_only": landed_only}
        ).fetchall()
    return [r[0] for r in rows]


def _row(attempt: Attempt) -> dict[str, object]:
    """The store's row of an attempt: windows in epoch ms, run times in epoch microseconds."""
    row: dict[str, object] = asdict(attempt)
    for name in ("window_start", "window_end"):
        row[name] = _ms(attempt.__dict__[name])
    for name in ("started", "finished"):
        row[name] = _us(attempt.__dict__[name])
    return row


def _ms(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(milliseconds=1)


def _us(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(microseconds=1)


def present_windows(paths: WarehousePaths) -> set[tuple[str, str, int]]:
    """(table, org id, window start ms) of every current window whose file is on disk: files
    are checked, not trusted (a window whose file is lost is not complete)."""
    if not paths.store_path.exists():
        return set()
    with store.reading(paths.store_path) as con:
        rows = con.execute(queries.sql("store/select_window_files")).fetchall()
    present = paths.existing(f for *_, f, _c in rows)
    return {(t, o, int(s)) for t, o, s, _e, f, _c in rows if f in present}


def epoch_ms(instant: datetime) -> int:
    return _ms(instant)


LOST_FILES = "its Parquet file was lost from parquet/: the window is loaded again"


def forget_lost_windows(paths: WarehousePaths, run_id: str) -> list[LatestAttempt]:
    """Windows whose current file is gone: taken out of the store (never published with a
    table missing) and logged failed with :data:`LOST_FILES` (``status`` shows them; a load
    loads them again); their latest attempts before."""
    forgotten = store.forget_lost(paths.store_path, paths.existing)
    if not forgotten:
        return []
    keys = {(t, o, s) for t, o, s, _e in forgotten}
    lost = [a for a in latest_attempts(paths) if (a.asset, a.org_id, _ms(a.window_start)) in keys]
    now = datetime.now(UTC)
    record_many(
        paths,
        [
            Attempt(
                asset=a.asset,
                org_id=a.org_id,
                window_start=a.window_start,
                window_end=a.window_end,
                run_id=run_id,
                started=now,
                finished=now,
                status="failure",
                error=LOST_FILES,
                org=a.org,
            )
            for a in lost
        ],
    )
    return lost
