"""The shared API budget: the service's rolling minute, one ledger for every process."""

from __future__ import annotations

import multiprocessing
import os
import struct
import time
from pathlib import Path

import pytest

from pipelines.sources.budget import SharedRateLimiter
from pipelines.sources.errors import ConfigError


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_the_whole_budget_goes_at_once_then_one_slot_per_request_leaving(tmp_path: Path) -> None:
    clock = Clock()
    a = SharedRateLimiter(tmp_path / "budget", 5, clock, margin_s=0.5)
    b = SharedRateLimiter(tmp_path / "budget", 5, clock, margin_s=0.5)  # another process's
    start = clock.t
    waits = [(a if n % 2 else b).acquire() for n in range(7)]
    assert waits[:5] == [0.0] * 5  # the service admits a burst of its whole minute
    assert waits[5] == pytest.approx(60.5)  # the first request must leave the window
    assert waits[6] == 0.0 and clock.t == pytest.approx(start + 60.5)  # the next ones left too


def test_no_rolling_window_ever_holds_more_than_the_budget(tmp_path: Path) -> None:
    clock = Clock()
    limiter = SharedRateLimiter(tmp_path / "budget", 10, clock, margin_s=0.0)
    sent = []
    for n in range(100):
        clock.t += 1.7 if n % 7 == 0 else 0.05  # bursts and pauses
        limiter.acquire()
        sent.append(clock.t)
    for i, t in enumerate(sent):
        assert sum(1 for u in sent[i:] if u < t + 60.0) <= 10


def test_continuous_demand_spends_the_whole_budget(tmp_path: Path) -> None:
    clock = Clock()
    limiter = SharedRateLimiter(tmp_path / "budget", 10, clock, margin_s=0.0)
    start = clock.t
    for _ in range(100):
        limiter.acquire()
    # 10 at once, then 10 a minute: the 100th goes after 9 minutes, not later (a token bucket
    # refilling at the budget less its burst would take 10 minutes and more)
    assert clock.t - start == pytest.approx(9 * 60.0)


def _spend(path: str, n: int, out: multiprocessing.Queue) -> None:
    limiter = SharedRateLimiter(path, 1000)
    for _ in range(n):
        limiter.acquire()
    out.put(n)


def test_processes_draw_on_one_ledger(tmp_path: Path) -> None:
    path = tmp_path / "budget"
    out: multiprocessing.Queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_spend, args=(str(path), 200, out)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert sorted(out.get() for _ in procs) == [200, 200, 200]
    ledger = SharedRateLimiter(path, 1000)._read(os.open(path, os.O_RDONLY), time.time())
    assert len(ledger) == 600 and ledger == sorted(ledger)  # every request of every process


def test_the_state_folder_is_private_and_a_bad_budget_is_refused(tmp_path: Path) -> None:
    SharedRateLimiter(tmp_path / "state" / "acme" / "budget", 300)
    for folder in (tmp_path / "state", tmp_path / "state" / "acme"):
        assert folder.stat().st_mode & 0o077 == 0
    with pytest.raises(ConfigError, match="at least 1 request"):
        SharedRateLimiter(tmp_path / "budget", 0)


def test_a_damaged_ledger_is_started_afresh_not_slept_on(tmp_path: Path) -> None:
    """A corrupt state/<org>/api-budget once made every load fail with OverflowError for good."""
    path = tmp_path / "api-budget"
    limiter = SharedRateLimiter(path, 5, Clock())
    path.write_bytes(struct.pack("<5d", 0.0, 0.0, 1e300, float("inf"), float("nan")))
    assert limiter.acquire() == 0.0
    path.write_bytes(b"\xff" * 40)  # NaNs
    assert limiter.acquire() == 0.0


def test_a_clock_set_back_an_hour_does_not_make_the_next_request_wait_an_hour(
    tmp_path: Path,
) -> None:
    """The fault matrix's clock-back case waited an hour once the load sent requests before the
    jump (every slot in the ledger then lay an hour ahead)."""
    clock = Clock()
    limiter = SharedRateLimiter(tmp_path / "api-budget", 300, clock)
    for _ in range(20):
        limiter.acquire()
    clock.t -= 3600
    assert limiter.acquire() == 0.0
    # slots of requests queued at once on a small budget lie minutes ahead, and are kept
    queued = Clock()
    queued.sleep = lambda seconds: None  # type: ignore[method-assign]  # threads all waiting
    small = SharedRateLimiter(tmp_path / "small", 2, queued, margin_s=0.0)
    assert [small.acquire() for _ in range(10)] == [0, 0, 60, 60, 120, 120, 180, 180, 240, 240]
