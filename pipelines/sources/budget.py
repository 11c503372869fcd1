"""One API budget per tenant, shared by every client of every process that calls it.

:class:`RateLimiter` (``http.py``) paces the threads of one process. Dagster may run several runs
at once (a schedule tick while a backfill runs, the UI beside the CLI), each in its own process:
they would each spend the whole budget and meet in 429s. :class:`SharedRateLimiter` keeps the
budget's ledger in a small state file under a file lock, so all of them draw on one budget.

The ledger mirrors how the service counts: at most ``per_minute`` requests in any rolling minute
(WxCC answers the excess with 429 and ``Retry-After``). It holds the send times of the last
``per_minute`` requests (reserved ones may lie in the future); a request's slot is the first
instant at which the ``per_minute``-th request before it has left the window. A token bucket
(burst plus steady refill) would stay under the budget too, but its steady rate is the budget
less the burst: 290 of 300 a minute, 3% of the tenant's throughput given away for nothing.
``margin_s`` widens the window a little so requests that arrive with uneven latency are still
inside the service's minute. Reserving is one locked read-modify-write of a 2.4 kB file; the
wait for the slot happens outside the lock, so processes queue in order without blocking each
other's reservations.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import struct
from pathlib import Path

from pipelines.sources.errors import ConfigError
from pipelines.sources.http import Clock, SystemClock

log = logging.getLogger(__name__)

WINDOW_S = 60.0
DEFAULT_MARGIN_S = 0.5
# Requests waiting on one budget at once, across the processes of its loads: each lane's windows
# in flight and their further pages (a few dozen at most). The ledger never runs further ahead of
# the clock than their slots can: a window, plus a window per budget's worth of them.
MAX_QUEUED = 64


class SharedRateLimiter:
    """At most ``per_minute`` requests in any ``60 + margin_s`` seconds, across processes.

    Thread-safe and process-safe (``flock`` on ``path``). The clock must be the wall clock in
    production: the instants in the file are compared across processes.
    """

    def __init__(
        self,
        path: Path | str,
        per_minute: int,
        clock: Clock | None = None,
        *,
        margin_s: float = DEFAULT_MARGIN_S,
    ) -> None:
        if per_minute < 1:
            raise ConfigError(
                f"the API budget must be at least 1 request a minute, not {per_minute}"
            )
        self.path = Path(path)
        _private_dirs(self.path.parent)
        self.per_minute = per_minute
        self.window_s = WINDOW_S + margin_s
        self._clock: Clock = clock or SystemClock()
        self._format = struct.Struct(f"<{per_minute}d")

    def acquire(self) -> float:
        """Reserve the next request slot and wait for it; the seconds waited."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = self._clock.now()
            ledger = self._read(fd, now)
            slot = now
            if ledger:
                slot = max(slot, ledger[-1])  # slots never go back: the ledger stays sorted
            if len(ledger) == self.per_minute:
                slot = max(slot, ledger[0] + self.window_s)
            ledger = [*ledger, slot][-self.per_minute :]
            os.pwrite(fd, self._pack(ledger), 0)
        finally:
            os.close(fd)  # releases the lock
        wait = slot - now
        if wait > 0:
            self._clock.sleep(wait)
        return max(wait, 0.0)

    def _read(self, fd: int, now: float) -> list[float]:
        raw = os.pread(fd, self._format.size, 0)
        if len(raw) != self._format.size:  # new, or written for another budget: start afresh
            return []
        ledger = [t for t in self._format.unpack(raw) if t > 0 or not math.isfinite(t)]
        # A slot is never reserved further ahead than the queued requests can reach; anything
        # else (a damaged file, the wall clock set back: NTP stepping it, a VM restored) would
        # make every process wait that long, an hour for a clock set back an hour, or overflow
        # a sleep. Only a cache of recent send times: start it afresh (at worst a minute's
        # requests meet the service's 429s, which are retried).
        horizon = now + self.window_s * (1 + math.ceil(MAX_QUEUED / self.per_minute))
        if any(not math.isfinite(t) or t > horizon for t in ledger) or ledger != sorted(ledger):
            log.warning(
                "the API budget ledger %s held impossible times (damaged?); starting it afresh",
                self.path,
            )
            return []
        return ledger

    def _pack(self, ledger: list[float]) -> bytes:
        return self._format.pack(*([0.0] * (self.per_minute - len(ledger)) + ledger))


def _private_dirs(directory: Path) -> None:
    """Create ``directory`` and missing parents owner-only (the state folder holds tokens too)."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
