"""The named metric variants and the roll-up views that carry them, rendered into SQL files.

A contact-center metric has several published definitions (service level with abandons counted
against, ignored or for; ASA with or without ring time; AHT with or without wrap-up), and
dashboards disagree when one is picked silently. Here every variant has its own column, its
formula is written once below (over the marts' counts and sums, so it holds at any grain), and
each view of ``queries/sql/analytics/queue_*.sql`` / ``agent_*.sql`` is rendered from this module
and committed, so it can be read and diffed. Ratios live only in views: the marts store counts
and sums, and a ratio of sums rolls up exactly where an average of ratios would not.

Regenerate after a change::

    .venv/bin/python -m warehouse.metrics          # write the view files
    .venv/bin/python -m warehouse.metrics --check  # exit 1 if a committed file is stale
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from warehouse.schemas import Table
from warehouse.schemas_analytics import AGENT_INTERVAL_15M, QUEUE_INTERVAL_15M

log = logging.getLogger(__name__)

VIEWS_ROOT = Path(__file__).resolve().parents[1] / "queries" / "sql" / "analytics"


@dataclass(frozen=True)
class Metric:
    name: str
    sql: str  # an expression over the count and sum columns of one row of a mart or roll-up
    description: str


def _ratio(numerator: str, denominator: str, scale: str = "") -> str:
    return f"CAST({numerator} AS DOUBLE){scale} / nullif({denominator}, 0)"


QUEUE_METRICS: tuple[Metric, ...] = (
    Metric(
        "sl_pct_handled_only",
        _ratio("n_answered_in_sl", "n_answered"),
        "Service level, handled only (Cisco's REST serviceLevelThresholdPercentage, as a "
        "fraction): n_answered_in_sl / n_answered. Abandons do not count at all.",
    ),
    Metric(
        "sl_pct_abandon_negative",
        _ratio("n_answered_in_sl", "n_answered + n_abandoned"),
        "Service level, abandons negative: n_answered_in_sl / (n_answered + n_abandoned). "
        "Every abandon counts as a miss.",
    ),
    Metric(
        "sl_pct_abandon_ignored",
        _ratio("n_answered_in_sl", "n_answered + n_abandoned - n_abandoned_in_sl"),
        "Service level, abandons ignored: n_answered_in_sl / (n_answered + n_abandoned - "
        "n_abandoned_in_sl). Abandons within the threshold leave the denominator; later "
        "abandons count as misses.",
    ),
    Metric(
        "sl_pct_abandon_positive",
        _ratio("n_answered_in_sl + n_abandoned_in_sl", "n_answered + n_abandoned"),
        "Service level, abandons positive: (n_answered_in_sl + n_abandoned_in_sl) / "
        "(n_answered + n_abandoned). Abandons within the threshold count as met.",
    ),
    Metric(
        "sl_pct_excl_short",
        _ratio("n_answered_in_sl", "n_answered + n_abandoned - n_short_abandoned"),
        "Service level, short abandons excluded: n_answered_in_sl / (n_answered + n_abandoned "
        "- n_short_abandoned). Other abandons count as misses.",
    ),
    Metric(
        "abandon_rate_offered",
        _ratio("n_abandoned", "n_offered"),
        "Abandon rate over offered: n_abandoned / n_offered (n_offered = answered + abandoned).",
    ),
    Metric(
        "abandon_rate_entered",
        _ratio("n_abandoned", "n_entered"),
        "Abandon rate over entered: n_abandoned / n_entered (every contact that entered the "
        "queue, including those still waiting or routed on).",
    ),
    Metric(
        "short_abandon_share",
        _ratio("n_short_abandoned", "n_abandoned"),
        "Share of abandons that were short: n_short_abandoned / n_abandoned.",
    ),
    Metric(
        "asa_s",
        _ratio("sum_queue_answered_ms", "n_answered", " / 1000"),
        "Average speed of answer, queue time only, seconds: sum_queue_answered_ms / n_answered.",
    ),
    Metric(
        "asa_with_ring_s",
        _ratio("sum_queue_answered_ms + sum_ring_answered_ms", "n_answered", " / 1000"),
        "Average speed of answer, queue plus ring time, seconds: (sum_queue_answered_ms + "
        "sum_ring_answered_ms) / n_answered.",
    ),
    Metric(
        "aht_queue_s",
        _ratio("sum_connected_ms", "n_handled", " / 1000"),
        "Average handle time as Cisco's queue statistics define it (connected time over handled "
        "contacts, no wrap-up), seconds: sum_connected_ms / n_handled.",
    ),
    Metric(
        "aht_agent_s",
        _ratio("sum_connected_ms + sum_hold_ms + sum_wrapup_ms", "n_handled", " / 1000"),
        "Average handle time as Cisco's agent reports define it (connected + hold + wrap-up), "
        "seconds: (sum_connected_ms + sum_hold_ms + sum_wrapup_ms) / n_handled.",
    ),
    Metric(
        "transfer_rate",
        _ratio("n_transfers", "n_handled"),
        "Transfers per handled contact: n_transfers / n_handled.",
    ),
    Metric(
        "consult_rate",
        _ratio("n_consults", "n_handled"),
        "Consults per handled contact: n_consults / n_handled.",
    ),
    Metric(
        "conference_rate",
        _ratio("n_conferences", "n_handled"),
        "Conferences per handled contact: n_conferences / n_handled.",
    ),
)

AGENT_METRICS: tuple[Metric, ...] = (
    Metric(
        "occupancy",
        _ratio("sum_busy_ms", "sum_busy_ms + sum_available_ms"),
        "Occupancy: handling time over handling plus available time, sum_busy_ms / "
        "(sum_busy_ms + sum_available_ms). Idle (not ready) and ringing time are left out.",
    ),
    Metric(
        "utilization",
        _ratio("sum_busy_ms", "sum_staffed_ms"),
        "Utilization: handling time over signed-in time, sum_busy_ms / sum_staffed_ms.",
    ),
    Metric(
        "aht_agent_s",
        _ratio("sum_handle_ms", "n_handled", " / 1000"),
        "Average handle time (connected + hold + wrap-up) of the contacts the agent handled "
        "last, seconds: sum_handle_ms / n_handled.",
    ),
    Metric(
        "transfer_rate",
        _ratio("n_transfers", "n_handled"),
        "Transfers per handled contact: n_transfers / n_handled.",
    ),
)

_LOCAL = ("interval_start_local", "local_date", "utc_offset_minutes", "time_zone")


@dataclass(frozen=True)
class Rollup:
    """A view over a 15-minute mart: its grain and the columns that identify a row."""

    name: str
    mart: Table
    description: str
    kind: str  # "utc" (bucket_ms wide, UTC-aligned), "local_hour", "local_day", "utc_day", "same"
    bucket_ms: int = 0


ROLLUPS: tuple[Rollup, ...] = (
    Rollup(
        "queue_interval_15m_metrics",
        QUEUE_INTERVAL_15M,
        "analytics.queue_interval_15m with every metric variant (ratios computed, not stored).",
        "same",
    ),
    Rollup(
        "queue_interval_30m",
        QUEUE_INTERVAL_15M,
        "Queue x channel x 30-minute UTC interval: sums of queue_interval_15m, with the metrics.",
        "utc",
        1_800_000,
    ),
    Rollup(
        "queue_interval_60m",
        QUEUE_INTERVAL_15M,
        "Queue x channel x 60-minute UTC interval: sums of queue_interval_15m, with the metrics.",
        "utc",
        3_600_000,
    ),
    Rollup(
        "queue_interval_60m_local",
        QUEUE_INTERVAL_15M,
        "Queue x channel x local clock hour of the queue's time zone (in +05:30 a local hour "
        "starts at :30 UTC; on a fall-back day 01:00 appears twice, told apart by "
        "utc_offset_minutes): sums of queue_interval_15m, with the metrics.",
        "local_hour",
    ),
    Rollup(
        "queue_day_local",
        QUEUE_INTERVAL_15M,
        "Queue x channel x local calendar day of the queue's time zone (23, 24 or 25 hours): "
        "sums of queue_interval_15m, with the metrics.",
        "local_day",
    ),
    Rollup(
        "queue_day_utc",
        QUEUE_INTERVAL_15M,
        "Queue x channel x UTC day: sums of queue_interval_15m, with the metrics.",
        "utc_day",
    ),
    Rollup(
        "agent_interval_15m_metrics",
        AGENT_INTERVAL_15M,
        "analytics.agent_interval_15m with occupancy, utilization and AHT (ratios computed).",
        "same",
    ),
    Rollup(
        "agent_day_local",
        AGENT_INTERVAL_15M,
        "Agent x channel x local calendar day of the tenant's time zone: sums of "
        "agent_interval_15m, with the metrics.",
        "local_day",
    ),
)


def _measures(mart: Table) -> list[str]:
    return [c.name for c in mart.columns if c.name.startswith(("n_", "sum_"))]


def _dimensions(mart: Table) -> list[str]:
    """The entity columns: the key's, before the interval (queue_id, channel_type)."""
    return [k for k in mart.key if k != "interval_start"]


def _labels(mart: Table) -> list[str]:
    """Descriptive columns carried along (the latest value in the group)."""
    measures, dims = set(_measures(mart)), set(_dimensions(mart))
    skip = {"interval_start", *_LOCAL}
    return [c.name for c in mart.columns if c.name not in measures | dims | skip]


def metrics_of(mart: Table) -> tuple[Metric, ...]:
    return QUEUE_METRICS if mart is QUEUE_INTERVAL_15M else AGENT_METRICS


def render(rollup: Rollup) -> str:
    mart = rollup.mart
    dims = ["org_id", *_dimensions(mart)]
    measures = _measures(mart)
    labels = _labels(mart)
    ratio_lines = ",\n".join(f"    {m.sql} AS {m.name}" for m in metrics_of(mart))
    head = (
        f"-- analytics.{rollup.name}: {rollup.description}\n"
        "-- Rendered from warehouse/metrics.py (python -m warehouse.metrics); edit it there.\n"
        f"CREATE OR REPLACE VIEW analytics.{rollup.name} AS\n"
    )
    if rollup.kind == "same":
        return f"{head}SELECT\n    *,\n{ratio_lines}\nFROM {mart.qualified_name};\n"
    sums = "".join(f",\n        sum({m})::BIGINT AS {m}" for m in measures)
    carried = "".join(f",\n        arg_max({c}, interval_start) AS {c}" for c in labels)
    group = ", ".join(dims)
    if rollup.kind == "utc":
        bucket = (
            f"make_timestamptz(epoch_ms(interval_start) // {rollup.bucket_ms} "
            f"* {rollup.bucket_ms} * 1000)"
        )
        grouped = (
            f"        {bucket} AS interval_start,\n        time_zone{carried}{sums}\n"
            f"    FROM {mart.qualified_name}\n    GROUP BY {group}, {bucket}, time_zone"
        )
        local = (
            "    timezone(time_zone, interval_start) AS interval_start_local,\n"
            "    timezone(time_zone, interval_start)::DATE AS local_date,\n"
            "    ((epoch(timezone(time_zone, interval_start)) - epoch(interval_start)) // 60)"
            "::INTEGER AS utc_offset_minutes,\n"
            "    time_zone"
        )
        keys = ["interval_start"]
    elif rollup.kind == "local_hour":
        hour = "date_trunc('hour', interval_start_local)"
        grouped = (
            f"        {hour} AS interval_start_local,\n        utc_offset_minutes,\n"
            f"        time_zone{carried}{sums}\n"
            f"    FROM {mart.qualified_name}\n"
            f"    GROUP BY {group}, {hour}, utc_offset_minutes, time_zone"
        )
        local = (
            "    make_timestamptz(epoch_ms(interval_start_local) * 1000 "
            "- utc_offset_minutes * 60000000::BIGINT) AS interval_start,\n"
            "    interval_start_local,\n    interval_start_local::DATE AS local_date,\n"
            "    utc_offset_minutes,\n    time_zone"
        )
        keys = []
    elif rollup.kind == "local_day":
        grouped = (
            f"        local_date,\n        time_zone,\n"
            f"        count(*) AS intervals_with_rows{carried}{sums}\n"
            f"    FROM {mart.qualified_name}\n    GROUP BY {group}, local_date, time_zone"
        )
        local = (
            "    local_date,\n    time_zone,\n"
            "    timezone(time_zone, local_date::TIMESTAMP) AS day_start,\n"
            "    ((epoch(timezone(time_zone, (local_date + 1)::TIMESTAMP))"
            " - epoch(timezone(time_zone, local_date::TIMESTAMP))) // 900)::INTEGER"
            " AS local_intervals_15m,\n    intervals_with_rows"
        )
        keys = []
    elif rollup.kind == "utc_day":
        day = "(interval_start AT TIME ZONE 'UTC')::DATE"
        grouped = (
            f"        {day} AS utc_date{carried}{sums}\n"
            f"    FROM {mart.qualified_name}\n    GROUP BY {group}, {day}"
        )
        local = "    utc_date"
        keys = []
    else:
        raise ValueError(f"unknown roll-up kind {rollup.kind!r}")
    outer = ",\n".join(
        [
            *(f"    {d}" for d in dims),
            *(f"    {k}" for k in keys),
            local,
            *(f"    {c}" for c in labels),
            *(f"    {m}" for m in measures),
        ]
    )
    return (
        f"{head}WITH rolled AS (\n    SELECT\n        "
        + ",\n        ".join(dims)
        + f",\n{grouped}\n)\nSELECT\n{outer},\n{ratio_lines}\nFROM rolled;\n"
    )


def render_all() -> dict[str, str]:
    return {f"{r.name}.sql": render(r) for r in ROLLUPS}


def stale_files(root: Path = VIEWS_ROOT) -> list[str]:
    return sorted(
        name
        for name, text in render_all().items()
        if not (root / name).is_file() or (root / name).read_text(encoding="utf-8") != text
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a view file is stale")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.check:
        stale = stale_files()
        for name in stale:
            log.error("stale: queries/sql/analytics/%s", name)
        return 1 if stale else 0
    for name, text in render_all().items():
        (VIEWS_ROOT / name).write_text(text, encoding="utf-8")
        log.info("wrote queries/sql/analytics/%s", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
