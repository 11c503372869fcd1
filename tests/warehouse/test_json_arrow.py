"""Search pages decoded straight into Arrow give what the dict path gives, values and errors.

A sandbox day of a feed moved to the Arrow path is paged twice through the Search client, once
without the decoder (orjson + ``warehouse.normalize``) and once with it; the table's rows must be
the same column by column (schema with metadata, types, nulls, values), and so must the client's
counts. Then a real page is bent in each way arrow-json accepts and the dict path does not (a
fraction, an exponent or a string for an integer, a leading zero, a trailing comma, a control
character...) or in ways the proof must not mistake (whitespace, escapes, a member missing or
added): through the decoder each gives the dict path's result or its error, message included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pytest

from pipelines.assets.search import FEEDS
from pipelines.sources.auth import TokenProvider
from pipelines.sources.http import RetryPolicy, WxccHttp
from pipelines.sources.search import TASK_ACTIVITIES, SearchClient
from sandbox.server import serve_in_background
from tests.sources.factories import FakeClock, count_payload, json_response
from tests.support import SEED, TASKS_PER_DAY, ms
from warehouse.json_arrow import DecodedPage, PageDecoder
from warehouse.normalize import records_to_batch
from warehouse.schemas import TASK_ACTIVITY, TASK_DETAILS, Table

NOW = "2026-11-20T15:30:00"
DAY = (ms("2026-11-18T00:00:00"), ms("2026-11-19T00:00:00"))
ORG = "org-1"
DECODED = {feed.name: feed for feed in FEEDS if feed.decoder is not None}


def _batch(table: Table, pages: Iterable[Any]) -> pa.Table:
    """What ``land_windows`` writes for these pages."""
    batches = [
        page.to_batch(table, ORG)
        if isinstance(page, DecodedPage)
        else records_to_batch(table, page, ORG)
        for page in pages
    ]
    return pa.Table.from_batches(batches, schema=table.arrow)


def _same(new: pa.Table, old: pa.Table) -> None:
    assert new.schema.equals(old.schema, check_metadata=True)
    assert new.num_rows == old.num_rows
    for name in old.schema.names:
        a, b = new.column(name), old.column(name)
        assert a.type == b.type, name
        assert a.null_count == b.null_count, name
        assert a.equals(b), (name, a.to_pylist()[:3], b.to_pylist()[:3])


class _Recording(httpx.BaseTransport):
    """The real transport, keeping each Search page's bytes."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.pages: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        content = response.read()
        if request.url.path == "/search" and b"Page(" in request.content:
            self.pages.append(content)
        headers = [(k, v) for k, v in response.headers.items() if k != "content-encoding"]
        return httpx.Response(response.status_code, headers=headers, content=content)


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Per decoded feed: the day's pages without and with the decoder, both clients' stats, and
    the raw bytes of the pages."""
    tmp = tmp_path_factory.mktemp("state")
    found: dict[str, Any] = {}
    with serve_in_background(
        seed=SEED, tasks_per_day=TASKS_PER_DAY, now_ms=ms(NOW), budget_per_minute=0
    ) as url:
        tokens = TokenProvider(
            identity_url=url,
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            refresh_token="sandbox-refresh",
            state_dir=Path(tmp),
        )
        for name, feed in DECODED.items():
            recording = _Recording()
            with SearchClient(WxccHttp(url, token_provider=tokens)) as plain:
                old = list(plain.window_pages(feed.query, *DAY))
            with SearchClient(
                WxccHttp(url, token_provider=tokens, transport=recording)
            ) as decoding:
                new = list(decoding.window_pages(feed.query, *DAY, decoder=feed.decoder))
            found[name] = (old, plain.stats, new, decoding.stats, recording.pages)
    return found


@pytest.mark.parametrize("name", sorted(DECODED))
def test_a_sandbox_day_is_the_same_column_by_column_through_the_decoder(
    day: dict[str, Any], name: str
) -> None:
    old, old_stats, new, new_stats, _ = day[name]
    table = DECODED[name].tables[0]
    decoded = [p for p in new if isinstance(p, DecodedPage)]
    assert len(decoded) >= len(new) - 1 and decoded  # the sandbox's pages are regular
    _same(_batch(table, new), _batch(table, old))
    assert _batch(table, old).num_rows > TASKS_PER_DAY
    assert new_stats.as_dict() == old_stats.as_dict()
    assert new_stats.repeated == old_stats.repeated


# -- bent pages ---------------------------------------------------------------------------------

START, END = DAY
DECODER: PageDecoder = DECODED["task_activity"].decoder  # type: ignore[assignment]


@pytest.fixture(scope="module")
def page(day: dict[str, Any]) -> dict[str, Any]:
    """A real task_activities page cut to 20 tasks, the last page of its window."""
    raw = day["task_activity"][4][0]
    payload = orjson.loads(raw)
    result = payload["data"]["taskDetails"]
    result["tasks"] = [t for t in result["tasks"] if t["activities"]["nodes"]][:20]
    result["pageInfo"] = {"hasNextPage": False, "endCursor": None}
    return payload


def _client(pages: dict[str, bytes], count: int) -> SearchClient:
    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        if "count" in body["query"].split("{")[0].lower():
            return json_response(200, count_payload(count))
        cursor = body["variables"]["cursor"]
        return httpx.Response(
            200, content=pages[cursor], headers={"content-type": "application/json"}
        )

    http = WxccHttp(
        "https://api.test",
        clock=FakeClock(),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=1),
    )
    return SearchClient(http)


def _outcome(pages: dict[str, bytes], count: int, decoder: PageDecoder | None) -> Any:
    client = _client(pages, count)
    try:
        got = list(client.window_pages(TASK_ACTIVITIES, START, END, decoder=decoder))
        return (
            "rows",
            _batch(TASK_ACTIVITY, got),
            client.stats.as_dict(),
            sum(isinstance(p, DecodedPage) for p in got),
        )
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return ("error", type(exc).__name__, str(exc))


def _compare(pages: dict[str, bytes], count: int) -> tuple[Any, Any]:
    old = _outcome(pages, count, None)
    new = _outcome(pages, count, DECODER)
    assert new[0] == old[0], (new, old)
    if old[0] == "error":
        assert new[1:] == old[1:]
    else:
        _same(new[1], old[1])
        assert new[2] == old[2]
    return old, new


def _first(text: bytes, pattern: bytes, replace: Callable[[re.Match[bytes]], bytes]) -> bytes:
    bent, n = re.subn(pattern, replace, text, count=1)
    assert n == 1, pattern
    return bent


def test_the_unbent_page_is_decoded(page: dict[str, Any]) -> None:
    raw = orjson.dumps(page)
    old, new = _compare({"NA": raw}, 20)
    assert new[3] == 1 and old[1].num_rows == new[1].num_rows > 20


BENT: dict[str, tuple[bytes, Callable[[re.Match[bytes]], bytes], str]] = {
    # arrow-json truncates, parses or accepts these; the dict path refuses them
    "a fraction for an integer": (rb'"duration":(\d+)', lambda m: m[0] + b".5", "error"),
    "a whole float for an integer": (rb'"duration":(\d+)', lambda m: m[0] + b".0", "error"),
    "an exponent for an integer": (rb'"duration":(\d+)', lambda m: m[0] + b"e0", "error"),
    "a string for an integer": (
        rb'"duration":(\d+)',
        lambda m: b'"duration":"' + m[1] + b'"',
        "error",
    ),
    "a fraction for an instant": (rb'"endedTime":(\d+)', lambda m: m[0] + b".5", "error"),
    "a date string for an instant": (
        rb'"endedTime":(\d+)',
        lambda m: b'"endedTime":"2020-01-01"',
        "error",
    ),
    "a leading zero": (rb'"duration":(\d+)', lambda m: b'"duration":0' + m[1], "error"),
    "a trailing comma": (
        rb'"contactAssignmentType":(null|"[^"]*")\}',
        lambda m: m[0][:-1] + b",}",
        "error",
    ),
    "a control character in a string": (
        rb'"agentName":"([^"]+)"',
        lambda m: b'"agentName":"\x01' + m[1] + b'"',
        "error",
    ),
    "a number for a boolean": (rb'"isActive":(true|false)', lambda m: b'"isActive":1', "error"),
    "an instant out of range": (
        rb'"endedTime":(\d+)',
        lambda m: b'"endedTime":99999999999999999',
        "error",
    ),
    "a null activity id": (rb'"nodes":\[\{"id":"[^"]+"', lambda m: b'"nodes":[{"id":null', "error"),
    "a null task id": (rb'"tasks":\[\{"id":"[^"]+"', lambda m: b'"tasks":[{"id":null', "error"),
    "a totalCount that is off": (rb'"totalCount":(\d+)', lambda m: b'"totalCount":999', "error"),
    "GraphQL errors": (rb"^\{", lambda m: b'{"errors":[{"message":"boom"}],', "error"),
    # valid JSON the proof cannot vouch for: the dict path reads it, with the same rows
    "whitespace": (rb'"duration":(\d+)', lambda m: b'"duration": ' + m[1], "rows"),
    "an escaped string": (
        rb'"agentName":"([^"]+)"',
        lambda m: b'"agentName":"\\u0041' + m[1] + b'"',
        "rows",
    ),
    "a member missing": (rb'"bnrMode":[^,}]+,', lambda m: b"", "rows"),
    "an unknown member": (rb'"bnrMode":', lambda m: b'"extra":1,"bnrMode":', "rows"),
    "a member twice": (rb'"bnrMode":', lambda m: b'"bnrMode":"x","bnrMode":', "rows"),
    "not yet (-1) for an instant": (rb'"endedTime":(\d+)', lambda m: b'"endedTime":-1', "rows"),
}


@pytest.mark.parametrize("bend", sorted(BENT))
def test_a_bent_page_gives_the_dict_paths_result(page: dict[str, Any], bend: str) -> None:
    pattern, replace, expected = BENT[bend]
    raw = _first(orjson.dumps(page), pattern, replace)
    old, new = _compare({"NA": raw}, 20)
    assert old[0] == expected, old
    if expected == "error":
        assert DECODER.decode(raw) is None  # refused by the decoder itself, not later
    if expected == "rows":
        # -1 is read by the decoder itself; the others go through the dict path
        assert new[3] == (1 if "-1" in bend else 0)


def test_a_record_repeated_on_the_next_page_is_dropped_once_or_refused_if_changed(
    page: dict[str, Any],
) -> None:
    first = orjson.loads(orjson.dumps(page))
    first["data"]["taskDetails"]["pageInfo"] = {"hasNextPage": True, "endCursor": "1"}
    second = orjson.loads(orjson.dumps(page))
    tasks = second["data"]["taskDetails"]["tasks"]
    # the second page starts with the first page's last task again (offset paging shifted)
    first["data"]["taskDetails"]["tasks"] = tasks[:19]
    second["data"]["taskDetails"]["tasks"] = tasks[18:]
    pages = {"NA": orjson.dumps(first), "1": orjson.dumps(second)}
    old, new = _compare(pages, 20)
    assert old[0] == "rows" and old[2]["records"] == 20 and new[3] == 2
    changed = orjson.loads(pages["1"])
    changed["data"]["taskDetails"]["tasks"][0]["activities"]["nodes"][0]["duration"] = 7
    pages["1"] = orjson.dumps(changed)
    old, _ = _compare(pages, 20)
    assert old[0] == "error" and "came again with other values" in old[2]


def test_the_decoder_refuses_what_it_cannot_prove() -> None:
    with pytest.raises(ValueError, match="JSON-typed"):
        PageDecoder("taskDetails", "tasks", "id", "createdTime", TASK_DETAILS)
