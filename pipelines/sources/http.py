"""One retrying HTTP transport for every WxCC API family (Search, reporting REST, OAuth).

:class:`WxccHttp` wraps an ``httpx.Client`` and adds, per logical request:

- ``Authorization: Bearer`` from a token provider, and on a 401 one refresh and one more try;
  a second 401 is an :class:`AuthError` (a fresh token that is refused will not get better);
- a ``TrackingId`` header (``WXCC-WAREHOUSE-<uuid4>``), the same across retries of one request so
  Cisco support can follow it;
- retries with capped exponential backoff and jitter on 429, 500, 502, 503, 504 and on transport
  failures (connection refused, timeouts), honouring ``Retry-After`` (seconds or an HTTP date) on
  429 and 503, as the rate-limiting guide asks: "Do not try again until after the retry-after
  duration";
- typed errors when retrying is over or pointless (:mod:`pipelines.sources.errors`);
- failing fast where waiting cannot help: a refused connection or an unknown host gets one short
  retry round (``CONNECT_ATTEMPTS``), after which the host is remembered as unreachable for
  ``UNREACHABLE_S`` and every other request to it in this process fails at once, so a load of
  many windows (and many token refreshes) fails in seconds rather than one round per window;
- a process-wide stop (:func:`stop_requests`, on Ctrl-C): requests not yet sent and backoff waits
  end at once with :class:`Interrupted`;
- an optional client-side :class:`RateLimiter` so a run stays inside the tenant's budget
  (300 requests a minute per client id) instead of discovering it through 429s;
- gzip answers inflated by ISA-L in one call (:class:`InflatingTransport`), and a gzip body that
  does not inflate (truncated, corrupt, a wrong checksum) retried like a dropped connection.

Time is injected through :class:`Clock`, so tests run without real sleeps.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any, Protocol

import httpx
import orjson
from isal import isal_zlib

from pipelines.sources.errors import (
    ApiError,
    AuthError,
    ConfigError,
    Interrupted,
    RateLimited,
    ServerError,
    Unreachable,
    redact,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# Only these two carry a meaningful Retry-After (RFC 9110 §10.2.3).
RETRY_AFTER_STATUS = frozenset({429, 503})
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TRACKING_PREFIX = "WXCC-WAREHOUSE-"
# A refused connection or an unknown host: a few quick tries (a service restarting answers again
# within seconds), then the host counts as unreachable for a while in this process.
CONNECT_ATTEMPTS = 3
CONNECT_MAX_DELAY = 2.0
UNREACHABLE_S = 120.0

_unreachable: dict[str, tuple[float, str]] = {}  # base URL -> (monotonic time, message)
_unreachable_lock = threading.Lock()
_stop = threading.Event()


def stop_requests() -> None:
    """Ctrl-C: every request not yet sent, and every backoff wait, ends with Interrupted."""
    _stop.set()


def requests_stopped() -> bool:
    return _stop.is_set()


def resume_requests() -> None:
    """Undo :func:`stop_requests` and forget unreachable hosts (a new load in this process)."""
    _stop.clear()
    with _unreachable_lock:
        _unreachable.clear()


def _check_stopped(what: str) -> None:
    if _stop.is_set():
        raise Interrupted(f"{what}: stopped (Ctrl-C) before it was sent")


def _known_unreachable(base_url: str) -> str | None:
    with _unreachable_lock:
        seen = _unreachable.get(base_url)
        if seen is None:
            return None
        if time.monotonic() - seen[0] > UNREACHABLE_S:
            del _unreachable[base_url]
            return None
        return seen[1]


def _connect_failure(exc: httpx.TransportError | httpx.DecodingError) -> bool:
    """Refused, reset before an answer, or a name that does not resolve: not a slow server."""
    return isinstance(exc, httpx.ConnectError)


def _version() -> str:
    try:
        return metadata.version("wxcc-warehouse")
    except metadata.PackageNotFoundError:
        return "0"


DEFAULT_USER_AGENT = f"wxcc-warehouse/{_version()}"


class Clock(Protocol):
    """Wall-clock time in seconds since the epoch, and a way to wait."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: ``time.time()`` (token expiry is shared across processes) and ``sleep``."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and _stop.wait(seconds):  # Ctrl-C ends a backoff wait at once
            raise Interrupted("stopped (Ctrl-C) while waiting to retry")


class TokenSource(Protocol):
    """What :class:`WxccHttp` needs from a token provider."""

    def token(self) -> str:
        """A bearer token valid for at least a little while."""
        ...

    def invalidate(self, token: str) -> None:
        """``token`` was refused with a 401: the next :meth:`token` call must not return it."""
        ...


class Limiter(Protocol):
    """Client-side pacing: :meth:`acquire` blocks until one request may go, returns seconds waited."""

    def acquire(self) -> float: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    ``max_attempts`` counts every try of one request, the first included. The n-th retry waits
    ``min(max_delay, base_delay * 2**(n-1))`` reduced by up to ``jitter`` (a fraction) at random,
    unless the server said how long with ``Retry-After``, which is then waited exactly. A
    ``Retry-After`` longer than ``max_retry_after`` ends the retries at once: the budget will not
    come back within a run's patience.
    """

    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 60.0
    jitter: float = 0.5
    max_retry_after: float = 300.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigError(
                f"RetryPolicy.max_attempts must be at least 1, not {self.max_attempts}"
            )
        if not 0.0 <= self.jitter <= 1.0:
            raise ConfigError(f"RetryPolicy.jitter must lie in [0, 1], not {self.jitter}")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based) when the server gave no hint."""
        capped = min(self.max_delay, self.base_delay * (2 ** max(retry - 1, 0)))
        return capped * (1.0 - self.jitter * self.rng.random())


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition
        return None
    return max(0.0, when.timestamp() - now)


@dataclass
class RequestStats:
    """Counters of one :class:`WxccHttp`; ``as_dict()`` suits Dagster metadata."""

    requests: int = 0  # HTTP attempts sent, retries and re-authentications included
    retries: int = 0
    rate_limited: int = 0  # 429 answers
    server_errors: int = 0  # 5xx answers
    transport_errors: int = 0  # no answer: connection failures, timeouts
    reauthentications: int = 0  # 401 answers followed by a token refresh
    bytes: int = 0  # response bodies, decompressed
    waited_s: float = 0.0  # time slept in backoff and in the rate limiter

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)


class RateLimiter:
    """Token bucket keeping any 60-second span within ``per_minute`` requests.

    The bucket holds ``burst`` tokens and refills at ``(per_minute - burst) / 60`` per second, so
    a full bucket plus a minute of refill never exceeds ``per_minute``. Thread-safe.
    """

    def __init__(self, per_minute: int, clock: Clock | None = None, *, burst: int | None = None):
        if per_minute < 1:
            raise ConfigError(f"RateLimiter needs at least 1 request a minute, not {per_minute}")
        self.per_minute = per_minute
        # Default burst: 2 s worth of budget (10 for 300/min), at least one request.
        self.burst = min(max(1, burst if burst is not None else per_minute // 30), per_minute)
        self._rate = max(per_minute - self.burst, 1) / 60.0
        self._clock: Clock = clock or SystemClock()
        self._tokens = float(self.burst)
        self._last = self._clock.now()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        # Reserve a slot under the lock (the balance may go negative), then wait for it outside
        # the lock, so concurrent callers queue in order without serializing their sleeps.
        with self._lock:
            now = self._clock.now()
            elapsed = max(0.0, now - self._last)
            self._tokens = min(float(self.burst), self._tokens + elapsed * self._rate)
            self._last = now
            self._tokens -= 1.0
            wait = -self._tokens / self._rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._clock.sleep(wait)
        return wait


def _strip_query(path: str) -> str:
    return path.split("?", 1)[0]


def _decoding(exc: httpx.HTTPError) -> bool:
    return isinstance(exc, httpx.DecodingError)


def _retryable_transport_error(exc: httpx.TransportError | httpx.DecodingError) -> bool:
    # A bad URL scheme or a request httpx itself refuses to send will fail the same way again.
    return not isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError)


def parse_error_body(response: httpx.Response) -> tuple[str | None, str | None, str | None]:
    """``(key, description, trackingId)`` from an error answer, each redacted, None when absent.

    Understands the API's error body (``{"trackingId", "error": {"key", "message":
    [{"description"}]}}``), a GraphQL ``errors`` list, and Webex identity's ``{"message",
    "errors": [{"description"}], "trackingId"}``; otherwise quotes the start of the body.
    """
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        text = response.content[:200].decode("utf-8", "replace")
        return None, (redact(text, limit=160) or None), None
    if not isinstance(body, dict):
        return None, redact(body, limit=160), None
    tracking = body.get("trackingId")
    key: str | None = None
    descriptions: list[str] = []
    error = body.get("error")
    if isinstance(error, dict):
        if error.get("key") is not None:
            key = str(error["key"])
        messages = error.get("message")
        if isinstance(messages, list):
            descriptions += [
                str(m["description"])
                for m in messages
                if isinstance(m, dict) and m.get("description")
            ]
        elif isinstance(messages, str):
            descriptions.append(messages)
    elif isinstance(error, str):
        descriptions.append(error)
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                text = item.get("message") or item.get("description")
                if text:
                    descriptions.append(str(text))
    if isinstance(body.get("message"), str):
        descriptions.insert(0, body["message"])
    description = redact("; ".join(descriptions), limit=240) if descriptions else None
    return (
        redact(key, limit=40) if key else None,
        description,
        redact(tracking, limit=80) if tracking else None,
    )


_HINTS = {
    400: "the request was refused as invalid",
    403: "the token lacks access: the integration needs scope cjp:config_read and the user who "
    "authorized it must be a Contact Center administrator (or supervisor for /search)",
    404: "check the API base URL (WXCC_API_URL) and the org id",
    413: "the answer would be too large; use smaller windows or fewer filters",
    422: "the request was refused as unprocessable",
}


def _unbound(response: httpx.Response) -> httpx.Response:
    """``response`` (read and closed) without httpx's ``BoundSyncStream``, which refers back to
    it: that cycle (encode/httpx#3733) leaves every answer, a page's whole body, to the cyclic
    garbage collector. Paths that build few Python objects a page (pages decoded into Arrow)
    run that collector rarely, so page bodies piled up by the dozen and a window's peak memory
    grew with the window (bench_search_memory: 2.05x at 150,000 tasks a day against 15,000).
    With the stream replaced by the body it read, a response is freed when dropped."""
    response.stream = httpx.ByteStream(response.content)
    return response


# Deflate cannot expand a byte to more than 1,032: a gzip trailer claiming more is not believed.
_MAX_DEFLATE_RATIO = 1032
# What a decoded answer no longer has: its body is whole, plain and of a new length.
_ENCODING_HEADERS = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})


def inflate_gzip(raw: bytes) -> bytes:
    """The body of a gzip answer, inflated by ISA-L in one call into one ``bytes``.

    Checked like any gzip reader: a truncated stream, a bad block and a wrong CRC-32 or length in
    the trailer raise :class:`isal_zlib.error` (httpx's streaming zlib decoder returns a truncated
    stream's prefix without a word). Like httpx's, it reads the first gzip member only. The
    trailer's length (the size modulo 2**32) sizes the output buffer, so the body is written once
    rather than grown block by block and joined: a hint only, capped by what deflate can expand.
    """
    if not raw:
        return b""  # what httpx makes of an empty gzip body (a HEAD, a 204)
    size = int.from_bytes(raw[-4:], "little") if len(raw) >= 18 else 0
    bufsize = min(size, len(raw) * _MAX_DEFLATE_RATIO) + 1
    return isal_zlib.decompress(raw, wbits=31, bufsize=max(bufsize, 16384))


class InflatingTransport(httpx.BaseTransport):
    """``inner`` (the real transport, or a caller's), with gzip answers inflated by ISA-L.

    httpx inflates a gzip body with zlib chunk by chunk (64 KiB reads) and joins the pieces, so
    a page's plain bytes were made in pieces and copied once more; ISA-L inflates 1.4-4.8x faster
    than zlib on the Search pages. Here the raw body is read whole (bodies are read in full
    anyway), inflated in one call, and handed to httpx as a plain answer without
    ``Content-Encoding`` (kept in ``response.extensions["wxcc_content_encoding"]``), which httpx
    reads as is. A body that does not inflate is an :class:`httpx.DecodingError` naming the
    request, which :class:`WxccHttp` retries like a dropped connection. Other encodings (and
    none) pass through to httpx's own decoders.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        encoding = response.headers.get("content-encoding")
        if encoding is None or encoding.strip().lower() != "gzip":
            return response
        stream = response.stream
        if not isinstance(stream, httpx.SyncByteStream):  # pragma: no cover - sync transports
            return response
        try:
            raw = b"".join(stream)  # the compressed pieces: about an eighth of the body
        finally:
            stream.close()
        try:
            body = inflate_gzip(raw)
        except isal_zlib.error as exc:
            raise httpx.DecodingError(
                f"the gzip body of {len(raw):,} bytes does not inflate ({exc})", request=request
            ) from None
        headers = [
            (name, value)
            for name, value in response.headers.raw
            if name.lower() not in _ENCODING_HEADERS
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=body,
            extensions={**response.extensions, "wxcc_content_encoding": encoding},
        )

    def close(self) -> None:
        self._inner.close()


class WxccHttp:
    """Retrying, authenticating HTTP client for one API base URL.

    ``request()`` returns only 2xx answers and raises a typed error otherwise. ``send()`` does the
    same retries and re-authentication but hands back any other final answer (the token endpoint
    maps its own 400/401 to :class:`AuthError`). Not for streaming: bodies are read in full.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token_provider: TokenSource | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        limiter: Limiter | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        if not base_url or not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"API base URL must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.token_provider = token_provider
        self.retry = retry or RetryPolicy()
        self.clock: Clock = clock or SystemClock()
        self.limiter = limiter
        self.stats = RequestStats()
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=InflatingTransport(transport or httpx.HTTPTransport()),
            follow_redirects=False,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
        )

    def __enter__(self) -> WxccHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, Any] | None = None,
        context: str | None = None,
    ) -> httpx.Response:
        """Send with retries and return a 2xx answer; raise a typed error for anything else.

        ``context`` names what the request is for (``"taskDetails page 3 of [..)"``) and leads
        every error message.
        """
        response = self.send(
            method, path, json=json, params=params, headers=headers, data=data, context=context
        )
        if response.is_success:
            return response
        raise self.error_for(response, method, path, context=context)

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, Any] | None = None,
        context: str | None = None,
    ) -> httpx.Response:
        """Like :meth:`request` but returns non-retryable non-2xx answers instead of raising."""
        tracking_id = f"{TRACKING_PREFIX}{uuid.uuid4()}"
        what = self._what(method, path, context, tracking_id)
        # The JSON body encoded once for every try, by orjson: httpx's ``json=`` runs the
        # standard library's encoder, ~70 us of a 5 kB Search query each time (orjson ~5 us).
        content = None if json is None else orjson.dumps(json)
        failures = 0
        reauthenticated = False
        while True:
            _check_stopped(what)
            known = _known_unreachable(self.base_url)
            if known is not None:
                raise Unreachable(f"{what}: {known}")
            if self.limiter is not None:
                self.stats.waited_s += self.limiter.acquire()
            sent_headers = {"TrackingId": tracking_id}
            if content is not None and not (headers and "content-type" in httpx.Headers(headers)):
                sent_headers["Content-Type"] = "application/json"
            if headers:
                sent_headers.update(headers)
            token: str | None = None
            if self.token_provider is not None:
                token = self.token_provider.token()
                sent_headers["Authorization"] = f"Bearer {token}"
            self.stats.requests += 1
            started = self.clock.now()
            try:
                response = _unbound(
                    self._client.request(
                        method,
                        path,
                        content=content,
                        params=params,
                        data=data,
                        headers=sent_headers,
                    )
                )
            except (httpx.TransportError, httpx.DecodingError) as exc:
                # A body that does not decode (a gzip stream cut short or damaged on the way)
                # is a failed transfer like a dropped connection: the next try may get it whole.
                if not _retryable_transport_error(exc):
                    raise ConfigError(
                        f"{what}: cannot be sent ({type(exc).__name__}: {redact(exc, limit=160)})"
                    ) from None
                self.stats.transport_errors += 1
                failures += 1
                if _connect_failure(exc) and failures >= min(
                    CONNECT_ATTEMPTS, self.retry.max_attempts
                ):
                    reason = (
                        f"cannot connect to {self.base_url} ({type(exc).__name__}: "
                        f"{redact(exc, limit=120)}); check the URL (WXCC_API_URL, "
                        "WXCC_IDENTITY_URL or the org's api_url), the network and the service "
                        "status"
                    )
                    with _unreachable_lock:
                        _unreachable[self.base_url] = (time.monotonic(), reason)
                    raise Unreachable(f"{what}: {reason} (tried {failures} times)") from None
                if failures >= self.retry.max_attempts:
                    answer = "no readable answer" if _decoding(exc) else "no answer"
                    raise ServerError(
                        f"{what}: {answer} from {self.base_url} after {failures} attempts "
                        f"(last: {type(exc).__name__}: {redact(exc, limit=120)}); check the URL, "
                        "the network and the service status"
                    ) from None
                delay = self.retry.backoff(failures)
                if _connect_failure(exc):
                    delay = min(delay, CONNECT_MAX_DELAY)
                self._wait(what, f"{type(exc).__name__}", failures, delay)
                continue
            self.stats.bytes += len(response.content)
            status = response.status_code
            log.debug(
                "%s %s -> %s (%d bytes, %.3f s)",
                method,
                _strip_query(path),
                status,
                len(response.content),
                self.clock.now() - started,
            )

            if status == 401 and self.token_provider is not None and token is not None:
                if reauthenticated:
                    raise AuthError(
                        f"{what}: the API refused a freshly refreshed token (HTTP 401 twice): "
                        "check the integration's scopes (cjp:config_read) and that the user who "
                        "authorized it is a Contact Center administrator, and that WXCC_ORG_ID "
                        "names the org the token belongs to"
                    )
                reauthenticated = True
                self.stats.reauthentications += 1
                log.info("%s got HTTP 401; refreshing the access token once", what)
                self.token_provider.invalidate(token)
                continue

            if status in RETRYABLE_STATUS:
                if status == 429:
                    self.stats.rate_limited += 1
                else:
                    self.stats.server_errors += 1
                failures += 1
                retry_after = (
                    parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
                    if status in RETRY_AFTER_STATUS
                    else None
                )
                too_long = retry_after is not None and retry_after > self.retry.max_retry_after
                if failures >= self.retry.max_attempts or too_long:
                    raise self._exhausted(what, status, failures, retry_after, too_long, response)
                delay = retry_after if retry_after is not None else self.retry.backoff(failures)
                self._wait(what, f"HTTP {status}", failures, delay)
                continue
            return response

    def error_for(
        self, response: httpx.Response, method: str, path: str, *, context: str | None = None
    ) -> Exception:
        """The typed error for a final non-2xx answer."""
        status = response.status_code
        key, description, tracking = parse_error_body(response)
        tracking = tracking or response.request.headers.get("TrackingId")
        what = self._what(method, path, context, tracking)
        detail = f"HTTP {status}"
        if key and key != str(status):
            detail += f" {key}"
        if description:
            detail += f": {description}"
        if status == 401:
            return AuthError(
                f"{what}: {detail}; the API refused the credentials: check the access token "
                "(or configure the OAuth variables WXCC_CLIENT_ID, WXCC_CLIENT_SECRET, "
                "WXCC_REFRESH_TOKEN)"
            )
        hint = _HINTS.get(status)
        message = f"{what}: {detail}" + (f" ({hint})" if hint else "")
        return ApiError(
            message, status=status, key=key, description=description, tracking_id=tracking
        )

    def _what(self, method: str, path: str, context: str | None, tracking: str | None) -> str:
        request = f"{method} {_strip_query(path)}"
        if tracking:
            request += f" trackingId {tracking}"
        return f"{context} ({request})" if context else request

    def _wait(self, what: str, reason: str, failures: int, delay: float) -> None:
        self.stats.retries += 1
        # 429s are the budget working as designed; a refused connection gets its one sentence
        # when the short round is over. Neither is worth a warning per attempt.
        level = logging.INFO if reason in ("HTTP 429", "ConnectError") else logging.WARNING
        log.log(
            level,
            "%s: %s on attempt %d of %d; retrying in %.2f s",
            what,
            reason,
            failures,
            self.retry.max_attempts,
            delay,
        )
        self.clock.sleep(delay)
        self.stats.waited_s += delay

    def _exhausted(
        self,
        what: str,
        status: int,
        failures: int,
        retry_after: float | None,
        too_long: bool,
        response: httpx.Response,
    ) -> Exception:
        _, description, _ = parse_error_body(response)
        said = f" ({description})" if description else ""
        if status == 429:
            if too_long:
                return RateLimited(
                    f"{what}: rate limited (HTTP 429){said} and told to wait {retry_after:.0f} s, "
                    f"more than the {self.retry.max_retry_after:.0f} s this run will wait; "
                    "retry later or lower the request rate"
                )
            return RateLimited(
                f"{what}: still rate limited (HTTP 429){said} after {failures} attempts; the "
                "tenant's request budget (300 a minute per client id by default) is used up: "
                "lower concurrency, enable the client-side rate limiter or retry later"
            )
        if too_long:
            return ServerError(
                f"{what}: HTTP {status}{said}, told to wait {retry_after:.0f} s, more than the "
                f"{self.retry.max_retry_after:.0f} s this run will wait; retry later"
            )
        return ServerError(
            f"{what}: HTTP {status}{said} after {failures} attempts; the service is failing, "
            "retry later and check the service status"
        )
