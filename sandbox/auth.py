"""OAuth for the sandbox: the Webex refresh-token grant and the bearer check of the WxCC APIs.

Only the development integration is accepted: client id ``sandbox-client``, secret
``sandbox-secret``, refresh token ``sandbox-refresh`` (always valid, so a fresh start works) or
any refresh token the sandbox issued before it expires. Every refresh returns a new refresh token,
as Webex does. Tokens are self-contained and signed with a key derived from the org id, so a
sandbox restarted with the same seed still accepts the tokens a previous run issued (the
pipeline keeps its newest refresh token in a state file across runs).

Access tokens have the real shape ``<token>_<ciCluster>_<orgId>`` (Cisco's samples split them on
``_``). Lifetimes default to the documented 14 days (access) and 90 days (refresh).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.budget import WallClock

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
BOOTSTRAP_REFRESH_TOKEN = "sandbox-refresh"
ACCESS_TOKEN_LIFETIME_S = 1_209_600  # 14 days, as webexapis.com answered in Cisco's lab guide
REFRESH_TOKEN_LIFETIME_S = 7_776_000  # 90 days
CLUSTER = "P0A1"
SCOPE = "cjp:config cjp:config_read"

_ACCESS = 1
_REFRESH = 2
_PAYLOAD = struct.Struct(">BQQ8s")  # kind, issued (ms), expires (ms), nonce
_MAC_BYTES = 16


@dataclass(frozen=True)
class Principal:
    """Who a valid bearer token speaks for."""

    client_id: str
    org_id: str
    expires_ms: int


@dataclass(frozen=True)
class GrantResult:
    """The answer of the token endpoint: status and JSON body."""

    status: int
    body: dict[str, Any]


class TokenService:
    """Issues and checks tokens for one org and its one integration (client)."""

    def __init__(
        self,
        org_id: str,
        clock: WallClock,
        *,
        access_lifetime_s: int = ACCESS_TOKEN_LIFETIME_S,
        refresh_lifetime_s: int = REFRESH_TOKEN_LIFETIME_S,
        client_secrets: Sequence[str] = (CLIENT_SECRET,),
        client_id: str = CLIENT_ID,
        bootstrap_refresh_token: str = BOOTSTRAP_REFRESH_TOKEN,
    ) -> None:
        if access_lifetime_s <= 0 or refresh_lifetime_s <= 0:
            raise ValueError("token lifetimes must be positive")
        self.org_id = org_id
        self.clock = clock
        self.access_lifetime_s = access_lifetime_s
        self.refresh_lifetime_s = refresh_lifetime_s
        self.client_secrets = tuple(client_secrets)
        # One integration per org: a multi-org sandbox gives each org its own (sandbox.tenants).
        self.client_id = client_id
        self.bootstrap_refresh_token = bootstrap_refresh_token
        self._key = hashlib.sha256(f"wxcc-sandbox-token-key:{org_id}".encode()).digest()

    # -- tokens --------------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return int(self.clock.time() * 1000)

    def _mint(self, kind: int, lifetime_s: int) -> str:
        now = self._now_ms()
        payload = _PAYLOAD.pack(kind, now, now + lifetime_s * 1000, secrets.token_bytes(8))
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        core = base64.b32encode(payload + mac).decode().rstrip("=")
        return f"{core}_{CLUSTER}_{self.org_id}"

    def _open(self, token: str, kind: int) -> tuple[int, int] | None:
        """``(issued_ms, expires_ms)`` of a token this sandbox signed, else ``None``."""
        parts = token.split("_")
        if len(parts) != 3 or parts[2] != self.org_id:
            return None
        core = parts[0]
        try:
            raw = base64.b32decode(core + "=" * (-len(core) % 8))
        except (ValueError, TypeError):
            return None
        if len(raw) != _PAYLOAD.size + _MAC_BYTES:
            return None
        payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        if not hmac.compare_digest(mac, expected):
            return None
        token_kind, issued, expires, _nonce = _PAYLOAD.unpack(payload)
        if token_kind != kind:
            return None
        return issued, expires

    def authenticate(self, authorization: str | None) -> Principal | None:
        """The principal of ``Authorization: Bearer <access token>``, or ``None`` (401)."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        opened = self._open(token.strip(), _ACCESS)
        if opened is None:
            return None
        _issued, expires = opened
        if expires <= self._now_ms():
            return None
        return Principal(self.client_id, self.org_id, expires)

    def refresh_token_valid(self, token: str) -> bool:
        if token == self.bootstrap_refresh_token:
            return True
        opened = self._open(token, _REFRESH)
        return opened is not None and opened[1] > self._now_ms()

    # -- the token endpoint --------------------------------------------------------------------

    def grant(self, params: Mapping[str, Any], tracking_id: str) -> GrantResult:
        """Answer ``POST /v1/access_token`` (form-encoded or JSON parameters)."""
        grant_type = params.get("grant_type")
        if grant_type != "refresh_token":
            return _error(
                400,
                "unsupported_grant_type",
                "The sandbox supports only grant_type=refresh_token.",
                tracking_id,
            )
        client_id = params.get("client_id")
        client_secret = params.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            return _error(401, "invalid_client", "Client authentication failed.", tracking_id)
        id_ok = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        secret_ok = any(
            hmac.compare_digest(client_secret.encode(), s.encode()) for s in self.client_secrets
        )
        if not (id_ok and secret_ok):
            return _error(401, "invalid_client", "Client authentication failed.", tracking_id)
        refresh = params.get("refresh_token")
        if not isinstance(refresh, str) or not self.refresh_token_valid(refresh):
            return _error(
                400,
                "invalid_grant",
                "The refresh token is invalid, expired or was not issued to this client.",
                tracking_id,
            )
        return GrantResult(
            200,
            {
                "access_token": self._mint(_ACCESS, self.access_lifetime_s),
                "expires_in": self.access_lifetime_s,
                "refresh_token": self._mint(_REFRESH, self.refresh_lifetime_s),
                "refresh_token_expires_in": self.refresh_lifetime_s,
                "token_type": "Bearer",
                "scope": SCOPE,
            },
        )

    def issue_access_token(self) -> str:
        """An access token without the grant (for tests and the embedded sandbox)."""
        return self._mint(_ACCESS, self.access_lifetime_s)


def _error(status: int, error: str, description: str, tracking_id: str) -> GrantResult:
    # Webex identity's error shape is not published; this follows its REST errors plus the
    # OAuth 2.0 (RFC 6749 section 5.2) members. See sandbox/README.md (Part 2).
    return GrantResult(
        status,
        {
            "error": error,
            "error_description": description,
            "message": description,
            "errors": [{"description": description}],
            "trackingId": tracking_id,
        },
    )
