"""Shared helpers of the reporting tests: a sandbox served in a thread and a client on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipelines.sources.http import WxccHttp
from pipelines.sources.reporting import ReportingClient
from sandbox.budget import ManualClock
from sandbox.server import serve_in_background
from tests.support import SEED, TASKS_PER_DAY, ms, sandbox_tokens

NOW = "2026-11-20T15:30:00"
DAY1 = (ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00"))
DAY2 = (ms("2026-11-19T00:00:00"), ms("2026-11-20T00:00:00"))


class SharedClock(ManualClock):
    """One clock for the sandbox (``time``) and the client (``now``/``sleep``): a client's sleep
    moves the sandbox's rate window and URL expiry on, so limited runs take no real time."""

    slept = 0.0

    def now(self) -> float:
        return self.time()

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.advance(seconds)


@contextmanager
def reporting_client(
    tmp_path: Path,
    *,
    clock: SharedClock | None = None,
    tasks_per_day: int = TASKS_PER_DAY,
    now: str = NOW,
    client_options: dict[str, Any] | None = None,
    **serve: Any,
) -> Iterator[tuple[ReportingClient, str, SharedClock]]:
    clock = clock or SharedClock()
    serve.setdefault("budget_per_minute", 0)
    with serve_in_background(
        seed=SEED, tasks_per_day=tasks_per_day, now_ms=ms(now), clock=clock, **serve
    ) as url:
        tokens = sandbox_tokens(url, tmp_path / "state", clock=clock)
        http = WxccHttp(url, token_provider=tokens, clock=clock)
        with ReportingClient(http, **(client_options or {})) as client:
            yield client, url, clock
