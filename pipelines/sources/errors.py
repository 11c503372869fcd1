"""Typed errors raised by the WxCC API clients.

Every message is one line that says which request or which window failed and what to do about it.
Messages never hold a secret: text that came from a server (an error description, a body that is
not JSON) is passed through :func:`redact` before it is embedded, and the token provider registers
every client secret, refresh token and access token it handles with :func:`register_secret`.

All extra constructor arguments have defaults so the exceptions survive pickling (Dagster and
multiprocessing send exceptions across processes).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime

REDACTED = "[REDACTED]"

# Secrets shorter than this are not scrubbed by value: replacing "a" everywhere would mangle the
# message, and no real credential is that short.
_MIN_SECRET_LEN = 6

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

# Credentials that appear as `name: value` / `name=value` in JSON, form bodies or query strings.
_NAMED_SECRET = re.compile(
    r"""(?ix)
    (["']?(?:access_token|refresh_token|client_secret|id_token|password|passwd|api[_-]?key|
          secret|authorization|token)["']?\s*[:=]\s*["']?)
    ([^"'&\s,;}]+)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_WHITESPACE = re.compile(r"\s+")


def register_secret(value: str | None) -> None:
    """Remember a secret so :func:`redact` scrubs it from any text, wherever it appears."""
    if value and len(value) >= _MIN_SECRET_LEN:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: object, *, secrets: Iterable[str | None] = (), limit: int = 300) -> str:
    """One line of ``text`` fit for an error message or a log: secrets removed, length bounded.

    Removes registered secrets and ``secrets`` by value, credentials written as ``name=value`` or
    ``"name": "value"``, and ``Bearer``/``Basic`` credentials; folds whitespace; cuts the result to
    ``limit`` characters.
    """
    out = str(text)
    with _secrets_lock:
        known = set(_secrets)
    known.update(s for s in secrets if s and len(s) >= _MIN_SECRET_LEN)
    for secret in sorted(known, key=len, reverse=True):
        out = out.replace(secret, REDACTED)
    out = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", out)
    out = _NAMED_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", out)
    out = _WHITESPACE.sub(" ", out).strip()
    if len(out) > limit:
        out = out[: max(limit - 1, 0)] + "…"
    return out


def iso_ms(epoch_ms: int) -> str:
    """An epoch-millisecond instant as ISO 8601 UTC (``2024-05-01T00:00:00Z``)."""
    dt = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    if epoch_ms % 1000:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_window(start_ms: int, end_ms: int) -> str:
    """A window ``[start_ms, end_ms)`` in ISO, as error messages and logs name it."""
    return f"[{iso_ms(start_ms)}, {iso_ms(end_ms)})"


class WxccError(Exception):
    """Base of every error the WxCC clients raise."""


class ConfigError(WxccError):
    """The client was configured in a way that cannot work (missing credential, broken query)."""


class AuthError(WxccError):
    """The credentials were refused: the token endpoint said no, or a fresh token got a 401."""


class RateLimited(WxccError):
    """The API kept answering 429 after every retry the policy allows."""


class ServerError(WxccError):
    """The API kept failing with 5xx (or gave no answer at all) after every retry."""


class Unreachable(ServerError):
    """The API's host refused the connection or does not resolve: waiting will not help."""


class Interrupted(WxccError):
    """The user stopped the load (Ctrl-C): requests not yet sent are not sent."""


class ApiError(WxccError):
    """The API refused a request with a 4xx that retrying cannot fix.

    ``key``, ``description`` and ``tracking_id`` come from the API's error body
    (``{"trackingId", "error": {"key", "message": [{"description"}]}}``) when it has one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        key: str | None = None,
        description: str | None = None,
        tracking_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.key = key
        self.description = description
        self.tracking_id = tracking_id


class MalformedResponse(WxccError):
    """An answer the client cannot trust: not JSON, missing keys, GraphQL errors, a bad cursor."""


class WindowTooLarge(WxccError):
    """A window holds more records than raw paging can return; load it in smaller windows."""

    def __init__(self, message: str, *, count: int = 0, cap: int = 0) -> None:
        super().__init__(message)
        self.count = count
        self.cap = cap


class IncompleteWindow(WxccError):
    """The pages of a window held a different number of records than the window's count."""

    def __init__(self, message: str, *, expected: int = 0, received: int = 0) -> None:
        super().__init__(message)
        self.expected = expected
        self.received = received


class SpanTooLong(WxccError):
    """A window is longer than the Search API allows (365 days); refused before any request."""
