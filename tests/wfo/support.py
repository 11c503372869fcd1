"""Shared helpers of the WFO tests: one tenant, a sandbox per test, a client on a shared clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipelines.sources.wfo import PollPolicy, WfoClient
from sandbox.budget import ManualClock
from sandbox.model import Tenant
from sandbox.server import serve_in_background
from tests.support import SEED, TASKS_PER_DAY, ms

NOW = "2026-11-20T15:30:00"
DAY1 = (ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00"))
DAY2 = (ms("2026-11-19T00:00:00"), ms("2026-11-20T00:00:00"))
PASSWORD = "sandbox-password"


class SharedClock(ManualClock):
    """The sandbox's wall clock and the client's: a client's sleep moves the sandbox on."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)


@lru_cache(maxsize=1)
def tenant() -> Tenant:
    return Tenant(seed=SEED, tasks_per_day=TASKS_PER_DAY)


@contextmanager
def sandbox(clock: SharedClock, **options: Any) -> Iterator[str]:
    budget = options.pop("budget_per_minute", 0)
    with serve_in_background(
        tenant=tenant(),
        now_ms=ms(NOW),
        clock=clock,
        budget_per_minute=budget,
        options=options,
    ) as url:
        yield url


def client(url: str, state_dir: Path, clock: SharedClock, **kwargs: Any) -> WfoClient:
    kwargs.setdefault("poll", PollPolicy(initial_s=1.0, max_s=8.0, timeout_s=600.0))
    return WfoClient(
        url,
        user="sandbox",
        password=kwargs.pop("password", PASSWORD),
        tenant_id="sandbox-tenant",
        state_dir=state_dir,
        clock=clock,
        **kwargs,
    )
