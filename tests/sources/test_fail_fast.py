"""Where waiting cannot help, fail fast: an unreachable host, and a user's Ctrl-C."""

from __future__ import annotations

import httpx
import pytest

from pipelines.sources.errors import Interrupted, Unreachable
from pipelines.sources.http import (
    CONNECT_ATTEMPTS,
    SystemClock,
    WxccHttp,
    stop_requests,
)
from tests.sources.factories import API_URL, FakeClock


def _refusing(calls: list[str]) -> httpx.MockTransport:
    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    return httpx.MockTransport(refuse)


def test_a_refused_connection_gets_one_short_round_then_the_host_fails_at_once() -> None:
    calls: list[str] = []
    clock = FakeClock()
    transport = _refusing(calls)
    with WxccHttp(API_URL, clock=clock, transport=transport) as first:
        with pytest.raises(Unreachable, match=r"cannot connect to .*check the URL \(WXCC_API_URL"):
            first.request("GET", "/v1/tasks")
    assert len(calls) == CONNECT_ATTEMPTS
    assert sum(clock.sleeps) <= 2 * 2.0  # seconds, not minutes of backoff
    # Every other client of the same host in this process (other windows, other assets, token
    # refreshes) fails at once: one retry round per run, not one per window.
    for _ in range(10):
        with WxccHttp(API_URL, clock=clock, transport=transport) as other:
            with pytest.raises(Unreachable, match="cannot connect"):
                other.request("POST", "/search", json={})
    assert len(calls) == CONNECT_ATTEMPTS


def test_an_unknown_host_is_unreachable_too() -> None:
    def unknown(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    with WxccHttp(API_URL, clock=FakeClock(), transport=httpx.MockTransport(unknown)) as http:
        with pytest.raises(Unreachable, match="Name or service not known"):
            http.request("GET", "/v1/tasks")


def test_after_a_stop_no_request_is_sent_and_backoff_waits_end() -> None:
    calls: list[str] = []

    def ok(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json={})

    stop_requests()
    with WxccHttp(API_URL, clock=FakeClock(), transport=httpx.MockTransport(ok)) as http:
        with pytest.raises(Interrupted, match="Ctrl-C"):
            http.request("GET", "/v1/tasks")
    assert calls == []
    with pytest.raises(Interrupted):
        SystemClock().sleep(3600)  # returns at once: the stop is already set
