"""filter / extFilter operators against what the data model holds."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from sandbox.search.errors import HttpError
from tests.sandbox._search_support import (
    DAY_END,
    DAY_START,
    NOW_MS,
    data,
    engine,
    error_message,
    truth,
)

IDS = """query ($from: Long!, $to: Long!, $cursor: String, $filter: TaskDetailsFilters) {
  taskDetails(from: $from, to: $to, pagination: {cursor: $cursor}, filter: $filter) {
    tasks { id }
    pageInfo { hasNextPage endCursor }
  }
}"""
ENUM_LITERAL = """query ($from: Long!, $to: Long!, $cursor: String) {
  taskDetails(from: $from, to: $to, pagination: {cursor: $cursor},
              filter: {channelType: {equals: telephony}}) {
    tasks { id }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _ids(spec: dict[str, Any], query: str = IDS) -> set[str]:
    eng = engine()
    out: set[str] = set()
    cursor = None
    while True:
        variables = {"from": DAY_START, "to": DAY_END, "cursor": cursor, "filter": spec}
        td = data(eng, query, variables)
        out |= {t["id"] for t in td["tasks"]}
        if not td["pageInfo"]["hasNextPage"]:
            return out
        cursor = td["pageInfo"]["endCursor"]


def _expected(pred: Any) -> set[str]:
    return {r["id"] for r in truth() if pred(r)}


def _common(path: str) -> Any:
    def get(r: dict[str, Any]) -> Any:
        v: Any = r
        for part in path.split("."):
            v = v[part]
        return v

    value, _n = Counter(get(r) for r in truth() if get(r) is not None).most_common(1)[0]
    return value


def test_string_equals_and_notequals() -> None:
    team = _common("lastTeam.id")
    assert _ids({"lastTeam": {"id": {"equals": team}}}) == _expected(
        lambda r: r["lastTeam"]["id"] == team
    )
    got = _ids({"lastTeam": {"id": {"notequals": team}}})
    assert got == _expected(lambda r: r["lastTeam"]["id"] != team)
    assert any(r["lastTeam"]["id"] is None for r in truth() if r["id"] in got)


def test_enum_literal_and_string_channel_type() -> None:
    expected = _expected(lambda r: r["channelType"] == "telephony")
    assert expected
    assert _ids({}, ENUM_LITERAL) == expected
    assert _ids({"channelType": {"equals": "telephony"}}) == expected


def test_match_is_a_whole_value_regular_expression() -> None:
    assert _ids({"lastTeam": {"name": {"match": ".+"}}}) == _expected(
        lambda r: r["lastTeam"]["name"] is not None
    )
    prefix = _common("origin")[:5]
    assert _ids({"origin": {"match": prefix}}) == set()  # not a substring search
    rx = re.compile(re.escape(prefix) + ".*")
    assert _ids({"origin": {"match": re.escape(prefix) + ".*"}}) == _expected(
        lambda r: r["origin"] is not None and rx.fullmatch(r["origin"])
    )


def test_match_treats_a_leading_plus_as_a_literal_as_lucene_does() -> None:
    phones = [r["origin"] for r in truth() if (r["origin"] or "").startswith("+")]
    assert phones
    head = phones[0][:6]
    assert _ids({"origin": {"match": head + ".+"}}) == _expected(
        lambda r: (r["origin"] or "").startswith(head) and len(r["origin"]) > len(head)
    )


def test_invalid_regular_expression_is_a_graphql_error() -> None:
    variables = {"from": DAY_START, "to": DAY_END, "filter": {"origin": {"match": "(unclosed"}}}
    msg = error_message(engine(), IDS, variables)
    assert "regular expression" in msg


def test_contains_is_a_case_sensitive_substring() -> None:
    name = _common("lastQueue.name")
    part = name[1:4]
    assert _ids({"lastQueue": {"name": {"contains": part}}}) == _expected(
        lambda r: r["lastQueue"]["name"] is not None and part in r["lastQueue"]["name"]
    )
    assert _ids({"lastQueue": {"name": {"contains": part.swapcase()}}}) != _expected(
        lambda r: r["lastQueue"]["name"] is not None and part in r["lastQueue"]["name"]
    )


@pytest.mark.parametrize(
    ("op", "check"),
    [
        ("gt", lambda v, x: v is not None and v > x),
        ("gte", lambda v, x: v is not None and v >= x),
        ("lt", lambda v, x: v is not None and v < x),
        ("lte", lambda v, x: v is not None and v <= x),
        ("equals", lambda v, x: v == x),
        ("notequals", lambda v, x: v != x),
    ],
)
def test_numeric_operators(op: str, check: Any) -> None:
    durations = sorted(r["totalDuration"] for r in truth())
    pivot = durations[len(durations) // 2]
    assert _ids({"totalDuration": {op: pivot}}) == _expected(
        lambda r: check(r["totalDuration"], pivot)
    )


def test_range_with_and_and_nested_or() -> None:
    spec = {
        "and": [
            {"totalDuration": {"gte": 30000}},
            {"totalDuration": {"lte": 600000}},
            {"or": [{"channelType": {"equals": "chat"}}, {"channelType": {"equals": "email"}}]},
        ]
    }
    expected = _expected(
        lambda r: 30000 <= r["totalDuration"] <= 600000 and r["channelType"] in ("chat", "email")
    )
    assert expected
    assert _ids(spec) == expected


def test_booleans_and_several_keys_in_one_object() -> None:
    spec = {"isActive": {"equals": False}, "direction": {"equals": "inbound"}}
    assert _ids(spec) == _expected(lambda r: r["isActive"] is False and r["direction"] == "inbound")
    assert _ids({"isCallback": {"notequals": True}}) == _expected(
        lambda r: r["isCallback"] is not True
    )


def test_equals_null_means_absent() -> None:
    assert _ids({"lastAgent": {"id": {"equals": None}}}) == _expected(
        lambda r: r["lastAgent"]["id"] is None
    )


def test_deeper_object_paths() -> None:
    assert _ids({"channelMetaData": {"email": {"subject": {"match": ".+"}}}}) == _expected(
        lambda r: r["channelMetaData"]["email"]["subject"] is not None
    )


def test_older_service_level_name() -> None:
    assert _ids({"isWithinSLA": {"equals": True}}) == _expected(
        lambda r: r["isWithInServiceLevel"] is True
    )


def _gv(r: dict[str, Any], name: str, gv_type: str) -> Any:
    for g in r["_globalVariables"]:
        if g["name"] == name and g["type"] == gv_type:
            return g
    return None


def test_global_variable_filters() -> None:
    spec = {
        "and": [
            {"stringGlobalVariables": {"name": {"equals": "GV1"}, "value": {"equals": "ABC123"}}},
            {"integerGlobalVariables": {"name": {"equals": "GV2"}, "value": {"gt": 100}}},
        ]
    }

    def pred(r: dict[str, Any]) -> bool:
        gv1, gv2 = _gv(r, "GV1", "string"), _gv(r, "GV2", "integer")
        return bool(gv1 and gv1["value"] == "ABC123" and gv2 and gv2["value"] > 100)

    assert _expected(pred)
    assert _ids(spec) == _expected(pred)


def test_global_variable_name_and_value_must_hold_for_the_same_variable() -> None:
    # GV1 and GV59 are both strings: a value of GV59 does not satisfy a condition on GV1.
    spec = {"stringGlobalVariables": {"name": {"equals": "GV1"}, "value": {"equals": "GV59"}}}
    assert any(_gv(r, "GV59", "string") for r in truth())
    assert _ids(spec) == set()


def test_ext_filter_selects_tasks_with_a_matching_activity() -> None:
    q = """query ($from: Long!, $to: Long!) {
      taskDetails(from: $from, to: $to,
                  extFilter: {activities: {nodes: {eventName: {equals: "parked"}}}}) {
        tasks { id activities(first: 100) { totalCount nodes { eventName } } }
      }
    }"""
    rows = data(engine(), q, {"from": DAY_START, "to": DAY_END})["tasks"]
    expected = [r for r in truth() if any(n["eventName"] == "parked" for n in r["_activities"])]
    assert rows and len(rows) == min(250, len(expected))
    for row in rows:
        # the nodes shown are the matching ones
        assert {n["eventName"] for n in row["activities"]["nodes"]} == {"parked"}
        assert row["activities"]["totalCount"] == len(row["activities"]["nodes"])


def test_ext_filter_or_and_nested_node_conditions() -> None:
    q = """query ($from: Long!, $to: Long!) {
      taskDetails(from: $from, to: $to, extFilter: {or: [
          {activities: {nodes: {and: [{eventName: {equals: "connected"}} {duration: {gt: 60000}}]}}}
          {activities: {nodes: {eventName: {equals: "ctq-accepted"}}}}
      ]}) { tasks { id } pageInfo { hasNextPage } }
    }"""
    td = data(engine(), q, {"from": DAY_START, "to": DAY_END})

    def pred(r: dict[str, Any]) -> bool:
        return any(
            (n["eventName"] == "connected" and (n["duration"] or 0) > 60000)
            or n["eventName"] == "ctq-accepted"
            for n in r["_activities"]
        )

    expected = [r["id"] for r in reversed(truth()) if pred(r)]
    assert [t["id"] for t in td["tasks"]] == expected[:250]


def test_ext_filter_that_cannot_fill_a_page_from_2500_records_is_413() -> None:
    eng = engine()
    start = NOW_MS - 8 * 86_400_000
    q = """query ($from: Long!, $to: Long!) {
      taskDetails(from: $from, to: $to,
                  extFilter: {activities: {nodes: {eventName: {equals: "no-such-event"}}}}) {
        tasks { id }
      }
    }"""
    assert len(truth(start, NOW_MS)) > 2500
    result = eng.execute(q, {"from": start, "to": NOW_MS})
    assert result.status == 413 and isinstance(result.error, HttpError)
    # a short span holding fewer than 2,500 records is scanned whole
    small = eng.execute(q, {"from": DAY_START, "to": DAY_END})
    assert small.status == 200


def test_too_many_filter_arguments() -> None:
    spec = {"or": [{"origin": {"equals": str(i)}} for i in range(1001)]}
    msg = error_message(engine(), IDS, {"from": DAY_START, "to": DAY_END, "filter": spec})
    assert "1000" in msg
