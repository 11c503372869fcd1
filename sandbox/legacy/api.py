"""Routes of the legacy v1 record API: ``GET /aws/api/{csrs,cars,asrs,aars}[/{id}]``.

Auth is the Analyzer API key scheme of the seed: ``Authorization: <Base64(HMAC-SHA1(key=API key,
message=user id))>;tenantId=<tenant>`` and ``From: <user id>``; anything else gets 401 with the
REST error body, which never says which part was wrong. A query (``?q=<URL-encoded JSON>``) selects
the records whose start lies in ``[dateBegin, dateEnd)``, ascending by start then key, and answers
at most ``min(numberOfRecords, legacy.record_cap)`` of them, silently: an answer that reaches the
cap is all a client learns. ``Accept: text/csv`` answers RFC 4180 CSV, otherwise JSON (a bare
array of records; one object for ``/{id}``).

Options (``app.options``), each with its default:

- ``legacy.record_cap`` (10,000): records per answer at most;
- ``legacy.lookup_days`` (3): how many days before ``now`` a ``/{id}`` lookup of a CSR or ASR
  searches (their ids hold no time);
- ``legacy.drop_csr_one_in`` (0: none): a test fault; CSR answers leave out every task whose id
  hashes to 0 modulo this number, as a lossy legacy store would.

Every request that passes auth spends the shared budget under the client key
``legacy:<user id>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import zlib
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.errors import JSON, error_response, tracking_id_of
from sandbox.legacy.records import (
    DAY_MS,
    PARENT_LOOKBACK_MS,
    RECORD_TYPES,
    Record,
    RecordType,
    aar_of,
    asr_of,
    car_of,
    csr_of,
    records,
)

API_KEY = "sandbox-api-key"
USER_ID = "sandbox@example.com"
TENANT_ID = "sandbox-tenant"

DEFAULT_RECORD_CAP = 10_000
DEFAULT_LOOKUP_DAYS = 3
CSV = "text/csv; charset=utf-8"
MAX_QUERY_CHARS = 64 * 1024

_UNAUTHORIZED = "Unauthorized: the API key signature, user or tenant is not valid."
_CAR_ID = re.compile(r"^(?P<session>.+)-(?P<ts>\d{10,16})-(?P<event>[a-z][a-z0-9-]*)$")
_AAR_ID = re.compile(r"^(?P<channel>.+)-(?P<type>[a-z]+)-(?P<ts>\d{10,16})-(?P<state>[a-z-]+)$")


def signature(api_key: str, user_id: str) -> str:
    """Base64 of HMAC-SHA1 of the user id keyed by the API key (the LAB's recipe)."""
    digest = hmac.new(api_key.encode(), user_id.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _authorized(request: Request) -> str | None:
    """The user id of a correctly signed request for the sandbox tenant, else None."""
    header = request.headers.get("authorization", "")
    user = request.headers.get("from", "")
    parts = [p.strip() for p in header.split(";")]
    given, params = parts[0], parts[1:]
    tenant = None
    for p in params:
        name, _, value = p.partition("=")
        if name.strip() == "tenantId":
            tenant = value.strip()
    if user != USER_ID or tenant != TENANT_ID or not given:
        return None
    if not hmac.compare_digest(given.encode(), signature(API_KEY, USER_ID).encode()):
        return None
    return user


class _BadQuery(ValueError):
    pass


def _instant(query: dict[str, Any], name: str) -> int:
    value = query.get(name)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _BadQuery(f"'{name}' must be an epoch-millisecond instant or a list of one.")
    return value


def _parse_query(raw: str | None, cap: int) -> tuple[int, int, int]:
    """``(begin, end, limit)`` of a ``q`` parameter."""
    if raw is None:
        raise _BadQuery("Missing query parameter 'q'.")
    if len(raw) > MAX_QUERY_CHARS:
        raise _BadQuery("Query parameter 'q' is too long.")
    try:
        query = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _BadQuery("Query parameter 'q' is not valid JSON.") from None
    if not isinstance(query, dict):
        raise _BadQuery("Query parameter 'q' must be a JSON object.")
    begin = _instant(query, "dateBegin")
    end = _instant(query, "dateEnd")
    if end <= begin:
        raise _BadQuery("'dateEnd' must be after 'dateBegin'.")
    limit = query.get("numberOfRecords", cap)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise _BadQuery("'numberOfRecords' must be a positive integer.")
    return begin, end, min(limit, cap)


def _csv_field(value: Any) -> str:
    """One RFC 4180 field: null is empty, an empty string is ``""``; quoted when it must be."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    if text == "" or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def render_csv(fields: Sequence[str], rows: Sequence[Record]) -> bytes:
    """A header line and one line per record, every line ended by CRLF."""
    lines = [",".join(fields)]
    lines += [",".join(_csv_field(r[f]) for f in fields) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _wants_csv(request: Request) -> bool:
    return "text/csv" in request.headers.get("accept", "").lower()


def _dropped(sid: str, one_in: int) -> bool:
    return one_in > 0 and zlib.crc32(sid.encode()) % one_in == 0


class LegacyApi:
    """The legacy routes over a ``sandbox.app.SandboxApp``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def option(self, name: str, default: int) -> int:
        return int(self.app.options.get(f"legacy.{name}", default))

    async def _gate(self, request: Request, tracking_id: str) -> Response | None:
        user = _authorized(request)
        if user is None:
            return error_response(401, _UNAUTHORIZED, tracking_id)
        refused: Response | None = await self.app.spend(f"legacy:{user}", tracking_id)
        return refused

    def _answer(
        self, request: Request, rtype: RecordType, rows: list[Record], tracking_id: str
    ) -> Response:
        headers = {"TrackingId": tracking_id}
        if _wants_csv(request):
            return Response(render_csv(rtype.fields, rows), media_type=CSV, headers=headers)
        return Response(orjson.dumps(rows), media_type=JSON, headers=headers)

    async def query(self, request: Request) -> Response:
        tracking_id = tracking_id_of(request)
        rtype = RECORD_TYPES[request.url.path.rstrip("/").rsplit("/", 1)[-1]]
        refused = await self._gate(request, tracking_id)
        if refused is not None:
            return refused
        cap = self.option("record_cap", DEFAULT_RECORD_CAP)
        try:
            begin, end, limit = _parse_query(request.query_params.get("q"), cap)
        except _BadQuery as exc:
            return error_response(400, str(exc), tracking_id)
        rows = records(rtype.path, self.app.tenant, begin, end, self.app.now_ms())
        one_in = self.option("drop_csr_one_in", 0)
        if rtype.path == "csrs" and one_in:
            rows = [r for r in rows if not _dropped(r["sid"], one_in)]
        return self._answer(request, rtype, rows[:limit], tracking_id)

    async def one(self, request: Request) -> Response:
        tracking_id = tracking_id_of(request)
        rtype = RECORD_TYPES.get(request.path_params["type"])
        if rtype is None:
            return error_response(404, "Not Found", tracking_id)
        refused = await self._gate(request, tracking_id)
        if refused is not None:
            return refused
        record_id = request.path_params["id"]
        found = self._find(rtype, record_id, self.app.now_ms())
        if found is None:
            return error_response(404, f"No {rtype.path[:-1]} with id {record_id}.", tracking_id)
        if _wants_csv(request):
            return self._answer(request, rtype, [found], tracking_id)
        return Response(orjson.dumps(found), media_type=JSON, headers={"TrackingId": tracking_id})

    def _find(self, rtype: RecordType, record_id: str, now: int) -> Record | None:
        tenant = self.app.tenant
        days = self.option("lookup_days", DEFAULT_LOOKUP_DAYS)
        if rtype.path == "csrs":
            index = tenant.record_index("tasks", now - days * DAY_MS, now, now)
            plans = [p for p in index.refs if p.id == record_id]
            return csr_of(index.render(plans, False)[0]) if plans else None
        if rtype.path == "asrs":
            index = tenant.record_index("agent_sessions_records", now - days * DAY_MS, now, now)
            pairs = [(p, s) for p, s in index.refs if s.session_id == record_id]
            return asr_of(index.render(pairs, False)[0], now) if pairs else None
        if rtype.path == "cars":
            m = _CAR_ID.match(record_id)
            if m is None:
                return None
            ts = int(m["ts"])
            index = tenant.record_index("tasks", ts - PARENT_LOOKBACK_MS, ts + 1, now)
            plans = [p for p in index.refs if p.id == m["session"]]
            for task in index.render(plans, True):
                for node in task["_activities"]:
                    if node["id"] == record_id:
                        return car_of(task, node)
            return None
        m = _AAR_ID.match(record_id)
        if m is None:
            return None
        ts = int(m["ts"])
        index = tenant.record_index("agent_sessions_records", ts - PARENT_LOOKBACK_MS, ts + 1, now)
        pairs = [(p, s) for p, s in index.refs if m["channel"] in s.channel_ids.values()]
        for session in index.render(pairs, True):
            for channel in session["channelInfo"]:
                for node in channel["_activities"]:
                    if node["id"] == record_id:
                        return aar_of(session, channel, node)
        return None


def routes(app: Any) -> list[Route]:
    """The family's routes, served by ``app`` (a ``sandbox.app.SandboxApp``)."""
    api = LegacyApi(app)
    return [
        *(Route(f"/aws/api/{t}", api.query, methods=["GET"]) for t in RECORD_TYPES),
        Route("/aws/api/{type}/{id}", api.one, methods=["GET"]),
    ]
