"""The sandbox's WFO APIs: session login, Data Explorer report exports, org exports.

- ``POST /api/rest/authorize`` (``userId``, ``password``, ``language``, ``locale``,
  ``tenantId``) opens a session: its id comes back in the JSON (``sessionId``) and as the
  ``hazelcast.sessionId`` cookie; every other call sends that cookie. ``GET`` checks it,
  ``DELETE`` logs out. A session expires after ``wfo.session_idle_s`` without a request.
- ``POST /api/rest/dataexplorer/report/{reportId}/export`` (the seed's body) answers a small
  result at once as CSV with a ``Content-Extent: rows=<n>;columns=<m>`` header (the whole
  result's extent), and a larger one (over ``wfo.sync_max_rows`` rows in all) with
  ``{"requestId", "status"}``; ``GET /api/rest/dataexplorer/report/export/request/{id}`` then
  answers ``Queued``, ``Processing``, the CSV, or a terminal ``Failed``, ``Canceled``,
  ``Expired`` or ``Blacklisted``. At most 1,000 rows an export.
- ``GET /api/rest/fileexport/{persons|groups|teams}`` answers CSV.

CSV headers follow the session's locale. Every call spends the user's budget: 500 a minute and
10,000 an hour (the seed's WFM figures). Options (``app.options``, defaults in ``DEFAULTS``):

``wfo.session_idle_s``      idle seconds before a session expires (7,200: two hours)
``wfo.sync_max_rows``       results with more rows go asynchronous (500)
``wfo.force_async``         every export goes asynchronous (False)
``wfo.async_ready_s``       seconds from request to CSV: Queued the first half, then Processing (4)
``wfo.async_ttl_s``         seconds a finished result stays to be fetched, then Expired (3,600)
``wfo.force_statuses``      terminal statuses the next new requests end in, in order ([])
``wfo.budget_per_minute``   requests a user may make in any rolling minute (500; 0: unlimited)
``wfo.budget_per_hour``     and in any rolling hour (10,000; 0: unlimited)
"""

from __future__ import annotations

import csv
import io
import math
import secrets
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.errors import JSON, tracking_id_of
from sandbox.wfo.headers import localize
from sandbox.wfo.reports import REPORTS, export_rows, render_value

USER = "sandbox"
PASSWORD = "sandbox-password"  # noqa: S105 - the sandbox's published development credential
TENANT = "sandbox-tenant"
COOKIE = "hazelcast.sessionId"
MAX_EXPORT_ROWS = 1000
DATE_PARAMETER = "pDate"
PERIOD_MS = {"DayOfMonthPeriod": 86_400_000, "HourOfDayPeriod": 3_600_000}
TERMINAL = ("Failed", "Canceled", "Expired", "Blacklisted")
DEFAULTS: dict[str, Any] = {
    "wfo.session_idle_s": 7200,
    "wfo.sync_max_rows": 500,
    "wfo.force_async": False,
    "wfo.async_ready_s": 4,
    "wfo.async_ttl_s": 3600,
    "wfo.force_statuses": [],
    "wfo.budget_per_minute": 500,
    "wfo.budget_per_hour": 10_000,
}


class WfoBudget:
    """Requests per user in any rolling minute and any rolling hour (each 0: unlimited)."""

    def __init__(self, per_minute: int, per_hour: int, clock: Any) -> None:
        self.limits = ((60.0, per_minute), (3600.0, per_hour))
        self.clock = clock
        self._log: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, client: str) -> int | None:
        now = self.clock.time()
        with self._lock:
            log = self._log.setdefault(client, deque())
            while log and log[0] <= now - 3600.0:
                log.popleft()
            waits = []
            for window, limit in self.limits:
                if not limit:
                    continue
                inside = [t for t in log if t > now - window]
                if len(inside) >= limit:
                    waits.append(max(1, math.ceil(inside[-limit] + window - now)))
            if waits:
                return max(waits)
            log.append(now)
            return None


@dataclass
class Session:
    user: str
    locale: str
    last_seen: float


@dataclass
class ExportRequest:
    user: str
    created: float
    body: bytes
    extent: str
    forced: str | None = None
    fetched: bool = False
    polls: int = field(default=0)


class WfoState:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.options = {**DEFAULTS, **{k: v for k, v in app.options.items() if k in DEFAULTS}}
        self.sessions: dict[str, Session] = {}
        self.requests: dict[str, ExportRequest] = {}
        self.forced = list(self.options["wfo.force_statuses"])
        self.budget = WfoBudget(
            int(self.options["wfo.budget_per_minute"]),
            int(self.options["wfo.budget_per_hour"]),
            app.clock,
        )
        self.lock = threading.Lock()

    def now(self) -> float:
        return float(self.app.clock.time())

    # -- helpers ---------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        sid = request.cookies.get(COOKIE)
        if not sid:
            return None
        with self.lock:
            s = self.sessions.get(sid)
            if s is None:
                return None
            if self.now() - s.last_seen > float(self.options["wfo.session_idle_s"]):
                del self.sessions[sid]
                return None
            s.last_seen = self.now()
            return s

    async def gate(self, request: Request, tracking_id: str) -> Session | Response:
        s = self.session(request)
        if s is None:
            return _error(401, "Session is not valid or has expired; log in again.", tracking_id)
        refused = await self.app.spend(f"wfo:{s.user}", tracking_id, budget=self.budget)
        return refused if refused is not None else s

    # -- routes ----------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        tracking_id = tracking_id_of(request)
        if request.method == "GET":
            s = self.session(request)
            if s is None:
                return _error(401, "Session is not valid or has expired.", tracking_id)
            return _json(_user_info(request.cookies[COOKIE], s, self.options))
        if request.method == "DELETE":
            sid = request.cookies.get(COOKIE)
            with self.lock:
                known = sid is not None and self.sessions.pop(sid, None) is not None
            if not known:
                return _error(401, "Session is not valid or has expired.", tracking_id)
            return Response(status_code=200)
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _error(400, "Request body is not valid JSON.", tracking_id)
        if not isinstance(body, dict):
            return _error(400, "Request body must be a JSON object.", tracking_id)
        user = body.get("userId")
        refused = await self.app.spend(f"wfo:{user}", tracking_id, budget=self.budget)
        if refused is not None:
            return refused
        if not isinstance(user, str) or not isinstance(body.get("password"), str):
            return _error(400, "userId and password are required.", tracking_id)
        if not isinstance(body.get("language"), str) or not body["language"]:
            return _error(400, "language is required.", tracking_id)
        tenant = body.get("tenantId")
        if (
            user != USER
            or not secrets.compare_digest(body["password"], PASSWORD)
            or (tenant is not None and str(tenant) != TENANT)
        ):
            return _error(401, "Invalid user ID, password or tenant.", tracking_id)
        sid = "HZ" + uuid.uuid4().hex.upper()
        locale = str(body.get("locale") or body["language"])
        s = Session(user, locale, self.now())
        with self.lock:
            self.sessions[sid] = s
        response = _json(_user_info(sid, s, self.options))
        response.set_cookie(COOKIE, sid, httponly=True)
        return response

    async def export(self, request: Request) -> Response:
        tracking_id = tracking_id_of(request)
        gate = await self.gate(request, tracking_id)
        if isinstance(gate, Response):
            return gate
        try:
            report_id = int(request.path_params["report_id"])
        except ValueError:
            return _error(404, "Report not found.", tracking_id)
        report = REPORTS.get(report_id)
        if report is None:
            return _error(404, f"Report {report_id} not found.", tracking_id)
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _error(400, "Request body is not valid JSON.", tracking_id)
        try:
            spec = _export_spec(body, report.qname, self.app.now_ms())
        except ValueError as exc:
            return _error(400, str(exc), tracking_id)
        (start, end), (row_off, row_lim), (col_off, col_lim) = spec
        rows = report.rows(self.app.tenant, start, end, self.app.now_ms())
        headers = [localize(h, gate.locale) for h, _ in report.columns]
        csv_body = _csv(
            headers[col_off : col_off + col_lim],
            [
                [r.get(h) for h, _ in report.columns][col_off : col_off + col_lim]
                for r in rows[row_off : row_off + row_lim]
            ],
        )
        extent = f"rows={len(rows)};columns={len(report.columns)}"
        if not self.options["wfo.force_async"] and len(rows) <= int(
            self.options["wfo.sync_max_rows"]
        ):
            return _csv_response(csv_body, extent)
        request_id = str(uuid.uuid4())
        with self.lock:
            forced = self.forced.pop(0) if self.forced else None
            self.requests[request_id] = ExportRequest(
                gate.user, self.now(), csv_body, extent, forced
            )
        return _json({"requestId": request_id, "status": "Queued"})

    async def export_request(self, request: Request) -> Response:
        tracking_id = tracking_id_of(request)
        gate = await self.gate(request, tracking_id)
        if isinstance(gate, Response):
            return gate
        request_id = request.path_params["request_id"]
        with self.lock:
            job = self.requests.get(request_id)
        if job is None or job.user != gate.user:
            return _error(404, f"Request {request_id} not found.", tracking_id)
        job.polls += 1
        age = self.now() - job.created
        ready = float(self.options["wfo.async_ready_s"])
        if age < ready / 2:
            status = "Queued"
        elif age < ready:
            status = "Processing"
        elif job.forced is not None:
            status = job.forced
        elif age > ready + float(self.options["wfo.async_ttl_s"]):
            status = "Expired"
        else:
            job.fetched = True
            return _csv_response(job.body, job.extent)
        return _json({"requestId": request_id, "status": status})

    async def file_export(self, request: Request) -> Response:
        tracking_id = tracking_id_of(request)
        gate = await self.gate(request, tracking_id)
        if isinstance(gate, Response):
            return gate
        kind = request.path_params["kind"]
        if kind not in ("persons", "groups", "teams"):
            return _error(404, f"Unknown import type {kind}.", tracking_id)
        names, rows = export_rows(kind, self.app.tenant.entities)
        body = _csv(
            [localize(h, gate.locale) for h in names], ([r.get(h) for h in names] for r in rows)
        )
        return Response(body, media_type="text/csv; charset=utf-8")


def _export_spec(
    body: Any, qname: str, now_ms: int
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Window, row page and column page of an export body; ``ValueError`` says what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("Request body must be a JSON object.")
    state = body.get("state") or {}
    params = body.get("paramValues") or {}
    given = state.get("qname") if isinstance(state, dict) else None
    if given != qname:
        raise ValueError(f"qname {given!r} does not name this report.")
    encoded = params.get("encodedParamValues", "[]") if isinstance(params, dict) else "[]"
    try:
        values = orjson.loads(encoded) if isinstance(encoded, str) else encoded
    except orjson.JSONDecodeError:
        raise ValueError("encodedParamValues is not valid JSON.") from None
    window = None
    for p in values if isinstance(values, list) else []:
        if isinstance(p, dict) and p.get("name") == DATE_PARAMETER:
            window = _date_range(p.get("value"), now_ms)
    if window is None:
        raise ValueError(f"The report needs its date range parameter {DATE_PARAMETER}.")
    pages = body.get("pageSpecification") or [
        {"offset": 0, "limit": 100},
        {"offset": 0, "limit": 100},
    ]
    try:
        (r_off, r_lim), (c_off, c_lim) = (
            (int(pages[i]["offset"]), int(pages[i]["limit"])) for i in (0, 1)
        )
    except (KeyError, IndexError, TypeError, ValueError):
        raise ValueError("pageSpecification needs offset and limit for rows and columns.") from None
    if min(r_off, c_off) < 0 or min(r_lim, c_lim) < 1:
        raise ValueError("pageSpecification offsets must be >= 0 and limits >= 1.")
    if r_lim > MAX_EXPORT_ROWS:
        raise ValueError(
            f"You can export a maximum of {MAX_EXPORT_ROWS:,} records in each export request."
        )
    return window, (r_off, r_lim), (c_off, c_lim)


def _date_range(value: Any, now_ms: int) -> tuple[int, int]:
    """``[start, end)`` of a date range value: periods ``rangeStart`` to ``rangeEnd``, both
    included, counted from the period holding ``referenceTime`` (epoch ms, or "NL": now)."""
    periods = value.get("values") or value.get("value") if isinstance(value, dict) else None
    if not isinstance(periods, list) or not periods:
        raise ValueError(f"{DATE_PARAMETER} needs a list of period values.")
    spans = []
    for v in periods:
        try:
            size = PERIOD_MS[v["periodType"]]
            ref = now_ms if v.get("referenceTime") == "NL" else int(v["referenceTime"])
            lo, hi = int(v["rangeStart"]), int(v["rangeEnd"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"{DATE_PARAMETER}: each value needs periodType (one of {', '.join(PERIOD_MS)}), "
                "referenceTime, rangeStart and rangeEnd."
            ) from None
        if hi < lo:
            raise ValueError(f"{DATE_PARAMETER}: rangeEnd before rangeStart.")
        base = ref - ref % size
        spans.append((base + lo * size, base + (hi + 1) * size))
    spans.sort()
    start, end = spans[0]
    for s, e in spans[1:]:
        if s > end:
            raise ValueError(f"{DATE_PARAMETER}: the periods must be contiguous.")
        end = max(end, e)
    return start, end


def _csv(headers: list[str], rows: Any) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([render_value(v) for v in row])
    return out.getvalue().encode("utf-8")


def _csv_response(body: bytes, extent: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Extent": extent})


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type=JSON)


def _error(status: int, message: str, tracking_id: str) -> Response:
    # WFO answers errors as {"errorMessage"} (seed, Single Contact Export).
    return Response(
        orjson.dumps({"errorMessage": message, "requestId": tracking_id}),
        status_code=status,
        media_type=JSON,
        headers={"TrackingId": tracking_id},
    )


def _user_info(sid: str, s: Session, options: dict[str, Any]) -> dict[str, Any]:
    language = s.locale.replace("-", "_").split("_")[0]
    return {
        "sessionId": sid,
        "id": 2,
        "userId": s.user,
        "firstName": "API",
        "lastName": "User",
        "teamId": 3,
        "teamName": "Default Team",
        "groupId": 2,
        "groupName": "Default Group",
        "lang": language,
        "country": s.locale[len(language) + 1 :],
        "sessionTimeout": str(int(options["wfo.session_idle_s"]) // 60),
        "timezoneString": "America/New_York",
        "deactivated": False,
        "licenseCompliance": True,
        "tenantId": TENANT,
        "passwordExpirationDate": None,
        "permissions": ["ReportAuthoring", "BulkImport", "ViewOrg"],
        "groupsInScope": [],
        "teamsInScope": [],
        "serviceQueuesInScope": [],
    }


def routes(app: Any) -> list[Route]:
    """The family's routes, served by ``app`` (a ``sandbox.app.SandboxApp``)."""
    state = WfoState(app)
    return [
        Route("/api/rest/authorize", state.authorize, methods=["GET", "POST", "DELETE"]),
        Route("/api/rest/dataexplorer/report/{report_id}/export", state.export, methods=["POST"]),
        Route(
            "/api/rest/dataexplorer/report/export/request/{request_id}",
            state.export_request,
            methods=["GET"],
        ),
        Route("/api/rest/fileexport/{kind}", state.file_export, methods=["GET"]),
    ]
