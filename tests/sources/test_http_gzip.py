"""gzip answers: inflated by ISA-L in one call, and a body that does not inflate is retried."""

from __future__ import annotations

import gc
import gzip
import random
import tracemalloc
import weakref
import zlib
from collections.abc import Iterator

import httpx
import orjson
import pytest
from isal import isal_zlib

from pipelines.sources.errors import ServerError
from pipelines.sources.http import InflatingTransport, RetryPolicy, WxccHttp, inflate_gzip
from tests.sources.factories import API_URL, FakeClock, Scripted

PAGE = {"data": {"taskDetails": {"tasks": [{"id": f"t-{i}", "n": i} for i in range(3_000)]}}}
BODY = orjson.dumps(PAGE)
PACKED = gzip.compress(BODY, mtime=0)


def gzip_response(content: bytes | httpx.SyncByteStream, status: int = 200) -> httpx.Response:
    # ``stream=``: with ``content=`` httpx would inflate the body already here.
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    stream = httpx.ByteStream(content) if isinstance(content, bytes) else content
    return httpx.Response(status, headers=headers, stream=stream)


def make_http(handler: Scripted, clock: FakeClock, attempts: int = 8) -> WxccHttp:
    retry = RetryPolicy(max_attempts=attempts, rng=random.Random(7))
    return WxccHttp(API_URL, clock=clock, retry=retry, transport=httpx.MockTransport(handler))


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError("no further request expected")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_gzip_answer_arrives_plain_with_its_encoding_kept_aside(clock: FakeClock) -> None:
    handler = Scripted([gzip_response(PACKED)], never)
    with make_http(handler, clock) as http:
        response = http.request("POST", "/search", json={})
    assert response.content == BODY
    assert orjson.loads(response.content) == PAGE
    assert "content-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(BODY))
    assert response.headers["content-type"] == "application/json"
    assert response.extensions["wxcc_content_encoding"] == "gzip"
    assert http.stats.bytes == len(BODY)  # decompressed, as before
    assert http.stats.requests == 1 and http.stats.retries == 0


def test_plain_and_other_encodings_pass_through_to_httpx(clock: FakeClock) -> None:
    deflated = zlib.compress(BODY)
    handler = Scripted(
        [
            httpx.Response(200, content=BODY),
            httpx.Response(200, headers={"content-encoding": "deflate"}, content=deflated),
            gzip_response(b"", status=204),
        ],
        never,
    )
    with make_http(handler, clock) as http:
        assert http.request("GET", "/plain").content == BODY
        other = http.request("GET", "/deflate")
        empty = http.request("GET", "/empty")
    assert other.content == BODY and other.headers["content-encoding"] == "deflate"
    assert empty.status_code == 204 and empty.content == b""


@pytest.mark.parametrize(
    ("name", "damaged", "says"),
    [
        ("cut short", PACKED[: len(PACKED) // 2], "incomplete or truncated stream"),
        ("trailer cut", PACKED[:-3], "incomplete or truncated stream"),
        ("wrong checksum", PACKED[:-8] + b"\0\0\0\0" + PACKED[-4:], "Incorrect checksum"),
        ("not gzip", BODY, "Invalid gzip"),
    ],
)
def test_a_body_that_does_not_inflate_is_retried_then_read(
    clock: FakeClock, name: str, damaged: bytes, says: str
) -> None:
    # httpx's zlib decoder handed back a truncated stream's prefix as the whole body.
    handler = Scripted([gzip_response(damaged)], lambda request: gzip_response(PACKED))
    with make_http(handler, clock) as http:
        response = http.request("POST", "/search", json={}, context="taskDetails page 3")
    assert response.content == BODY
    assert handler.calls == 2
    assert http.stats.transport_errors == 1 and http.stats.retries == 1
    assert len(clock.sleeps) == 1


def test_a_body_that_never_inflates_fails_clearly(clock: FakeClock) -> None:
    damaged = PACKED[:-8] + b"\0\0\0\0" + PACKED[-4:]
    handler = Scripted([], lambda request: gzip_response(damaged))
    with make_http(handler, clock, attempts=3) as http:
        with pytest.raises(
            ServerError,
            match=(
                r"^taskDetails page 3 \(POST /search trackingId WXCC-WAREHOUSE-[0-9a-f-]{36}\): "
                r"no readable answer from https://api.test after 3 attempts \(last: "
                rf"DecodingError: the gzip body of {len(damaged):,} bytes does not inflate "
                r"\(Error -6 Incorrect checksum found\)\)"
            ),
        ):
            http.request("POST", "/search", json={}, context="taskDetails page 3")
    assert handler.calls == 3
    # Every try carried the same tracking id, as with any other retried failure.
    assert len({r.headers["TrackingId"] for r in handler.requests}) == 1


class _CutStream(httpx.SyncByteStream):
    """The first half of the compressed body, then the connection drops."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield PACKED[: len(PACKED) // 2]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    def close(self) -> None:
        self.closed = True


def test_a_connection_dropped_in_a_gzip_body_is_retried_and_the_stream_closed(
    clock: FakeClock,
) -> None:
    cut = _CutStream()
    handler = Scripted([gzip_response(cut)], lambda request: gzip_response(PACKED))
    with make_http(handler, clock) as http:
        assert http.request("POST", "/search", json={}).content == BODY
    assert cut.closed
    assert handler.calls == 2 and http.stats.transport_errors == 1


def test_a_gzip_answer_is_freed_when_dropped_without_the_cyclic_collector(
    clock: FakeClock,
) -> None:
    handler = Scripted([gzip_response(PACKED)], never)
    http = make_http(handler, clock)
    gc.disable()
    try:
        response = http.request("POST", "/search", json={})
        assert response.content == BODY
        dropped = weakref.ref(response)
        del response
        assert dropped() is None
    finally:
        gc.enable()
        http.close()


def test_inflate_sizes_its_buffer_from_the_trailer_but_does_not_trust_a_lie() -> None:
    assert inflate_gzip(PACKED) == BODY
    assert inflate_gzip(b"") == b""
    # A 30-byte body whose trailer claims 4 GiB: deflate expands at most 1,032-fold, so the
    # buffer asked for stays small, and the wrong length is then refused by the check.
    tiny = gzip.compress(b"x", mtime=0)
    lying = tiny[:-4] + (2**32 - 1).to_bytes(4, "little")
    tracemalloc.start()
    try:
        with pytest.raises(isal_zlib.error, match="Incorrect checksum"):
            inflate_gzip(lying)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_a_callers_transport_is_wrapped_and_closed() -> None:
    closed: list[bool] = []

    class Inner(httpx.MockTransport):
        def close(self) -> None:
            closed.append(True)

    inner = Inner(lambda request: gzip_response(PACKED))
    transport = InflatingTransport(inner)
    with httpx.Client(transport=transport, base_url=API_URL) as client:
        assert client.get("/x").content == BODY
    assert closed == [True]
