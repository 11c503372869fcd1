"""Search client over every surface: windows split until they fit, activity lists paged to their
end, agentSession UUID cursors, taskLegDetails 500-row pages, the endedTime comparator, stats."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

import queries
from pipelines.sources.errors import (
    ConfigError,
    IncompleteWindow,
    MalformedResponse,
    SpanTooLong,
    WindowTooLarge,
)
from pipelines.sources.http import RetryPolicy, WxccHttp
from pipelines.sources.search import (
    AGENT_ACTIVITIES,
    AGENT_SESSIONS,
    SOURCES,
    TASK,
    TASK_ACTIVITIES,
    TASK_DETAILS,
    TASK_LEG_DETAILS,
    PieceCount,
    SearchClient,
)
from tests.sources.factories import (
    DAY_MS,
    START_MS,
    FakeClock,
    FakeSearch,
    Scripted,
    Spread,
    aar,
    activities_connection,
    json_response,
    leg,
    session,
    task,
    task_with_activities,
    tasks,
)

API_URL = "https://api.test"
END_MS = START_MS + DAY_MS
WINDOW = r"\[2024-05-01T00:00:00Z, 2024-05-02T00:00:00Z\)"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def make_client(handler, **kwargs) -> SearchClient:
    http = WxccHttp(
        API_URL,
        clock=FakeClock(),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=3),
    )
    return SearchClient(http, **kwargs)


def records_of(pages) -> list[dict]:
    return [record for page in pages for record in page]


# -- splitting --------------------------------------------------------------------------------


def test_a_day_over_the_cap_is_split_until_every_piece_fits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="pipelines.sources.search")
    spread = Spread(250_000, START_MS, END_MS)
    # The fake serves big pages to keep the test fast; the client does not care about page sizes.
    api = FakeSearch(tasks=spread, page_sizes={"taskDetails": 10_000})
    client = make_client(api)

    ids = [r["id"] for r in records_of(client.window_pages(TASK_DETAILS, START_MS, END_MS))]

    assert len(ids) == 250_000 and len(set(ids)) == 250_000  # every record, once
    quarter = DAY_MS // 4
    pieces = [(p.start_ms, p.end_ms) for p in client.stats.piece_counts]
    assert pieces == [(START_MS + k * quarter, START_MS + (k + 1) * quarter) for k in range(4)]
    assert [p.count for p in client.stats.piece_counts] == [62_500] * 4
    assert client.stats.splits == 3 and client.stats.pieces == 4
    assert client.stats.api_count == client.stats.records == 250_000
    assert client.stats.count_queries == 7  # the day, its halves, their halves
    splits = [r.getMessage() for r in caplog.records if "split at" in r.getMessage()]
    assert splits == [
        f"taskDetails {WINDOW.replace(chr(92), '')} holds 250,000 > 100,000: "
        "split at 2024-05-01T12:00:00Z",
        "taskDetails [2024-05-01T00:00:00Z, 2024-05-01T12:00:00Z) holds 125,000 > 100,000: "
        "split at 2024-05-01T06:00:00Z",
        "taskDetails [2024-05-01T12:00:00Z, 2024-05-02T00:00:00Z) holds 125,000 > 100,000: "
        "split at 2024-05-01T18:00:00Z",
    ]
    # every page of a piece asks that piece, in order, never the whole day
    page_windows = [(v["from"], v["to"]) for v in api.variables("taskDetailsPage")]
    assert sorted(set(page_windows)) == pieces


def test_window_pieces_is_lazy_and_yields_counts_in_order() -> None:
    api = FakeSearch(tasks=Spread(300, START_MS, END_MS))
    client = make_client(api, page_cap=100)
    pieces = client.window_pieces(TASK_DETAILS, START_MS, END_MS)
    assert api.calls == []
    got = list(pieces)
    assert [c for _, _, c in got] == [75, 75, 75, 75]
    assert got[0][0] == START_MS and got[-1][1] == END_MS
    assert all(a[1] == b[0] for a, b in zip(got, got[1:], strict=False))


def test_a_piece_of_one_millisecond_over_the_cap_is_too_large() -> None:
    api = FakeSearch(count=lambda start, end: 200_000)
    client = make_client(api)
    with pytest.raises(
        WindowTooLarge,
        match=r"^taskDetails window \[2024-05-01T00:00:00Z, 2024-05-01T00:00:00\.001Z\) of 1 ms "
        r"holds 200,000 records, over the Search API's 100,000-record cap for raw paging, and "
        r"cannot be split further",
    ) as info:
        list(client.window_pages(TASK_DETAILS, START_MS, END_MS))
    assert (info.value.count, info.value.cap) == (200_000, 100_000)
    assert api.variables("taskDetailsPage") == []  # no page was asked
    # a day is 86,400,000 ms: 26 halvings of its first half reach 1 ms, each after a count
    assert client.stats.splits == 26 and client.stats.count_queries == 27


def test_uncapped_agent_sessions_are_never_split_by_count() -> None:
    sessions = [session(n) for n in range(30)]
    api = FakeSearch(sessions=sessions, page_sizes={"agentSession": 10})
    client = make_client(api, page_cap=5)
    got = records_of(client.window_pages(AGENT_SESSIONS, START_MS, END_MS))
    assert len(got) == 30 and client.stats.splits == 0 and client.stats.pieces == 1


def test_raw_activity_windows_are_cut_at_30_days() -> None:
    start = START_MS
    end = START_MS + 45 * DAY_MS
    api = FakeSearch(
        tasks=[task_with_activities(0, [START_MS + 5]), task(1, created_ms=start + 40 * DAY_MS)]
    )
    api.data["taskDetails"][1]["activities"] = []
    client = make_client(api)

    got = records_of(client.window_pages(TASK_ACTIVITIES, start, end))

    assert [r["id"] for r in got] == ["task-000000", "task-000001"]
    thirty = start + 30 * DAY_MS
    assert [(v["from"], v["to"]) for v in api.variables("taskDetailsCount")] == [
        (start, thirty),
        (thirty, end),
    ]
    assert [(v["from"], v["to"]) for v in api.variables("taskActivitiesPage")] == [
        (start, thirty),
        (thirty, end),
    ]
    # CSR windows may span up to 365 days: the same window is one piece for task_details
    list(make_client(api).window_pages(TASK_DETAILS, start, end))
    assert api.variables("taskDetailsCount")[-1] == {"from": start, "to": end}


def test_a_single_activity_window_over_30_days_is_refused_before_any_request() -> None:
    api = FakeSearch()
    with pytest.raises(
        SpanTooLong,
        match=r"taskDetails activities window .* spans 31\.0 days, more than the Search API's 30 "
        r"with activities; split it into shorter windows \(window_pages does\)",
    ):
        make_client(api).pages(TASK_ACTIVITIES, START_MS, START_MS + 31 * DAY_MS)
    assert api.calls == []


def test_windows_over_365_days_are_cut_by_window_pages() -> None:
    api = FakeSearch(tasks=tasks(3))
    client = make_client(api)
    got = records_of(client.window_pages(TASK_DETAILS, START_MS, START_MS + 400 * DAY_MS))
    assert len(got) == 3 and client.stats.pieces == 2


def test_a_record_on_a_piece_boundary_is_yielded_once_if_the_api_returns_it_twice() -> None:
    # The docs leave open whether `to` is inclusive; if it is, a record created exactly at a
    # split point comes back in both neighbouring pieces (and in both counts).
    middle = START_MS + DAY_MS // 2
    records = [task(0), task(1, created_ms=middle - 1000), task(2)]
    api = FakeSearch(tasks=records, inclusive_to=True)
    client = make_client(api, page_cap=2)
    got = records_of(client.window_pages(TASK_DETAILS, START_MS, END_MS))
    assert sorted(r["id"] for r in got) == ["task-000000", "task-000001", "task-000002"]
    assert client.stats.duplicates == 1


def test_pieces_are_checked_against_their_own_count() -> None:
    api = FakeSearch(tasks=Spread(300, START_MS, END_MS), cap=60)  # the API stops at 60 a window
    client = make_client(api, page_cap=100)
    with pytest.raises(
        IncompleteWindow,
        match=r"^taskDetails window \[2024-05-01T00:00:00Z, 2024-05-01T06:00:00Z\): the pages "
        r"held 60 records but the window's count is 75",
    ):
        list(client.window_pages(TASK_DETAILS, START_MS, END_MS))


# -- inner (activity) paging ------------------------------------------------------------------


def test_further_activity_pages_are_merged_before_the_page_is_yielded() -> None:
    # 250 activities, 1 ms apart except a straddle: 3 share the millisecond of the 100th.
    times = [START_MS + 10_000 - i for i in range(250)]
    times[100] = times[101] = times[99]
    busy = task_with_activities(0, times)
    quiet = task_with_activities(1, [START_MS + 1, START_MS + 2])
    api = FakeSearch(tasks=[busy, quiet])
    client = make_client(api)

    [page] = list(client.pages(TASK_ACTIVITIES, START_MS, END_MS))

    got = {r["id"]: r["activities"] for r in page}
    assert {n["id"] for n in got["task-000000"]["nodes"]} == {n["id"] for n in busy["activities"]}
    assert len(got["task-000000"]["nodes"]) == 250
    assert got["task-000000"]["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    assert got["task-000000"]["totalCount"] == 250
    assert len(got["task-000001"]["nodes"]) == 2
    more = api.variables("taskActivitiesMore")
    # after = the last node's time + 1: the API's search-after is strict, so the two activities
    # sharing the 100th's millisecond come back instead of being skipped, and are dropped by id
    assert [v["after"] for v in more] == [str(times[99] + 1), str(times[198] + 1)]
    assert all(v["taskId"] == "task-000000" for v in more)
    assert all((v["from"], v["to"]) == (START_MS, END_MS) for v in more)
    assert client.stats.activity_requests == 2
    # each further page starts again with the previous page's last activity, which is dropped
    # by id: one duplicate per further page (the two that straddled the boundary arrive as new)
    assert client.stats.duplicates == 2
    assert client.stats.activities == 252
    assert client.stats.records == 2 and client.stats.requests == 4  # count, page, 2 more


def test_sending_the_cursor_unchanged_would_lose_the_straddling_activity() -> None:
    # What the +1 guards against, shown on the fake: strictly-older-than endCursor skips a node.
    times = [START_MS + 10_000 - i for i in range(150)]
    times[100] = times[99]
    nodes = task_with_activities(0, times)["activities"]
    first = activities_connection(nodes, "createdTime", None)
    second = activities_connection(nodes, "createdTime", first["pageInfo"]["endCursor"])
    assert len(first["nodes"]) + len(second["nodes"]) == 149


def test_over_100_activities_in_one_millisecond_is_a_repeated_cursor() -> None:
    api = FakeSearch(tasks=[task_with_activities(0, [START_MS + 5] * 150)])
    client = make_client(api)
    with pytest.raises(
        MalformedResponse,
        match=rf"^taskDetails activities page 1 of window {WINDOW}: activities of id task-000000: "
        rf"the API returned cursor '{START_MS + 5}' again after 2 pages \(over 100 activities in "
        r"one millisecond, or a cursor that does not move\); stopping rather than looping",
    ):
        list(client.pages(TASK_ACTIVITIES, START_MS, END_MS))
    assert client.stats.activity_requests == 1


def test_a_repeated_opaque_inner_cursor_is_refused() -> None:
    first = {
        "data": {
            "taskDetails": {
                "tasks": [
                    {
                        "id": "t1",
                        "createdTime": START_MS,
                        "activities": {
                            "totalCount": 3,
                            "nodes": [{"id": "a1"}],
                            "pageInfo": {"hasNextPage": True, "endCursor": "c-1"},
                        },
                    }
                ],
                "pageInfo": {"hasNextPage": False, "endCursor": None},
            }
        }
    }
    more = {
        "data": {
            "taskDetails": {
                "tasks": [
                    {
                        "id": "t1",
                        "activities": {
                            "totalCount": 3,
                            "nodes": [{"id": "a2"}],
                            "pageInfo": {"hasNextPage": True, "endCursor": "c-1"},
                        },
                    }
                ]
            }
        }
    }
    count = {"data": {"taskDetails": {"tasks": [{"aggregation": [{"name": "count", "value": 1}]}]}}}
    script = Scripted(
        [json_response(200, count), json_response(200, first)], lambda r: json_response(200, more)
    )
    client = make_client(script)
    with pytest.raises(
        MalformedResponse, match=r"activities of id t1: the API returned cursor 'c-1' again"
    ):
        list(client.pages(TASK_ACTIVITIES, START_MS, END_MS))
    sent = [r for r in script.requests if b"taskActivitiesMore" in r.content]
    assert len(sent) == 1 and b'"after":"c-1"' in sent[0].content  # not a number: sent as is


@pytest.mark.parametrize(
    ("activities", "message"),
    [
        (None, r"the answer has no activities object"),
        (
            {"totalCount": 1, "nodes": [{"x": 1}], "pageInfo": {"hasNextPage": False}},
            r"an activity has no id",
        ),
        (
            {"totalCount": 2, "nodes": [{"id": "a"}], "pageInfo": {"hasNextPage": False}},
            r"1 activities arrived but totalCount is 2",
        ),
        (
            {
                "totalCount": 2,
                "nodes": [{"id": "a"}],
                "pageInfo": {"hasNextPage": True, "endCursor": None},
            },
            r"pageInfo says hasNextPage but endCursor is None",
        ),
        ({"totalCount": 0, "nodes": []}, r"the answer has no activities\.pageInfo object"),
        ({"totalCount": "2", "nodes": []}, r"totalCount is '2', not a whole number"),
    ],
    ids=[
        "no-activities",
        "no-node-id",
        "short-of-total",
        "null-cursor",
        "no-pageinfo",
        "bad-total",
    ],
)
def test_malformed_activities_name_the_record(activities, message) -> None:
    record = {"id": "t1", "createdTime": START_MS, "activities": activities}
    answer = {
        "data": {
            "taskDetails": {
                "tasks": [record],
                "pageInfo": {"hasNextPage": False, "endCursor": None},
            }
        }
    }
    count = {"data": {"taskDetails": {"tasks": [{"aggregation": [{"name": "count", "value": 1}]}]}}}
    client = make_client(
        Scripted([json_response(200, count)], lambda r: json_response(200, answer))
    )
    with pytest.raises(
        (MalformedResponse, IncompleteWindow), match=rf"activities of id t1: {message}"
    ):
        list(client.pages(TASK_ACTIVITIES, START_MS, END_MS))


def test_a_further_page_without_the_task_is_malformed() -> None:
    api = FakeSearch(tasks=[task_with_activities(0, range(START_MS, START_MS + 150))])

    def handler(request: httpx.Request) -> httpx.Response:
        if b"taskActivitiesMore" in request.content:
            return json_response(200, {"data": {"taskDetails": {"tasks": []}}})
        return api(request)

    with pytest.raises(
        MalformedResponse,
        match=r"further activities of id task-000000: the answer holds 0 records with that id, not 1",
    ):
        list(make_client(handler).pages(TASK_ACTIVITIES, START_MS, END_MS))


def test_a_graphql_error_on_a_further_page_names_the_task() -> None:
    api = FakeSearch(tasks=[task_with_activities(0, range(START_MS, START_MS + 150))])

    def handler(request: httpx.Request) -> httpx.Response:
        if b"taskActivitiesMore" in request.content:
            refused = {
                "errors": [{"message": "activities span exceeds 30 days", "path": ["taskDetails"]}],
                "data": {"taskDetails": None},
            }
            return json_response(200, refused)
        return api(request)

    with pytest.raises(
        MalformedResponse,
        match=r"further activities of id task-000000: the Search API answered with GraphQL "
        r"errors: activities span exceeds 30 days$",
    ):
        list(make_client(handler).pages(TASK_ACTIVITIES, START_MS, END_MS))


# -- agentSession -----------------------------------------------------------------------------


def test_agent_sessions_follow_uuid_cursors() -> None:
    sessions = [session(n) for n in range(600)]
    api = FakeSearch(sessions=sessions)
    client = make_client(api)

    pages = list(client.window_pages(AGENT_SESSIONS, START_MS, END_MS))

    assert [len(p) for p in pages] == [250, 250, 100]
    cursors = [v["cursor"] for v in api.variables("agentSessionsPage")]
    assert cursors[0] == "NA" and all(UUID.match(c) for c in cursors[1:]) and len(cursors) == 3
    assert api.variables("agentSessionsCount") == [{"from": START_MS, "to": END_MS}]
    assert all(isinstance(r["channelInfo"], list) for p in pages for r in p)
    assert client.stats.api_count == 600


def test_agent_activities_page_each_channel_to_its_end() -> None:
    busy = [aar("ch-voice", START_MS + 500_000 - i * 10) for i in range(230)]
    quiet = [aar("ch-chat", START_MS + 7, "idle")]
    sessions = [
        session(0, channels=[("ch-chat", quiet), ("ch-voice", busy)]),
        session(1, channels=[]),
    ]
    api = FakeSearch(sessions=sessions)
    client = make_client(api)

    [page] = list(client.window_pages(AGENT_ACTIVITIES, START_MS, END_MS))

    first = page[0]
    channels = {c["channelId"]: c["activities"] for c in first["channelInfo"]}
    assert [n["id"] for n in channels["ch-voice"]["nodes"]] == [n["id"] for n in busy]
    assert len(channels["ch-chat"]["nodes"]) == 1
    more = api.variables("agentActivitiesMore")
    assert [v["after"] for v in more] == [
        str(busy[99]["startTime"] + 1),
        str(busy[198]["startTime"] + 1),
    ]
    assert all(v["sessionId"] == first["agentSessionId"] for v in more)
    assert all("timeComparator" not in v for v in api.variables("agentActivitiesPage") + more)
    assert client.stats.activity_requests == 2 and client.stats.activities == 231


def test_agent_sessions_cannot_select_on_ended_time() -> None:
    with pytest.raises(
        ConfigError, match=r"agentSession windows cannot select on 'endedTime'.*only startTime"
    ):
        make_client(FakeSearch()).ended_pages(AGENT_SESSIONS, START_MS, END_MS)


# -- taskLegDetails and task ------------------------------------------------------------------


def test_task_leg_details_come_500_a_page() -> None:
    api = FakeSearch(legs=[leg(n) for n in range(1_200)])
    client = make_client(api)
    pages = list(client.window_pages(TASK_LEG_DETAILS, START_MS, END_MS))
    assert [len(p) for p in pages] == [500, 500, 200]
    assert [v["cursor"] for v in api.variables("taskLegDetailsPage")] == ["NA", "1", "2"]
    assert api.variables("taskLegDetailsCount") == [{"from": START_MS, "to": END_MS}]


def test_the_legacy_task_query_starts_at_cursor_zero() -> None:
    api = FakeSearch(tasks=tasks(250))
    pages = list(make_client(api).window_pages(TASK, START_MS, END_MS))
    assert [len(p) for p in pages] == [100, 100, 50]
    assert [v["cursor"] for v in api.variables("taskPage")] == ["0", "1", "2"]


# -- endedTime --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "page_op", "count_op"),
    [
        (TASK_DETAILS, "taskDetailsPage", "taskDetailsCount"),
        (TASK, "taskPage", "taskCount"),
        (TASK_LEG_DETAILS, "taskLegDetailsPage", "taskLegDetailsCount"),
    ],
)
def test_ended_pages_select_on_ended_time(source, page_op, count_op) -> None:
    # created two days before the window, ended in it
    early = START_MS - 2 * DAY_MS
    records = [{**task(n, created_ms=early), "endedTime": START_MS + n} for n in range(3)]
    legs = [{**leg(n, created_ms=early), "endedTime": START_MS + n} for n in range(3)]
    api = FakeSearch(tasks=records, legs=legs)
    client = make_client(api)

    got = records_of(client.ended_pages(source, START_MS, END_MS))

    assert len(got) == 3
    for variables in api.variables(page_op) + api.variables(count_op):
        assert variables["timeComparator"] == "endedTime"
    assert client.stats.piece_counts == [PieceCount(source.name, START_MS, END_MS, 3, "endedTime")]
    # by creation time the window is empty
    assert records_of(make_client(api).window_pages(source, START_MS, END_MS)) == []


def test_ended_activities_page_their_further_activities_by_ended_time() -> None:
    early = START_MS - DAY_MS
    record = task_with_activities(0, range(early, early + 150))
    record["createdTime"], record["endedTime"] = early, START_MS + 5
    api = FakeSearch(tasks=[record])
    client = make_client(api)
    [page] = list(client.ended_pages(TASK_ACTIVITIES, START_MS, END_MS))
    assert len(page[0]["activities"]["nodes"]) == 150
    [more] = api.variables("taskActivitiesMore")
    assert more["timeComparator"] == "endedTime" and (more["from"], more["to"]) == (
        START_MS,
        END_MS,
    )


def test_an_ended_window_is_named_so_in_errors() -> None:
    api = FakeSearch(tasks=tasks(3), count=lambda start, end: 5)
    with pytest.raises(IncompleteWindow, match=rf"^taskDetails window {WINDOW} by endedTime: "):
        list(make_client(api).pages(TASK_DETAILS, START_MS, END_MS, time_field="endedTime"))


def test_an_unknown_time_field_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"taskDetails windows cannot select on 'startTime'"):
        make_client(FakeSearch()).window_pages(
            TASK_DETAILS, START_MS, END_MS, time_field="startTime"
        )


# -- construction and stats -------------------------------------------------------------------


def test_every_surface_binds_the_variables_its_query_files_declare() -> None:
    client = make_client(FakeSearch())
    for source in SOURCES:
        assert client._texts[source.page_query] == queries.graphql(source.page_query)
        assert client._texts[source.count_query] == queries.graphql(source.count_query)
        if source.inner is not None:
            assert client._texts[source.inner.more_query] == queries.graphql(
                source.inner.more_query
            )


def test_stats_add_up_across_surfaces_and_are_flat() -> None:
    api = FakeSearch(
        tasks=[task_with_activities(n, range(START_MS + n, START_MS + n + 120)) for n in range(3)],
        legs=[leg(n) for n in range(7)],
    )
    client = make_client(api)
    records_of(client.window_pages(TASK_ACTIVITIES, START_MS, END_MS))
    records_of(client.window_pages(TASK_LEG_DETAILS, START_MS, END_MS))
    stats = client.stats.as_dict()
    assert stats["api_count"] == stats["records"] == 10
    assert stats["activity_requests"] == 3 and stats["activities"] == 360
    assert stats["pieces"] == stats["windows"] == 2 and stats["count_queries"] == 2
    assert stats["requests"] == 2 + 2 + 3  # counts, pages, further activity pages
    assert all(isinstance(v, int | float) for v in stats.values())
    assert [p.source for p in client.stats.piece_counts] == [
        "taskDetails activities",
        "taskLegDetails",
    ]
