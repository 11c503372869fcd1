"""OAuth access tokens for the WxCC APIs: the Webex refresh-token grant, with a rotating refresh token.

``POST {identity_url}/v1/access_token`` with the form ``grant_type=refresh_token&client_id&
client_secret&refresh_token`` answers ``access_token``, ``expires_in`` (seconds) and a **new**
``refresh_token``. The newest refresh token (and the access token, so separate processes of one run
share it instead of each refreshing) is kept in a state file under the data directory:

    $WXCC_DATA_DIR/state/token-<lineage>.json   (file 0600, directory 0700)

``<lineage>`` is a hash of the identity URL, the client id and the refresh token given in the
environment, so two orgs authorizing the same integration get separate files, and setting a new
``WXCC_REFRESH_TOKEN`` (after re-authorizing) starts a new lineage instead of being shadowed by the
old state. Within a lineage the state file's refresh token wins over the environment's, which may
have been rotated away long ago.

Refreshes are serialized inside a process (a lock) and across processes (``flock`` on a lock file
next to the state file); after taking the lock the state file is read again, so a process that
waited adopts the token another one just obtained. The state file is replaced atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from pipelines.sources.errors import (
    AuthError,
    ConfigError,
    MalformedResponse,
    redact,
    register_secret,
)
from pipelines.sources.http import (
    DEFAULT_TIMEOUT,
    Clock,
    RetryPolicy,
    WxccHttp,
    parse_error_body,
)

try:  # POSIX; elsewhere only the in-process lock serializes refreshes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

TOKEN_PATH = "/v1/access_token"
STATE_VERSION = 1
# The identity service answers a refused grant with 400 (invalid_grant) or 401.
_REFUSED = frozenset({400, 401, 403})
# Used when a token answer has no expires_in: short enough to be safe, long enough to be useful.
_DEFAULT_EXPIRES_IN = 3600.0


@dataclass(frozen=True)
class CredentialNames:
    """The variables that hold one org's OAuth credentials, named (never quoted) in errors."""

    client_id: str = "WXCC_CLIENT_ID"
    client_secret: str = "WXCC_CLIENT_SECRET"
    refresh_token: str = "WXCC_REFRESH_TOKEN"

    def listing(self) -> str:
        return f"{self.client_id}, {self.client_secret} and {self.refresh_token}"


@dataclass(frozen=True, repr=False)
class _Tokens:
    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds: the access token is dead from here
    refresh_at: float  # epoch seconds: refresh from here on

    def __repr__(self) -> str:
        return f"_Tokens(expires_at={self.expires_at}, refresh_at={self.refresh_at})"


@dataclass(frozen=True)
class _Refused:
    status: int
    detail: str


class TokenProvider:
    """Bearer tokens for :class:`WxccHttp`, refreshed before they expire and after a 401.

    Give either ``identity``, a :class:`WxccHttp` on the identity base URL *without* a token
    provider, or ``identity_url`` (the provider then builds that client from ``retry``,
    ``transport`` and ``timeout``). Either way the token endpoint gets the same retries on 429/5xx
    as every other call. ``state_dir`` None keeps tokens in memory only (the rotated refresh token
    is then lost at exit: tests and one-offs).
    """

    def __init__(
        self,
        identity: WxccHttp | None = None,
        *,
        identity_url: str | None = None,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        state_dir: Path | str | None,
        clock: Clock | None = None,
        refresh_margin: float = 60.0,
        names: CredentialNames | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.names = names or CredentialNames()
        for value, name in (
            (client_id, self.names.client_id),
            (client_secret, self.names.client_secret),
            (refresh_token, self.names.refresh_token),
        ):
            if not value or not value.strip():
                raise ConfigError(f"{name} is empty: set it to the OAuth integration's value")
        if (identity is None) == (identity_url is None):
            raise ConfigError("TokenProvider needs exactly one of identity and identity_url")
        if identity is None:
            assert identity_url is not None
            identity = WxccHttp(
                identity_url, timeout=timeout, retry=retry, clock=clock, transport=transport
            )
        if identity.token_provider is not None:
            raise ConfigError("the identity WxccHttp must not have a token provider of its own")
        register_secret(client_secret)
        register_secret(refresh_token)
        self._identity = identity
        self._client_id = client_id.strip()
        self._client_secret = client_secret.strip()
        self._env_refresh = refresh_token.strip()
        self._clock: Clock = clock or identity.clock
        self._margin = refresh_margin
        self._lock = threading.Lock()
        self._current: _Tokens | None = None
        self._latest_refresh: str | None = None  # survives invalidate(), for state_dir None
        self._rejected: set[str] = set()
        self.refreshes = 0
        lineage = hashlib.sha256(
            "\n".join((identity.base_url, self._client_id, self._env_refresh)).encode()
        ).hexdigest()[:16]
        self.state_path: Path | None = None
        self._lock_path: Path | None = None
        if state_dir is not None:
            directory = Path(state_dir)
            self.state_path = directory / f"token-{lineage}.json"
            self._lock_path = directory / f"token-{lineage}.lock"

    @classmethod
    def create(
        cls,
        identity_url: str,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        data_dir: Path | str | None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        names: CredentialNames | None = None,
    ) -> TokenProvider:
        """A provider with its own identity client; state under ``<data_dir>/state``."""
        return cls(
            identity_url=identity_url,
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
            state_dir=None if data_dir is None else Path(data_dir) / "state",
            clock=clock,
            names=names,
            retry=retry,
            transport=transport,
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"TokenProvider(identity={self._identity.base_url!r}, state={self.state_path})"

    def close(self) -> None:
        self._identity.close()

    def __enter__(self) -> TokenProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- TokenSource -------------------------------------------------------------------------

    def token(self) -> str:
        """An access token that stays valid for at least the refresh margin."""
        with self._lock:
            if self._usable(self._current):
                assert self._current is not None
                return self._current.access_token
            with self._file_lock():
                stored = self._read_state()
                if self._usable(stored):
                    assert stored is not None
                    log.debug(
                        "using the access token another process stored in %s", self.state_path
                    )
                    self._current = stored
                    self._latest_refresh = stored.refresh_token
                    return stored.access_token
                self._current = self._refresh(stored)
                self._latest_refresh = self._current.refresh_token
                self._write_state(self._current)
                return self._current.access_token

    def invalidate(self, token: str | None = None) -> None:
        """Forget ``token`` (default: the current one) after the API refused it with a 401."""
        with self._lock:
            if token is None and self._current is not None:
                token = self._current.access_token
            if token is None:
                return
            self._rejected.add(token)
            if self._current is not None and self._current.access_token == token:
                self._current = None

    # -- internals ---------------------------------------------------------------------------

    def _usable(self, tokens: _Tokens | None) -> bool:
        return (
            tokens is not None
            and bool(tokens.access_token)
            and tokens.access_token not in self._rejected
            and self._clock.now() < tokens.refresh_at
        )

    def _refresh(self, stored: _Tokens | None) -> _Tokens:
        candidates: list[tuple[str, str]] = []
        if stored is not None and stored.refresh_token:
            candidates.append(("the state file", stored.refresh_token))
        if self._latest_refresh is not None:
            candidates.append(("memory", self._latest_refresh))
        # Last resort, and the documented reason for it: a state file left by an older
        # authorization (or revoked) must not lock out a refresh token that still works.
        candidates.append(("the environment", self._env_refresh))
        tried: set[str] = set()
        refusals: list[tuple[str, _Refused]] = []
        for source, refresh_token in candidates:
            if refresh_token in tried:
                continue
            tried.add(refresh_token)
            outcome = self._grant(refresh_token)
            if isinstance(outcome, _Tokens):
                self.refreshes += 1
                if refusals:
                    log.warning(
                        "the refresh token from %s was refused; the one from %s worked "
                        "(the stored state was probably left by an older authorization)",
                        refusals[0][0],
                        source,
                    )
                return outcome
            refusals.append((source, outcome))
            log.warning(
                "the identity service refused the refresh token from %s (HTTP %d)",
                source,
                outcome.status,
            )
        sources = " and ".join(source for source, _ in refusals)
        status, detail = refusals[-1][1].status, refusals[-1][1].detail
        raise AuthError(
            f"OAuth token refresh at {self._identity.base_url}{TOKEN_PATH} was refused (HTTP "
            f"{status}{': ' + detail if detail else ''}) for the refresh token from {sources}: "
            f"check {self.names.listing()}; a refresh token expires after long disuse or when "
            "the integration is re-authorized, then authorize again and set the new one"
        )

    def _grant(self, refresh_token: str) -> _Tokens | _Refused:
        response = self._identity.send(
            "POST",
            TOKEN_PATH,
            data={
                "grant_type": "refresh_token",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "refresh_token": refresh_token,
            },
            context="OAuth token refresh",
        )
        if response.status_code in _REFUSED:
            _, description, tracking = parse_error_body(response)
            parts = [p for p in (description, f"trackingId {tracking}" if tracking else None) if p]
            return _Refused(response.status_code, redact(", ".join(parts), limit=200))
        if not response.is_success:
            raise self._identity.error_for(
                response, "POST", TOKEN_PATH, context="OAuth token refresh"
            )
        return self._parse_token_answer(response, refresh_token)

    def _parse_token_answer(self, response: httpx.Response, used_refresh: str) -> _Tokens:
        # Never quote this body: it is made of secrets.
        where = f"OAuth token refresh at {self._identity.base_url}{TOKEN_PATH}"
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise MalformedResponse(
                f"{where}: HTTP {response.status_code} with a body that is not JSON "
                f"(content-type {response.headers.get('content-type', 'none')!r})"
            ) from None
        if not isinstance(body, dict):
            raise MalformedResponse(f"{where}: the answer is not a JSON object")
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise MalformedResponse(f"{where}: the answer has no access_token")
        register_secret(access)
        new_refresh = body.get("refresh_token")
        if not isinstance(new_refresh, str) or not new_refresh:
            new_refresh = used_refresh  # not rotated this time: keep the one that worked
        register_secret(new_refresh)
        expires_in = body.get("expires_in")
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, int | float)
            or expires_in <= 0
        ):
            log.warning(
                "%s: the answer has no usable expires_in; assuming %.0f s",
                where,
                _DEFAULT_EXPIRES_IN,
            )
            expires_in = _DEFAULT_EXPIRES_IN
        now = self._clock.now()
        # A token living less than twice the margin is refreshed at half its life instead.
        lead = min(self._margin, float(expires_in) / 2)
        return _Tokens(
            access_token=access,
            refresh_token=new_refresh,
            expires_at=now + float(expires_in),
            refresh_at=now + float(expires_in) - lead,
        )

    # -- state file --------------------------------------------------------------------------

    def _ensure_dir(self) -> None:
        assert self.state_path is not None
        directory = self.state_path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # not ours to change: leave it
            if directory.stat().st_mode & 0o077:
                os.chmod(directory, 0o700)

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._lock_path is None or fcntl is None:
            yield
            return
        self._ensure_dir()
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _read_state(self) -> _Tokens | None:
        if self.state_path is None:
            return None
        try:
            raw = self.state_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning(
                "cannot read the token state file %s (%s); ignoring it",
                self.state_path,
                exc.strerror,
            )
            return None
        with contextlib.suppress(OSError):
            if self.state_path.stat().st_mode & 0o077:
                os.chmod(self.state_path, 0o600)
        try:
            body: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            log.warning("the token state file %s is not JSON; ignoring it", self.state_path)
            return None
        refresh = body.get("refresh_token") if isinstance(body, dict) else None
        if not isinstance(refresh, str) or not refresh:
            log.warning(
                "the token state file %s has no refresh token; ignoring it", self.state_path
            )
            return None
        register_secret(refresh)
        access = body.get("access_token")
        access = access if isinstance(access, str) else ""
        register_secret(access)

        def number(name: str) -> float:
            value = body.get(name)
            return float(value) if isinstance(value, int | float) else 0.0

        return _Tokens(access, refresh, number("expires_at"), number("refresh_at"))

    def _write_state(self, tokens: _Tokens) -> None:
        if self.state_path is None:
            return
        self._ensure_dir()
        payload = {
            "version": STATE_VERSION,
            "identity_url": self._identity.base_url,
            "client_id_sha256": hashlib.sha256(self._client_id.encode()).hexdigest(),
            "refresh_token": tokens.refresh_token,
            "access_token": tokens.access_token,
            "expires_at": tokens.expires_at,
            "refresh_at": tokens.refresh_at,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        # mkstemp creates the file 0600; os.replace makes the new state appear whole or not at all.
        fd, tmp = tempfile.mkstemp(dir=self.state_path.parent, prefix=".token-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.state_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
