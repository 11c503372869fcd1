"""Named fault cases of the sandbox: each one way the real service (or the network in front of it)
misbehaves, selectable alone or combined (``--faults 429-storm,token-revoked``,
``create_app(faults=...)``).

Faults sit in an ASGI middleware in front of the app (:class:`FaultMiddleware`), where a gateway,
a load balancer or the service's own front end would misbehave: they see every request and may
answer it themselves (a 429 storm, a gateway's HTML page), delay it (a stall, a slow drip), cut
the connection, or rewrite the app's answer (a GraphQL page with a repeated cursor, a truncated
CSV). A few change the app's settings instead (:meth:`Fault.options`): the WFO export faults set
the WFO family's forced statuses. Every fault counts how often it fired (``FaultSet.fired``), so
a run can tell an untriggered fault from a survived one.

"Once" faults fire at a fixed request number, so a run is reproducible; the old random profiles
(``flaky``, ``chaos``) draw from a seeded generator. ``sandbox/README.md`` lists every fault with
the real-service behaviour it imitates; :data:`FAULTS` is the registry.
"""

from __future__ import annotations

import asyncio
import copy
import random
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

from sandbox.errors import JSON, error_body

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]

TOKEN_PATH = "/v1/access_token"
SEARCH_PATH = "/search"
LEGACY_PREFIX = "/aws/api/"
WFO_PREFIX = "/api/rest/"
WFO_LOGIN = "/api/rest/authorize"
HTML = "text/html"
STORM_S = 90.0  # how long a 429 storm lasts, on the sandbox's clock
REFRESH_DOWN_S = 60.0
DEFAULT_STALL_S = 35.0  # past the pipeline's 30 s read timeout
NTH = 3  # the request a once-fault fires on: past the first count, while pages are asked


@dataclass
class Call:
    """One HTTP request as the faults see it."""

    path: str
    method: str
    family: str  # token, search, rest (reporting), legacy, wfo, other
    number: int  # 1-based count of requests of this family (token requests count apart)
    headers: dict[str, str]
    body: bytes
    api_number: int  # 1-based count of API requests of every family (not token, not healthz)

    def json(self) -> Any:
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None


@dataclass
class Answer:
    """A response being sent: status, headers (lower-case names) and the whole body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def _family(path: str) -> str:
    if path == TOKEN_PATH:
        return "token"
    if path == SEARCH_PATH:
        return "search"
    if path.startswith(LEGACY_PREFIX):
        return "legacy"
    if path.startswith(WFO_PREFIX):
        return "wfo"
    if path.startswith("/v1/"):
        return "rest"
    return "other"


def rest_error(status: int, description: str, headers: Mapping[str, str] | None = None) -> Answer:
    """The WxCC REST error body with a tracking id, as the app's own errors are."""
    tracking = str(uuid.uuid4())
    return Answer(
        status,
        {
            "content-type": JSON,
            "trackingid": tracking,
            **{k.lower(): v for k, v in (headers or {}).items()},
        },
        error_body(status, description, tracking),
    )


class Fault:
    """One named fault. Subclasses override the hooks they need."""

    name = ""
    family = ""  # what the README groups it under: HTTP, auth, search, REST/legacy, WFO, profile
    imitates = ""  # the real behaviour, one sentence (the README's table says more)

    def __init__(self) -> None:
        self.set: FaultSet | None = None

    def options(self) -> dict[str, Any]:
        """App settings this fault changes (``wfo.force_statuses``, ``search.raw_record_cap``)."""
        return {}

    def applies(self, call: Call) -> bool:
        """Whether this fault looks at ``call`` at all (the API families it concerns)."""
        return call.family not in ("token", "other")

    async def before(self, call: Call) -> Answer | str | None:
        """An answer instead of the app's, ``"reset"`` to cut the connection, or ``None``."""
        return None

    def rewrites(self, call: Call) -> bool:
        """Whether :meth:`after` needs the app's whole answer for ``call``."""
        return False

    def after(self, call: Call, answer: Answer) -> Answer:
        return answer

    def drip(self, call: Call) -> tuple[int, float] | None:
        """``(chunks, seconds between chunks)`` to send the answer slowly, or ``None``."""
        return None

    def fired(self) -> None:
        assert self.set is not None
        self.set.fired[self.name] = self.set.fired.get(self.name, 0) + 1

    @property
    def now(self) -> float:
        assert self.set is not None
        return self.set.clock.time()


# -- HTTP ----------------------------------------------------------------------------------------


class Storm429(Fault):
    family = "HTTP"

    def __init__(self, retry_after: bool) -> None:
        super().__init__()
        self.retry_after = retry_after
        self.name = "429-storm" if retry_after else "429-storm-no-retry-after"
        self.imitates = (
            "every request refused with 429 for 90 s (a tenant-wide limit or an outage of the "
            "limiter), " + ("with `Retry-After: 5`" if retry_after else "without `Retry-After`")
        )
        self.started: float | None = None

    async def before(self, call: Call) -> Answer | None:
        if self.started is None:
            self.started = self.now
        if self.now - self.started >= STORM_S:
            return None
        self.fired()
        headers = {"Retry-After": "5"} if self.retry_after else {}
        return rest_error(429, "Too Many Requests.", headers)


class Burst5xx(Fault):
    name = "5xx-burst"
    family = "HTTP"
    imitates = "four 5xx in a row (500, 502, 503, 504) every 25 API requests, from the 3rd"
    STATUSES = (500, 502, 503, 504)

    async def before(self, call: Call) -> Answer | None:
        phase = (call.api_number - 3) % 25
        if call.api_number < 3 or phase >= len(self.STATUSES):
            return None
        self.fired()
        status = self.STATUSES[phase]
        return rest_error(status, "Internal Server Error.")


class GatewayHtml(Fault):
    name = "gateway-html"
    family = "HTTP"
    imitates = (
        "a load balancer's `502 Bad Gateway` HTML page instead of JSON, every 7th request "
        "from the 4th"
    )

    async def before(self, call: Call) -> Answer | None:
        if call.api_number % 7 != 4:
            return None
        self.fired()
        page = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"
        return Answer(502, {"content-type": HTML}, page)


class ConnectionReset(Fault):
    name = "connection-reset"
    family = "HTTP"
    imitates = (
        "the connection closed in the middle of the answer, every 7th request from the 3rd "
        "(a proxy restarting)"
    )

    async def before(self, call: Call) -> str | None:
        if call.api_number % 7 != 3:
            return None
        self.fired()
        return "reset"


class Stall(Fault):
    name = "stall"
    family = "HTTP"
    imitates = (
        "the 3rd API request answered only after 35 s (`faults.stall_s`), past the client's "
        "30 s read timeout"
    )

    async def before(self, call: Call) -> None:
        if call.api_number == NTH:
            self.fired()
            assert self.set is not None
            await asyncio.sleep(float(self.set.settings.get("faults.stall_s", DEFAULT_STALL_S)))
        return None


class SlowDrip(Fault):
    name = "slow-drip"
    family = "HTTP"
    imitates = "every 5th answer from the 2nd trickles in 8 pieces 0.25 s apart (a congested link)"

    def drip(self, call: Call) -> tuple[int, float] | None:
        if call.api_number % 5 != 2:
            return None
        self.fired()
        return 8, 0.25


# -- auth ----------------------------------------------------------------------------------------


def _bearer(call: Call) -> str | None:
    value = call.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class _Revoking(Fault):
    """Access tokens seen before the ``NTH`` bearer request are revoked from then on (401)."""

    family = "auth"

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()
        self.revoked: set[str] = set()
        self.bearer_calls = 0

    def applies(self, call: Call) -> bool:
        return call.family in ("search", "rest", "token")

    async def before(self, call: Call) -> Answer | None:
        if call.family == "token":
            return await self.token(call)
        token = _bearer(call)
        if token is None:
            return None
        self.bearer_calls += 1
        if self.bearer_calls == NTH:
            self.revoked |= self.seen
            self.seen.clear()
            self.revoke_now()
        if token in self.revoked:
            self.fired()
            return rest_error(401, "Unauthorized: missing, invalid or expired access token.")
        self.seen.add(token)
        return None

    def revoke_now(self) -> None:
        return None

    async def token(self, call: Call) -> Answer | None:
        return None


class TokenRevoked(_Revoking):
    name = "token-revoked"
    imitates = (
        "the access token revoked mid-run (an admin, a password change): 401 on the next request"
    )


class RefreshDown(_Revoking):
    name = "refresh-down"
    imitates = (
        "the access token revoked mid-run while the token endpoint answers 503 "
        "(`Retry-After: 15`) for a minute"
    )

    def __init__(self) -> None:
        super().__init__()
        self.down_since: float | None = None

    def revoke_now(self) -> None:
        self.down_since = self.now

    async def token(self, call: Call) -> Answer | None:
        if self.down_since is None or self.now - self.down_since >= REFRESH_DOWN_S:
            return None
        self.fired()
        return rest_error(503, "Service Unavailable.", {"Retry-After": "15"})


class RefreshRotated(_Revoking):
    name = "refresh-rotated"
    imitates = (
        "another process refreshes the token mid-run (strict rotation: only the newest refresh "
        "token works afterwards); the access token in hand is revoked"
    )

    def __init__(self) -> None:
        super().__init__()
        self.strict = False
        self.newest: str | None = None

    def rewrites(self, call: Call) -> bool:
        return call.family == "token"

    def after(self, call: Call, answer: Answer) -> Answer:
        if call.family == "token" and answer.status == 200:
            try:
                self.newest = orjson.loads(answer.body).get("refresh_token")
            except (orjson.JSONDecodeError, AttributeError):
                pass
        return answer

    def revoke_now(self) -> None:
        self.strict = True
        assert self.set is not None
        other = self.set.settings.get("faults.other_process")
        if callable(other):
            # The harness's "other process" refreshes through the pipeline's own token code, in
            # a thread: it calls this sandbox, whose event loop is running this very request.
            threading.Thread(target=other, name="other-process-refresh", daemon=True).start()
            return
        app = self.set.app_state
        if app is not None:  # no other process given: the sandbox rotates in its place
            from sandbox.auth import BOOTSTRAP_REFRESH_TOKEN, CLIENT_ID

            result = app.tokens.grant(
                {
                    "grant_type": "refresh_token",
                    "client_id": CLIENT_ID,
                    "client_secret": app.tokens.client_secrets[0],
                    "refresh_token": BOOTSTRAP_REFRESH_TOKEN,
                },
                "other-process",
            )
            self.newest = result.body.get("refresh_token")

    async def token(self, call: Call) -> Answer | None:
        if not self.strict:
            return None
        params = dict(parse_qsl(call.body.decode("utf-8", "replace")))
        if not params:
            given = call.json()
            params = given if isinstance(given, dict) else {}
        if params.get("refresh_token") == self.newest:
            return None
        self.fired()
        description = "The refresh token is invalid, expired or was not issued to this client."
        body = {
            "error": "invalid_grant",
            "error_description": description,
            "message": description,
            "errors": [{"description": description}],
            "trackingId": str(uuid.uuid4()),
        }
        return Answer(400, {"content-type": JSON}, orjson.dumps(body))


class LegacyClockSkew(Fault):
    name = "legacy-clock-skew"
    family = "auth"
    imitates = (
        "the legacy API refuses the HMAC-signed request as outside its clock-skew window (401)"
    )

    def applies(self, call: Call) -> bool:
        return call.family == "legacy"

    async def before(self, call: Call) -> Answer:
        self.fired()
        return rest_error(401, "Unauthorized: request time is outside the allowed clock skew.")


# -- Search --------------------------------------------------------------------------------------


def _page(payload: Any) -> tuple[str, list[Any], dict[str, Any]] | None:
    """``(list field, records, pageInfo)`` of a raw Search page, else ``None``."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or len(data) != 1:
        return None
    (result,) = data.values()
    if not isinstance(result, dict) or not isinstance(result.get("pageInfo"), dict):
        return None
    for name, value in result.items():
        if isinstance(value, list):
            return name, value, result["pageInfo"]
    return None


class _SearchFault(Fault):
    family = "search"

    def applies(self, call: Call) -> bool:
        return call.family == "search"

    def rewrites(self, call: Call) -> bool:
        return True

    @staticmethod
    def variables(call: Call) -> dict[str, Any]:
        body = call.json()
        given = body.get("variables") if isinstance(body, dict) else None
        return given if isinstance(given, dict) else {}

    @staticmethod
    def window(call: Call) -> tuple[Any, ...]:
        body = call.json() or {}
        v = _SearchFault.variables(call)
        return (body.get("query"), v.get("from"), v.get("to"), v.get("timeComparator"))

    def after(self, call: Call, answer: Answer) -> Answer:
        if answer.status != 200 or "json" not in answer.content_type:
            return answer
        try:
            payload = orjson.loads(answer.body)
        except orjson.JSONDecodeError:
            return answer
        changed = self.rewrite(call, payload)
        if changed is None:
            return answer
        return Answer(200, {**answer.headers, "content-length": ""}, orjson.dumps(changed))

    def rewrite(self, call: Call, payload: Any) -> Any | None:
        return None


class _OncePaging(_SearchFault):
    """Rewrites the ``NTH`` outer page (a request with a ``cursor``) of the run."""

    def __init__(self) -> None:
        super().__init__()
        self.pages = 0

    def rewrite(self, call: Call, payload: Any) -> Any | None:
        if "cursor" not in self.variables(call) or _page(payload) is None:
            return None
        self.pages += 1
        if self.pages != 3:
            return None
        self.fired()
        return self.broken(payload)

    def broken(self, payload: Any) -> Any:
        return payload


class GraphqlErrorsNull(_OncePaging):
    name = "graphql-errors"
    imitates = "HTTP 200 with a GraphQL `errors` array and `data: null` (a backend timeout), once"

    def broken(self, payload: Any) -> Any:
        return {
            "errors": [
                {
                    "message": "Exception while fetching data: query timed out",
                    "extensions": {"classification": "DataFetchingException"},
                }
            ],
            "data": None,
        }


class GraphqlPartial(_OncePaging):
    name = "graphql-partial"
    imitates = (
        "HTTP 200 with partial data: one record `null` and an `errors` entry with its path, once"
    )

    def broken(self, payload: Any) -> Any:
        found = _page(payload)
        assert found is not None
        list_field, records, _info = found
        if records:
            records[0] = None
        (root,) = payload["data"]
        payload["errors"] = [
            {
                "message": "Exception while fetching data: a field could not be resolved",
                "path": [root, list_field, 0],
            }
        ]
        return payload


class _PerWindow(_SearchFault):
    """Rewrites pages knowing which window they belong to (first page: the first cursor)."""

    def __init__(self) -> None:
        super().__init__()
        self.state: dict[tuple[Any, ...], Any] = {}

    def rewrite(self, call: Call, payload: Any) -> Any | None:
        variables = self.variables(call)
        if "cursor" not in variables:
            return None
        found = _page(payload)
        if found is None:
            return None
        first = variables["cursor"] in ("NA", "0")
        return self.page(self.window(call), first, found[1], found[2], payload)

    def page(
        self,
        window: tuple[Any, ...],
        first: bool,
        records: list[Any],
        info: dict[str, Any],
        payload: Any,
    ) -> Any | None:
        return None


class RepeatedCursor(_PerWindow):
    name = "repeated-cursor"
    imitates = (
        "a page whose `endCursor` is the cursor it was asked with (a cursor that does not move)"
    )

    def rewrite(self, call: Call, payload: Any) -> Any | None:
        variables = self.variables(call)
        found = _page(payload)
        if "cursor" not in variables or found is None or not found[2].get("hasNextPage"):
            return None
        self.fired()
        found[2]["endCursor"] = variables["cursor"]
        return payload


class ShortPage(_PerWindow):
    name = "short-page"
    imitates = (
        "a first page shorter than the page size with `hasNextPage: true`; the records left out "
        "come on the last page (a shard answering late)"
    )

    def page(self, window, first, records, info, payload):  # type: ignore[no-untyped-def]
        if first and info.get("hasNextPage") and len(records) > 2:
            cut = len(records) * 2 // 3
            self.state[window] = records[cut:]
            del records[cut:]
            self.fired()
            return payload
        if not info.get("hasNextPage") and window in self.state:
            records.extend(self.state.pop(window))
            return payload
        return None


class DuplicatePages(_PerWindow):
    name = "duplicate-pages"
    imitates = (
        "a record answered again at the top of the next page (offset paging over a shifting list)"
    )

    def page(self, window, first, records, info, payload):  # type: ignore[no-untyped-def]
        if first:
            if records and info.get("hasNextPage"):
                self.state[window] = copy.deepcopy(records[-1])
            return None
        held = self.state.pop(window, None)
        if held is None:
            return None
        records.insert(0, held)
        self.fired()
        return payload


class LateUpdate(_PerWindow):
    name = "late-update"
    imitates = (
        "a record changed between two pages: served stale on one page and, updated, again on "
        "the next"
    )

    def page(self, window, first, records, info, payload):  # type: ignore[no-untyped-def]
        if first:
            if not records or not info.get("hasNextPage") or not isinstance(records[-1], dict):
                return None
            current = records[-1]
            self.state[window] = copy.deepcopy(current)
            _make_stale(current)
            return payload
        held = self.state.pop(window, None)
        if held is None:
            return None
        records.insert(0, held)
        self.fired()
        return payload


def _make_stale(record: dict[str, Any]) -> None:
    """An earlier version of ``record``: still in progress, a shorter total duration."""
    for name in ("status", "state"):
        if isinstance(record.get(name), str):
            record[name] = "connected"
            break
    for name, value in record.items():
        if name.endswith("Duration") and isinstance(value, int) and value > 0:
            record[name] = value - 1
            return


class CountMismatch(_SearchFault):
    name = "count-mismatch"
    imitates = "the count aggregation says 3 more records than the pages hold (an index lagging)"

    def rewrite(self, call: Call, payload: Any) -> Any | None:
        if "cursor" in self.variables(call):
            return None
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            return None
        hit = False
        for result in data.values():
            for value in (result or {}).values() if isinstance(result, dict) else ():
                for item in value if isinstance(value, list) else ():
                    for agg in (item or {}).get("aggregation") or ():
                        if agg.get("name") == "count" and isinstance(agg.get("value"), int | float):
                            agg["value"] = agg["value"] + 3
                            hit = True
        if hit:
            self.fired()
            return payload
        return None


class CapRefusal(Fault):
    name = "search-cap"
    family = "search"
    imitates = (
        "raw paging stops at the record cap with `hasNextPage: false` (the 100,000-record cap, "
        "lowered to 100 so a small day reaches it)"
    )

    def options(self) -> dict[str, Any]:
        return {"search.raw_record_cap": 100}

    def applies(self, call: Call) -> bool:
        return False


class _Hostile(_PerWindow):
    """Plants hostile values into taskDetails records (the first records of each window's first
    page); ``planted`` maps each task id to ``(warehouse column, value sent)``."""

    family = "hostile"
    plants: tuple[tuple[str, str, Any], ...] = ()  # (API field, column, value)

    def __init__(self) -> None:
        super().__init__()
        self.planted: dict[str, tuple[str, Any]] = {}

    def rewrite(self, call: Call, payload: Any) -> Any | None:
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict) or "taskDetails" not in data:
            return None
        body = call.json() or {}
        if "taskDetailsPage" not in str(body.get("query", "")):
            return None  # only the CSR query: the activities surface pages the same tasks
        return super().rewrite(call, payload)

    def page(self, window, first, records, info, payload):  # type: ignore[no-untyped-def]
        if not first:
            return None
        targets = [r for r in records if isinstance(r, dict) and r.get("id")]
        for record, (api_field, column, value) in zip(targets, self.plants, strict=False):
            if api_field not in record:
                continue
            record[api_field] = value
            self.planted[record["id"]] = (column, value)
            self.fired()
        return payload


class HostileStrings(_Hostile):
    name = "hostile-strings"
    imitates = "string values with quotes, a NUL, emoji and 100 kB (free text a caller typed)"
    plants = (
        ("origin", "origin", 'O\'Brien "quoted" \x00 nul 😀 emoji'),
        ("destination", "destination", "x" * 100_000),
    )


class HostileIds(_Hostile):
    """Renames the first taskDetails of each window: the id gains a single quote, a double
    quote, a backslash or SQL. A record served again (another page, another query of the same
    window) gets the same new id, so the tenant stays consistent; ``planted`` maps each original
    id to ``("id", new id)``."""

    name = "hostile-ids"
    imitates = "record ids with a `'`, a `\"`, a backslash and SQL in them (opaque ids, any bytes)"
    suffixes = ("-O'Brien", '-say "hi"', "-'; DROP TABLE search.task_details; --\\")

    def __init__(self) -> None:
        super().__init__()
        self.renamed: dict[str, str] = {}

    def page(self, window, first, records, info, payload):  # type: ignore[no-untyped-def]
        changed = False
        for record in records:
            if isinstance(record, dict) and record.get("id") in self.renamed:
                record["id"] = self.renamed[record["id"]]
                changed = True
        if first:
            new = set(self.renamed.values())
            fresh = [
                r for r in records if isinstance(r, dict) and r.get("id") and r["id"] not in new
            ]
            for record, suffix in zip(fresh, self.suffixes, strict=False):
                original = record["id"]
                record["id"] = self.renamed[original] = original + suffix
                self.planted[original] = ("id", record["id"])
                self.fired()
                changed = True
        return payload if changed else None


class HostileTimes(_Hostile):
    name = "hostile-times"
    imitates = "instants at the epoch, before it, and in the year 3000"
    plants = (
        ("endedTime", "ended_time", 0),
        ("endedTime", "ended_time", -1000),
        ("endedTime", "ended_time", 32_503_680_000_000),
    )


class HostileTypes(_Hostile):
    name = "hostile-types"
    imitates = "a number where a string is expected and a string where a number is"
    plants = (
        ("origin", "origin", 12345),
        ("connectedDuration", "connected_duration", "17"),
    )


# -- REST / legacy -------------------------------------------------------------------------------


class _LegacyCsv(Fault):
    family = "REST/legacy"

    def applies(self, call: Call) -> bool:
        return call.family == "legacy"

    def rewrites(self, call: Call) -> bool:
        return True

    def after(self, call: Call, answer: Answer) -> Answer:
        if answer.status != 200 or "text/csv" not in answer.content_type:
            return answer
        body = self.csv(answer.body)
        if body is None:
            return answer
        self.fired()
        return Answer(200, {**answer.headers, "content-length": ""}, body)

    def csv(self, body: bytes) -> bytes | None:
        return None


class TruncatedCsv(_LegacyCsv):
    name = "csv-truncated"
    imitates = "a legacy CSV answer cut mid-row (the connection dropped after a 200), once"

    def __init__(self) -> None:
        super().__init__()
        self.done = False

    def csv(self, body: bytes) -> bytes | None:
        lines = body.split(b"\r\n")
        if self.done or len(lines) < 4:
            return None
        self.done = True
        cut = len(b"\r\n".join(lines[:-2])) + len(lines[-2]) // 2
        return body[: max(cut, len(lines[0]) + 3)]


class QuirkyCsv(_LegacyCsv):
    name = "csv-quirks"
    imitates = (
        "legacy CSV with a UTF-8 byte-order mark and every field quoted (quotes doubled inside), "
        "as spreadsheet-minded exporters write it"
    )

    def csv(self, body: bytes) -> bytes | None:
        out = []
        for line in _csv_records(body.decode("utf-8")):
            # An empty unquoted field (null) stays empty; everything else is quoted, quotes doubled.
            out.append(
                ",".join(
                    '"' + value.replace('"', '""') + '"' if quoted or value else ""
                    for value, quoted in line
                )
            )
        return b"\xef\xbb\xbf" + ("\r\n".join(out) + "\r\n").encode("utf-8")


def _csv_records(text: str) -> list[list[tuple[str, bool]]]:
    """RFC 4180 records as ``(value, was quoted)`` fields: ``""`` (an empty string) and an
    empty field (null) must stay apart, which ``csv.reader`` does not tell."""
    records: list[list[tuple[str, bool]]] = []
    fields: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            j, chunks = i + 1, []
            while True:
                k = text.index('"', j)
                chunks.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    chunks.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            fields.append(("".join(chunks), True))
        else:
            j = i
            while j < n and text[j] not in ",\r\n":
                j += 1
            fields.append((text[i:j], False))
            i = j
        if i < n and text[i] == ",":
            i += 1
            if i < n and text[i] not in "\r\n":
                continue
            fields.append(("", False))  # a line ending in a comma ends with an empty field
        records.append(fields)
        fields = []
        if text.startswith("\r\n", i):
            i += 2
        elif i < n:
            i += 1
    return records


def _render_csv(records: list[list[tuple[str, bool]]]) -> bytes:
    """``_csv_records`` back to CRLF-ended CSV, quoting what was quoted or must be."""
    lines = [
        ",".join(
            '"' + value.replace('"', '""') + '"'
            if quoted or any(c in value for c in ',"\r\n')
            else value
            for value, quoted in record
        )
        for record in records
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


class BomCsv(_LegacyCsv):
    name = "csv-bom"
    imitates = "legacy CSV starting with a UTF-8 byte-order mark (Windows-minded exporters)"

    def csv(self, body: bytes) -> bytes | None:
        return None if body.startswith(b"\xef\xbb\xbf") else b"\xef\xbb\xbf" + body


class NewlinesCsv(_LegacyCsv):
    """Gives the first record of each legacy CSV answer a free-text value spanning three lines
    (CRLF and a bare LF) with a comma and quotes, quoted as RFC 4180 says. ``planted`` maps
    ``(record type path, key)`` to ``(API field, value)``; a record served again gets the same."""

    name = "csv-newlines"
    imitates = (
        "a legacy CSV value with embedded line breaks (CRLF and LF), a comma and quotes (a "
        "free-text field typed over several lines)"
    )
    fields = {
        "csrs": "customerName",
        "cars": "activityName",
        "asrs": "agentName",
        "aars": "idleCodeName",
    }
    value = 'first line, "quoted"\r\nsecond line\nthird line'

    def __init__(self) -> None:
        super().__init__()
        self.planted: dict[tuple[str, str], tuple[str, str]] = {}

    def after(self, call: Call, answer: Answer) -> Answer:
        if answer.status != 200 or "text/csv" not in answer.content_type:
            return answer
        path = call.path.rstrip("/").rsplit("/", 1)[-1]
        field_name = self.fields.get(path)
        records = _csv_records(answer.body.decode("utf-8-sig"))
        if field_name is None or len(records) < 2:
            return answer
        header = [value for value, _quoted in records[0]]
        if field_name not in header:
            return answer
        at = header.index(field_name)
        for n, record in enumerate(records[1:]):
            key = record[0][0]  # every legacy type lists its key first
            if n and (path, key) not in self.planted:
                continue
            record[at] = (self.value, True)
            if (path, key) not in self.planted:
                self.planted[(path, key)] = (field_name, self.value)
                self.fired()
        return Answer(200, {**answer.headers, "content-length": ""}, _render_csv(records))


class RaggedCsv(_LegacyCsv):
    name = "csv-ragged"
    imitates = "a legacy CSV row with one field more than the header (an unescaped comma upstream)"

    def csv(self, body: bytes) -> bytes | None:
        lines = body.split(b"\r\n")
        if len(lines) < 3:
            return None
        lines[1] = lines[1] + b",extra"
        return b"\r\n".join(lines)


class Empty204(Fault):
    name = "empty-204"
    family = "REST/legacy"
    imitates = "204 No Content with an empty body instead of an empty list (REST and legacy)"

    def applies(self, call: Call) -> bool:
        return call.family in ("legacy", "rest")

    def rewrites(self, call: Call) -> bool:
        return True

    def after(self, call: Call, answer: Answer) -> Answer:
        if answer.status != 200:
            return answer
        body = answer.body.strip()
        empty = body in (b"[]", b'{"data":[]}', b'{"data": []}')
        if "text/csv" in answer.content_type:
            empty = body.count(b"\n") == 0
        if not empty:
            return answer
        self.fired()
        return Answer(204, {}, b"")


# -- WFO -----------------------------------------------------------------------------------------


class WfoSessionExpiry(Fault):
    name = "wfo-session-expiry"
    family = "WFO"
    imitates = (
        "the WFO session expires mid-export: every session open before the 5th WFO call gets 401"
    )

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()
        self.revoked: set[str] = set()

    def applies(self, call: Call) -> bool:
        return call.family == "wfo" and call.path != WFO_LOGIN

    async def before(self, call: Call) -> Answer | None:
        cookie = call.headers.get("cookie", "")
        if call.number == NTH:
            self.revoked |= self.seen
        if cookie and cookie in self.revoked:
            self.fired()
            return rest_error(401, "Session is not valid or has expired; log in again.")
        if cookie:
            self.seen.add(cookie)
        return None


class _WfoOptions(Fault):
    family = "WFO"
    forced: list[str] = []

    def options(self) -> dict[str, Any]:
        return {
            "wfo.force_async": True,
            "wfo.async_ready_s": 1,
            "wfo.force_statuses": list(self.forced),
        }

    def applies(self, call: Call) -> bool:
        return False


class WfoExportFailed(_WfoOptions):
    name = "wfo-export-failed"
    imitates = "an asynchronous export that ends `Failed` (every export goes asynchronous)"
    forced = ["Failed"]


class WfoExportExpired(_WfoOptions):
    name = "wfo-export-expired"
    imitates = "an asynchronous export that is `Expired` before it is fetched"
    forced = ["Expired"]


class WfoAsync(_WfoOptions):
    name = "wfo-async"
    imitates = (
        "every export asynchronous, ready after 6 s (the harness kills our process meanwhile: "
        "its request id is lost)"
    )

    def options(self) -> dict[str, Any]:
        return {"wfo.force_async": True, "wfo.async_ready_s": 6, "wfo.force_statuses": []}

    def applies(self, call: Call) -> bool:
        return call.family == "wfo" and call.method == "POST" and call.path.endswith("/export")

    async def before(self, call: Call) -> None:
        self.fired()  # counts the export requests, so a harness knows when one is pending
        return None


# -- the old random profiles ---------------------------------------------------------------------

PROFILES: dict[str, dict[int, float]] = {
    # status -> probability per API request
    "flaky": {503: 0.05, 500: 0.02},
    "chaos": {503: 0.06, 500: 0.03, 502: 0.02, 429: 0.03, 200: 0.01},
}


class Profile(Fault):
    """``flaky``: about 5% of API requests get 503 (``Retry-After: 1``) and 2% get 500.
    ``chaos``: more of those, plus 502 from a "gateway" with an HTML body, 429 with
    ``Retry-After: 1`` although the budget is not spent, and 200 with a truncated JSON body."""

    family = "profile"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.imitates = "random " + ", ".join(f"{s} ({p:.0%})" for s, p in PROFILES[name].items())
        self.table = PROFILES[name]
        self.rng: random.Random | None = None

    async def before(self, call: Call) -> Answer | None:
        assert self.set is not None
        if self.rng is None:
            self.rng = random.Random(f"wxcc-sandbox-faults:{self.name}:{self.set.seed}")
        x = self.rng.random()
        for status, p in self.table.items():
            if x < p:
                self.fired()
                return _profile_answer(status)
            x -= p
        return None


def _profile_answer(status: int) -> Answer:
    if status in (503, 429):
        reason = "Service Unavailable" if status == 503 else "Too Many Requests"
        return rest_error(status, f"{reason} (injected fault).", {"Retry-After": "1"})
    if status == 502:
        return Answer(
            502, {"content-type": HTML}, b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        )
    if status == 200:
        return Answer(200, {"content-type": JSON}, b'{"data":{"taskDetails":{"tasks":[{"id":"')
    return rest_error(status, "Internal Server Error (injected fault).")


class Faults:
    """Draws of one random profile alone (``none``, ``flaky``, ``chaos``), as the first fault
    API offered them: :meth:`draw` gives the status of an injected failure, or ``None``."""

    def __init__(self, profile: str, seed: int = 0) -> None:
        if profile != "none" and profile not in PROFILES:
            raise ValueError(
                f"unknown fault profile {profile!r}; known: none, {', '.join(PROFILES)}"
            )
        self.profile = profile
        self._table = PROFILES.get(profile, {})
        self._rng = random.Random(f"wxcc-sandbox-faults:{profile}:{seed}")

    def draw(self) -> int | None:
        if not self._table:
            return None
        x = self._rng.random()
        for status, p in self._table.items():
            if x < p:
                return status
            x -= p
        return None


# -- the registry --------------------------------------------------------------------------------

FAULTS: dict[str, Callable[[], Fault]] = {
    "429-storm": lambda: Storm429(True),
    "429-storm-no-retry-after": lambda: Storm429(False),
    "5xx-burst": Burst5xx,
    "gateway-html": GatewayHtml,
    "connection-reset": ConnectionReset,
    "stall": Stall,
    "slow-drip": SlowDrip,
    "token-revoked": TokenRevoked,
    "refresh-rotated": RefreshRotated,
    "refresh-down": RefreshDown,
    "legacy-clock-skew": LegacyClockSkew,
    "graphql-errors": GraphqlErrorsNull,
    "graphql-partial": GraphqlPartial,
    "repeated-cursor": RepeatedCursor,
    "short-page": ShortPage,
    "duplicate-pages": DuplicatePages,
    "late-update": LateUpdate,
    "count-mismatch": CountMismatch,
    "search-cap": CapRefusal,
    "csv-truncated": TruncatedCsv,
    "csv-quirks": QuirkyCsv,
    "csv-ragged": RaggedCsv,
    "csv-bom": BomCsv,
    "csv-newlines": NewlinesCsv,
    "empty-204": Empty204,
    "wfo-session-expiry": WfoSessionExpiry,
    "wfo-export-failed": WfoExportFailed,
    "wfo-export-expired": WfoExportExpired,
    "wfo-async": WfoAsync,
    "hostile-strings": HostileStrings,
    "hostile-ids": HostileIds,
    "hostile-times": HostileTimes,
    "hostile-types": HostileTypes,
    "flaky": lambda: Profile("flaky"),
    "chaos": lambda: Profile("chaos"),
}
# ``none`` selects nothing; kept because it was the first profile's name.
FAULT_NAMES: tuple[str, ...] = ("none", *FAULTS)


def parse_names(faults: str | Iterable[str] | None) -> list[str]:
    """``"a,b"`` or ``["a", "b"]`` to a list of known names (``none`` dropped); ``ValueError``
    names an unknown one and lists the known."""
    if faults is None:
        return []
    items = faults.split(",") if isinstance(faults, str) else list(faults)
    names = [n.strip() for n in items if n.strip() and n.strip() != "none"]
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault {unknown[0]!r}; known: {', '.join(FAULT_NAMES)}")
    return list(dict.fromkeys(names))


@dataclass
class FaultSet:
    """The faults a sandbox runs with, their settings and how often each fired."""

    names: list[str]
    clock: Any
    seed: int = 0
    settings: dict[str, Any] = field(default_factory=dict)  # ``faults.*`` options
    fired: dict[str, int] = field(default_factory=dict)
    app_state: Any = None

    def __post_init__(self) -> None:
        self.faults = [FAULTS[n]() for n in self.names]
        for f in self.faults:
            f.set = self

    @property
    def active(self) -> bool:
        return bool(self.faults)

    def options(self) -> dict[str, Any]:
        """App settings the faults change (an explicit option of the caller wins)."""
        out: dict[str, Any] = {}
        for f in self.faults:
            out.update(f.options())
        return out


class FaultMiddleware:
    """ASGI middleware running a :class:`FaultSet` in front of the sandbox app."""

    def __init__(self, app: ASGIApp, faults: FaultSet) -> None:
        self.app = app
        self.faults = faults
        self.counts: dict[str, int] = {}
        self.api_count = 0
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.active:
            await self.app(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        path = scope["path"]
        family = _family(path)
        with self.lock:
            self.counts[family] = number = self.counts.get(family, 0) + 1
            if family not in ("token", "other"):
                self.api_count += 1
            api_number = self.api_count
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        call = Call(path, scope["method"], family, number, headers, body, api_number)
        active = [f for f in self.faults.faults if f.applies(call)]
        for fault in active:
            early = await fault.before(call)
            if early == "reset":
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"content-length", b"4096")],
                    }
                )
                await send({"type": "http.response.body", "body": b'{"data":', "more_body": True})
                raise ConnectionResetError("injected fault: connection reset")
            if isinstance(early, Answer):
                await _send(send, early, None)
                return
        rewriting = [f for f in active if f.rewrites(call)]
        drip = next((d for f in active if (d := f.drip(call)) is not None), None)
        if not rewriting and drip is None:
            await self.app(scope, _replay(body), send)
            return
        if rewriting:  # answers are rewritten as JSON/CSV: ask the app for them uncompressed
            scope = {
                **scope,
                "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"],
            }
        answer = await _collect(self.app, scope, body)
        for fault in rewriting:
            answer = fault.after(call, answer)
        await _send(send, answer, drip)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client stays connected until the answer is sent
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _collect(app: ASGIApp, scope: Scope, body: bytes) -> Answer:
    status = 500
    headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            for k, v in message.get("headers", []):
                headers[k.decode("latin-1").lower()] = v.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, _replay(body), send)
    return Answer(status, headers, b"".join(chunks))


async def _send(send: Send, answer: Answer, drip: tuple[int, float] | None) -> None:
    headers = {
        k: v for k, v in answer.headers.items() if k not in ("content-length", "") and v != ""
    }
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": raw})
    if drip is None or len(answer.body) < 2:
        await send({"type": "http.response.body", "body": answer.body})
        return
    pieces, pause = drip
    size = max(1, -(-len(answer.body) // pieces))
    for start in range(0, len(answer.body), size):
        last = start + size >= len(answer.body)
        await send(
            {
                "type": "http.response.body",
                "body": answer.body[start : start + size],
                "more_body": not last,
            }
        )
        if not last:
            await asyncio.sleep(pause)
