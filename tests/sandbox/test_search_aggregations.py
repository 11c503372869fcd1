"""Aggregations: counts, group-bys, intervals, sub-filters, predicates, CAR documents, paging."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queries import graphql as project_query
from sandbox.search.aggregate import hashmap_order
from tests.sandbox._search_support import (
    DAY_END,
    DAY_MS,
    DAY_START,
    NOW_MS,
    data,
    engine,
    error_message,
    truth,
)

WINDOW = {"from": DAY_START, "to": DAY_END}


def _aggs(row: dict[str, Any]) -> dict[str, float | None]:
    return {a["name"]: a["value"] for a in row["aggregation"]}


def test_window_count_is_exact() -> None:
    td = data(engine(), project_query("task_details_count"), WINDOW)
    assert td == {"tasks": [{"aggregation": [{"name": "count", "value": float(len(truth()))}]}]}


def test_count_of_an_empty_window_is_zero() -> None:
    td = data(engine(), project_query("task_details_count"), {"from": DAY_START, "to": DAY_START})
    assert td["tasks"][0]["aggregation"][0]["value"] == 0.0


def test_metrics_are_floats() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to, aggregations: [
        {field: "id", type: count, name: "n"}
        {field: "totalDuration", type: average, name: "avg"}
        {field: "totalDuration", type: sum, name: "sum"}
        {field: "totalDuration", type: min, name: "min"}
        {field: "totalDuration", type: max, name: "max"}
        {field: "lastQueue.id", type: cardinality, name: "queues"}
        {field: "lastAgent.id", type: count, name: "with agent"}
    ]) { tasks { aggregation { name value } } } }"""
    (row,) = data(engine(), q, WINDOW)["tasks"]
    got = _aggs(row)
    records = truth()
    durations = [r["totalDuration"] for r in records]
    assert got == {
        "n": float(len(records)),
        "avg": sum(durations) / len(durations),
        "sum": float(sum(durations)),
        "min": float(min(durations)),
        "max": float(max(durations)),
        "queues": float(len({r["lastQueue"]["id"] for r in records if r["lastQueue"]["id"]})),
        "with agent": float(sum(1 for r in records if r["lastAgent"]["id"] is not None)),
    }
    assert all(isinstance(v, float) for v in got.values())


def test_result_order_is_not_request_order() -> None:
    names = ["Count of Id", "average of totalDuration"]
    assert [names[i] for i in hashmap_order(names)] == names
    names = ["Calls count", "Average Queue Duration"]
    assert [names[i] for i in hashmap_order(names)] == ["Average Queue Duration", "Calls count"]
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to, aggregations: [
        {field: "id", type: count, name: "Calls count"}
        {field: "lastQueue.duration", type: average, name: "Average Queue Duration"}
    ]) { tasks { aggregation { name } } } }"""
    (row,) = data(engine(), q, WINDOW)["tasks"]
    assert [a["name"] for a in row["aggregation"]] == ["Average Queue Duration", "Calls count"]


def test_group_by_nested_field_sorted_with_null_first() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to, aggregations: [
        {field: "id", type: count, name: "n"}
        {field: "lastQueue.duration", type: max, name: "longest"}
    ]) { tasks { lastAgent { id } channelType aggregation { name value } }
         pageInfo { hasNextPage endCursor } } }"""
    td = data(engine(), q, WINDOW)
    expected: dict[tuple[Any, Any], list[dict[str, Any]]] = defaultdict(list)
    for r in truth():
        expected[(r["lastAgent"]["id"], r["channelType"])].append(r)
    keys = [(t["lastAgent"]["id"], t["channelType"]) for t in td["tasks"]]
    assert keys == sorted(expected, key=lambda k: tuple((0,) if v is None else (1, v) for v in k))
    assert keys[0][0] is None
    for t in td["tasks"]:
        group = expected[(t["lastAgent"]["id"], t["channelType"])]
        assert _aggs(t) == {
            "n": float(len(group)),
            "longest": _max([r["lastQueue"]["duration"] for r in group]),
        }
    assert td["pageInfo"] == {"hasNextPage": False, "endCursor": None}


def _max(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return float(max(present)) if present else None


def test_filter_and_sub_filters() -> None:
    queue = Counter(r["lastQueue"]["name"] for r in truth() if r["lastQueue"]["name"]).most_common(
        1
    )[0][0]
    q = """query($from: Long!, $to: Long!, $q: String) {
      taskDetails(from: $from, to: $to, filter: {isActive: {equals: false}}, aggregations: [
        {field: "id", type: count, name: "in queue", filter: {lastQueue: {name: {equals: $q}}}}
        {field: "id", type: count, name: "elsewhere", filter: {lastQueue: {name: {notequals: $q}}}}
        {field: "id", type: count, name: "all"}
      ]) { tasks { aggregation { name value } } } }"""
    (row,) = data(engine(), q, {**WINDOW, "q": queue})["tasks"]
    ended = [r for r in truth() if not r["isActive"]]
    assert _aggs(row) == {
        "in queue": float(sum(1 for r in ended if r["lastQueue"]["name"] == queue)),
        "elsewhere": float(sum(1 for r in ended if r["lastQueue"]["name"] != queue)),
        "all": float(len(ended)),
    }


def _gv_value(r: dict[str, Any], name: str) -> Any:
    return next((g["value"] for g in r["_globalVariables"] if g["name"] == name), None)


def test_global_variable_predicate_and_group_by() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to, aggregations: [
        {field: "id", name: "count of calls", type: count}
        {field: "integerGlobalVariables.value", name: "Sum of GV2", type: sum,
         predicate: {integerGlobalVariables: {name: {equals: "GV2"}}}}
    ]) { tasks { stringGlobalVariables(name: "Global_Language") { name value }
                 aggregation { name value } } } }"""
    rows = data(engine(), q, WINDOW)["tasks"]
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in truth():
        groups[_gv_value(r, "Global_Language")].append(r)
    assert [t["stringGlobalVariables"]["value"] for t in rows][0] is None
    assert {t["stringGlobalVariables"]["value"] for t in rows} == set(groups)
    for t in rows:
        value = t["stringGlobalVariables"]["value"]
        assert t["stringGlobalVariables"]["name"] == (None if value is None else "Global_Language")
        group = groups[value]
        assert _aggs(t) == {
            "count of calls": float(len(group)),
            "Sum of GV2": float(sum(_gv_value(r, "GV2") or 0 for r in group)),
        }


INTERVAL = """query($from: Long!, $to: Long!, $interval: IntervalData) {
  taskDetails(from: $from, to: $to, aggregations: [{field: "id", type: count, name: "n"}],
              aggregationInterval: $interval) {
    tasks { intervalStartTime aggregation { value } }
  }
}"""


def test_interval_buckets_in_utc_and_in_a_time_zone() -> None:
    for tz in (None, "Asia/Kolkata"):
        zone = ZoneInfo(tz or "UTC")
        interval = {"interval": "HOURLY", "timezone": tz}
        rows = data(engine(), INTERVAL, {**WINDOW, "interval": interval})["tasks"]
        expected: Counter[int] = Counter()
        for r in truth():
            local = datetime.fromtimestamp(r["createdTime"] / 1000, zone)
            expected[int(local.replace(minute=0, second=0, microsecond=0).timestamp() * 1000)] += 1
        assert {t["intervalStartTime"]: t["aggregation"][0]["value"] for t in rows} == {
            k: float(v) for k, v in expected.items()
        }
        starts = [t["intervalStartTime"] for t in rows]
        assert starts == sorted(starts)


def test_daily_weekly_monthly_in_a_zone() -> None:
    zone = ZoneInfo("America/New_York")
    start = NOW_MS - 9 * DAY_MS
    for kind in ("DAILY", "WEEKLY", "MONTHLY"):
        interval = {"interval": kind, "timezone": "America/New_York"}
        rows = data(engine(), INTERVAL, {"from": start, "to": NOW_MS, "interval": interval})
        for t in rows["tasks"]:
            local = datetime.fromtimestamp(t["intervalStartTime"] / 1000, zone)
            assert (local.hour, local.minute) == (0, 0)
            if kind == "WEEKLY":
                assert local.weekday() == 0
            if kind == "MONTHLY":
                assert local.day == 1


@pytest.mark.parametrize(
    ("span_days", "interval", "allowed"),
    [
        (1, "FIFTEEN_MINUTES", True),
        (2, "FIFTEEN_MINUTES", False),
        (2, "THIRTY_MINUTES", True),
        (8, "HOURLY", False),
        (8, "DAILY", True),
    ],
)
def test_intervals_allowed_by_span(span_days: int, interval: str, allowed: bool) -> None:
    variables = {
        "from": NOW_MS - span_days * DAY_MS,
        "to": NOW_MS,
        "interval": {"interval": interval},
    }
    if allowed:
        data(engine(), INTERVAL, variables)
    else:
        assert "not supported" in error_message(engine(), INTERVAL, variables)


def test_bad_time_zone() -> None:
    variables = {**WINDOW, "interval": {"interval": "DAILY", "timezone": "Mars/Olympus"}}
    assert "timezone" in error_message(engine(), INTERVAL, variables)


def test_interval_start_time_needs_an_interval() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to,
        aggregations: [{field: "id", type: count, name: "n"}]) { tasks { intervalStartTime } } }"""
    assert "aggregationInterval" in error_message(engine(), q, WINDOW)


def test_more_than_ten_group_by_fields() -> None:
    # Cisco's README states 10, but a production client groups by 26: the service does not
    # enforce it (sandbox/README.md, "Requests real clients send").
    fields = (
        "id status channelType origin destination direction terminationType contactReason "
        "isActive isOutdial isCallback queueCount holdCount lastWrapupCodeName csatScore "
        "channelSubType routingType terminatingEnd abandonedType contactHandleType "
        "lastQueue { id name } lastTeam { id name } lastSite { id name }"
    )
    assert len(fields.replace("{", " ").replace("}", " ").split()) - 3 == 26
    q = f"""query($from: Long!, $to: Long!) {{ taskDetails(from: $from, to: $to,
        aggregations: [{{field: "id", type: count, name: "n"}}]) {{ tasks {{
          {fields} aggregation {{ value }} }} }} }}"""
    rows = data(engine(), q, WINDOW)["tasks"]
    # every task has its own id, so there is one group per task, counting 1
    assert len(rows) == len(truth()) and {r["aggregation"][0]["value"] for r in rows} == {1.0}


def test_type_and_field_checks() -> None:
    q = """query($from: Long!, $to: Long!, $aggs: [TaskV2Aggregation]) {
      taskDetails(from: $from, to: $to, aggregations: $aggs) { tasks { aggregation { value } } } }"""

    def message(field: str, kind: str) -> str:
        aggs = [{"field": field, "type": kind, "name": "x"}]
        return error_message(engine(), q, {**WINDOW, "aggs": aggs})

    assert "not supported" in message("origin", "sum")
    assert "Unknown field" in message("nope", "count")
    assert "not supported" in message("globalVariables", "count")


def test_activity_documents() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to,
        extFilter: {activities: {nodes: {eventName: {equals: "parked"}}}},
        aggregations: [{field: "activities.nodes.duration", type: average, name: "avg parked"}]) {
        tasks { activities { nodes { queueId } } aggregation { name value } } } }"""
    rows = data(engine(), q, WINDOW)["tasks"]
    groups: dict[Any, list[int]] = defaultdict(list)
    for r in truth():
        for n in r["_activities"]:
            if n["eventName"] == "parked":
                groups[n["queueId"]].append(n["duration"])
    assert groups
    got = {t["activities"]["nodes"][0]["queueId"]: t["aggregation"][0]["value"] for t in rows}
    assert got == {k: sum(v) / len(v) for k, v in groups.items()}
    assert all(len(t["activities"]["nodes"]) == 1 for t in rows)


def test_csr_fields_cannot_be_aggregated_with_activity_fields() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to, aggregations: [
        {field: "activities.nodes.id", type: count, name: "a"} {field: "id", type: count, name: "b"}
    ]) { tasks { aggregation { value } } } }"""
    assert "not allowed" in error_message(engine(), q, WINDOW)


def test_aggregation_pages_of_1000_with_composite_cursors() -> None:
    q = """query($from: Long!, $to: Long!, $cursor: String) { taskDetails(from: $from, to: $to,
        aggregations: [{field: "id", type: count, name: "n"}], pagination: {cursor: $cursor}) {
        tasks { lastQueue { id } id aggregation { value } } pageInfo { hasNextPage endCursor } } }"""
    start = NOW_MS - 4 * DAY_MS
    records = truth(start, NOW_MS)
    assert len(records) > 1000
    eng = engine()
    first = data(eng, q, {"from": start, "to": NOW_MS, "cursor": "NA"})
    assert len(first["tasks"]) == 1000 and first["pageInfo"]["hasNextPage"]
    cursor = first["pageInfo"]["endCursor"]
    last = first["tasks"][-1]
    assert cursor == f"lastQueue.id={last['lastQueue']['id'] or 'null'}::id={last['id']}"
    rest = data(eng, q, {"from": start, "to": NOW_MS, "cursor": cursor})
    assert rest["pageInfo"] == {
        "hasNextPage": len(records) > 2000,
        "endCursor": rest["pageInfo"]["endCursor"],
    }
    ids = [t["id"] for t in first["tasks"] + rest["tasks"]]
    assert len(set(ids)) == len(ids) == min(len(records), 2000)
    assert "Invalid cursor" in error_message(
        eng, q, {"from": start, "to": NOW_MS, "cursor": "bogus"}
    )


def test_older_aggregation_argument() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to,
        aggregation: {aggr: [{field: totalDuration, type: sum, name: "Total Duration"}
                              {field: id, type: count, name: "Total Calls"}]}) {
        tasks { aggregation { name value } } } }"""
    (row,) = data(engine(), q, WINDOW)["tasks"]
    assert _aggs(row) == {
        "Total Duration": float(sum(r["totalDuration"] for r in truth())),
        "Total Calls": float(len(truth())),
    }
