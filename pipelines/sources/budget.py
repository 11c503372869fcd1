"""One API budget per tenant, shared by every client of every process that calls it.

:class:`RateLimiter` (``http.py``) paces the threads of one process. Dagster may run several runs
at once (a schedule tick while a backfill runs, the UI beside the CLI), each in its own process:
they would each spend the whole budget and meet in 429s. :class:`SharedRateLimiter` keeps the
same token bucket in a small state file under a file lock, so all of them draw from one bucket.
Reserving a slot is one locked read-modify-write of a 40-byte file (tens of microseconds); the
wait for the slot happens outside the lock, so processes queue in order without blocking each
other's reservations.
"""

from __future__ import annotations

import fcntl
import os
import struct
from pathlib import Path

from pipelines.sources.errors import ConfigError
from pipelines.sources.http import Clock, SystemClock

_STATE = struct.Struct("<dd")  # (tokens, last refill instant)


class SharedRateLimiter:
    """A token bucket of ``per_minute`` requests in a state file (``path``), for all processes.

    Same shape as :class:`~pipelines.sources.http.RateLimiter`: ``burst`` tokens (2 s of budget)
    refilled at ``(per_minute - burst) / 60`` a second, so no 60-second span exceeds the budget.
    Thread-safe and process-safe (``flock``); the clock must be the wall clock in production (the
    instants in the file are compared across processes).
    """

    def __init__(
        self,
        path: Path | str,
        per_minute: int,
        clock: Clock | None = None,
        *,
        burst: int | None = None,
    ) -> None:
        if per_minute < 1:
            raise ConfigError(
                f"the API budget must be at least 1 request a minute, not {per_minute}"
            )
        self.path = Path(path)
        _private_dirs(self.path.parent)
        self.per_minute = per_minute
        self.burst = min(max(1, burst if burst is not None else per_minute // 30), per_minute)
        self._rate = max(per_minute - self.burst, 1) / 60.0
        self._clock: Clock = clock or SystemClock()

    def acquire(self) -> float:
        """Reserve the next request slot and wait for it; the seconds waited."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = self._clock.now()
            raw = os.pread(fd, _STATE.size, 0)
            if len(raw) == _STATE.size:
                tokens, last = _STATE.unpack(raw)
                tokens = min(float(self.burst), tokens + max(0.0, now - last) * self._rate)
            else:  # a new (or torn) file: a full bucket
                tokens = float(self.burst)
            tokens -= 1.0
            os.pwrite(fd, _STATE.pack(tokens, now), 0)
        finally:
            os.close(fd)  # releases the lock
        wait = -tokens / self._rate if tokens < 0 else 0.0
        if wait > 0:
            self._clock.sleep(wait)
        return wait


def _private_dirs(directory: Path) -> None:
    """Create ``directory`` and missing parents owner-only (the state folder holds tokens too)."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
