"""agentSession, taskLegDetails and the older task query: paging, filters, activities, aggregations."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from sandbox.records import OPEN_SESSION_END_TIME
from sandbox.search.engine import SearchEngine
from tests.sandbox._search_support import (
    DAY_END,
    DAY_MS,
    DAY_START,
    NOW_MS,
    engine,
    error_message,
    run,
    tenant,
)

SESSIONS = {"from": DAY_START - 13 * DAY_MS, "to": NOW_MS}  # two weeks and today: ~330 sessions
LEGS = {"from": DAY_START - DAY_MS, "to": DAY_END}  # two days: ~900 legs
DAY = {"from": DAY_START, "to": NOW_MS}  # yesterday and today so far


_SHARED: list[SearchEngine] = []


def shared() -> SearchEngine:
    """One engine for the read-only tests of this module (its windows stay cached)."""
    if not _SHARED:
        _SHARED.append(engine())
    return _SHARED[0]


def _root(body: dict[str, Any], root: str) -> Any:
    assert body["_status"] == 200 and "errors" not in body, body.get("errors")
    return body["data"][root]


def sessions_truth(start: int = SESSIONS["from"], end: int = SESSIONS["to"]) -> list[Any]:
    return list(tenant().agent_sessions_records(start, end, NOW_MS))


def legs_truth(time_field: str = "createdTime") -> list[Any]:
    return list(tenant().task_legs(LEGS["from"], LEGS["to"], NOW_MS, time_field))


SESSION_PAGE = """query($from: Long!, $to: Long!, $cursor: String) {
  agentSession(from: $from, to: $to, pagination: {cursor: $cursor}) {
    agentSessions { agentSessionId startTime endTime isActive channelInfo { channelId } }
    pageInfo { hasNextPage endCursor } } }"""


def _page_sessions(eng: Any, variables: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    rows: list[Any] = []
    infos: list[Any] = []
    cursor = None
    while True:
        got = _root(run(eng, SESSION_PAGE, {**variables, "cursor": cursor}), "agentSession")
        rows += got["agentSessions"]
        infos.append(got["pageInfo"])
        if not got["pageInfo"]["hasNextPage"]:
            return rows, infos
        cursor = got["pageInfo"]["endCursor"]


# --- agentSession -----------------------------------------------------------------------------


def test_sessions_page_by_uuid_cursors_in_session_id_order() -> None:
    rows, infos = _page_sessions(shared(), SESSIONS)
    want = sessions_truth()
    assert len(want) > 250
    ids = [r["agentSessionId"] for r in rows]
    assert ids == sorted(s["agentSessionId"] for s in want)
    assert [len(p) for p in (rows[:250], rows[250:])] == [250, len(want) - 250]
    assert infos[0] == {"hasNextPage": True, "endCursor": ids[249]}  # the last record's id
    assert infos[-1] == {"hasNextPage": False, "endCursor": None}
    active = [r for r in rows if r["isActive"]]
    assert active and all(r["endTime"] == OPEN_SESSION_END_TIME for r in active)
    assert all(len(r["channelInfo"]) == 4 for r in rows)


def test_session_cursors_first_page_and_errors() -> None:
    eng = shared()
    first = _root(run(eng, SESSION_PAGE, {**SESSIONS, "cursor": None}), "agentSession")
    for cursor in ("NA", "0", ""):
        again = _root(run(eng, SESSION_PAGE, {**SESSIONS, "cursor": cursor}), "agentSession")
        assert again == first
    assert "Invalid cursor" in error_message(eng, SESSION_PAGE, {**SESSIONS, "cursor": "1"})
    last = max(s["agentSessionId"] for s in sessions_truth())
    past = _root(run(eng, SESSION_PAGE, {**SESSIONS, "cursor": last}), "agentSession")
    assert past == {"agentSessions": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


def test_the_raw_record_cap_spares_agent_sessions() -> None:
    rows, _ = _page_sessions(engine(raw_record_cap=100), SESSIONS)
    assert len(rows) == len(sessions_truth()) > 250


def test_a_channel_filter_shows_only_matching_channels() -> None:
    q = """query($from: Long!, $to: Long!, $f: AgentSessionFilters) {
      agentSession(from: $from, to: $to, filter: $f) {
        agentSessions { agentSessionId isActive channelInfo { channelType connectedCount } } } }"""
    spec = {"channelInfo": {"channelType": {"equals": "chat"}}}
    got = _root(run(shared(), q, {**DAY, "f": spec}), "agentSession")["agentSessions"]
    assert len(got) == len(sessions_truth(DAY_START, NOW_MS))  # every session has a chat channel
    assert all([c["channelType"] for c in s["channelInfo"]] == ["chat"] for s in got)
    spec = {
        "and": [
            {"isActive": {"equals": True}},
            {"channelInfo": {"connectedCount": {"gt": 0}}},
        ]
    }
    got = _root(run(shared(), q, {**DAY, "f": spec}), "agentSession")["agentSessions"]
    want = {
        s["agentSessionId"]
        for s in sessions_truth(DAY_START, NOW_MS)
        if s["isActive"] and any(c["connectedCount"] > 0 for c in s["channelInfo"])
    }
    assert {s["agentSessionId"] for s in got} == want and want
    assert all(
        s["isActive"] and all(c["connectedCount"] > 0 for c in s["channelInfo"]) for s in got
    )
    spec = {
        "or": [{"isActive": {"equals": True}}, {"channelInfo": {"channelType": {"equals": "chat"}}}]
    }
    got = _root(run(shared(), q, {**DAY, "f": spec}), "agentSession")["agentSessions"]
    assert all(len(s["channelInfo"]) == (4 if s["isActive"] else 1) for s in got)


def test_ext_filter_keeps_sessions_channels_and_activities_that_match() -> None:
    q = """query($from: Long!, $to: Long!, $e: AgentSessionSpecificFilters) {
      agentSession(from: $from, to: $to, extFilter: $e) {
        agentSessions { agentSessionId channelInfo { channelType
          activities(first: 100) { totalCount nodes { state wrapupCode { name } } } } } } }"""
    ext = {"channelInfo": {"activities": {"nodes": {"state": {"equals": "wrapup"}}}}}
    window = {"from": DAY_START, "to": DAY_END}
    got = _root(run(shared(), q, {**window, "e": ext}), "agentSession")["agentSessions"]
    truth = sessions_truth(DAY_START, DAY_END)
    want = {
        s["agentSessionId"]: {
            c["channelType"]: sum(1 for n in c["_activities"] if n["state"] == "wrapup")
            for c in s["channelInfo"]
            if any(n["state"] == "wrapup" for n in c["_activities"])
        }
        for s in truth
    }
    want = {k: v for k, v in want.items() if v}
    assert want and {s["agentSessionId"] for s in got} == set(want)
    for s in got:
        shown = {c["channelType"]: c["activities"]["totalCount"] for c in s["channelInfo"]}
        assert shown == want[s["agentSessionId"]]
        for c in s["channelInfo"]:
            assert all(
                n["state"] == "wrapup" and n["wrapupCode"]["name"] for n in c["activities"]["nodes"]
            )


def test_agent_activities_page_newest_first_by_start_time() -> None:
    session = max(
        sessions_truth(DAY_START, DAY_END), key=lambda s: len(s["channelInfo"][0]["_activities"])
    )
    channel = session["channelInfo"][0]
    nodes = channel["_activities"]
    q = """query($from: Long!, $to: Long!, $id: String!, $after: String) {
      agentSession(from: $from, to: $to, filter: {agentSessionId: {equals: $id}}) {
        agentSessions { channelInfo { channelId activities(first: 7, after: $after) {
          totalCount nodes { id startTime } pageInfo { hasNextPage endCursor } } } } } }"""
    seen: list[str] = []
    after = None
    while True:
        got = _root(
            run(
                shared(),
                q,
                {"from": DAY_START, "to": DAY_END, "id": session["agentSessionId"], "after": after},
            ),
            "agentSession",
        )["agentSessions"][0]["channelInfo"]
        acts = next(c for c in got if c["channelId"] == channel["channelId"])["activities"]
        assert acts["totalCount"] == len(nodes)
        seen += [n["id"] for n in acts["nodes"]]
        if not acts["pageInfo"]["hasNextPage"]:
            break
        after = acts["pageInfo"]["endCursor"]
        assert after == str(acts["nodes"][-1]["startTime"])
    assert seen == [n["id"] for n in nodes]
    big = q.replace("first: 7", "first: 101")
    assert "at most 100" in error_message(
        shared(), big, {"from": DAY_START, "to": DAY_END, "id": session["agentSessionId"]}
    )


def test_raw_agent_activities_span_at_most_30_days() -> None:
    window = {"from": NOW_MS - 31 * DAY_MS, "to": NOW_MS}
    quiet = SearchEngine(tenant(7, 5), lambda: NOW_MS)  # a month of a quiet tenant is quick
    q = """query($from: Long!, $to: Long!) { agentSession(from: $from, to: $to) {
      agentSessions { channelInfo { activities { nodes { id } } } } } }"""
    assert "30 days" in error_message(quiet, q, window)
    plain = """query($from: Long!, $to: Long!) { agentSession(from: $from, to: $to) {
      agentSessions { channelInfo { channelType } } } }"""
    assert _root(run(quiet, plain, window), "agentSession")["agentSessions"]
    agg = """query($from: Long!, $to: Long!) { agentSession(from: $from, to: $to,
      aggregations: [{field: "channelInfo.activities.nodes.duration", type: max, name: "m"}]) {
      agentSessions { aggregation { name value } } } }"""
    assert _root(run(quiet, agg, window), "agentSession")["agentSessions"][0]["aggregation"]


def _aggs(row: dict[str, Any]) -> dict[str, Any]:
    return {a["name"]: a["value"] for a in row["aggregation"]}


def test_session_channel_and_activity_aggregations() -> None:
    truth = sessions_truth()
    q = """query($from: Long!, $to: Long!) { agentSession(from: $from, to: $to, aggregations: [
        {field: "agentSessionId", type: count, name: "sessions"}
        {field: "agentId", type: cardinality, name: "agents"}
        {field: "agentId", type: cardinality, name: "chatting",
         filter: {channelInfo: {connectedCount: {gt: 0}, channelType: {equals: "chat"}}}}
      ]) { agentSessions { aggregation { name value } } } }"""
    [row] = _root(run(shared(), q, SESSIONS), "agentSession")["agentSessions"]
    chatting = {
        s["agentId"]
        for s in truth
        if any(c["channelType"] == "chat" and c["connectedCount"] > 0 for c in s["channelInfo"])
    }
    assert _aggs(row) == {
        "sessions": float(len(truth)),
        "agents": float(len({s["agentId"] for s in truth})),
        "chatting": float(len(chatting)),
    }
    q = """query($from: Long!, $to: Long!) { agentSession(from: $from, to: $to, aggregations: [
        {field: "channelInfo.connectedCount", type: sum, name: "connected"}
        {field: "channelInfo.idleDuration", type: average, name: "idle"}
      ]) { agentSessions { teamId channelInfo { channelType } aggregation { name value } }
           pageInfo { hasNextPage endCursor } } }"""
    rows = _root(run(shared(), q, SESSIONS), "agentSession")["agentSessions"]
    want: Counter[tuple[str, str]] = Counter()
    for s in truth:
        for c in s["channelInfo"]:
            want[(s["teamId"], c["channelType"])] += c["connectedCount"]
    got = {(r["teamId"], r["channelInfo"][0]["channelType"]): _aggs(r)["connected"] for r in rows}
    assert got == {k: float(v) for k, v in want.items()}
    assert [(r["teamId"], r["channelInfo"][0]["channelType"]) for r in rows] == sorted(got)
    q = """query($from: Long!, $to: Long!) { agentSession(from: $from, to: $to,
        extFilter: {channelInfo: {activities: {nodes: {state: {equals: "connected"}}}}}
        aggregations: [{field: "channelInfo.activities.nodes.id", type: count, name: "n"}]) {
        agentSessions { channelInfo { activities { nodes { state } } } aggregation { name value } } } }"""
    rows = _root(run(shared(), q, SESSIONS), "agentSession")["agentSessions"]
    connected = sum(
        1
        for s in truth
        for c in s["channelInfo"]
        for n in c["_activities"]
        if n["state"] == "connected"
    )
    assert rows == [
        {
            "channelInfo": [{"activities": {"nodes": [{"state": "connected"}]}}],
            "aggregation": [{"name": "n", "value": float(connected)}],
        }
    ]


def test_activity_aggregations_page_by_composite_keys_and_bucket_by_start_time() -> None:
    q = """query($from: Long!, $to: Long!, $cursor: String) { agentSession(from: $from, to: $to,
        aggregations: [{field: "channelInfo.activities.nodes.duration", type: max, name: "m"}],
        aggregationInterval: {interval: DAILY, timezone: "America/New_York"},
        pagination: {cursor: $cursor}) {
        agentSessions { intervalStartTime agentId channelInfo { activities { nodes { state } } }
                        aggregation { name value } }
        pageInfo { hasNextPage endCursor } } }"""
    got = _root(run(shared(), q, {**SESSIONS, "cursor": None}), "agentSession")
    rows = got["agentSessions"]
    keys = {
        (
            r["intervalStartTime"],
            r["agentId"],
            r["channelInfo"][0]["activities"]["nodes"][0]["state"],
        )
        for r in rows
    }
    truth = sessions_truth()
    from sandbox.clock import day_of, day_start

    want = {
        (day_start(day_of(n["startTime"])), s["agentId"], n["state"])
        for s in truth
        for c in s["channelInfo"]
        for n in c["_activities"]
    }
    if got["pageInfo"]["hasNextPage"]:
        cursor = got["pageInfo"]["endCursor"]
        assert (
            cursor.startswith("intervalStartTime=")
            and "::channelInfo.activities.nodes.state=" in cursor
        )
        more = _root(run(shared(), q, {**SESSIONS, "cursor": cursor}), "agentSession")[
            "agentSessions"
        ]
        keys |= {
            (
                r["intervalStartTime"],
                r["agentId"],
                r["channelInfo"][0]["activities"]["nodes"][0]["state"],
            )
            for r in more
        }
    assert len(rows) == min(1000, len(want))
    assert keys <= want


def test_activity_fields_are_not_aggregated_with_session_fields() -> None:
    q = """query($from: Long!, $to: Long!) { agentSession(from: $from, to: $to, aggregations: [
        {field: "channelInfo.activities.nodes.duration", type: max, name: "m"}
        {field: "channelInfo.connectedCount", type: sum, name: "c"}]) {
        agentSessions { aggregation { name value } } } }"""
    assert "not allowed" in error_message(shared(), q, SESSIONS)


# --- taskLegDetails ---------------------------------------------------------------------------

LEG_PAGE = """query($from: Long!, $to: Long!, $cursor: String, $tc: QueryTimeType) {
  taskLegDetails(from: $from, to: $to, timeComparator: $tc, pagination: {cursor: $cursor}) {
    taskLegs { id taskId createdTime endedTime queue { id } }
    pageInfo { hasNextPage endCursor } } }"""


def _page_legs(eng: Any, variables: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    rows: list[Any] = []
    infos: list[Any] = []
    cursor = None
    while True:
        got = _root(run(eng, LEG_PAGE, {**variables, "cursor": cursor}), "taskLegDetails")
        rows += got["taskLegs"]
        infos.append(got["pageInfo"])
        if not got["pageInfo"]["hasNextPage"]:
            return rows, infos
        cursor = got["pageInfo"]["endCursor"]


@pytest.mark.parametrize("time_field", ["createdTime", "endedTime"])
def test_legs_page_500_at_a_time_newest_first(time_field: str) -> None:
    rows, infos = _page_legs(shared(), {**LEGS, "tc": time_field})
    want = legs_truth(time_field)
    assert len(want) > 500
    assert [r["id"] for r in rows] == [x["id"] for x in reversed(want)]
    assert infos[0] == {"hasNextPage": True, "endCursor": "1"}
    assert infos[-1] == {"hasNextPage": False, "endCursor": None}
    assert len(infos) == -(-len(want) // 500)


def test_legs_stop_at_the_raw_record_cap() -> None:
    rows, infos = _page_legs(engine(raw_record_cap=600), LEGS)
    assert len(rows) == 600 and infos[-1]["hasNextPage"] is False
    count = """query($from: Long!, $to: Long!) { taskLegDetails(from: $from, to: $to,
      aggregations: [{field: "id", type: count, name: "n"}]) { taskLegs { aggregation { value } } } }"""
    [row] = _root(run(engine(raw_record_cap=600), count, LEGS), "taskLegDetails")["taskLegs"]
    assert row["aggregation"][0]["value"] == float(len(legs_truth())) > 600


def test_legs_filter_sort_and_global_variables() -> None:
    want = legs_truth()
    transferred = [x for x in want if x["blindTransferCount"]]
    assert transferred
    q = """query($from: Long!, $to: Long!, $f: TaskLegDetailsFilters) {
      taskLegDetails(from: $from, to: $to, filter: $f) {
        taskLegs { id createdTime(sort: asc) nextDestination { queue { name } }
          lang: stringGlobalVariables(name: "Global_Language") { name value } } } }"""
    spec = {"nextDestination": {"queue": {"id": {"notequals": None}}}}
    rows = _root(run(shared(), q, {**LEGS, "f": spec}), "taskLegDetails")["taskLegs"]
    assert [r["id"] for r in rows] == [x["id"] for x in transferred]  # ascending created
    by_id = {x["id"]: x for x in want}
    for r in rows:
        gv = {g["name"]: g["value"] for g in by_id[r["id"]]["_globalVariables"]}
        assert r["lang"] == (
            {"name": "Global_Language", "value": gv["Global_Language"]}
            if "Global_Language" in gv
            else {"name": None, "value": None}
        )
    spec = {
        "stringGlobalVariables": {
            "name": {"equals": "Global_Language"},
            "value": {"equals": "es-US"},
        }
    }
    rows = _root(run(shared(), q, {**LEGS, "f": spec}), "taskLegDetails")["taskLegs"]
    assert rows and all(r["lang"]["value"] == "es-US" for r in rows)


def test_leg_aggregations_group_by_queue() -> None:
    q = """query($from: Long!, $to: Long!) { taskLegDetails(from: $from, to: $to, aggregations: [
        {field: "id", type: count, name: "legs"}
        {field: "queueDuration", type: average, name: "wait"}
        {field: "integerGlobalVariables.value", type: sum, name: "gv2",
         predicate: {integerGlobalVariables: {name: {equals: "GV2"}}}}]) {
        taskLegs { queue { id } aggregation { name value } } } }"""
    rows = _root(run(shared(), q, LEGS), "taskLegDetails")["taskLegs"]
    want: Counter[str | None] = Counter(x["queue"]["id"] for x in legs_truth())
    assert {r["queue"]["id"]: _aggs(r)["legs"] for r in rows} == {
        k: float(v) for k, v in want.items()
    }
    assert rows[0]["queue"] == {"id": None}  # null first


# --- task (older query) -----------------------------------------------------------------------

TASK_PAGE = """query($from: Long!, $to: Long!, $cursor: String, $f: TaskFilters) {
  task(from: $from, to: $to, filter: $f, pagination: {cursor: $cursor}) {
    tasks { id entryPoint { id name } lastEntryPoint { id } owner { id name } }
    pageInfo { hasNextPage endCursor } intervalInfo { interval } has } }"""


def test_task_pages_100_at_a_time_from_cursor_zero() -> None:
    window = {"from": DAY_START, "to": DAY_END}
    want = list(tenant().tasks(DAY_START, DAY_END, NOW_MS))
    rows: list[Any] = []
    cursor = "0"
    pages = 0
    while True:
        got = _root(run(shared(), TASK_PAGE, {**window, "cursor": cursor}), "task")
        assert got["intervalInfo"] is None and got["has"] is None
        rows += got["tasks"]
        pages += 1
        if not got["pageInfo"]["hasNextPage"]:
            break
        cursor = got["pageInfo"]["endCursor"]
        assert cursor == str(pages)
    assert pages == -(-len(want) // 100) > 2
    assert [r["id"] for r in rows] == [t["id"] for t in reversed(want)]
    assert all(r["entryPoint"]["id"] == r["lastEntryPoint"]["id"] is not None for r in rows)


def test_task_filters_compare_objects() -> None:
    window = {"from": DAY_START, "to": DAY_END}
    want = list(tenant().tasks(DAY_START, DAY_END, NOW_MS))
    owned = {t["id"] for t in want if t["owner"]["id"] is not None}
    f = {"owner": {"notequals": {"id": None}}}
    got = _root(run(shared(), TASK_PAGE, {**window, "f": f, "cursor": "NA"}), "task")
    assert got["tasks"] and {r["id"] for r in got["tasks"]} <= owned
    callback = next(t for t in want if t["callbackData"]["callbackNumber"])
    f = {
        "and": [
            {
                "callbackData": {
                    "equals": {"callbackNumber": callback["callbackData"]["callbackNumber"]}
                }
            },
            {
                "callbackData": {
                    "equals": {"callbackStatus": callback["callbackData"]["callbackStatus"]}
                }
            },
        ]
    }
    got = _root(run(shared(), TASK_PAGE, {**window, "f": f}), "task")["tasks"]
    assert callback["id"] in {r["id"] for r in got}
    f = {"entryPoint": {"name": {"equals": "EP_Web_Chat"}}}
    got = _root(run(shared(), TASK_PAGE, {**window, "f": f}), "task")["tasks"]
    assert got and all(r["entryPoint"]["name"] == "EP_Web_Chat" for r in got)


def test_task_aggregations_in_both_older_forms() -> None:
    window = {"from": DAY_START, "to": DAY_END}
    want = list(tenant().tasks(DAY_START, DAY_END, NOW_MS))
    q = """query($from: Long!, $to: Long!) { task(from: $from, to: $to,
        aggregations: {field: "id", type: count, name: "n"}) {
        tasks { entryPoint { name } aggregation { name value } } } }"""
    rows = _root(run(shared(), q, window), "task")["tasks"]
    counts = Counter(t["lastEntryPoint"]["name"] for t in want)
    assert {r["entryPoint"]["name"]: _aggs(r)["n"] for r in rows} == {
        k: float(v) for k, v in counts.items()
    }
    q = """query($from: Long!, $to: Long!) { task(from: $from, to: $to,
        aggregation: {aggr: [{field: totalDuration, type: sum, name: "T"}]}) {
        tasks { aggregation { name value } } } }"""
    [row] = _root(run(shared(), q, window), "task")["tasks"]
    assert row["aggregation"] == [
        {"name": "T", "value": float(sum(t["totalDuration"] for t in want))}
    ]


@pytest.mark.parametrize(
    ("query", "variables", "root"),
    [
        (SESSION_PAGE, SESSIONS, "agentSession"),
        (LEG_PAGE, {**LEGS, "tc": "createdTime"}, "taskLegDetails"),
    ],
    ids=["agentSession", "taskLegDetails"],
)
def test_windows_too_big_to_keep_are_streamed_with_the_same_answers(
    query: str, variables: dict[str, Any], root: str
) -> None:
    small = engine(max_window_records=50)
    kept = shared()
    cursor = None
    pages = 0
    while True:
        a = _root(run(small, query, {**variables, "cursor": cursor}), root)
        b = _root(run(kept, query, {**variables, "cursor": cursor}), root)
        assert a == b
        pages += 1
        if not a["pageInfo"]["hasNextPage"]:
            break
        cursor = a["pageInfo"]["endCursor"]
    assert pages >= 2
    assert small._windows == {} and small._large  # the window was streamed, never kept
