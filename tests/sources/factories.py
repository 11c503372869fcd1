"""Payload factories and fake servers for the API client tests (served via httpx.MockTransport)."""

from __future__ import annotations

import bisect
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
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


# -- every Search surface ---------------------------------------------------------------------

# operation name of each query file -> (root, list field, what it asks)
SEARCH_OPERATIONS: dict[str, tuple[str, str, str]] = {
    "taskDetailsPage": ("taskDetails", "tasks", "page"),
    "taskDetailsCount": ("taskDetails", "tasks", "count"),
    "taskActivitiesPage": ("taskDetails", "tasks", "page"),
    "taskActivitiesMore": ("taskDetails", "tasks", "more"),
    "taskPage": ("task", "tasks", "page"),
    "taskCount": ("task", "tasks", "count"),
    "agentSessionsPage": ("agentSession", "agentSessions", "page"),
    "agentSessionsCount": ("agentSession", "agentSessions", "count"),
    "agentActivitiesPage": ("agentSession", "agentSessions", "page"),
    "agentActivitiesMore": ("agentSession", "agentSessions", "more"),
    "taskLegDetailsPage": ("taskLegDetails", "taskLegs", "page"),
    "taskLegDetailsCount": ("taskLegDetails", "taskLegs", "count"),
}
PAGE_SIZES = {"taskDetails": 250, "task": 100, "taskLegDetails": 500, "agentSession": 250}
_OPERATION = re.compile(r"^query\s+(\w+)", re.MULTILINE)


def car(task_id: str, created_ms: int, event: str = "connected") -> dict[str, Any]:
    """A task activity (CAR node); its id is ``<taskId>-<epochMs>-<event>`` as the API's."""
    return {
        "id": f"{task_id}-{created_ms}-{event}",
        "createdTime": created_ms,
        "eventName": event,
    }


def aar(channel_id: str, start_ms: int, state: str = "available") -> dict[str, Any]:
    """An agent activity (AAR node), id ``<channelId>-<channelType>-<startTime>-<state>``."""
    return {
        "id": f"{channel_id}-telephony-{start_ms}-{state}",
        "startTime": start_ms,
        "state": state,
    }


def task_with_activities(n: int, activity_times: Iterable[int]) -> dict[str, Any]:
    """A task whose activities (all of them: the fake pages them) happen at ``activity_times``."""
    record = task(n)
    record["activities"] = [car(record["id"], t, f"event{i}") for i, t in enumerate(activity_times)]
    return record


def session(
    n: int, *, start_ms: int = START_MS, channels: Iterable[tuple[str, list[dict]]] = ()
) -> dict[str, Any]:
    """An agent session (ASR) with ``channelInfo`` a list: ``(channelId, its AAR nodes)``."""
    return {
        "agentSessionId": f"5e5510{n:02d}-0000-4000-8000-{n:012d}",
        "agentId": f"agent-{n % 7}",
        "startTime": start_ms + n * 1000,
        "endTime": start_ms + n * 1000 + 3_600_000,
        "channelInfo": [
            {"channelId": cid, "channelType": "telephony", "idleCount": 1, "activities": nodes}
            for cid, nodes in channels
        ],
    }


def leg(n: int, *, created_ms: int = START_MS) -> dict[str, Any]:
    """A task leg (CLR), id ``<taskId>-callLeg-<createdTime>`` as the API's."""
    created = created_ms + n * 1000
    return {
        "id": f"task-{n:06d}-callLeg-{created}",
        "taskId": f"task-{n:06d}",
        "createdTime": created,
        "endedTime": created + 30_000,
    }


class Spread:
    """``n`` small CSR records created evenly over ``[start_ms, end_ms)``, made on demand.

    Stands in for a record list too long to build (250,000 tasks in a day): the fake selects a
    window's records by bisection and renders only the ones it serves.
    """

    def __init__(self, n: int, start_ms: int, end_ms: int) -> None:
        self.n, self.start_ms, self.span = n, start_ms, end_ms - start_ms

    def time(self, i: int) -> int:
        return self.start_ms + i * self.span // self.n

    def index(self, t: int) -> int:
        """How many records are created before ``t``."""
        return bisect.bisect_left(range(self.n), t, key=self.time)

    def record(self, i: int) -> dict[str, Any]:
        created = self.time(i)
        return {"id": f"task-{i:06d}", "createdTime": created, "endedTime": created + 60_000}


class FakeSearch:
    """``POST /search`` over an in-memory tenant, answering every query file the client sends.

    Behaves as the sandbox documents the real service: ``from`` inclusive and ``to`` exclusive
    (``inclusive_to`` makes ``to`` inclusive, the other reading of Cisco's docs) on
    ``createdTime`` (``endedTime`` with ``timeComparator``; ``startTime`` for agentSession);
    fixed page sizes; page-index cursors, but UUID cursors for agentSession; raw paging ending
    silently at ``cap`` records; counts never capped. Activities (the records' full lists) come
    100 a page, newest first, cursor = epoch-ms time of the page's last node, the next page
    holding nodes **strictly** older than ``after``. ``count`` overrides the counts (a function
    of the window). Every request is kept as ``(operation, variables)`` in ``calls``.
    """

    def __init__(
        self,
        *,
        tasks: list[dict[str, Any]] | Spread | None = None,
        legs: list[dict[str, Any]] | None = None,
        sessions: list[dict[str, Any]] | None = None,
        page_sizes: dict[str, int] | None = None,
        cap: int = 100_000,
        inclusive_to: bool = False,
        count: Callable[[int, int], int] | None = None,
    ) -> None:
        self.data: dict[str, Any] = {
            "taskDetails": tasks if tasks is not None else [],
            "task": tasks if tasks is not None else [],
            "taskLegDetails": legs or [],
            "agentSession": sessions or [],
        }
        self.page_sizes = {**PAGE_SIZES, **(page_sizes or {})}
        self.cap = cap
        self.inclusive_to = inclusive_to
        self.count_override = count
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._uuid_cursors: dict[str, int] = {}

    def variables(self, operation: str) -> list[dict[str, Any]]:
        return [v for op, v in self.calls if op == operation]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/search"
        body = body_of(request)
        match = _OPERATION.search(body["query"])
        assert match is not None, "every query file names its operation"
        operation, variables = match.group(1), body["variables"]
        self.calls.append((operation, variables))
        root, list_field, kind = SEARCH_OPERATIONS[operation]
        selected = self._select(root, variables)
        if kind == "count":
            n = (
                self.count_override(variables["from"], variables["to"])
                if self.count_override
                else len(selected)
            )
            return json_response(200, _count_at(n, root, list_field))
        with_activities = "activities(" in body["query"]
        if kind == "more":
            key_field, key = (
                ("id", variables["taskId"])
                if root != "agentSession"
                else ("agentSessionId", variables["sessionId"])
            )
            records = [
                self._render(r, with_activities, after=variables["after"])
                for r in selected
                if r[key_field] == key
            ]
            return json_response(200, {"data": {root: {list_field: records}}})
        return json_response(
            200, self._page(root, list_field, selected, variables, with_activities)
        )

    # -- internals ----------------------------------------------------------------------------

    def _select(self, root: str, variables: dict[str, Any]) -> Sequence[dict[str, Any]]:
        field = variables.get("timeComparator") or (
            "startTime" if root == "agentSession" else "createdTime"
        )
        start, end = variables["from"], variables["to"] + (1 if self.inclusive_to else 0)
        data = self.data[root]
        if isinstance(data, Spread):
            assert field == "createdTime"
            return _Rendered(data, range(data.index(start), data.index(end)))
        return [r for r in data if r.get(field) is not None and start <= r[field] < end]

    def _page(
        self,
        root: str,
        list_field: str,
        selected: Sequence[dict[str, Any]],
        variables: dict[str, Any],
        with_activities: bool,
    ) -> dict[str, Any]:
        size = self.page_sizes[root]
        cursor = variables["cursor"]
        if cursor in ("NA", "0", None):
            index = 0
        elif root == "agentSession":
            index = self._uuid_cursors[cursor]
        else:
            index = int(cursor)
        served = selected[: self.cap]
        chunk = served[index * size : (index + 1) * size]
        has_next = (index + 1) * size < len(served)
        end_cursor = None
        if has_next:
            if root == "agentSession":
                end_cursor = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{variables}-{index + 1}"))
                self._uuid_cursors[end_cursor] = index + 1
            else:
                end_cursor = str(index + 1)
        return page_payload(
            [self._render(r, with_activities) for r in chunk],
            has_next=has_next,
            end_cursor=end_cursor,
            root=root,
            list_field=list_field,
        )

    def _render(
        self, record: dict[str, Any], with_activities: bool, after: str | None = None
    ) -> dict[str, Any]:
        out = {k: v for k, v in record.items() if k not in ("activities", "channelInfo")}
        if "activities" in record and with_activities:
            out["activities"] = activities_connection(record["activities"], "createdTime", after)
        if "channelInfo" in record:
            out["channelInfo"] = []
            for channel in record["channelInfo"]:
                entry = {k: v for k, v in channel.items() if k != "activities"}
                if with_activities:
                    entry["activities"] = activities_connection(
                        channel["activities"], "startTime", after
                    )
                out["channelInfo"].append(entry)
        return out


class _Rendered(Sequence[dict[str, Any]]):
    """The records of a :class:`Spread` at some indexes, rendered only when served."""

    def __init__(self, spread: Spread, indexes: range) -> None:
        self.spread, self.indexes = spread, indexes

    def __len__(self) -> int:
        return len(self.indexes)

    def __getitem__(self, item):  # type: ignore[override]
        if isinstance(item, slice):
            return _Rendered(self.spread, self.indexes[item])
        return self.spread.record(self.indexes[item])


def _count_at(n: int, root: str, list_field: str) -> dict[str, Any]:
    if n == 0:
        return {"data": {root: {list_field: []}}}
    return {"data": {root: {list_field: [{"aggregation": [{"name": "count", "value": float(n)}]}]}}}


def activities_connection(
    nodes: list[dict[str, Any]], time_field: str, after: str | None
) -> dict[str, Any]:
    """An activities connection: 100 nodes newest first, strictly older than ``after``."""
    ordered = sorted(nodes, key=lambda n: (n[time_field], n["id"]), reverse=True)
    if after is not None:
        ordered = [n for n in ordered if n[time_field] < int(after)]
    page = ordered[:100]
    has_next = len(ordered) > 100
    return {
        "totalCount": len(nodes),
        "nodes": page,
        "pageInfo": {
            "hasNextPage": has_next,
            "endCursor": str(page[-1][time_field]) if has_next else None,
        },
    }
