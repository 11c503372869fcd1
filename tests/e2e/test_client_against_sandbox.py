"""The clients against a real sandbox server: budget, token expiry, faults; nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.sources.errors import IncompleteWindow, WindowTooLarge
from pipelines.sources.http import RetryPolicy, WxccHttp
from pipelines.sources.search import SearchClient
from sandbox.app import Faults
from sandbox.budget import ManualClock
from sandbox.model import Tenant
from sandbox.server import serve_in_background
from tests.support import SEED, TASKS_PER_DAY, ms, sandbox_tokens

NOW = "2026-11-20T15:30:00"
DAY = (ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00"))


class SharedClock(ManualClock):
    """One clock for the sandbox (``time``) and the client (``now``/``sleep``): a client's sleep
    moves the sandbox's rate window on, so a rate-limited run takes no real time."""

    def now(self) -> float:
        return self.time()

    def sleep(self, seconds: float) -> None:
        self.slept = getattr(self, "slept", 0.0) + seconds
        self.advance(seconds)


def _client(url: str, tmp_path: Path, clock: SharedClock, **http: object) -> SearchClient:
    tokens = sandbox_tokens(url, tmp_path / "state", clock=clock)
    return SearchClient(WxccHttp(url, token_provider=tokens, clock=clock, **http))


def _expected_ids(start_ms: int, end_ms: int) -> list[str]:
    tenant = Tenant(seed=SEED, tasks_per_day=TASKS_PER_DAY)
    return sorted(t["id"] for t in tenant.tasks(start_ms, end_ms, ms(NOW)))


def test_a_low_budget_run_counts_its_429s_and_loses_nothing(tmp_path: Path) -> None:
    clock = SharedClock()
    with serve_in_background(
        seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=ms(NOW), budget_per_minute=2, clock=clock
    ) as url:
        with _client(url, tmp_path, clock) as client:
            ids = sorted(t["id"] for page in client.task_details_pages(*DAY) for t in page)
    assert ids == _expected_ids(*DAY)
    assert client.stats.rate_limited > 0
    assert clock.slept >= 60  # the budget really held the run back


def test_a_token_expiring_mid_window_is_refreshed(tmp_path: Path) -> None:
    clock = SharedClock()
    with serve_in_background(
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=ms(NOW),
        token_lifetime_s=30,
        clock=clock,
        budget_per_minute=0,
    ) as url:
        with _client(url, tmp_path, clock) as client:
            ids = []
            for page in client.task_details_pages(*DAY):
                ids += [t["id"] for t in page]
                clock.advance(25)  # each page outlives most of a token
    assert sorted(ids) == _expected_ids(*DAY)


def _seed_failing_early(profile: str) -> int:
    """A fault seed whose first requests draw a 5xx, so the test surely meets one."""
    for seed in range(1000):
        faults = Faults(profile, seed)
        if any(faults.draw() for _ in range(2)):
            return seed
    raise AssertionError("no seed draws an early fault")


def test_faults_are_retried_and_lose_nothing(tmp_path: Path) -> None:
    clock = SharedClock()
    with serve_in_background(
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=ms(NOW),
        faults="flaky",
        fault_seed=_seed_failing_early("flaky"),
        budget_per_minute=0,
        clock=clock,
    ) as url:
        with _client(url, tmp_path, clock, retry=RetryPolicy(max_attempts=10)) as client:
            ids = sorted(t["id"] for page in client.task_details_pages(*DAY) for t in page)
    assert ids == _expected_ids(*DAY)
    assert client.stats.retries > 0


def test_the_silent_raw_cap_is_noticed(tmp_path: Path) -> None:
    clock = SharedClock()
    with serve_in_background(
        seed=SEED,
        tasks_per_day=TASKS_PER_DAY,
        now_ms=ms(NOW),
        raw_record_cap=300,
        budget_per_minute=0,
        clock=clock,
    ) as url:
        with _client(url, tmp_path, clock) as client:
            # The client's own cap is the real 100,000: only the count shows the truncation.
            with pytest.raises(IncompleteWindow, match="2026-11-18"):
                for _ in client.task_details_pages(*DAY):
                    pass


def test_a_window_over_the_cap_is_refused_before_paging(tmp_path: Path) -> None:
    clock = SharedClock()
    with serve_in_background(
        seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=ms(NOW), budget_per_minute=0, clock=clock
    ) as url:
        tokens = sandbox_tokens(url, tmp_path / "state", clock=clock)
        with SearchClient(
            WxccHttp(url, token_provider=tokens, clock=clock), page_cap=100
        ) as client:
            with pytest.raises(WindowTooLarge, match="over the Search API"):
                next(iter(client.task_details_pages(*DAY)))
            assert client.stats.pages == 0
