"""Time windows: the one place a partition becomes the API's epoch-ms ``[from, to)``.

Grain: one UTC day. A day is the unit analysts reason in, it names the Parquet partition, and at
the volumes tenants run (2,000 to 50,000 tasks a day) it stays well under the Search API's
100,000-record raw cap, so one count query and a few hundred pages cover it. Hourly windows would
multiply runs and count queries 24 times for nothing; larger windows would approach the cap.
Every asset is partitioned by org and day (``MultiPartitionsDefinition``; its keys read
``<day>|<org>``): a run covers one org, and a single-run backfill a range of its days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from pipelines.orgs import orgs_of
from pipelines.settings import Settings, load_settings
from pipelines.sources.errors import ConfigError

# The earliest window a backfill may ask for, unless ``start_date`` in WXCC_CONFIG (or
# WXCC_START_DATE) says otherwise: the first window of an empty warehouse. The Search API refuses a
# `from` older than 36 months, so older windows would fail at the API anyway.
START_DATE = "2024-01-01"
ORG, DAY = "org", "day"
# The Dagster concurrency pool of every step that calls a tenant's API (see dagster.yaml): it
# bounds how many such steps one machine runs at once; each org's budget ledger (shared by every
# process) paces the requests, so steps of one org never overspend it whatever the pool allows.
API_POOL = "wxcc_api"


def start_date(settings: Settings) -> str:
    value = settings.start_date or settings.config.get("start_date") or START_DATE
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ConfigError(f"start date {value!r} is not an ISO date (YYYY-MM-DD)") from None


def build_partitions(settings: Settings) -> dg.MultiPartitionsDefinition:
    """Org by UTC day, from the configured orgs and start date."""
    return dg.MultiPartitionsDefinition(
        {
            ORG: dg.StaticPartitionsDefinition([o.name for o in orgs_of(settings)]),
            # end_offset=1: the current, still open UTC day is a partition too (`load --today`
            # and the 15-minute schedule); its windows are logged "open" until they settle.
            DAY: dg.DailyPartitionsDefinition(
                start_date=start_date(settings), timezone="UTC", end_offset=1
            ),
        }
    )


# Read once when the code location loads: a new org or start date needs a reload, as any change
# to the definitions does.
PARTITIONS = build_partitions(load_settings())
DAILY = PARTITIONS.get_partitions_def_for_dimension(DAY)


def partition_key(org: str, day: str) -> str:
    """The multi-partition key of one org's day (``2026-11-20|acme``)."""
    return str(dg.MultiPartitionKey({ORG: org, DAY: day}))


def org_of(context: dg.AssetExecutionContext) -> str:
    """The one org of a run's partitions (a run never spans orgs)."""
    # Keys join dimension values in the order of the dimensions' sorted names: ``<day>|<org>``.
    first, last = context.partition_key_range.start, context.partition_key_range.end
    orgs = {first.rsplit("|", 1)[-1], last.rsplit("|", 1)[-1]}
    if len(orgs) != 1:
        raise ValueError(f"a run covers one org's days, not {sorted(orgs)}: backfill per org")
    return orgs.pop()


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
