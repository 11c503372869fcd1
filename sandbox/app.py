"""The sandbox tenant's HTTP app (Starlette): the WxCC paths, auth, limits and failures.

``create_app(tenant, ...)`` serves, on one origin:

- ``POST /v1/access_token``: the Webex refresh-token grant (``sandbox.auth``);
- ``POST /search``: the Search API (GraphQL, ``sandbox.search``);
- ``GET /healthz``: liveness and the org id (sandbox only).

API requests need a bearer token and spend the client's rate budget (``sandbox.budget``); the
token endpoint does neither (it is Webex identity, a different service). HTTP-level failures use
the WxCC REST error body ``{"trackingId", "error": {"key", "message": [{"description"}]}}``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from isal import igzip
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.auth import ACCESS_TOKEN_LIFETIME_S, CLIENT_SECRET, Principal, TokenService
from sandbox.budget import RateBudget, SystemClock, WallClock
from sandbox.errors import JSON, error_response, tracking_id_of
from sandbox.faults import FAULT_NAMES, FaultMiddleware, Faults, FaultSet, parse_names
from sandbox.legacy.api import routes as legacy_routes
from sandbox.reporting.api import routes as reporting_routes
from sandbox.search.engine import (
    DEFAULT_CACHE_BYTES,
    RAW_RECORD_CAP,
    SearchEngine,
    SearchResult,
    TaskSource,
)
from sandbox.wfo.api import routes as wfo_routes

log = logging.getLogger(__name__)

GZIP_THRESHOLD = 1024 * 1024  # /search compresses only bodies over 1 MB (OAS, DOC-SEARCH)
DEFAULT_CACHE_MB = DEFAULT_CACHE_BYTES // (1024 * 1024)
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class OrgIdentity:
    """An org of a multi-org sandbox other than the tenant's own: its id and its integration's
    client id, secret and bootstrap refresh token (``sandbox.tenants``)."""

    org_id: str
    client_id: str
    client_secret: str
    refresh_token: str


class SandboxApp:
    """State behind the routes: tenant, engine, tokens, budget, faults."""

    def __init__(
        self,
        tenant: Any,
        *,
        now_ms: int | None,
        budget_per_minute: int,
        token_lifetime_s: int,
        latency_ms: int,
        clock: WallClock,
        faults: FaultSet,
        raw_record_cap: int,
        client_secrets: Sequence[str],
        cache_mb: int = DEFAULT_CACHE_MB,
        gc_freeze: bool = False,
        options: Mapping[str, Any] | None = None,
        org: OrgIdentity | None = None,
        answers_of: SandboxApp | None = None,
    ) -> None:
        self.tenant = tenant
        # Settings of the other API families (reporting, legacy, WFO), by dotted name
        # (``wfo.session_idle_s``); each family documents its own and their defaults.
        self.options: dict[str, Any] = dict(options or {})
        self.clock = clock
        self.fixed_now_ms = now_ms
        self.org_id: str = tenant.org_id if org is None else org.org_id
        self.tokens = TokenService(
            self.org_id,
            clock,
            access_lifetime_s=token_lifetime_s,
            client_secrets=client_secrets if org is None else (org.client_secret,),
            **(
                {}
                if org is None
                else {"client_id": org.client_id, "bootstrap_refresh_token": org.refresh_token}
            ),
        )
        self.budget = RateBudget(budget_per_minute, clock)
        self.latency_s = max(0, latency_ms) / 1000
        self.faults = faults
        faults.app_state = self
        source: TaskSource = tenant
        cache_bytes = max(0, cache_mb) * 1024 * 1024
        # Another org of the same process that serves the same simulated days: its Search
        # answers and their gzip copies are this org's too, computed and kept once.
        self._answers_of: SandboxApp = self if answers_of is None else answers_of
        if answers_of is not None:
            self.engine = answers_of.engine
            return
        self.engine = SearchEngine(
            source,
            self.now_ms,
            raw_record_cap=raw_record_cap,
            max_cached_bytes=cache_bytes,
            gc_freeze=gc_freeze,
        )
        # gzip copies of cached answers: about an eighth of their size, so a quarter of the
        # answers' budget keeps a copy of every cached answer.
        self._gzipped: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._gzipped_bytes = 0
        self._gzip_budget = cache_bytes // 4
        self._gzipping: dict[tuple[Any, ...], Future[bytes]] = {}
        self._gzip_lock = threading.Lock()
        self._gzip_pool = ThreadPoolExecutor(1, thread_name_prefix="sandbox-gzip")

    def now_ms(self) -> int:
        """The tenant clock: frozen by ``--now``, else the wall clock."""
        if self.fixed_now_ms is not None:
            return self.fixed_now_ms
        return int(self.clock.time() * 1000)

    # -- routes ----------------------------------------------------------------------------

    async def access_token(self, request: Request) -> Response:
        tracking_id = tracking_id_of(request)
        params = await _grant_params(request)
        result = self.tokens.grant(params, tracking_id)
        return Response(
            orjson.dumps(result.body),
            status_code=result.status,
            media_type=JSON,
            headers={"TrackingId": tracking_id, "Cache-Control": "no-store"},
        )

    async def healthz(self, _request: Request) -> Response:
        return Response(
            orjson.dumps({"status": "ok", "orgId": self.org_id, "nowMs": self.now_ms()}),
            media_type=JSON,
        )

    async def search(self, request: Request) -> Response:
        tracking_id = tracking_id_of(request)
        gate = await self.gate(request, tracking_id)
        if isinstance(gate, Response):
            return gate
        raw = await request.body()
        if len(raw) > MAX_REQUEST_BYTES:
            return error_response(413, "Request body too large.", tracking_id)
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            return error_response(400, "Request body is not valid JSON.", tracking_id)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return error_response(
                400, "Request body must be a JSON object with a 'query' string.", tracking_id
            )
        variables = body.get("variables")
        operation_name = body.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            return error_response(400, "'variables' must be a JSON object.", tracking_id)
        if operation_name is not None and not isinstance(operation_name, str):
            return error_response(400, "'operationName' must be a string.", tracking_id)
        try:
            result = self.engine.execute(body["query"], variables, operation_name)
        except Exception:  # a sandbox bug must still look like the service's 500
            log.exception("search failed (trackingId %s)", tracking_id)
            return error_response(500, "Internal Server Error.", tracking_id)
        if result.error is not None:
            return error_response(result.error.status, result.error.message, tracking_id)
        accepts_gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
        response = await self._json(result, tracking_id, accepts_gzip)
        if result.next_variables is not None and self._lasts(result):
            response.background = BackgroundTask(
                self._ahead, body["query"], result.next_variables, operation_name, accepts_gzip
            )
        return response

    # -- helpers -----------------------------------------------------------------------------

    async def gate(self, request: Request, tracking_id: str) -> Principal | Response:
        """Bearer auth, org, rate budget and latency, in the service's order: the principal, or
        the error response to send. Every bearer-token API route calls it. (Injected faults
        come before it, in ``sandbox.faults``' middleware.)"""
        principal = self.tokens.authenticate(request.headers.get("authorization"))
        if principal is None:
            return error_response(
                401, "Unauthorized: missing, invalid or expired access token.", tracking_id
            )
        org = request.query_params.get("orgId")
        if org is not None and org != principal.org_id:
            return error_response(
                403, f"Access to org {org} is forbidden for this token.", tracking_id
            )
        refused = await self.spend(principal.client_id, tracking_id)
        return refused if refused is not None else principal

    async def spend(
        self, client: str, tracking_id: str, budget: RateBudget | None = None
    ) -> Response | None:
        """One request of an authenticated ``client``: the rate budget (this app's shared one
        unless another is given) and the added latency. ``None`` admits it; otherwise the 429
        to send."""
        wait = (budget or self.budget).acquire(client)
        if wait is not None:
            return error_response(
                429,
                "Too Many Requests: rate limit exceeded, retry after the given seconds.",
                tracking_id,
                {"Retry-After": str(wait)},
            )
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        return None

    async def _json(self, result: SearchResult, tracking_id: str, accepts_gzip: bool) -> Response:
        body = result.body
        headers = {"TrackingId": tracking_id}
        if accepts_gzip and len(body) > GZIP_THRESHOLD:
            body = await self._answers_of._gzip(result)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        return Response(body, status_code=result.status, media_type=JSON, headers=headers)

    def _lasts(self, result: SearchResult) -> bool:
        """Whether the answer to the same request stays this one (the clock is frozen, or the
        window cannot change any more), so computing it ahead is not wasted."""
        return result.stable or self.fixed_now_ms is not None

    async def _ahead(
        self,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None,
        gzip_wanted: bool,
    ) -> None:
        """Compute the next pages of a raw query after answering one, while the client reads
        it (the answers land in the engine's cache; the client's next request finds them).

        Runs on the event loop once the response is sent, so the client's next request waits
        for it (it is that request's page). With gzip, the page after next is computed too,
        while the next one is compressed in a worker thread (ISA-L, like zlib, works outside the GIL): a
        client paging a window then waits for about the projection of each page alone.
        """
        for _ in range(2 if gzip_wanted else 1):
            try:
                result = self.engine.execute(query, variables, operation_name)
            except Exception:  # never fails a request; the request computes it again
                log.exception("computing the next page ahead failed")
                return
            if result.status != 200 or result.error is not None or result.cache_key is None:
                return
            if gzip_wanted and len(result.body) > GZIP_THRESHOLD:
                self._answers_of._gzip_started(result)
            if result.next_variables is None or not self._lasts(result):
                return
            variables = result.next_variables

    async def _gzip(self, result: SearchResult) -> bytes:
        if result.cache_key is None:
            future = self._gzip_pool.submit(_gzip_body, result.body)
        else:
            future = self._gzip_started(result)
        return await asyncio.wrap_future(future)

    def _gzip_started(self, result: SearchResult) -> Future[bytes]:
        """The gzip copy of a cacheable answer: kept, or compressed once in the worker thread
        (a thread-safe future, so any event loop may wait for it)."""
        key = result.cache_key
        assert key is not None
        with self._gzip_lock:
            hit = self._gzipped.get(key)
            if hit is not None:
                self._gzipped.move_to_end(key)
                done: Future[bytes] = Future()
                done.set_result(hit)
                return done
            pending = self._gzipping.get(key)
            if pending is not None:
                return pending
            future = self._gzip_pool.submit(self._gzip_kept, key, result.body)
            self._gzipping[key] = future
            return future

    def _gzip_kept(self, key: tuple[Any, ...], body: bytes) -> bytes:
        """Compress (worker thread) and keep the copy within the gzip budget."""
        packed = _gzip_body(body)
        with self._gzip_lock:
            self._gzipping.pop(key, None)
            if len(packed) <= self._gzip_budget and key not in self._gzipped:
                self._gzipped[key] = packed
                self._gzipped_bytes += len(packed)
                while self._gzipped_bytes > self._gzip_budget:
                    _k, old = self._gzipped.popitem(last=False)
                    self._gzipped_bytes -= len(old)
        return packed


def _gzip_body(body: bytes) -> bytes:
    # ISA-L's level 1: a 1.2 MB page in ~0.8 ms where zlib's level 1 took ~4 ms (gzip was a
    # seventh of the sandbox's cold serving CPU), and smaller. Any gzip decoder reads it; the
    # bytes are the same for the same answer on this machine (a cached copy equals a fresh one).
    return igzip.compress(body, compresslevel=1, mtime=0)


async def _grant_params(request: Request) -> dict[str, Any]:
    """Token request parameters: a JSON object, or form-encoded (also in the query string)."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "").lower()
    params: dict[str, Any] = {}
    if "application/json" in content_type:
        try:
            parsed = orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError:
            parsed = {}
        if isinstance(parsed, dict):
            params.update(parsed)
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        params.update(parse_qsl(text, keep_blank_values=True))
    for key, value in request.query_params.items():
        params.setdefault(key, value)
    return params


def create_app(
    tenant: Any,
    *,
    now_ms: int | None = None,
    budget_per_minute: int = 300,
    token_lifetime_s: int = ACCESS_TOKEN_LIFETIME_S,
    latency_ms: int = 0,
    clock: WallClock | None = None,
    faults: str | Sequence[str] = "none",
    fault_seed: int = 0,
    raw_record_cap: int = RAW_RECORD_CAP,
    client_secrets: Sequence[str] = (CLIENT_SECRET,),
    cache_mb: int = DEFAULT_CACHE_MB,
    gc_freeze: bool = False,
    options: Mapping[str, Any] | None = None,
    org: OrgIdentity | None = None,
    answers_of: SandboxApp | None = None,
) -> Starlette:
    """The sandbox's ASGI app for ``tenant`` (a ``sandbox.model.Tenant``).

    Args:
        tenant: the data model served.
        now_ms: freeze the tenant clock at this instant (``None``: the wall clock).
        budget_per_minute: API requests a client may make in any rolling minute (0: unlimited).
        token_lifetime_s: lifetime of issued access tokens (default: the real 14 days).
        latency_ms: added to every API request.
        clock: wall clock for tokens, the rate budget and (without ``now_ms``) the tenant;
            tests pass a ``ManualClock``.
        faults: named faults, ``"a,b"`` or a list (``sandbox.faults.FAULTS``; ``none``, and
            the random profiles ``flaky`` and ``chaos``, are names too).
        fault_seed: seed of the random profiles' draws.
        raw_record_cap: records one raw query can page through (the service's 100,000).
        client_secrets: client secrets accepted for ``sandbox-client`` (tests add a canary).
        cache_mb: rendered answers kept, in MiB (plus a quarter of that for their gzip
            copies); a benchmark replaying a whole run sets it to hold every page.
        gc_freeze: freeze the garbage collector's objects after each read of the model (see
            ``SearchEngine``); ``wxcc-sandbox serve`` sets it, its process only serves.
        options: settings of the reporting, legacy and WFO families by dotted name (each
            family's module lists its own; the sandbox README too).
        org: serve another org than the tenant's own (its id and credentials; the same
            simulated days): one org of a multi-org sandbox (``sandbox.tenants``).
        answers_of: the app of another org of this process serving the same days, whose
            Search answers (and their cache) this one shares.
    """
    fault_set = FaultSet(
        parse_names(faults),
        clock or SystemClock(),
        fault_seed,
        settings={k: v for k, v in (options or {}).items() if k.startswith("faults.")},
    )
    # A fault's settings (the WFO export faults' forced statuses) give way to explicit options.
    options = {**fault_set.options(), **(options or {})}
    raw_record_cap = int(options.pop("search.raw_record_cap", raw_record_cap))
    state = SandboxApp(
        tenant,
        now_ms=now_ms,
        budget_per_minute=budget_per_minute,
        token_lifetime_s=token_lifetime_s,
        latency_ms=latency_ms,
        clock=fault_set.clock,
        faults=fault_set,
        raw_record_cap=raw_record_cap,
        client_secrets=client_secrets,
        cache_mb=cache_mb,
        gc_freeze=gc_freeze,
        options=options,
        org=org,
        answers_of=answers_of,
    )

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return error_response(status, _REASONS.get(status, "Error"), tracking_id_of(request))

    app = Starlette(
        routes=[
            Route("/v1/access_token", state.access_token, methods=["POST"]),
            Route("/search", state.search, methods=["POST"]),
            Route("/healthz", state.healthz, methods=["GET"]),
            *reporting_routes(state),
            *legacy_routes(state),
            *wfo_routes(state),
        ],
        exception_handlers={404: not_found, 405: not_found},
        middleware=[Middleware(FaultMiddleware, faults=fault_set)],
    )
    app.state.sandbox = state
    return app


_REASONS: dict[int, str] = {404: "Not Found", 405: "Method Not Allowed"}
# The names the first fault profiles were imported by.
FAULT_PROFILES = FAULT_NAMES
__all__ = ["FAULT_PROFILES", "Faults", "OrgIdentity", "SandboxApp", "create_app"]
