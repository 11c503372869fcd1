"""Time windows: the one place a partition becomes the API's epoch-ms ``[from, to)``.

Grain: one UTC day. A day is the unit analysts reason in, it names the Parquet partition, and at
the volumes tenants run (2,000 to 50,000 tasks a day) it stays well under the Search API's
100,000-record raw cap, so one count query and a few hundred pages cover it. Hourly windows would
multiply runs and count queries 24 times for nothing; larger windows would approach the cap.
An org dimension joins this one when several orgs are configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg

# The earliest window a backfill may ask for. The Search API refuses a `from` older than 36
# months, so older windows would fail at the API anyway.
START_DATE = "2024-01-01"

DAILY = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone="UTC")


@dataclass(frozen=True)
class Window:
    """A load window ``[start_ms, end_ms)`` in epoch milliseconds (UTC)."""

    start_ms: int
    end_ms: int

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.start_ms / 1000, tz=UTC)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.end_ms / 1000, tz=UTC)

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; windows are UTC instants")
    return int(moment.timestamp() * 1000)


def window_of(time_window: dg.TimeWindow) -> Window:
    """The API window of a Dagster partition's time window."""
    return Window(to_ms(time_window.start), to_ms(time_window.end))


def day_keys(start: date, end: date) -> list[str]:
    """Partition keys of the UTC days in ``[start, end)``."""
    days = (end - start).days
    return [(start + timedelta(days=i)).isoformat() for i in range(max(days, 0))]


def day_windows(time_window: dg.TimeWindow) -> list[Window]:
    """The UTC-day windows a (possibly multi-day, single-run backfill) time window covers."""
    whole = window_of(time_window)
    day_ms = 86_400_000
    return [
        Window(s, min(s + day_ms, whole.end_ms))
        for s in range(whole.start_ms, whole.end_ms, day_ms)
    ]
