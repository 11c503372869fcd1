"""Several orgs served by one sandbox process (``wxcc-sandbox serve --orgs N``).

A firm running many WxCC orgs (a BPO, a multi-region enterprise) extracts them all from one
machine; to measure that against one sandbox process, the process serves N orgs. Each org is a
whole sandbox app of its own (``sandbox.app.create_app``): its own org id, its own OAuth
integration (client id, secret, refresh tokens signed with a key of its org), its own rate
budget ledger (the real budget is per client id: API_FACTS §0.4), its own fault draws and
its own sessions of the other API families. What the orgs share is the simulated history: every
org serves the same seed's days, so one Search answer cache (and its gzip copies) serves them
all and a benchmark warms it once, not N times.

Org 1 is the tenant itself, with the single-tenant credentials (``sandbox-client``,
``sandbox-secret``, ``sandbox-refresh``); org k > 1 has its own id (derived from the tenant's
and k) and ``sandbox-client-k``, ``sandbox-secret-k``, ``sandbox-refresh-k``.

Requests go to their org's app: the token endpoint by the ``client_id`` it is sent, every other
path by the org the bearer token names (tokens end in ``_<orgId>``, as the real ones do). A
token of org B asking for ``?orgId=A`` reaches B's app, which refuses it (403) as the service
does; a token B did not sign, or none, gets B's (or org 1's) 401. The legacy v1 and WFO
families authenticate without a bearer token, so they answer as org 1.

``GET /healthz`` adds ``orgs``: per org its id, client id and the API responses it got so far
by status (a benchmark reads its requests and 429s there).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import Message, Receive, Scope, Send

from sandbox.app import OrgIdentity, SandboxApp, create_app
from sandbox.auth import BOOTSTRAP_REFRESH_TOKEN, CLIENT_ID, CLIENT_SECRET
from sandbox.errors import JSON


def org_identity(tenant_org_id: str, k: int) -> OrgIdentity:
    """Org ``k`` (2, 3, ...) of a sandbox whose tenant is ``tenant_org_id``: a stable id (the same
    for the same seed, so tokens survive a restart) and its integration's credentials."""
    digest = hashlib.sha256(f"wxcc-sandbox-org:{tenant_org_id}:{k}".encode()).digest()
    return OrgIdentity(
        org_id=str(uuid.UUID(bytes=digest[:16], version=4)),
        client_id=f"{CLIENT_ID}-{k}",
        client_secret=f"{CLIENT_SECRET}-{k}",
        refresh_token=f"{BOOTSTRAP_REFRESH_TOKEN}-{k}",
    )


@dataclass
class _Served:
    org_id: str
    client_id: str
    app: Any  # the org's ASGI app (Starlette)
    statuses: Counter[int] = field(default_factory=Counter)


class MultiOrgApp:
    """The ASGI app of a multi-org sandbox: routes each request to its org's app."""

    def __init__(self, served: list[_Served]) -> None:
        self.served = served
        self._by_org = {s.org_id: s for s in served}
        self._by_client = {s.client_id: s for s in served}
        # ``app.state.sandbox`` of a single-tenant app is org 1's here; ``orgs`` lists all.
        self.state = served[0].app.state
        self.orgs: list[SandboxApp] = [s.app.state.sandbox for s in served]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.served[0].app(scope, receive, send)
            return
        path = scope["path"]
        if path == "/healthz":
            await self._healthz(send)
            return
        if path == "/v1/access_token":
            body = await _body(receive)
            org = self._by_client.get(_client_id(scope, body), self.served[0])
            await org.app(scope, _replay(body, receive), send)
            return
        org = self._by_org.get(_token_org(scope), self.served[0])

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                org.statuses[int(message["status"])] += 1
            await send(message)

        await org.app(scope, receive, counted)

    async def _healthz(self, send: Send) -> None:
        first = self.orgs[0]
        body = orjson.dumps(
            {
                "status": "ok",
                "orgId": first.org_id,
                "nowMs": first.now_ms(),
                "orgs": [
                    {
                        "orgId": s.org_id,
                        "clientId": s.client_id,
                        "responses": {str(k): v for k, v in sorted(s.statuses.items())},
                    }
                    for s in self.served
                ],
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def create_multi_org_app(tenant: Any, orgs: int, **app_kwargs: Any) -> MultiOrgApp:  # noqa: ANN401
    """``orgs`` orgs serving ``tenant``'s days from one process (``app_kwargs``: as for
    ``create_app``, each org getting the same settings and a budget of its own)."""
    if orgs < 1:
        raise ValueError("orgs must be >= 1")
    first = create_app(tenant, **app_kwargs)
    first_state: SandboxApp = first.state.sandbox
    served = [_Served(first_state.org_id, first_state.tokens.client_id, first)]
    options: Mapping[str, Any] = {k: v for k, v in app_kwargs.items() if k != "client_secrets"}
    for k in range(2, orgs + 1):
        identity = org_identity(first_state.org_id, k)
        app = create_app(tenant, **options, org=identity, answers_of=first_state)
        served.append(_Served(identity.org_id, identity.client_id, app))
    return MultiOrgApp(served)


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then waits on the real one (disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def _client_id(scope: Scope, body: bytes) -> str:
    """The ``client_id`` of a token request: JSON or form body, else the query string (the
    order ``sandbox.app`` reads them in)."""
    found: Any = None
    if "application/json" in _header(scope, b"content-type").lower():
        try:
            parsed = orjson.loads(body or b"{}")
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            found = parsed.get("client_id")
    else:
        found = dict(parse_qsl(body.decode("utf-8", "replace"))).get("client_id")
    if found is None:
        query = scope.get("query_string", b"").decode("latin-1")
        found = dict(parse_qsl(query)).get("client_id")
    return found if isinstance(found, str) else ""


def _token_org(scope: Scope) -> str:
    """The org a bearer token names (``<token>_<cluster>_<orgId>``), or ``""``."""
    scheme, _, token = _header(scope, b"authorization").strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip().rsplit("_", 1)[-1]
