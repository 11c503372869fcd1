"""Search client: count first, cursor paging, completeness, and every malformed answer by message."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest

import queries
from pipelines.sources.auth import TokenProvider
from pipelines.sources.errors import (
    ConfigError,
    IncompleteWindow,
    MalformedResponse,
    RateLimited,
    SpanTooLong,
    WindowTooLarge,
)
from pipelines.sources.http import RetryPolicy, WxccHttp
from pipelines.sources.search import TASK_DETAILS, RawQuery, SearchClient
from tests.sources.factories import (
    API_URL,
    CANARY,
    DAY_MS,
    IDENTITY_URL,
    ORG_ID,
    START_MS,
    FakeClock,
    FakeIdentity,
    FakeSearchApi,
    Scripted,
    body_of,
    count_payload,
    graphql_errors,
    json_response,
    page_payload,
    router,
    tasks,
)

END_MS = START_MS + DAY_MS
WINDOW = r"\[2024-05-01T00:00:00Z, 2024-05-02T00:00:00Z\)"


def make_client(handler, clock: FakeClock | None = None, **kwargs) -> SearchClient:
    http = WxccHttp(
        API_URL,
        clock=clock or FakeClock(),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=3),
    )
    return SearchClient(http, **kwargs)


def collect(client: SearchClient, start: int = START_MS, end: int = END_MS) -> list[list[dict]]:
    return list(client.task_details_pages(start, end))


def test_pages_follow_the_cursor_and_bind_the_window() -> None:
    pages = [tasks(250), tasks(250, first=250), tasks(250, first=500), tasks(17, first=750)]
    api = FakeSearchApi(pages)
    client = make_client(api, org_id=ORG_ID)

    got = collect(client)

    assert got == pages
    assert api.cursors == ["NA", "1", "2", "3"]
    count_body, *page_bodies = api.bodies
    assert count_body == {
        "query": queries.graphql("task_details_count"),
        "variables": {"from": START_MS, "to": END_MS},
    }
    for body, cursor in zip(page_bodies, ["NA", "1", "2", "3"], strict=True):
        assert body == {
            "query": queries.graphql("task_details"),
            "variables": {"from": START_MS, "to": END_MS, "cursor": cursor},
        }
    assert all(r.url.params["orgId"] == ORG_ID for r in api.requests)
    assert all(r.headers["content-type"] == "application/json" for r in api.requests)
    assert client.stats.pages == 4 and client.stats.records == 767
    assert client.stats.requests == 5 and client.stats.count_queries == 1
    assert client.stats.as_dict()["retries"] == 0


def test_without_org_id_no_query_parameter() -> None:
    api = FakeSearchApi([tasks(2)])
    collect(make_client(api))
    assert all("orgId" not in r.url.params for r in api.requests)


def test_pages_arrive_one_at_a_time_and_the_caller_can_stop() -> None:
    api = FakeSearchApi([tasks(5), tasks(5, first=5), tasks(5, first=10)])
    pages = make_client(api).task_details_pages(START_MS, END_MS)
    assert api.requests == []  # nothing is asked before the first page is wanted
    first = next(pages)
    assert len(first) == 5 and len(api.requests) == 2  # count + page 1
    pages.close()
    assert len(api.requests) == 2


def test_count_is_a_float_and_an_empty_window_has_no_rows() -> None:
    assert (
        make_client(FakeSearchApi([tasks(24)], count=24.0)).task_details_count(START_MS, END_MS)
        == 24
    )
    empty = FakeSearchApi([[]], count=0)
    client = make_client(empty)
    assert collect(client) == []
    assert empty.cursors == ["NA"]


def test_span_over_365_days_is_refused_before_any_request() -> None:
    api = FakeSearchApi([tasks(1)])
    client = make_client(api)
    with pytest.raises(
        SpanTooLong,
        match=r"taskDetails window \[2024-05-01T00:00:00Z, 2025-05-02T00:00:00Z\) spans 366\.0 days, more than the Search API's 365",
    ):
        client.task_details_pages(START_MS, START_MS + 366 * DAY_MS)
    assert api.requests == [] and client.stats.requests == 0
    collect(
        make_client(FakeSearchApi([tasks(1)])), START_MS, START_MS + 365 * DAY_MS
    )  # 365 is fine


def test_inverted_window_is_refused() -> None:
    with pytest.raises(ConfigError, match="empty or inverted"):
        make_client(FakeSearchApi([])).task_details_pages(END_MS, START_MS)


def test_count_over_the_cap_is_refused_before_any_page() -> None:
    api = FakeSearchApi([tasks(1)], count=100_001.0)
    client = make_client(api)
    with pytest.raises(
        WindowTooLarge,
        match=rf"taskDetails window {WINDOW} holds 100,001 records, over the Search API's 100,000-record cap for raw paging; load it in smaller windows",
    ) as info:
        collect(client)
    assert info.value.count == 100_001 and info.value.cap == 100_000
    assert len(api.requests) == 1 and api.cursors == []


def test_page_cap_is_configurable() -> None:
    with pytest.raises(
        WindowTooLarge, match="holds 11 records, over the Search API's 10-record cap"
    ):
        collect(make_client(FakeSearchApi([tasks(11)]), page_cap=10))


def test_silent_truncation_is_an_incomplete_window() -> None:
    # the API stops raw paging at the cap and says hasNextPage false, as if the window were done
    api = FakeSearchApi([tasks(250), tasks(250, first=250)], count=520)
    client = make_client(api)
    pages = client.task_details_pages(START_MS, END_MS)
    assert len(next(pages)) == 250
    assert len(next(pages)) == 250
    with pytest.raises(
        IncompleteWindow,
        match=rf"taskDetails window {WINDOW}: the pages held 500 records but the window's count is 520",
    ) as info:
        next(pages)
    assert (info.value.expected, info.value.received) == (520, 500)


def test_more_records_than_counted_is_also_incomplete() -> None:
    with pytest.raises(IncompleteWindow, match="held 6 records but the window's count is 5"):
        collect(make_client(FakeSearchApi([tasks(6)], count=5)))


def _second_page(bad: httpx.Response) -> Scripted:
    """A window whose count and first page are fine and whose second page is ``bad``."""
    api = FakeSearchApi([tasks(3), tasks(3, first=3)])
    return Scripted([api, api, bad], api)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            httpx.Response(
                200, content=b"<html>gateway says hi</html>", headers={"content-type": "text/html"}
            ),
            r"HTTP 200 with a body that is not JSON \(content-type 'text/html', starting '<html>gateway says hi</html>'\)",
        ),
        (
            json_response(
                200,
                {"data": {"taskDetails": {"pageInfo": {"hasNextPage": False, "endCursor": None}}}},
            ),
            r"the answer has no list at data\.taskDetails\.tasks",
        ),
        (
            json_response(
                200,
                graphql_errors(
                    "Validation error of type FieldUndefined: Field 'x' is undefined", "second"
                ),
            ),
            r"the Search API answered with GraphQL errors: Validation error of type FieldUndefined: Field 'x' is undefined \(and 1 more\)",
        ),
        (json_response(200, {"data": None}), r"the answer has no data object"),
        (
            json_response(200, {"data": {"taskDetails": {"tasks": []}}}),
            r"the answer has no pageInfo object",
        ),
        (
            json_response(200, page_payload(tasks(1), has_next=True, end_cursor=None)),
            r"pageInfo says hasNextPage but endCursor is None; cannot ask for the next page",
        ),
        (
            json_response(200, page_payload(tasks(1), has_next=True, end_cursor="1")),
            r"the API returned cursor '1' again after 2 pages; stopping rather than looping",
        ),
        (
            json_response(200, page_payload(tasks(1), has_next=True, end_cursor="NA")),
            r"the API returned cursor 'NA' again",
        ),
        (
            json_response(200, page_payload([], has_next=True, end_cursor="9")),
            r"an empty page says more pages follow",
        ),
    ],
    ids=[
        "not-json",
        "no-tasks",
        "graphql-errors",
        "no-data",
        "no-pageinfo",
        "null-cursor",
        "repeated-cursor",
        "first-cursor-again",
        "empty-page-with-next",
    ],
)
def test_malformed_page_names_the_page_and_window(bad: httpx.Response, message: str) -> None:
    client = make_client(_second_page(bad))
    pages = client.task_details_pages(START_MS, END_MS)
    assert len(next(pages)) == 3  # the good first page arrives before the bad one is asked
    with pytest.raises(
        MalformedResponse, match=rf"^taskDetails page 2 of window {WINDOW}: {message}"
    ):
        next(pages)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (graphql_errors("span exceeds limit"), r"GraphQL errors: span exceeds limit$"),
        (
            {
                "data": {
                    "taskDetails": {"tasks": [{"aggregation": [{"name": "other", "value": 1.0}]}]}
                }
            },
            r"no aggregation named 'count'",
        ),
        (count_payload(2.5), r"the count is 2\.5, not a whole number"),
        ({"data": {"taskDetails": {"tasks": [{}]}}}, r"first row has no aggregation list"),
    ],
)
def test_malformed_count_names_the_window(answer: dict, message: str) -> None:
    client = make_client(lambda request: json_response(200, answer))
    with pytest.raises(
        MalformedResponse, match=rf"^taskDetails count of window {WINDOW}: .*{message}"
    ):
        collect(client)


def test_429_while_paging_waits_and_continues() -> None:
    api = FakeSearchApi([tasks(2), tasks(2, first=2)])
    limited = json_response(
        429, {"trackingId": "t", "error": {"key": "429", "message": []}}, {"Retry-After": "4"}
    )
    clock = FakeClock()
    client = make_client(Scripted([api, api, limited], api), clock)
    assert sum(len(p) for p in collect(client)) == 4
    assert clock.sleeps == [4.0]
    assert client.stats.rate_limited == 1 and client.stats.retries == 1
    assert api.cursors == ["NA", "1"]


def test_rate_limited_for_good_names_the_page_and_window() -> None:
    api = FakeSearchApi([tasks(2), tasks(2, first=2)])
    limited = json_response(429, {}, {"Retry-After": "1"})
    client = make_client(Scripted([api, api, limited, limited, limited], api))
    pages = client.task_details_pages(START_MS, END_MS)
    next(pages)
    with pytest.raises(
        RateLimited,
        match=rf"^taskDetails page 2 of window {WINDOW} \(POST /search trackingId WXCC-WAREHOUSE-\S+\): still rate limited \(HTTP 429\) after 3 attempts",
    ):
        next(pages)


def test_broken_query_file_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    http = WxccHttp(API_URL, transport=httpx.MockTransport(lambda r: json_response(200, {})))
    with pytest.raises(ConfigError, match="no GraphQL query file named 'nope'"):
        SearchClient(http, sources=[RawQuery("nope", "task_details_count", "taskDetails", "tasks")])
    with pytest.raises(ConfigError, match=r"'task_details_count' lacks the variables \['cursor'\]"):
        SearchClient(
            http,
            sources=[RawQuery("task_details_count", "task_details_count", "taskDetails", "tasks")],
        )
    http.close()


def test_query_files_parse_and_declare_their_variables() -> None:
    client = make_client(FakeSearchApi([]))
    assert client._texts[TASK_DETAILS.page_query] == queries.graphql("task_details")


def test_end_to_end_with_token_refresh_and_no_secret_anywhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    idp = FakeIdentity(client_secret=CANARY, valid={CANARY})
    api = FakeSearchApi([tasks(250), tasks(10, first=250)], tokens={"access-2"})
    transport = router(api=api, identity=idp)
    provider = TokenProvider.create(
        IDENTITY_URL,
        client_id="client-id",
        client_secret=CANARY,
        refresh_token=CANARY,
        data_dir=tmp_path,
        clock=clock,
        transport=transport,
    )
    http = WxccHttp(API_URL, token_provider=provider, clock=clock, transport=transport)
    client = SearchClient(http, org_id=ORG_ID)
    assert sum(len(p) for p in client.task_details_pages(START_MS, END_MS)) == 260
    assert len(idp.forms) == 2  # access-1 refused once, access-2 from the rotated refresh token
    assert client.stats.as_dict()["reauthentications"] == 1
    assert CANARY not in caplog.text
    assert re.search(r"taskDetails window .* 260 records in 2 pages", caplog.text)
    for request in api.requests:
        assert CANARY not in str(request.url) and CANARY not in body_of(request)["query"]
    http.close()
    provider.close()
