"""Payload factories and fake servers for the API client tests (served via httpx.MockTransport)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson

API_URL = "https://api.test"
IDENTITY_URL = "https://idp.test"
ORG_ID = "0b1c2d3e-0000-4000-8000-000000000042"
DAY_MS = 86_400_000
# 2024-05-01T00:00:00Z
START_MS = 1_714_521_600_000
CANARY = "CANARY-SECRET-5f1e"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """A clock that never sleeps: records each requested sleep and moves time forward."""

    def __init__(self, start: float = 1_714_521_600.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        self.t += seconds


# -- payloads ---------------------------------------------------------------------------------


def task(n: int, *, created_ms: int = START_MS) -> dict[str, Any]:
    """A small CSR record in API shape (the client passes records through untouched)."""
    return {
        "id": f"task-{n:06d}",
        "createdTime": created_ms + n * 1000,
        "endedTime": created_ms + n * 1000 + 60_000,
        "channelType": "telephony",
        "isActive": False,
        "lastAgent": {"id": f"agent-{n % 7}", "name": None},
        "globalVariables": [],
    }


def tasks(count: int, *, first: int = 0) -> list[dict[str, Any]]:
    return [task(n) for n in range(first, first + count)]


def page_payload(
    records: list[dict[str, Any]],
    *,
    has_next: bool,
    end_cursor: str | None,
    root: str = "taskDetails",
    list_field: str = "tasks",
) -> dict[str, Any]:
    return {
        "data": {
            root: {
                list_field: records,
                "pageInfo": {"hasNextPage": has_next, "endCursor": end_cursor},
            }
        }
    }


def count_payload(n: int | float | None, *, root: str = "taskDetails") -> dict[str, Any]:
    """The answer to the count aggregation: a float value, no row at all for an empty window."""
    if n == 0:
        return {"data": {root: {"tasks": []}}}
    value = None if n is None else float(n)
    other = {"name": "average of totalDuration", "value": 104009.336}
    # The API does not keep the requested order of aggregations: put ours second.
    return {
        "data": {root: {"tasks": [{"aggregation": [other, {"name": "count", "value": value}]}]}}
    }


def graphql_errors(*messages: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": m,
                "locations": [{"line": 1, "column": 1}],
                "extensions": {"classification": "ValidationError"},
            }
            for m in messages
        ],
        "data": None,
    }


def api_error(key: str, description: str, tracking_id: str = "c1a4fcef-aee2") -> dict[str, Any]:
    """The API's documented error body."""
    return {
        "trackingId": tracking_id,
        "error": {"key": key, "message": [{"description": description}]},
    }


def token_payload(access: str, refresh: str, *, expires_in: int = 43_200) -> dict[str, Any]:
    return {
        "access_token": access,
        "expires_in": expires_in,
        "refresh_token": refresh,
        "refresh_token_expires_in": 5_184_000,
        "token_type": "Bearer",
    }


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=orjson.dumps(body),
        headers={"content-type": "application/json", **(headers or {})},
    )


# -- fake servers -----------------------------------------------------------------------------


def body_of(request: httpx.Request) -> dict[str, Any]:
    return orjson.loads(request.content)


def form_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


class FakeSearchApi:
    """``POST /search`` for one window: the count query, and raw pages served by cursor.

    Cursor ``"NA"`` is page 0 and ``"k"`` page k, as taskDetails does; the last page says
    ``hasNextPage: false, endCursor: null``. ``count`` defaults to the records served.
    ``tokens``: the bearer tokens accepted (None: any).
    """

    def __init__(
        self,
        pages: list[list[dict[str, Any]]],
        *,
        count: int | float | None = -1,
        tokens: Iterable[str] | None = None,
    ) -> None:
        self.pages = pages
        self.count = sum(len(p) for p in pages) if count == -1 else count
        self.tokens = None if tokens is None else set(tokens)
        self.requests: list[httpx.Request] = []

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [body_of(r) for r in self.requests]

    @property
    def page_bodies(self) -> list[dict[str, Any]]:
        return [b for b in self.bodies if "cursor" in b["variables"]]

    @property
    def cursors(self) -> list[str]:
        return [b["variables"]["cursor"] for b in self.page_bodies]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.method == "POST" and request.url.path == "/search"
        if self.tokens is not None:
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                return json_response(401, api_error("401", "Incorrect Credentials."))
        body = body_of(request)
        variables = body["variables"]
        if "cursor" not in variables:
            return json_response(200, count_payload(self.count))
        cursor = variables["cursor"]
        index = 0 if cursor == "NA" else int(cursor)
        last = index >= len(self.pages) - 1
        records = self.pages[index] if self.pages else []
        return json_response(
            200,
            page_payload(records, has_next=not last, end_cursor=None if last else str(index + 1)),
        )


class FakeIdentity:
    """``POST /v1/access_token`` (refresh grant): rotates the refresh token on every grant.

    Refresh tokens in ``valid`` are accepted (every issued one is added, and old ones stay valid,
    as the sandbox's development token does). A refusal echoes the token it refused, so tests can
    prove the client never repeats what a server echoes.
    """

    def __init__(
        self,
        *,
        client_id: str = "client-id",
        client_secret: str = "client-secret",
        valid: Iterable[str] = ("refresh-0",),
        expires_in: int = 43_200,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.valid = set(valid)
        self.expires_in = expires_in
        self.forms: list[dict[str, str]] = []
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/v1/access_token"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = form_of(request)
        self.forms.append(form)
        refresh = form.get("refresh_token", "")
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
            or refresh not in self.valid
        ):
            return json_response(
                400,
                {
                    "message": f"The refresh token provided is expired, revoked, malformed, or invalid: {refresh}",
                    "errors": [
                        {"description": f"invalid_grant for secret {form.get('client_secret')}"}
                    ],
                    "trackingId": "ROUTERGW_1234",
                },
            )
        self.issued += 1
        new_refresh = f"refresh-{self.issued}"
        self.valid.add(new_refresh)
        return json_response(
            200, token_payload(f"access-{self.issued}", new_refresh, expires_in=self.expires_in)
        )


class Scripted:
    """Answers the first calls from a script (a Response to return or an exception to raise),
    then hands over to ``then``."""

    def __init__(self, script: list[httpx.Response | Exception | Handler], then: Handler) -> None:
        self.script = list(script)
        self.then = then
        self.calls = 0
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        self.requests.append(request)
        if self.script:
            item = self.script.pop(0)
            if isinstance(item, Exception):
                if isinstance(item, httpx.RequestError):
                    item.request = request
                raise item
            if isinstance(item, httpx.Response):
                return item
            return item(request)
        return self.then(request)


def router(api: Handler | None = None, identity: Handler | None = None) -> httpx.MockTransport:
    """One mock transport serving the API host and the identity host."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.test" and api is not None:
            return api(request)
        if request.url.host == "idp.test" and identity is not None:
            return identity(request)
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    return httpx.MockTransport(handle)
