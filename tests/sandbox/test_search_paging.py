"""Raw taskDetails paging, time windows and the service's limits."""

from __future__ import annotations

import pytest

from queries import graphql as project_query
from sandbox.search.engine import SearchEngine, months_before
from tests.sandbox._search_support import (
    DAY_END,
    DAY_MS,
    DAY_START,
    HOUR_MS,
    NOW_MS,
    SEED,
    data,
    engine,
    error_message,
    run,
    tenant,
    truth,
)

PAGE = project_query("task_details")
IDS = """query ($from: Long!, $to: Long!, $cursor: String, $tc: QueryTimeType) {
  taskDetails(from: $from, to: $to, timeComparator: $tc, pagination: {cursor: $cursor}) {
    tasks { id createdTime endedTime isActive }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _all_pages(eng, start: int, end: int, **extra):  # type: ignore[no-untyped-def]
    cursor = None
    pages = []
    seen = set()
    while True:
        td = data(eng, IDS, {"from": start, "to": end, "cursor": cursor, **extra})
        pages.append(td)
        info = td["pageInfo"]
        if not info["hasNextPage"]:
            assert info["endCursor"] is None
            return pages
        assert info["endCursor"] not in seen
        seen.add(info["endCursor"])
        cursor = info["endCursor"]


def test_pages_hold_every_record_once_newest_first() -> None:
    eng = engine()
    pages = _all_pages(eng, DAY_START, DAY_END)
    expected = truth()
    assert len(expected) > 250 * 1  # several pages
    assert [len(p["tasks"]) for p in pages[:-1]] == [250] * (len(pages) - 1)
    assert 0 < len(pages[-1]["tasks"]) <= 250
    got = [t["id"] for p in pages for t in p["tasks"]]
    assert len(got) == len(set(got)) == len(expected)
    assert set(got) == {r["id"] for r in expected}
    created = [t["createdTime"] for p in pages for t in p["tasks"]]
    assert created == sorted(created, reverse=True)
    assert [p["pageInfo"]["endCursor"] for p in pages[:-1]] == [
        str(i) for i in range(1, len(pages))
    ]


@pytest.mark.parametrize("first_page", [None, "NA", "0"])
def test_first_page_cursor_forms(first_page: str | None) -> None:
    eng = engine()
    td = data(eng, IDS, {"from": DAY_START, "to": DAY_END, "cursor": first_page})
    plain = data(
        eng,
        "query($f: Long!, $t: Long!) { taskDetails(from: $f, to: $t) { tasks { id } } }",
        {"f": DAY_START, "t": DAY_END},
    )
    assert [t["id"] for t in td["tasks"]] == [t["id"] for t in plain["tasks"]]
    assert td["pageInfo"] == {"hasNextPage": True, "endCursor": "1"}


def test_project_page_query_serves_every_field() -> None:
    td = data(engine(), PAGE, {"from": DAY_START, "to": DAY_END, "cursor": None})
    first = td["tasks"][0]
    expected = next(r for r in truth() if r["id"] == first["id"])
    for key, value in first.items():
        assert value == expected[key], key
    assert "_activities" not in first and "_globalVariables" not in first


def test_cursor_past_the_end_is_an_empty_last_page() -> None:
    td = data(engine(), IDS, {"from": DAY_START, "to": DAY_END, "cursor": "40"})
    assert td == {"tasks": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


@pytest.mark.parametrize("cursor", ["x", "-1", "1.5", "intervalStartTime=1"])
def test_invalid_cursor_is_a_graphql_error(cursor: str) -> None:
    msg = error_message(engine(), IDS, {"from": DAY_START, "to": DAY_END, "cursor": cursor})
    assert "Invalid cursor" in msg


def test_raw_paging_stops_silently_at_the_record_cap() -> None:
    eng = engine(raw_record_cap=300)
    pages = _all_pages(eng, DAY_START, DAY_END)
    assert sum(len(p["tasks"]) for p in pages) == 300
    assert len(truth()) > 300
    # the count is not capped: that is how a client notices
    count = data(eng, project_query("task_details_count"), {"from": DAY_START, "to": DAY_END})
    assert count["tasks"][0]["aggregation"][0]["value"] == float(len(truth()))
    assert data(eng, IDS, {"from": DAY_START, "to": DAY_END, "cursor": "2"})["tasks"] == []


def test_window_is_inclusive_from_exclusive_to() -> None:
    records = truth()
    pivot = records[len(records) // 2]["createdTime"]
    eng = engine()
    left = {t["id"] for p in _all_pages(eng, DAY_START, pivot) for t in p["tasks"]}
    right = {t["id"] for p in _all_pages(eng, pivot, DAY_END) for t in p["tasks"]}
    assert not left & right
    assert left | right == {r["id"] for r in records}
    assert all(r["id"] in right for r in records if r["createdTime"] == pivot)


def test_future_to_is_clamped_to_now() -> None:
    eng = engine()
    start = NOW_MS - 6 * HOUR_MS
    ids = {t["id"] for p in _all_pages(eng, start, NOW_MS + 30 * DAY_MS) for t in p["tasks"]}
    assert ids == {r["id"] for r in truth(start, NOW_MS)}
    active = [t for p in _all_pages(eng, start, NOW_MS) for t in p["tasks"] if t["isActive"]]
    assert active and all(t["endedTime"] is None for t in active)


def test_ended_time_comparator() -> None:
    eng = engine()
    ids = {t["id"] for p in _all_pages(eng, DAY_START, DAY_END, tc="endedTime") for t in p["tasks"]}
    expected = truth(time_field="endedTime")
    assert ids == {r["id"] for r in expected}
    assert all(DAY_START <= r["endedTime"] < DAY_END for r in expected)


def test_span_over_365_days_is_refused() -> None:
    msg = error_message(engine(), IDS, {"from": NOW_MS - 366 * DAY_MS, "to": NOW_MS})
    assert "365 days" in msg
    quiet = SearchEngine(tenant(SEED, 5), lambda: NOW_MS)  # a year of a quiet tenant is quick
    body = run(quiet, IDS, {"from": NOW_MS - 365 * DAY_MS, "to": NOW_MS})
    assert "errors" not in body and len(body["data"]["taskDetails"]["tasks"]) == 250


SORTED = """query ($from: Long!, $to: Long!, $cursor: String) {
  taskDetails(from: $from, to: $to, pagination: {cursor: $cursor},
              filter: {channelType: {equals: telephony}}) {
    tasks { id createdTime lastAgent { name(sort: asc) } totalDuration(sort: desc) }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.mark.parametrize("query", [IDS, SORTED], ids=["default order", "sorted and filtered"])
def test_windows_too_big_to_keep_are_streamed_with_the_same_answers(query: str) -> None:
    kept, streamed = engine(), engine(max_window_records=100)
    for cursor in (None, "1", "5"):
        variables = {"from": DAY_START, "to": DAY_END, "cursor": cursor}
        assert data(streamed, query, variables) == data(kept, query, variables)
    assert not streamed._windows  # nothing was kept


def test_a_streamed_window_is_read_once_for_all_its_pages() -> None:
    calls = []

    class Counting:
        def tasks(self, *args: object) -> object:
            calls.append(args)
            return tenant().tasks(*args)  # type: ignore[arg-type]

    eng = SearchEngine(Counting(), lambda: NOW_MS, max_window_records=100)
    pages = _all_pages(eng, DAY_START, DAY_END)
    assert sum(len(p["tasks"]) for p in pages) == len(truth())
    assert len(calls) == 1


def test_sort_puts_missing_values_last_and_breaks_ties_newest_first() -> None:
    td = data(engine(), SORTED, {"from": DAY_START, "to": DAY_END, "cursor": None})
    rows = td["tasks"]
    names = [t["lastAgent"]["name"] for t in rows]
    present = [n for n in names if n is not None]
    assert names[: len(present)] == sorted(present)
    for a, b in zip(rows, rows[1:], strict=False):
        if a["lastAgent"]["name"] == b["lastAgent"]["name"]:
            assert a["totalDuration"] >= b["totalDuration"]


def test_from_older_than_36_months_is_refused() -> None:
    eng = engine()
    oldest = months_before(NOW_MS, 36)
    msg = error_message(eng, IDS, {"from": oldest - 1, "to": oldest + DAY_MS})
    assert "36 months" in msg
    assert "errors" not in run(eng, IDS, {"from": oldest, "to": oldest + DAY_MS})


def test_to_before_from_is_refused() -> None:
    assert "before" in error_message(engine(), IDS, {"from": DAY_END, "to": DAY_START})


def test_errors_name_the_root_field_and_keep_the_data_key() -> None:
    body = run(engine(), IDS, {"from": NOW_MS - 400 * DAY_MS, "to": NOW_MS})
    assert body["_status"] == 200
    assert body["data"] == {"taskDetails": None}
    (err,) = body["errors"]
    assert err["path"] == ["taskDetails"]
    assert err["extensions"]["classification"] == "DataFetchingException"
    assert err["locations"][0]["line"] == 2


def test_activities_allow_30_days_of_raw_records_at_most() -> None:
    q = """query($f: Long!, $t: Long!) { taskDetails(from: $f, to: $t) {
      tasks { id activities { totalCount } } } }"""
    msg = error_message(engine(), q, {"f": NOW_MS - 31 * DAY_MS, "t": NOW_MS})
    assert "30 days" in msg


def test_answers_follow_a_moving_clock() -> None:
    clock = {"now": NOW_MS}
    eng = SearchEngine(tenant(), lambda: clock["now"])
    q = """query($f: Long!, $t: Long!) { taskDetails(from: $f, to: $t) {
      tasks { id isActive endedTime } } }"""
    start = NOW_MS - HOUR_MS
    before = {t["id"]: t for t in data(eng, q, {"f": start, "t": NOW_MS + HOUR_MS})["tasks"]}
    clock["now"] = NOW_MS + 2 * HOUR_MS
    after = {t["id"]: t for t in data(eng, q, {"f": start, "t": NOW_MS + HOUR_MS})["tasks"]}
    assert set(before) < set(after)  # tasks created after the first now appear
    assert any(before[i]["isActive"] and not after[i]["isActive"] for i in before)


def test_validation_errors_are_http_400_with_graphql_errors() -> None:
    eng = engine()
    result = eng.execute("{ taskDetails(from: 1, to: 2) { tasks { nope } } }")
    assert result.status == 400
    body = run(eng, "{ taskDetails(from: 1) { tasks { id } } }")
    assert body["_status"] == 400 and body["data"] is None
    assert body["errors"][0]["extensions"]["classification"] == "ValidationError"
    syntax = run(eng, "{ taskDetails(from: 1, to: 2) { tasks { id }")
    assert syntax["errors"][0]["extensions"]["classification"] == "InvalidSyntax"
    missing = run(eng, "query($f: Long!) { taskDetails(from: $f, to: 2) { tasks { id } } }", {})
    assert missing["_status"] == 400 and "$f" in missing["errors"][0]["message"]
