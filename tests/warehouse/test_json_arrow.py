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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pyarrow as pa
import pytest

from pipelines.assets.search import FEEDS, SearchFeed, _counting_in_progress
from pipelines.sources.http import RetryPolicy, WxccHttp
from pipelines.sources.search import SearchClient
from sandbox.server import serve_in_background
from tests.sources.factories import FakeClock, json_response
from tests.support import SEED, TASKS_PER_DAY, ms, sandbox_tokens
from warehouse import json_arrow
from warehouse.json_arrow import DecodedPage, PageDecoder, record_digest
from warehouse.normalize import records_to_batch
from warehouse.schemas import AGENT_ACTIVITY, TASK_DETAILS, TASK_VARIABLE, Column, Table
from warehouse.variables import CadVariable, with_variables

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


def _landed(
    feed: SearchFeed, pages: Iterable[Any], configured: tuple[CadVariable, ...] = ()
) -> tuple[dict[str, pa.Table], int]:
    """What the feed's asset lands for these pages: every table, and the tasks in progress."""
    pages = list(pages)
    in_progress = [0]
    if feed.tables[0] is TASK_DETAILS:
        pages = list(_counting_in_progress(iter(pages), in_progress))
    if TASK_VARIABLE in feed.tables:
        pages = [with_variables(page, configured) for page in pages]
    return {t.qualified_name: _batch(t, pages) for t in feed.tables}, in_progress[0]


def _same(new: pa.Table | dict[str, pa.Table], old: pa.Table | dict[str, pa.Table]) -> None:
    if isinstance(old, dict):
        assert isinstance(new, dict) and new.keys() == old.keys()
        for name in old:
            _same(new[name], old[name])
        return
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
        tokens = sandbox_tokens(url, Path(tmp))
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
    feed = DECODED[name]
    decoded = [p for p in new if isinstance(p, DecodedPage)]
    assert len(decoded) >= len(new) - 1 and decoded  # the sandbox's pages are regular
    new_tables, new_open = _landed(feed, new)
    old_tables, old_open = _landed(feed, old)
    _same(new_tables, old_tables)
    assert new_open == old_open
    assert old_tables[feed.tables[0].qualified_name].num_rows >= TASKS_PER_DAY
    for table in feed.tables[1:]:  # derived child tables (task_variable) hold rows too
        assert old_tables[table.qualified_name].num_rows > 0
    assert new_stats.as_dict() == old_stats.as_dict()
    assert new_stats.repeated == old_stats.repeated


# -- bent pages ---------------------------------------------------------------------------------

START, END = DAY


@dataclass(frozen=True)
class Fields:
    """Members of a feed's page to bend: an integer, an instant, a string, a boolean."""

    integer: str
    instant: str
    string: str
    boolean: str
    extra: tuple[tuple[str, bytes, Callable[[re.Match[bytes]], bytes], str], ...] = ()


FIELDS = {
    "task_activity": Fields(
        "duration",
        "endedTime",
        "agentName",
        "isActive",
        (
            (
                "a null activity id",
                rb'"nodes":\[\{"id":"[^"]+"',
                lambda m: b'"nodes":[{"id":null',
                "error",
            ),
            (
                "a totalCount that is off",
                rb'"totalCount":(\d+)',
                lambda m: b'"totalCount":999',
                "error",
            ),
        ),
    ),
    "agent_activity": Fields(
        "duration",
        "endTime",
        "state",
        "isOutdial",
        (
            (
                "a null channel id",
                rb'"channelInfo":\[\{"channelId":"[^"]+"',
                lambda m: b'"channelInfo":[{"channelId":null',
                "error",
            ),
            (
                "a null activity id",
                rb'"nodes":\[\{"id":"[^"]+"',
                lambda m: b'"nodes":[{"id":null',
                "error",
            ),
        ),
    ),
    "task_details": Fields(
        "callCompletedCount",
        "endedTime",
        "origin",
        "isActive",
        (
            # globalVariables (JSON-typed) feeds task_variable: read by orjson either way
            (
                "whitespace in the variables",
                rb'"globalVariables":\{',
                lambda m: b'"globalVariables":{ ',
                "rows",
            ),
            (
                "variables as a list",
                rb'"globalVariables":\{[^}]*\}',
                lambda m: b'"globalVariables":[{"name":"a","value":1},{"name":"b","value":"x"}]',
                "rows",
            ),
            (
                "a variable without a name",
                rb'"globalVariables":\{[^}]*\}',
                lambda m: b'"globalVariables":[{"name":"a","value":1},{"value":"x"}]',
                "error",
            ),
            (  # orjson reads it as a float (a double variable): not canonical, the dict path
                "a variable beyond 64 bits",
                rb'"IVRAttempts":\d+',
                lambda m: b'"IVRAttempts":99999999999999999999',
                "rows",
            ),
            (
                "a variable too large for a long",
                rb'"IVRAttempts":\d+',
                lambda m: b'"IVRAttempts":9999999999999999999',
                "error",
            ),
            (
                "a task in progress",
                rb'"endedTime":\d+',
                lambda m: b'"endedTime":null',
                "rows",
            ),
        ),
    ),
    "task_leg_details": Fields(
        "ringingDuration",
        "endedTime",
        "origin",
        "isActive",
        (
            # JSON-typed members are read by orjson: valid but not compact, the dict path reads
            # them (sorted-key text either way); not JSON, the dict path's error
            (
                "whitespace in a JSON value",
                rb'"matchedSkills":\[\{',
                lambda m: b'"matchedSkills":[ {',
                "rows",
            ),
            (
                "a JSON value cut short",
                rb'"matchedSkills":\[\{',
                lambda m: b'"matchedSkills":[{]',
                "error",
            ),
            (
                "a JSON value where null was",
                rb'"requiredSkills":null',
                lambda m: b'"requiredSkills":{"b":1,"a":[2.5,true]}',
                "rows",
            ),
        ),
    ),
}


def _bends(
    f: Fields, list_field: str, key_field: str
) -> dict[str, tuple[bytes, Callable[[re.Match[bytes]], bytes], str]]:
    n, t, s, b = (x.encode() for x in (f.integer, f.instant, f.string, f.boolean))
    number = rb'"%s":(\d+)'
    bends: dict[str, tuple[bytes, Callable[[re.Match[bytes]], bytes], str]] = {
        # arrow-json truncates, parses or accepts these; the dict path refuses them
        "a fraction for an integer": (number % n, lambda m: m[0] + b".5", "error"),
        "a whole float for an integer": (number % n, lambda m: m[0] + b".0", "error"),
        "an exponent for an integer": (number % n, lambda m: m[0] + b"e0", "error"),
        "a string for an integer": (
            number % n,
            lambda m: b'"%s":"%s"' % (n, m[1]),
            "error",
        ),
        "a fraction for an instant": (number % t, lambda m: m[0] + b".5", "error"),
        "a date string for an instant": (
            number % t,
            lambda m: b'"%s":"2020-01-01"' % t,
            "error",
        ),
        "a leading zero": (number % n, lambda m: b'"%s":0%s' % (n, m[1]), "error"),
        "a trailing comma": (rb'":(null|"[^"]*")\}', lambda m: m[0][:-1] + b",}", "error"),
        "a control character in a string": (
            rb'"%s":"([^"]+)"' % s,
            lambda m: b'"%s":"\x01%s"' % (s, m[1]),
            "error",
        ),
        "a number for a boolean": (
            rb'"%s":(true|false)' % b,
            lambda m: b'"%s":1' % b,
            "error",
        ),
        "an instant out of range": (
            number % t,
            lambda m: b'"%s":99999999999999999' % t,
            "error",
        ),
        "a null record id": (
            rb'"%s":\[\{"%s":"[^"]+"' % (list_field.encode(), key_field.encode()),
            lambda m: b'"%s":[{"%s":null' % (list_field.encode(), key_field.encode()),
            "error",
        ),
        "GraphQL errors": (rb"^\{", lambda m: b'{"errors":[{"message":"boom"}],', "error"),
        # valid JSON the proof cannot vouch for: the dict path reads it, with the same rows
        "whitespace": (number % n, lambda m: b'"%s": %s' % (n, m[1]), "rows"),
        "an escaped string": (
            rb'"%s":"([^"]+)"' % s,
            lambda m: b'"%s":"\\u0041%s"' % (s, m[1]),
            "rows",
        ),
        # orjson's own escapes are read by the decoder: the proof counts them
        "an escaped quote and newline": (
            rb'"%s":"([^"]+)"' % s,
            lambda m: b'"%s":"\\"%s\\n\\\\"' % (s, m[1]),
            "rows",
        ),
        "an escaped control character": (
            rb'"%s":"([^"]+)"' % s,
            lambda m: b'"%s":"\\u0001%s"' % (s, m[1]),
            "rows",
        ),
        "a member missing": (rb'"%s":[^,}]+,' % s, lambda m: b"", "rows"),
        "an unknown member": (rb'"%s":' % s, lambda m: b'"extra":1,"%s":' % s, "rows"),
        "a member twice": (rb'"%s":' % s, lambda m: b'"%s":"x","%s":' % (s, s), "rows"),
        "not yet (-1) for an instant": (number % t, lambda m: b'"%s":-1' % t, "rows"),
    }
    for name, pattern, replace, expected in f.extra:
        bends[name] = (pattern, replace, expected)
    return bends


BENT = {
    name: _bends(f, DECODED[name].query.list_field, DECODED[name].query.key_field)
    for name, f in FIELDS.items()
}
REFUSED_AT_LANDING = {"a variable too large for a long", "a variable without a name"}
CASES = [(feed, bend) for feed in sorted(BENT) for bend in sorted(BENT[feed])]


@pytest.fixture(scope="module")
def pages(day: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per feed, a real page cut to 20 records, the last page of its window."""
    found = {}
    for name, feed in DECODED.items():
        payload = orjson.loads(day[name][4][0])
        result = payload["data"][feed.query.root]
        records = result[feed.query.list_field]
        if name == "task_activity":
            records = [t for t in records if t["activities"]["nodes"]]
        if name == "agent_activity":  # sessions whose lists are whole, with activities
            records = [
                r
                for r in records
                if r["channelInfo"]
                and not any(c["activities"]["pageInfo"]["hasNextPage"] for c in r["channelInfo"])
                and any(c["activities"]["nodes"] for c in r["channelInfo"])
            ]
        if name == "task_leg_details":  # legs with skills (JSON-typed) first
            records = sorted(records, key=lambda r: r["matchedSkills"] is None)
        result[feed.query.list_field] = records[:20]
        result["pageInfo"] = {"hasNextPage": False, "endCursor": None}
        found[name] = payload
    return found


def _client(pages: dict[str, bytes], count: int, root: str, list_field: str) -> SearchClient:
    counted = {"data": {root: {list_field: [{"aggregation": [{"name": "count", "value": count}]}]}}}

    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        if "count" in body["query"].split("{")[0].lower():
            return json_response(200, counted)
        cursor = body["variables"]["cursor"]
        return httpx.Response(
            200, content=pages[cursor], headers={"content-type": "application/json"}
        )

    return _mock_client(handler)


def _mock_client(handler: Callable[[httpx.Request], httpx.Response]) -> SearchClient:
    """A Search client whose requests ``handler`` answers, without retries."""
    http = WxccHttp(
        "https://api.test",
        clock=FakeClock(),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=1),
    )
    return SearchClient(http)


def _outcome(
    name: str,
    pages: dict[str, bytes],
    count: int,
    decoded: bool,
    configured: tuple[CadVariable, ...] = (),
) -> Any:
    feed = DECODED[name]
    client = _client(pages, count, feed.query.root, feed.query.list_field)
    decoder = feed.decoder if decoded else None
    try:
        got = list(client.window_pages(feed.query, START, END, decoder=decoder))
        return (
            "rows",
            _landed(feed, got, configured),
            client.stats.as_dict(),
            sum(isinstance(p, DecodedPage) for p in got),
        )
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return ("error", type(exc).__name__, str(exc))


def _compare(
    name: str, pages: dict[str, bytes], count: int, configured: tuple[CadVariable, ...] = ()
) -> tuple[Any, Any]:
    old = _outcome(name, pages, count, decoded=False, configured=configured)
    new = _outcome(name, pages, count, decoded=True, configured=configured)
    assert new[0] == old[0], (new, old)
    if old[0] == "error":
        assert new[1:] == old[1:]
    else:
        _same(new[1][0], old[1][0])
        assert new[1][1] == old[1][1]  # tasks in progress
        assert new[2] == old[2]
    return old, new


def _first(text: bytes, pattern: bytes, replace: Callable[[re.Match[bytes]], bytes]) -> bytes:
    bent, n = re.subn(pattern, replace, text, count=1)
    assert n == 1, pattern
    return bent


def _single(name: str, raw: bytes) -> dict[str, bytes]:
    return {DECODED[name].query.first_cursor: raw}


@pytest.mark.parametrize("name", sorted(DECODED))
def test_the_unbent_page_is_decoded(pages: dict[str, dict[str, Any]], name: str) -> None:
    old, new = _compare(name, _single(name, orjson.dumps(pages[name])), 20)
    first = DECODED[name].tables[0].qualified_name
    assert new[3] == 1 and old[1][0][first].num_rows == new[1][0][first].num_rows >= 20


@pytest.mark.parametrize(("name", "bend"), CASES)
def test_a_bent_page_gives_the_dict_paths_result(
    pages: dict[str, dict[str, Any]], name: str, bend: str
) -> None:
    pattern, replace, expected = BENT[name][bend]
    raw = _first(orjson.dumps(pages[name]), pattern, replace)
    old, new = _compare(name, _single(name, raw), 20)
    assert old[0] == expected, old
    if expected == "error":
        decoded = DECODED[name].decoder.decode(raw)  # type: ignore[union-attr]
        # a derived row's value (a variable too large for a long column) is refused where the
        # dict path refuses it, normalizing task_variable at landing; the rest never decode
        assert (decoded is not None) == (bend in REFUSED_AT_LANDING)
    else:
        assert new[3] == (1 if _read_by_the_decoder(bend) else 0)


# Bends the decoder itself reads (with the same rows); the others are left to the dict path.
ITSELF = ("-1", "where null was", "escaped quote", "variables as a list", "in progress")


def _read_by_the_decoder(bend: str) -> bool:
    return any(word in bend for word in ITSELF)


@pytest.mark.parametrize("name", sorted(DECODED))
def test_the_proof_counts_the_same_in_small_chunks(
    pages: dict[str, dict[str, Any]], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's bytes are counted a chunk at a time, its strings gathered into chunks: with
    64-byte chunks, every bent page is still refused and the others read."""
    monkeypatch.setattr(json_arrow, "_CHUNK", 64)
    decoder = DECODED[name].decoder
    assert decoder is not None
    raw = orjson.dumps(pages[name])
    assert decoder.decode(raw) is not None
    for bend, (pattern, replace, _) in BENT[name].items():
        decoded = decoder.decode(_first(raw, pattern, replace))
        expected = bend in REFUSED_AT_LANDING or _read_by_the_decoder(bend)
        assert (decoded is not None) == expected, bend


@pytest.mark.parametrize("chunk", [1, 3, 64, 1 << 17])
def test_byte_counts_of_pieces_are_the_counts_of_their_join(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_arrow, "_CHUNK", chunk)
    alphabet = b'":,.eE \\az{}[]09'
    pieces = [
        bytes(alphabet[(i * 7 + j) % len(alphabet)] for j in range(n))
        for i, n in enumerate([0, 1, 2, 63, 64, 65, 5, 200, 0, 3])
    ]
    joined = b"".join(pieces)
    expected = [joined.count(bytes([c])) for c in json_arrow._COUNTED]
    assert json_arrow._counts_of(pieces).tolist() == expected
    assert json_arrow._counts(np.frombuffer(joined, dtype=np.uint8)).tolist() == expected
    assert json_arrow._counts_of([]).tolist() == [0] * len(expected)
    assert json_arrow._page_counts(joined).tolist() == expected
    # a page without some of the bytes (no backslash, no ".") is not compared for them
    plain = joined.replace(b"\\", b"a").replace(b".", b"z")
    assert json_arrow._page_counts(plain).tolist() == [
        plain.count(bytes([c])) for c in json_arrow._COUNTED
    ]


def _elements(name: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects of a feed's page that hold its ``Fields``: records, or their activities."""
    query = DECODED[name].query
    records = payload["data"][query.root][query.list_field]
    if name == "task_activity":
        return [n for r in records for n in r["activities"]["nodes"]]
    if name == "agent_activity":
        return [n for r in records for c in r["channelInfo"] for n in c["activities"]["nodes"]]
    return list(records)


# Values whose canonical length the proof computes per type: each is set on the elements in
# turn (so one page holds them all), and the page is orjson's, so the decoder must read it.
EDGES: dict[str, tuple[tuple[str, list[Any]], ...]] = {
    "integers at powers of ten": (
        ("integer", [0, 9, 10, 99, 100, 999, 1000, 99999, 100000, 999999999, 10**9, 2**31 - 1]),
    ),
    "negative integers": (("integer", [-1, -9, -10, -99, -100, -(2**31)]),),
    "instants at powers of ten": (
        ("instant", [0, 1, 9, 10, 10**12 - 1, 10**12, 10**13 - 1, 10**13, -2, -10]),
    ),
    "strings with escapes and empty": (
        ("string", ["", '"', "\\", 'a"b\\c', "line\nbreak\ttab\r\x08\x0c", "é✓ — ü", "x" * 300]),
    ),
    "booleans and nulls": (("boolean", [True, False, None]),),
    "nulls in every type": tuple(
        (attr, [None, None, "keep"]) for attr in ("integer", "instant", "string", "boolean")
    ),
}


@pytest.mark.parametrize("edge", sorted(EDGES))
@pytest.mark.parametrize("name", sorted(DECODED))
def test_edge_values_are_read_by_the_decoder_as_the_dict_path_reads_them(
    pages: dict[str, dict[str, Any]], name: str, edge: str
) -> None:
    payload = orjson.loads(orjson.dumps(pages[name]))
    elements = _elements(name, payload)
    for attr, values in EDGES[edge]:
        member = getattr(FIELDS[name], attr)
        assert len(elements) >= len(values)
        for i, element in enumerate(elements):
            value = values[i % len(values)]
            if value != "keep":
                element[member] = value
    old, new = _compare(name, _single(name, orjson.dumps(payload)), 20)
    assert old[0] == "rows" and new[3] == 1  # the decoder read it, and the rows are the same


# A nested object of the elements, null in every other element (the normalizer reads its
# members as null): the proof measures it as "null" and its members not at all.
NULL_OBJECTS = {
    "task_details": "lastQueue",
    "task_leg_details": "queue",
    "agent_activity": "queue",
}


@pytest.mark.parametrize("name", sorted(NULL_OBJECTS))
def test_a_null_object_is_read_by_the_decoder(pages: dict[str, dict[str, Any]], name: str) -> None:
    payload = orjson.loads(orjson.dumps(pages[name]))
    for i, element in enumerate(_elements(name, payload)):
        if i % 2:
            element[NULL_OBJECTS[name]] = None
    old, new = _compare(name, _single(name, orjson.dumps(payload)), 20)
    assert old[0] == "rows" and new[3] == 1


@pytest.mark.parametrize("name", ["task_activity", "agent_activity"])
def test_empty_activity_lists_are_read_by_the_decoder(
    pages: dict[str, dict[str, Any]], name: str
) -> None:
    payload = orjson.loads(orjson.dumps(pages[name]))
    query = DECODED[name].query
    records = payload["data"][query.root][query.list_field]
    empty = {"totalCount": 0, "nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    for i, record in enumerate(records):
        if name == "task_activity" and i % 2:
            record["activities"] = empty
        if name == "agent_activity":
            if i % 3 == 1:
                record["channelInfo"] = []
            elif i % 3 == 2:
                record["channelInfo"][0]["activities"] = empty
    old, new = _compare(name, _single(name, orjson.dumps(payload)), 20)
    assert old[0] == "rows" and new[3] == 1


@pytest.mark.parametrize("name", sorted(DECODED))
def test_an_empty_page_is_decoded_with_no_records(
    pages: dict[str, dict[str, Any]], name: str
) -> None:
    payload = orjson.loads(orjson.dumps(pages[name]))
    query = DECODED[name].query
    payload["data"][query.root][query.list_field] = []
    page = DECODED[name].decoder.decode(orjson.dumps(payload))  # type: ignore[union-attr]
    assert page is not None and len(page) == 0 and page.digests() == []
    old, new = _compare(name, _single(name, orjson.dumps(payload)), 0)
    assert old[0] == "rows" and new[3] == 0  # no page is yielded on either path


@pytest.mark.parametrize("name", ["task_activity", "agent_activity"])
def test_an_activity_twice_in_a_page_is_left_to_the_dict_path(
    pages: dict[str, dict[str, Any]], name: str
) -> None:
    payload = orjson.loads(orjson.dumps(pages[name]))
    nodes = _elements(name, payload)
    nodes[1]["id"] = nodes[0]["id"]
    raw = orjson.dumps(payload)
    assert DECODED[name].decoder.decode(raw) is None  # type: ignore[union-attr]
    _compare(name, _single(name, raw), 20)


def test_a_record_digest_is_the_same_on_both_paths(pages: dict[str, dict[str, Any]]) -> None:
    payload = pages["task_details"]
    query = DECODED["task_details"].query
    page = DECODED["task_details"].decoder.decode(orjson.dumps(payload))  # type: ignore[union-attr]
    assert page is not None
    records = payload["data"][query.root][query.list_field]
    assert page.digests() == [record_digest(orjson.dumps(r)) for r in records]
    assert all(0 <= d < 2**63 for d in page.digests())  # an int64 for Sightings
    assert len(set(page.digests())) == len(records)


@pytest.mark.parametrize("name", sorted(DECODED))
def test_a_record_repeated_on_the_next_page_is_dropped_once_or_refused_if_changed(
    pages: dict[str, dict[str, Any]], name: str
) -> None:
    query = DECODED[name].query
    first = orjson.loads(orjson.dumps(pages[name]))
    second = orjson.loads(orjson.dumps(pages[name]))
    first["data"][query.root]["pageInfo"] = {"hasNextPage": True, "endCursor": "1"}
    records = second["data"][query.root][query.list_field]
    # the second page starts with the first page's last record again (offset paging shifted)
    first["data"][query.root][query.list_field] = records[:19]
    second["data"][query.root][query.list_field] = records[18:]
    served = {query.first_cursor: orjson.dumps(first), "1": orjson.dumps(second)}
    old, new = _compare(name, served, 20)
    assert old[0] == "rows" and old[2]["records"] == 20 and new[3] == 2
    changed = orjson.loads(served["1"])
    changed["data"][query.root][query.list_field][0][query.key_field] = records[18][query.key_field]
    changed["data"][query.root][query.list_field][0][query.time_field] += 1
    served["1"] = orjson.dumps(changed)
    old, _ = _compare(name, served, 20)
    assert old[0] == "error" and "came again with other values" in old[2]


CONFIGURED = {
    "every variable": (),
    "some typed": (
        CadVariable("IVRAttempts", "integer"),
        CadVariable("CustomerTier", "string"),
        CadVariable("IntentConfidence", "double"),
        CadVariable("IsAuthenticated", "boolean"),
        CadVariable("GV2", "string"),
        CadVariable("Missing", "long"),
    ),
    "a type that does not fit": (CadVariable("CustomerTier", "integer"),),
}


@pytest.mark.parametrize("configured", sorted(CONFIGURED))
def test_cad_variables_of_a_decoded_page_are_the_dict_paths(
    pages: dict[str, dict[str, Any]], configured: str
) -> None:
    raw = orjson.dumps(pages["task_details"])
    old, new = _compare("task_details", _single("task_details", raw), 20, CONFIGURED[configured])
    if configured == "a type that does not fit":
        assert old[0] == "error" and "configured as integer but holds" in old[2]
        return
    assert new[3] == 1  # through the decoder
    assert old[1][0][TASK_VARIABLE.qualified_name].num_rows >= 20


def test_the_decoder_refuses_tables_it_cannot_prove() -> None:
    last = Table(
        schema="search",
        name="t",
        columns=(
            Column("id", "String"),
            Column("createdTime", "Long", "instant"),
            Column("globalVariables", "JSON", "json"),
        ),
        key=("id",),
        time_column="created_time",
    )
    with pytest.raises(ValueError, match="a JSON member is the record's last"):
        PageDecoder("taskDetails", "tasks", "id", "createdTime", last)
    with pytest.raises(ValueError, match="only <inner>.nodes children"):
        PageDecoder("agentSession", "agentSessions", "agentSessionId", "startTime", AGENT_ACTIVITY)


def _split_list(name: str, page: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list]:
    """The page with its longest activity list cut after 2 activities (more to come), the
    further page's answer (its record with the rest), and the rest."""
    query = DECODED[name].query
    records = page["data"][query.root][query.list_field]
    if name == "agent_activity":
        lists = [(r, c) for r in records for c in r["channelInfo"]]
    else:
        lists = [(r, None) for r in records]
    record, channel = max(lists, key=lambda rc: len((rc[1] or rc[0])["activities"]["nodes"]))
    holder = channel or record
    nodes = holder["activities"]["nodes"]
    assert len(nodes) >= 3
    time_field = "startTime" if channel is not None else "createdTime"
    rest = nodes[1:]  # the further page starts again with the first page's last (after + 1)
    holder["activities"] = {
        "totalCount": len(nodes),
        "nodes": nodes[:2],
        "pageInfo": {"hasNextPage": True, "endCursor": str(nodes[1][time_field])},
    }
    further = {
        "totalCount": len(nodes),
        "nodes": rest,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    if channel is None:
        more = {query.key_field: record[query.key_field], "activities": further}
    else:
        more = {
            query.key_field: record[query.key_field],
            "channelInfo": [{"channelId": channel["channelId"], "activities": further}],
        }
    return page, more, rest


def _with_more(name: str, page: bytes, more: dict[str, Any], count: int, decoded: bool) -> Any:
    feed = DECODED[name]
    root, list_field = feed.query.root, feed.query.list_field
    answer = {"data": {root: {list_field: [more]}}}

    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        head = body["query"].split("{")[0]
        if "Count" in head or "count" in head:
            counted = [{"aggregation": [{"name": "count", "value": count}]}]
            return json_response(200, {"data": {root: {list_field: counted}}})
        if "More" in head:
            return json_response(200, answer)
        return httpx.Response(200, content=page, headers={"content-type": "application/json"})

    client = _mock_client(handler)
    try:
        got = list(
            client.window_pages(feed.query, START, END, decoder=feed.decoder if decoded else None)
        )
        return (
            "rows",
            _batch(feed.tables[0], got),
            client.stats.as_dict(),
            sum(isinstance(p, DecodedPage) for p in got),
        )
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("name", ["agent_activity", "task_activity"])
@pytest.mark.parametrize("bend", ["none", "a bad value", "a total that is off", "more twice"])
def test_a_list_with_further_pages_is_merged_as_the_dict_path_does(
    pages: dict[str, dict[str, Any]], name: str, bend: str
) -> None:
    page, more, rest = _split_list(name, orjson.loads(orjson.dumps(pages[name])))
    further = (more.get("channelInfo") or [more])[0]["activities"]
    if bend == "a bad value":
        rest[-1]["duration"] = 1.5
    if bend == "a total that is off":
        further["nodes"] = rest[:-1]
    if bend == "more twice":  # an activity the further page holds twice
        further["nodes"] = [*rest, rest[-1]]
    raw = orjson.dumps(page)
    query = DECODED[name].query
    count = len(page["data"][query.root][query.list_field])
    old = _with_more(name, raw, more, count, decoded=False)
    new = _with_more(name, raw, more, count, decoded=True)
    assert new[0] == old[0], (new, old)
    assert old[0] == ("error" if bend in ("a bad value", "a total that is off") else "rows")
    if old[0] == "error":
        assert new[1:] == old[1:]
        return
    _same(new[1], old[1])
    assert new[2] == old[2] and new[3] == 1  # the page itself went through Arrow
    assert old[2]["activity_requests"] == 1 and old[2]["duplicates"] >= 1


def _split_lists(page: dict[str, Any], n: int) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The page's ``n`` longest agentSession channel lists cut after 2 activities (more to
    come); per (session, channel), the further page's nodes (the first page's last again)."""
    records = page["data"]["agentSession"]["agentSessions"]
    lists = sorted(
        ((r, c) for r in records for c in r["channelInfo"]),
        key=lambda rc: -len(rc[1]["activities"]["nodes"]),
    )[:n]
    further = {}
    for record, channel in lists:
        nodes = channel["activities"]["nodes"]
        assert len(nodes) >= 3
        channel["activities"] = {
            "totalCount": len(nodes),
            "nodes": nodes[:2],
            "pageInfo": {"hasNextPage": True, "endCursor": str(nodes[1]["startTime"])},
        }
        further[record["agentSessionId"], channel["channelId"]] = nodes[1:]
    return further


def _lists_landed(page: bytes, further: dict[tuple[str, str], list], decoded: bool) -> Any:
    feed = DECODED["agent_activity"]
    count = len(orjson.loads(page)["data"]["agentSession"]["agentSessions"])

    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        head = body["query"].split("{")[0]
        if "Count" in head or "count" in head:
            counted = [{"aggregation": [{"name": "count", "value": count}]}]
            return json_response(200, {"data": {"agentSession": {"agentSessions": counted}}})
        if "More" in head:
            session = body["variables"]["sessionId"]
            channels = [
                {
                    "channelId": channel,
                    "activities": {
                        "totalCount": len(nodes) + 1,
                        "nodes": nodes,
                        "pageInfo": {"hasNextPage": False, "endCursor": None},
                    },
                }
                for (s, channel), nodes in further.items()
                if s == session
            ]
            record = {"agentSessionId": session, "channelInfo": channels}
            return json_response(200, {"data": {"agentSession": {"agentSessions": [record]}}})
        return httpx.Response(200, content=page, headers={"content-type": "application/json"})

    client = _mock_client(handler)
    try:
        got = list(client.window_pages(feed.query, *DAY, decoder=feed.decoder if decoded else None))
        return ("rows", _batch(AGENT_ACTIVITY, got), client.stats.as_dict())
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("early", [1, 10_000])  # every list its own group; one group
@pytest.mark.parametrize(
    "bend",
    [
        "none",
        "a bad value in one list",
        "bad values in two lists, other columns",
        "a first group failing for no value's sake",
    ],
)
def test_further_nodes_normalized_as_their_lists_complete_land_and_fail_as_before(
    pages: dict[str, dict[str, Any]], early: int, bend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("warehouse.json_arrow.EARLY_NODES", early)
    calls = []
    if bend == "a first group failing for no value's sake":
        normalize = records_to_batch

        def failing_once(*args: Any) -> pa.RecordBatch:
            calls.append(args[2])
            if len(calls) == 1:
                raise MemoryError("once")
            return normalize(*args)

        monkeypatch.setattr("warehouse.json_arrow.records_to_batch", failing_once)
    page = orjson.loads(orjson.dumps(pages["agent_activity"]))
    further = _split_lists(page, 3)
    lists = list(further.values())
    if bend == "a bad value in one list":
        lists[1][-1]["duration"] = 1.5
    if bend == "bad values in two lists, other columns":
        # The dict path meets duration (an earlier column) first, in the later list.
        lists[0][-1]["state"] = 5
        lists[2][-1]["duration"] = 1.5
    raw = orjson.dumps(page)
    old = _lists_landed(raw, further, decoded=False)
    new = _lists_landed(raw, further, decoded=True)
    assert new[0] == old[0] == ("error" if "bad" in bend else "rows"), (new, old)
    if calls:  # the early groups (stand-in org), then the page, stand-ins for the early ones
        assert calls == (["-", "-", "-", ORG] if early == 1 else ["-", ORG])
    if old[0] == "error":
        assert new[1:] == old[1:]
        assert "duration" in old[2] and "1.5" in old[2]
        return
    _same(new[1], old[1])
    assert new[2] == old[2] and old[2]["activity_requests"] == 3
    assert new[1].num_rows == sum(
        len(c["activities"]["nodes"])
        for r in pages["agent_activity"]["data"]["agentSession"]["agentSessions"]
        for c in r["channelInfo"]
    )
