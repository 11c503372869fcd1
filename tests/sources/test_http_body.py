"""The JSON body of a request: encoded once by orjson, the bytes httpx's ``json=`` sent."""

from __future__ import annotations

import json
import random

import httpx

from pipelines.sources.http import RetryPolicy, WxccHttp
from tests.sources.factories import API_URL, FakeClock, Scripted, json_response

BODY = {
    "query": "query q($from: Long!) {\n  taskDetails(from: $from) { tasks { id } }\n}\n",
    "variables": {"from": 1_763_424_000_000, "cursor": "NA", "name": 'Zoë "quoted" \\ /'},
}


def test_a_json_body_is_the_compact_utf8_httpx_sent_and_the_same_on_every_try() -> None:
    handler = Scripted([json_response(503, {})], lambda request: json_response(200, {}))
    retry = RetryPolicy(rng=random.Random(7))
    transport = httpx.MockTransport(handler)
    with WxccHttp(API_URL, clock=FakeClock(), retry=retry, transport=transport) as http:
        http.request("POST", "/search", json=BODY)
    expected = json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode()
    assert [r.content for r in handler.requests] == [expected, expected]
    for request in handler.requests:
        assert request.headers["content-type"] == "application/json"
        assert request.headers["content-length"] == str(len(expected))


def test_a_callers_content_type_is_kept() -> None:
    handler = Scripted([], lambda request: json_response(200, {}))
    transport = httpx.MockTransport(handler)
    with WxccHttp(API_URL, clock=FakeClock(), transport=transport) as http:
        http.request(
            "POST", "/x", json={"a": 1}, headers={"content-type": "application/graphql+json"}
        )
    (request,) = handler.requests
    assert request.headers.get_list("content-type") == ["application/graphql+json"]
    assert request.content == b'{"a":1}'
