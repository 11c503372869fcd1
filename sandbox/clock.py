"""The org's local time (America/New_York) without a time-zone database.

A fresh machine may lack ``tzdata``; the US rule (second Sunday of March 02:00 to first Sunday of
November 02:00 local, since 2007) is all the sandbox needs and keeps it deterministic everywhere.
A *simulation day* is one local calendar day: ``[day_start(d), day_start(d + 1))`` in UTC ms.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
_EST = -5 * HOUR_MS
_EDT = -4 * HOUR_MS
_EPOCH = dt.date(1970, 1, 1)


def _nth_sunday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


@lru_cache(maxsize=64)
def _dst_utc_bounds(year: int) -> tuple[int, int]:
    """UTC ms when daylight time starts (07:00 UTC) and ends (06:00 UTC) in ``year``."""
    start = (_nth_sunday(year, 3, 2) - _EPOCH).days * DAY_MS + 7 * HOUR_MS
    end = (_nth_sunday(year, 11, 1) - _EPOCH).days * DAY_MS + 6 * HOUR_MS
    return start, end


def utc_offset_ms(ms: int) -> int:
    """Local time minus UTC at instant ``ms``."""
    year = (_EPOCH + dt.timedelta(milliseconds=ms)).year
    start, end = _dst_utc_bounds(year)
    return _EDT if start <= ms < end else _EST


def day_of(ms: int) -> int:
    """The simulation day (local days since 1970-01-01) holding instant ``ms``."""
    return (ms + utc_offset_ms(ms)) // DAY_MS


@lru_cache(maxsize=1024)
def day_start(day: int) -> int:
    """UTC ms of local midnight opening simulation day ``day``."""
    guess = day * DAY_MS - _EST  # midnight EST
    return day * DAY_MS - utc_offset_ms(guess)


def weekday(day: int) -> int:
    """Monday 0 .. Sunday 6 (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


def local_minute(ms: int) -> int:
    """Minutes since local midnight at instant ``ms``."""
    return ((ms + utc_offset_ms(ms)) % DAY_MS) // MINUTE_MS
