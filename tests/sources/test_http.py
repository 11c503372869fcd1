"""The retrying transport: backoff, Retry-After, typed errors, tracking ids, pacing."""

from __future__ import annotations

import gc
import logging
import random
import re
import weakref
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from pipelines.sources.errors import (
    ApiError,
    AuthError,
    RateLimited,
    ServerError,
    WxccError,
    describe_window,
    redact,
    register_secret,
)
from pipelines.sources.http import RateLimiter, RetryPolicy, WxccHttp, parse_retry_after
from tests.sources.factories import API_URL, FakeClock, Scripted, api_error, json_response

OK = {"ok": True}


def ok(request: httpx.Request) -> httpx.Response:
    return json_response(200, OK)


class StaticToken:
    def __init__(self, token: str = "tok-1") -> None:
        self.value = token
        self.invalidated: list[str] = []

    def token(self) -> str:
        return self.value

    def invalidate(self, token: str) -> None:
        self.invalidated.append(token)
        self.value = f"tok-{len(self.invalidated) + 1}"


def make_http(handler, clock: FakeClock, **kwargs) -> WxccHttp:
    kwargs.setdefault("retry", RetryPolicy(rng=random.Random(7)))
    return WxccHttp(API_URL, clock=clock, transport=httpx.MockTransport(handler), **kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_sends_bearer_token_tracking_id_and_user_agent(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, OK)

    with make_http(handler, clock, token_provider=StaticToken("tok-1")) as http:
        response = http.request("GET", "/v1/tasks", params={"from": 1, "orgId": "o"})
    assert response.json() == OK
    (request,) = seen
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert re.fullmatch(r"WXCC-WAREHOUSE-[0-9a-f-]{36}", request.headers["TrackingId"])
    assert request.headers["User-Agent"].startswith("wxcc-warehouse/")
    assert request.url.params["orgId"] == "o"
    assert http.stats.requests == 1 and http.stats.retries == 0 and http.stats.bytes > 0


def test_429_with_retry_after_seconds_is_honoured(clock: FakeClock) -> None:
    handler = Scripted(
        [json_response(429, api_error("429", "Too many requests"), {"Retry-After": "4"})], ok
    )
    with make_http(handler, clock) as http:
        assert http.request("POST", "/search", json={}).json() == OK
    assert clock.sleeps == [4.0]
    assert http.stats.rate_limited == 1
    assert http.stats.retries == 1
    assert http.stats.requests == 2
    assert http.stats.waited_s == 4.0
    # one logical request keeps its tracking id across retries
    first, second = handler.requests
    assert first.headers["TrackingId"] == second.headers["TrackingId"]


def test_retry_after_as_http_date(clock: FakeClock) -> None:
    when = format_datetime(datetime.fromtimestamp(clock.now() + 7, tz=UTC), usegmt=True)
    handler = Scripted([httpx.Response(503, headers={"Retry-After": when})], ok)
    with make_http(handler, clock) as http:
        http.request("GET", "/v1/tasks")
    assert clock.sleeps == [pytest.approx(7.0)]
    assert http.stats.server_errors == 1


def test_5xx_then_success_backs_off_with_bounded_jitter(clock: FakeClock) -> None:
    handler = Scripted([httpx.Response(502), httpx.Response(500), httpx.Response(504)], ok)
    with make_http(handler, clock) as http:
        assert http.request("GET", "/v1/tasks").json() == OK
    assert http.stats.server_errors == 3 and http.stats.retries == 3
    # base 0.5 s doubling, each reduced by at most half (jitter 0.5)
    for delay, full in zip(clock.sleeps, [0.5, 1.0, 2.0], strict=True):
        assert full / 2 <= delay <= full


def test_connection_error_then_success(clock: FakeClock) -> None:
    handler = Scripted([httpx.ConnectError("connection refused"), httpx.ReadTimeout("slow")], ok)
    with make_http(handler, clock) as http:
        assert http.request("GET", "/v1/tasks").json() == OK
    assert http.stats.transport_errors == 2
    assert len(clock.sleeps) == 2


def test_rate_limited_after_all_attempts(clock: FakeClock) -> None:
    def always_429(request: httpx.Request) -> httpx.Response:
        return json_response(429, api_error("429", "Too many requests"), {"Retry-After": "1"})

    with make_http(always_429, clock, retry=RetryPolicy(max_attempts=3)) as http:
        with pytest.raises(
            RateLimited,
            match=r"^POST /search trackingId WXCC-WAREHOUSE-\S+: still rate limited \(HTTP 429\).* after 3 attempts",
        ):
            http.request("POST", "/search", json={})
    assert http.stats.requests == 3
    assert clock.sleeps == [1.0, 1.0]


def test_server_error_after_all_attempts_names_the_request(clock: FakeClock) -> None:
    def always_503(request: httpx.Request) -> httpx.Response:
        return json_response(503, {"message": "upstream unavailable"})

    with make_http(always_503, clock, retry=RetryPolicy(max_attempts=4)) as http:
        with pytest.raises(
            ServerError,
            match=r"^taskDetails page 2 of \[.*\) \(POST /search .*\): HTTP 503 \(upstream unavailable\) after 4 attempts",
        ):
            http.request("POST", "/search?orgId=x", json={}, context="taskDetails page 2 of [a, b)")
    assert len(clock.sleeps) == 3


def test_no_answer_after_all_attempts(clock: FakeClock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer in time", request=request)

    with make_http(refuse, clock, retry=RetryPolicy(max_attempts=2)) as http:
        with pytest.raises(
            ServerError,
            match=r"no answer from https://api.test after 2 attempts \(last: ReadTimeout",
        ):
            http.request("GET", "/v1/tasks")


def test_retry_after_beyond_patience_fails_at_once(clock: FakeClock) -> None:
    handler = Scripted([httpx.Response(429, headers={"Retry-After": "3600"})], ok)
    with make_http(handler, clock) as http:
        with pytest.raises(RateLimited, match=r"told to wait 3600 s, more than the 300 s"):
            http.request("GET", "/v1/tasks")
    assert clock.sleeps == []


def test_non_retryable_4xx_is_an_api_error_with_the_body_parsed(clock: FakeClock) -> None:
    def not_found(request: httpx.Request) -> httpx.Response:
        return json_response(404, api_error("404", "Resource not found.", "trk-42"))

    with make_http(not_found, clock) as http:
        with pytest.raises(
            ApiError, match=r"GET /v1/tasks trackingId trk-42: HTTP 404: Resource not found\."
        ) as info:
            http.request("GET", "/v1/tasks")
    assert info.value.status == 404
    assert info.value.key == "404"
    assert info.value.description == "Resource not found."
    assert info.value.tracking_id == "trk-42"
    assert clock.sleeps == [] and http.stats.requests == 1


def test_403_hints_at_scopes_and_role(clock: FakeClock) -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        return json_response(403, api_error("403", "Forbidden"))

    with make_http(forbidden, clock, token_provider=StaticToken()) as http:
        with pytest.raises(
            ApiError, match=r"HTTP 403: Forbidden \(.*cjp:config_read.*administrator"
        ):
            http.request("POST", "/search", json={})


def test_401_refreshes_once_then_succeeds(clock: FakeClock) -> None:
    provider = StaticToken("tok-1")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] != "Bearer tok-2":
            return json_response(401, api_error("401", "Incorrect Credentials."))
        return json_response(200, OK)

    with make_http(handler, clock, token_provider=provider) as http:
        assert http.request("GET", "/v1/tasks").json() == OK
    assert provider.invalidated == ["tok-1"]
    assert http.stats.reauthentications == 1
    assert clock.sleeps == []


def test_second_401_is_an_auth_error(clock: FakeClock) -> None:
    provider = StaticToken("tok-1")

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(401, api_error("401", "Incorrect Credentials."))

    with make_http(handler, clock, token_provider=provider) as http:
        with pytest.raises(
            AuthError,
            match=r"the API refused a freshly refreshed token .*cjp:config_read.*administrator",
        ):
            http.request("POST", "/search", json={})
    assert provider.invalidated == ["tok-1"]
    assert http.stats.requests == 2


def test_401_without_a_token_provider(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(401, api_error("401", "Incorrect Credentials."))

    with make_http(handler, clock) as http:
        with pytest.raises(AuthError, match=r"HTTP 401: Incorrect Credentials\."):
            http.request("GET", "/v1/tasks")


def test_send_returns_final_4xx_without_raising(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(400, api_error("400", "bad"))

    with make_http(handler, clock) as http:
        assert http.send("POST", "/v1/access_token", data={"a": "b"}).status_code == 400


def test_unsupported_scheme_is_not_retried(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.UnsupportedProtocol("no", request=request)

    with make_http(handler, clock) as http:
        with pytest.raises(WxccError, match="cannot be sent"):
            http.request("GET", "/x")
    assert clock.sleeps == []


def test_retries_are_logged_without_query_or_secrets(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    handler = Scripted([httpx.Response(500)], ok)
    with make_http(handler, clock, token_provider=StaticToken("tok-secret-123")) as http:
        http.request("GET", "/v1/tasks?apikey=hush-hush", params={"orgId": "o"})
    retry_lines = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retry_lines) == 1
    assert re.search(
        r"GET /v1/tasks trackingId \S+: HTTP 500 on attempt 1 of 8; retrying in [\d.]+ s",
        retry_lines[0],
    )
    assert "hush-hush" not in caplog.text and "tok-secret-123" not in caplog.text


def test_rate_limiter_keeps_any_minute_within_budget(clock: FakeClock) -> None:
    limiter = RateLimiter(60, clock, burst=2)
    sent_at = []
    for _ in range(62):
        limiter.acquire()
        sent_at.append(clock.now())
    # no 60-second span holds more than 60 requests
    for i, t in enumerate(sent_at):
        assert sum(1 for u in sent_at[i:] if u < t + 60) <= 60
    assert sent_at[0] == sent_at[1]  # the burst goes at once
    assert sent_at[2] > sent_at[1]


def test_rate_limiter_paces_requests_and_counts_the_wait(clock: FakeClock) -> None:
    with make_http(ok, clock, limiter=RateLimiter(300, clock)) as http:
        for _ in range(20):
            http.request("GET", "/v1/tasks")
    assert http.stats.requests == 20
    assert http.stats.waited_s == pytest.approx(sum(clock.sleeps))
    assert http.stats.waited_s > 0


def test_parse_retry_after() -> None:
    assert parse_retry_after("4", 0) == 4.0
    assert parse_retry_after(" 0 ", 0) == 0.0
    assert parse_retry_after(None, 0) is None
    assert parse_retry_after("soon", 0) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490.0) == 0.0


def test_backoff_is_capped_and_seeded() -> None:
    a = RetryPolicy(rng=random.Random(1), max_delay=8)
    b = RetryPolicy(rng=random.Random(1), max_delay=8)
    delays = [a.backoff(n) for n in range(1, 10)]
    assert delays == [b.backoff(n) for n in range(1, 10)]
    assert all(d <= 8 for d in delays) and delays[-1] >= 4
    assert RetryPolicy(jitter=0).backoff(3) == 2.0


def test_redact() -> None:
    register_secret("registered-secret-value")
    text = (
        'token refused: {"access_token": "abc.def", "client_secret":"s3cr3t"} '
        "refresh_token=rt-1&x=1 Authorization: Bearer eyJhbGciOi.x.y registered-secret-value\n next"
    )
    out = redact(text, secrets=["rt-1-unrelated"])
    for leaked in ("abc.def", "s3cr3t", "rt-1", "eyJhbGciOi", "registered-secret-value", "\n"):
        assert leaked not in out
    assert out.startswith("token refused:")
    assert len(redact("x" * 1000, limit=50)) == 50


def test_describe_window() -> None:
    assert (
        describe_window(1_714_521_600_000, 1_714_608_000_000)
        == "[2024-05-01T00:00:00Z, 2024-05-02T00:00:00Z)"
    )
    assert describe_window(1_714_521_600_123, 1_714_521_600_124).startswith(
        "[2024-05-01T00:00:00.123Z"
    )


def test_an_answer_is_freed_when_dropped_without_the_cyclic_collector(clock: FakeClock) -> None:
    # httpx binds each response's stream back to the response (a reference cycle): each page's
    # body then waited for the cyclic collector, and a window's memory grew with the window.
    http = make_http(ok, clock)
    gc.disable()
    try:
        response = http.request("GET", "/x")
        assert response.json() == OK
        dropped = weakref.ref(response)
        del response
        assert dropped() is None
    finally:
        gc.enable()
