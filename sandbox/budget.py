"""The sandbox's rate budget (requests a minute per client) and the wall clocks it runs on.

Webex Contact Center allows 300 requests a minute per client id and answers the excess with 429
and a ``Retry-After`` header in seconds (developer portal, "Rate limiting"). The sandbox keeps a
*rolling* minute per client: a request is admitted while fewer than ``per_minute`` requests of
that client were admitted in the 60 seconds before it; a refused request is not counted, and its
``Retry-After`` is the whole seconds until the oldest admitted request leaves the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Protocol


class WallClock(Protocol):
    """Seconds since the epoch; the sandbox's tokens and rate budget run on one of these."""

    def time(self) -> float: ...


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()


class ManualClock:
    """A clock tests move by hand (``advance``), so nothing ever sleeps."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, seconds: float) -> None:
        self._now = float(seconds)


class RateBudget:
    """``per_minute`` requests per client in any rolling 60 seconds (0: unlimited)."""

    WINDOW_S = 60.0

    def __init__(self, per_minute: int, clock: WallClock) -> None:
        if per_minute < 0:
            raise ValueError("per_minute must be >= 0")
        self.per_minute = per_minute
        self.clock = clock
        self._admitted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, client: str) -> int | None:
        """Admit one request of ``client``: ``None``, or the seconds to wait (``Retry-After``)."""
        if self.per_minute == 0:
            return None
        now = self.clock.time()
        with self._lock:
            log = self._admitted.setdefault(client, deque())
            while log and log[0] <= now - self.WINDOW_S:
                log.popleft()
            if len(log) < self.per_minute:
                log.append(now)
                return None
            return max(1, math.ceil(log[0] + self.WINDOW_S - now))

    def remaining(self, client: str) -> int | None:
        """Requests ``client`` may still make now (``None`` when unlimited)."""
        if self.per_minute == 0:
            return None
        now = self.clock.time()
        with self._lock:
            log = self._admitted.get(client, deque())
            return self.per_minute - sum(1 for t in log if t > now - self.WINDOW_S)
