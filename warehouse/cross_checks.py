"""Cross-source checks: figures two APIs report about the same contacts, compared in the warehouse.

:func:`queue_statistics_differences` compares the offered and abandoned counts per queue and
15-minute interval of ``reporting.queue_statistics`` with the same counts derived from
``search.task_details`` (a task counts for its last queue, in the interval it was created in;
abandoned means abandoned in queue). :func:`record_differences` keeps what a run found in
``ops.cross_check_differences`` (kept in ``warehouse.store``), replacing that check's previous run over the same window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

import queries
from warehouse import duck, store
from warehouse.paths import WarehousePaths
from warehouse.publish import publish

QUEUE_STATISTICS_CHECK = "queue_statistics_vs_task_details"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Difference:
    """One figure of one queue and interval on which the two sources disagree."""

    queue_id: str
    interval_start_time: datetime
    figure: str  # "offered" | "abandoned"
    reporting_value: int
    search_value: int

    def describe(self) -> str:
        when = self.interval_start_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
        return (
            f"queue {self.queue_id} at {when}: {self.figure} {self.reporting_value} in "
            f"reporting.queue_statistics, {self.search_value} in search.task_details"
        )


def _instant(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def queue_statistics_differences(
    con: duckdb.DuckDBPyConnection, org_id: str, start_ms: int, end_ms: int
) -> list[Difference]:
    """Queues and intervals of ``[start_ms, end_ms)`` where the two sources' offered or
    abandoned counts differ, ascending by interval, queue and figure (empty: they agree)."""
    rows = con.execute(
        queries.sql("checks/select_queue_statistics_differences"),
        {"org_id": org_id, "window_start": _instant(start_ms), "window_end": _instant(end_ms)},
    ).fetchall()
    return [
        Difference(
            queue_id=queue_id,
            interval_start_time=interval,
            figure=figure,
            reporting_value=int(reported),
            search_value=int(searched),
        )
        for queue_id, interval, figure, reported, searched in rows
    ]


def record_differences(
    paths: WarehousePaths,
    check_name: str,
    org_id: str,
    start_ms: int,
    end_ms: int,
    differences: list[Difference],
    checked_at: datetime,
) -> None:
    """Replace the recorded differences of ``check_name`` over the window, in one transaction
    of the store; the published ``ops.cross_check_differences`` shows them from the next
    publish."""
    store.replace_differences(
        paths.store_path,
        {
            "check_name": check_name,
            "org_id": org_id,
            "window_start": start_ms,
            "window_end": end_ms,
        },
        [
            {
                "queue_id": d.queue_id,
                "interval_start_time": (d.interval_start_time - _EPOCH)
                // timedelta(milliseconds=1),
                "figure": d.figure,
                "reporting_value": d.reporting_value,
                "search_value": d.search_value,
                "checked_at": (checked_at - _EPOCH) // timedelta(microseconds=1),
            }
            for d in differences
        ],
    )


def check_queue_statistics(
    paths: WarehousePaths,
    org_id: str,
    start_ms: int,
    end_ms: int,
    checked_at: datetime | None = None,
) -> list[Difference]:
    """Run the queue statistics check over the window of the published warehouse, record its
    differences, publish them, and return them."""
    with duck.connect(paths.published_path, read_only=True) as con:
        found = queue_statistics_differences(con, org_id, start_ms, end_ms)
    record_differences(
        paths,
        QUEUE_STATISTICS_CHECK,
        org_id,
        start_ms,
        end_ms,
        found,
        checked_at or datetime.now(UTC),
    )
    publish(paths)
    return found
