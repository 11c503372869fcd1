"""The extraction log (``ops.extraction_log``): one row per attempt at an asset, org and window."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

import queries
from warehouse import duck

_DDL = ("ops/create_schema_ops", "ops/create_extraction_log", "ops/add_extraction_log_org")
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


def record(path: Path, attempt: Attempt) -> None:
    """Write one attempt (its own transaction: a failed window is logged all the same). An
    attempt is recorded as ``running`` when it starts and replaced by its outcome when it ends,
    so a killed process leaves its unfinished windows visible."""
    if attempt.status not in STATUSES:
        raise ValueError(f"unknown attempt status {attempt.status!r}")
    with duck.connect(path) as con:
        for name in _DDL:
            con.execute(queries.sql(name))
        con.execute(queries.sql("ops/insert_extraction_log"), asdict(attempt))


def record_many(path: Path, attempts: list[Attempt]) -> None:
    """Write several attempts in one transaction (a Ctrl-C marking its unfinished windows)."""
    if not attempts:
        return
    for attempt in attempts:
        if attempt.status not in STATUSES:
            raise ValueError(f"unknown attempt status {attempt.status!r}")
    with duck.connect(path) as con:
        for name in _DDL:
            con.execute(queries.sql(name))
        con.execute("BEGIN TRANSACTION")
        con.executemany(queries.sql("ops/insert_extraction_log"), [asdict(a) for a in attempts])
        con.execute("COMMIT")


def complete_windows(
    path: Path, assets: list[str], org: str, since: datetime, until: datetime
) -> set[datetime]:
    """Starts of the windows in ``[since, until)`` whose latest attempt succeeded for every one
    of ``assets`` (qualified table names) of the org named ``org``."""
    if not path.exists():
        return set()
    with duck.connect(path, read_only=True) as con:
        if not _has_log(con):
            return set()
        rows = con.execute(
            queries.sql("ops/select_complete_windows"),
            {"org": org, "assets": assets, "since": since, "until": until},
        ).fetchall()
    return {start.astimezone(UTC) for (start,) in rows}


def _has_log(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(queries.sql("ops/has_extraction_log_org")).fetchall()[0][0])


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


def latest_attempts(path: Path) -> list[LatestAttempt]:
    """Every asset, org and window's latest attempt (empty when nothing was logged)."""
    if not path.exists():
        return []
    with duck.connect(path, read_only=True) as con:
        if not _has_log(con):
            return []
        rows = con.execute(queries.sql("ops/select_latest_attempts")).fetchall()
    return [
        LatestAttempt(a, o, name, s.astimezone(UTC), e.astimezone(UTC), st, err, f.astimezone(UTC))
        for a, o, name, s, e, st, err, f in rows
    ]


def org_ids(path: Path, org: str) -> list[str]:
    """The org ids the log has seen under the partition name ``org``."""
    if not path.exists():
        return []
    with duck.connect(path, read_only=True) as con:
        if not _has_log(con):
            return []
        return [
            r[0] for r in con.execute(queries.sql("ops/select_org_ids"), {"org": org}).fetchall()
        ]
