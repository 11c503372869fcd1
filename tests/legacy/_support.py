"""Shared pieces of the legacy tests: the fixed sandbox, its credentials, a client, a clock."""

from __future__ import annotations

from typing import Any

from pipelines.sources.legacy import LegacyClient
from sandbox.budget import ManualClock
from sandbox.model import Tenant
from tests.support import SEED, TASKS_PER_DAY, ms

NOW = "2026-11-20T15:30:00"
NOW_MS = ms(NOW)
DAY1 = (ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00"))
DAY2 = (ms("2026-11-19T00:00:00"), ms("2026-11-20T00:00:00"))
API_KEY = "sandbox-api-key"
USER_ID = "sandbox@example.com"
TENANT_ID = "sandbox-tenant"
ORG_ID = Tenant(SEED, TASKS_PER_DAY).org_id


class SharedClock(ManualClock):
    """One clock for the sandbox's budget (``time``) and the client's waits (``now``/``sleep``):
    a client's sleep moves the sandbox's rate window on, so a rate-limited run takes no time."""

    slept = 0.0

    def now(self) -> float:
        return self.time()

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.advance(seconds)


def client(url: str, fmt: str = "json", **kwargs: Any) -> LegacyClient:
    """A client of the sandbox's legacy API; ``api_key``, ``user_id``, ``tenant_id`` override the
    sandbox's credentials, other keywords go to :class:`LegacyClient`."""
    return LegacyClient(
        url,
        api_key=kwargs.pop("api_key", API_KEY),
        user_id=kwargs.pop("user_id", USER_ID),
        tenant_id=kwargs.pop("tenant_id", TENANT_ID),
        fmt=fmt,
        clock=kwargs.pop("clock", None) or SharedClock(),
        **kwargs,
    )
