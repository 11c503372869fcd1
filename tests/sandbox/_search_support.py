"""Shared helpers of the sandbox Search and app tests (not a test module)."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

import httpx
import orjson

from sandbox.model import Tenant
from sandbox.search.engine import SearchEngine

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
# Thursday 2025-11-20 15:00 UTC: mid-day for the org (New York), so some tasks are still open.
NOW_MS = 1_763_650_800_000
# The org's previous local day is well inside the data: [2025-11-19 05:00Z, 2025-11-20 05:00Z).
DAY_START = 1_763_528_400_000
DAY_END = DAY_START + DAY_MS
SEED = 7
TASKS_PER_DAY = 400


@cache
def tenant(seed: int = SEED, tasks_per_day: int = TASKS_PER_DAY) -> Tenant:
    """One tenant per (seed, volume) for the whole session: the model is a pure function."""
    return Tenant(seed=seed, tasks_per_day=tasks_per_day)


def engine(now_ms: int = NOW_MS, **kwargs: Any) -> SearchEngine:
    return SearchEngine(tenant(), lambda: now_ms, **kwargs)


def run(eng: SearchEngine, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute and decode; asserts the HTTP-level outcome is a GraphQL answer."""
    result = eng.execute(query, variables)
    assert result.error is None, result.error
    body: dict[str, Any] = orjson.loads(result.body)
    body["_status"] = result.status
    return body


def data(eng: SearchEngine, query: str, variables: dict[str, Any] | None = None) -> Any:
    """The ``taskDetails`` value of a successful answer."""
    body = run(eng, query, variables)
    assert body["_status"] == 200 and "errors" not in body, body.get("errors")
    return body["data"]["taskDetails"]


def error_message(eng: SearchEngine, query: str, variables: dict[str, Any] | None = None) -> str:
    body = run(eng, query, variables)
    assert body.get("errors"), body
    return " | ".join(e["message"] for e in body["errors"])


def truth(
    start: int = DAY_START, end: int = DAY_END, now: int = NOW_MS, time_field: str = "createdTime"
) -> list[dict[str, Any]]:
    return list(tenant().tasks(start, end, now, time_field))


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class AsgiClient:
    """A synchronous client for an ASGI app in-process (httpx's ASGI transport, one loop a call).

    Starlette's TestClient now wants another HTTP library; this needs nothing beyond httpx.
    """

    def __init__(self, app: Any, base_url: str = "http://sandbox.test") -> None:
        self.app = app
        self.base_url = base_url

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
                response = await client.request(method, url, **kwargs)
                await response.aread()
                return response

        return asyncio.run(go())

    def raw(self, method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, bytes]:
        """The response and its body exactly as sent (not decompressed)."""

        async def go() -> tuple[httpx.Response, bytes]:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
                async with client.stream(method, url, **kwargs) as response:
                    body = b"".join([chunk async for chunk in response.aiter_raw()])
                    return response, body

        return asyncio.run(go())

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)
