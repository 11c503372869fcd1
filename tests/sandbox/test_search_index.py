"""Indexed windows: too large to keep rendered, paged by rendering each page alone.

Every answer of an indexed window must equal the answer of the same window kept rendered
(``max_window_records`` high), whatever the root, filter, sort or cursor; paging one renders
each record once; and the HTTP app computes the next page ahead when the answer lasts.
"""

from __future__ import annotations

import gc
import gzip
from typing import Any

import orjson
import pytest

from queries import graphql as project_query
from sandbox.app import create_app
from sandbox.budget import ManualClock
from sandbox.model import Tenant
from sandbox.search.engine import SearchEngine
from tests.sandbox._search_support import (
    DAY_END,
    DAY_MS,
    DAY_START,
    HOUR_MS,
    NOW_MS,
    AsgiClient,
    engine,
    run,
    tenant,
    truth,
)

WINDOW = {"from": DAY_START, "to": DAY_END}
SMALL = 50  # max_window_records of the indexing engines: every test window is over it

TASKS = """query($from: Long!, $to: Long!, $cursor: String, $f: TaskDetailsFilters,
                $e: TaskDetailsSpecificFilters, $tc: QueryTimeType) {
  taskDetails(from: $from, to: $to, timeComparator: $tc, filter: $f, extFilter: $e,
              pagination: {cursor: $cursor}) {
    tasks { id createdTime isActive totalDuration lastAgent { name } }
    pageInfo { hasNextPage endCursor } } }"""
SORTED = """query($from: Long!, $to: Long!, $cursor: String, $f: TaskDetailsFilters) {
  taskDetails(from: $from, to: $to, filter: $f, pagination: {cursor: $cursor}) {
    tasks { id lastAgent { name(sort: asc) } totalDuration(sort: desc) }
    pageInfo { hasNextPage endCursor } } }"""
ACTIVITIES = """query($from: Long!, $to: Long!, $cursor: String, $e: TaskDetailsSpecificFilters) {
  taskDetails(from: $from, to: $to, extFilter: $e, pagination: {cursor: $cursor}) {
    tasks { id activities(first: 100) { totalCount nodes { id eventName } } }
    pageInfo { hasNextPage endCursor } } }"""
COUNT_ONLY = """query($from: Long!, $to: Long!, $cursor: String, $f: TaskDetailsFilters) {
  taskDetails(from: $from, to: $to, filter: $f, pagination: {cursor: $cursor}) {
    pageInfo { hasNextPage endCursor } } }"""
LEGACY = """query($from: Long!, $to: Long!, $cursor: String) {
  task(from: $from, to: $to, pagination: {cursor: $cursor}) {
    tasks { id entryPoint { id name } owner { name } } pageInfo { hasNextPage endCursor } } }"""
LEGS = """query($from: Long!, $to: Long!, $cursor: String, $tc: QueryTimeType) {
  taskLegDetails(from: $from, to: $to, timeComparator: $tc, pagination: {cursor: $cursor}) {
    taskLegs { id taskId createdTime endedTime queue { id } }
    pageInfo { hasNextPage endCursor } } }"""
SESSIONS = """query($from: Long!, $to: Long!, $cursor: String, $f: AgentSessionFilters,
                   $e: AgentSessionSpecificFilters) {
  agentSession(from: $from, to: $to, filter: $f, extFilter: $e, pagination: {cursor: $cursor}) {
    agentSessions { agentSessionId isActive channelInfo { channelType connectedCount
      activities(first: 5) { totalCount nodes { state } } } }
    pageInfo { hasNextPage endCursor } } }"""
COUNT = """query($from: Long!, $to: Long!, $f: TaskDetailsFilters) {
  taskDetails(from: $from, to: $to, filter: $f,
              aggregations: [{field: "id", type: count, name: "count"}]) {
    tasks { aggregation { name value } } } }"""
GROUPED = """query($from: Long!, $to: Long!) {
  taskDetails(from: $from, to: $to,
              aggregations: [{field: "activities.nodes.duration", type: sum, name: "d"}]) {
    tasks { activities { nodes { eventName } } aggregation { name value } } } }"""

_KEPT: list[SearchEngine] = []


def kept() -> SearchEngine:
    """One engine keeping every test window rendered (the reference answers)."""
    if not _KEPT:
        _KEPT.append(engine(max_window_records=10**9))
    return _KEPT[0]


def _pages(eng: SearchEngine, query: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    """Every answer (whole bodies) of a window, following endCursor."""
    out = []
    cursor = None
    while True:
        body = run(eng, query, {**variables, "cursor": cursor})
        out.append(body)
        root = next(iter(body["data"].values())) if body.get("data") else None
        if not root or not root["pageInfo"]["hasNextPage"]:
            return out
        cursor = root["pageInfo"]["endCursor"]


CASES: list[tuple[str, dict[str, Any]]] = [
    (TASKS, WINDOW),
    (TASKS, {**WINDOW, "f": {"channelType": {"equals": "telephony"}}}),
    (TASKS, {**WINDOW, "tc": "endedTime"}),
    (TASKS, {"from": NOW_MS - 6 * HOUR_MS, "to": NOW_MS + HOUR_MS}),  # open tasks, future end
    (TASKS, {**WINDOW, "e": {"activities": {"nodes": {"eventName": {"equals": "parked"}}}}}),
    (SORTED, WINDOW),
    (SORTED, {**WINDOW, "f": {"isActive": {"equals": False}}}),
    (ACTIVITIES, WINDOW),
    (ACTIVITIES, {**WINDOW, "e": {"activities": {"nodes": {"eventName": {"equals": "WrapUp"}}}}}),
    (COUNT_ONLY, {**WINDOW, "f": {"channelType": {"equals": "chat"}}}),
    (LEGACY, WINDOW),
    (LEGS, {**WINDOW, "tc": "createdTime"}),
    (LEGS, {**WINDOW, "tc": "endedTime"}),
    (SESSIONS, {"from": DAY_START - DAY_MS, "to": NOW_MS}),
    (SESSIONS, {**WINDOW, "f": {"channelInfo": {"channelType": {"equals": "chat"}}}}),
    (
        SESSIONS,
        {
            **WINDOW,
            "e": {"channelInfo": {"activities": {"nodes": {"state": {"equals": "wrapup"}}}}},
        },
    ),
]


@pytest.mark.parametrize(("query", "variables"), CASES, ids=range(len(CASES)))
def test_indexed_windows_answer_as_kept_windows(query: str, variables: dict[str, Any]) -> None:
    indexed = engine(max_window_records=SMALL)
    got = _pages(indexed, query, variables)
    assert got == _pages(kept(), query, variables)
    assert indexed._indexes and not indexed._windows
    assert len(got) >= 2 or "pageInfo { hasNextPage endCursor } } }" in query


@pytest.mark.parametrize("query", [TASKS, SORTED, LEGS])
def test_the_raw_cap_holds_on_indexed_windows(query: str) -> None:
    variables = {**WINDOW, "tc": "createdTime"} if query is LEGS else WINDOW
    capped = engine(max_window_records=SMALL, raw_record_cap=300)
    reference = engine(max_window_records=10**9, raw_record_cap=300)
    got = _pages(capped, query, variables)
    assert got == _pages(reference, query, variables)
    listed = [r for body in got for r in next(iter(body["data"].values())).get("tasks", [])]
    assert len(listed) == 300 or query is LEGS
    past = {**variables, "cursor": "5"}
    assert run(capped, query, past) == run(reference, query, past)


def test_aggregations_of_indexed_windows() -> None:
    indexed = engine(max_window_records=SMALL)
    for query, variables in [
        (COUNT, WINDOW),
        (COUNT, {**WINDOW, "f": {"channelType": {"equals": "telephony"}}}),
        (GROUPED, WINDOW),
    ]:
        assert run(indexed, query, variables) == run(kept(), query, variables)
    value = run(indexed, COUNT, WINDOW)["data"]["taskDetails"]["tasks"][0]["aggregation"][0]
    assert value == {"name": "count", "value": float(len(truth()))}


def test_the_413_rule_holds_on_indexed_windows() -> None:
    q = """query ($from: Long!, $to: Long!) {
      taskDetails(from: $from, to: $to,
                  extFilter: {activities: {nodes: {eventName: {equals: "no-such-event"}}}}) {
        tasks { id } } }"""
    variables = {"from": NOW_MS - 8 * DAY_MS, "to": NOW_MS}
    result = engine(max_window_records=SMALL).execute(q, variables)
    reference = kept().execute(q, variables)
    assert result.status == reference.status == 413
    assert result.error is not None and reference.error is not None
    assert result.error.message == reference.error.message


class _Counting:
    """A tenant counting the records it renders (and the windows it indexes)."""

    def __init__(self, inner: Tenant) -> None:
        self.inner = inner
        self.rendered = 0
        self.indexed = 0
        self.org_id = inner.org_id

    def record_index(self, *args: Any) -> Any:
        self.indexed += 1
        index = self.inner.record_index(*args)
        counter = self

        class Counted:
            refs = index.refs
            weight = index.weight
            open = index.open
            key_field = index.key_field
            key_of = staticmethod(index.key_of)

            @staticmethod
            def render(refs: Any, with_nodes: bool) -> list[dict[str, Any]]:
                counter.rendered += len(refs)
                return index.render(refs, with_nodes)

        return Counted()


def test_paging_an_indexed_window_renders_each_record_once() -> None:
    counting = _Counting(tenant())
    eng = SearchEngine(counting, lambda: NOW_MS, max_window_records=SMALL)
    count = run(eng, COUNT, WINDOW)["data"]["taskDetails"]["tasks"][0]["aggregation"][0]
    assert counting.rendered == 0  # counting a window renders nothing
    pages = _pages(eng, TASKS, WINDOW)
    rows = [t for body in pages for t in body["data"]["taskDetails"]["tasks"]]
    assert len(rows) == count["value"] == counting.rendered  # each page renders its records
    assert counting.indexed == 1  # the count and every page share one index
    assert [t["id"] for t in rows] == [r["id"] for r in reversed(truth())]


MORE_ACTIVITIES = project_query("task_activities_more")
MORE_SESSION = project_query("agent_activities_more")


def test_a_filter_on_the_record_key_renders_only_that_record() -> None:
    # The pipeline asks for one record's further activities by key, once per long list: on an
    # indexed window each such answer must cost one record, not the window, and equal the
    # answer of a kept window.
    counting = _Counting(tenant())
    eng = SearchEngine(counting, lambda: NOW_MS, max_window_records=SMALL)
    tasks = truth()
    for task in (tasks[0], tasks[len(tasks) // 2], tasks[-1]):
        variables = {**WINDOW, "taskId": task["id"], "after": str(NOW_MS)}
        before = counting.rendered
        got = run(eng, MORE_ACTIVITIES, variables)
        assert counting.rendered - before == 1  # rendered once: filtered, then its page
        assert got == run(kept(), MORE_ACTIVITIES, variables)
        assert [t["id"] for t in got["data"]["taskDetails"]["tasks"]] == [task["id"]]
    for variables in (
        {**WINDOW, "taskId": "no-such-task", "after": str(NOW_MS)},
        {**WINDOW, "taskId": tasks[0]["id"].upper(), "after": str(NOW_MS)},  # exact equality
    ):
        got = run(eng, MORE_ACTIVITIES, variables)
        assert got == run(kept(), MORE_ACTIVITIES, variables)
        assert got["data"]["taskDetails"]["tasks"] == []
    sessions = list(tenant().agent_sessions_records(DAY_START, DAY_END, NOW_MS))
    session = sessions[len(sessions) // 2]
    variables = {**WINDOW, "sessionId": session["agentSessionId"], "after": str(NOW_MS)}
    before = counting.rendered
    got = run(eng, MORE_SESSION, variables)
    assert counting.rendered - before == 1
    assert got == run(kept(), MORE_SESSION, variables)
    # With other conditions the key narrows and the filter still decides.
    both = {"id": {"equals": tasks[0]["id"]}, "channelType": {"equals": "no-such-channel"}}
    got = run(eng, TASKS, {**WINDOW, "f": both})
    assert got == run(kept(), TASKS, {**WINDOW, "f": both})
    assert got["data"]["taskDetails"]["tasks"] == []


def test_a_moving_clock_reindexes_an_open_window() -> None:
    clock = {"now": NOW_MS}
    q = """query($f: Long!, $t: Long!) { taskDetails(from: $f, to: $t) {
      tasks { id isActive endedTime } } }"""
    variables = {"f": NOW_MS - 6 * HOUR_MS, "t": NOW_MS + HOUR_MS}
    indexed = SearchEngine(tenant(), lambda: clock["now"], max_window_records=SMALL)
    reference = SearchEngine(tenant(), lambda: clock["now"])
    before = run(indexed, q, variables)
    assert before == run(reference, q, variables)
    clock["now"] = NOW_MS + 2 * HOUR_MS
    after = run(indexed, q, variables)
    assert after == run(reference, q, variables) and after != before


def test_answers_outlive_the_eviction_of_a_stable_window() -> None:
    eng = engine(max_window_records=SMALL, max_index_records=SMALL * 20)
    first = eng.execute(TASKS, {**WINDOW, "cursor": "1"})
    run(eng, TASKS, {"from": DAY_START - 2 * DAY_MS, "to": DAY_START - DAY_MS})
    assert list(eng._indexes) != [first.cache_key[1][2][0]]  # type: ignore[index]
    again = eng.execute(TASKS, {**WINDOW, "cursor": "1"})
    assert again is first  # the same cached answer: a stable window's identity is its key


def test_results_name_the_next_page_when_the_cursor_is_a_variable() -> None:
    eng = kept()
    result = eng.execute(TASKS, {**WINDOW, "cursor": "NA"})
    assert result.next_variables == {**WINDOW, "cursor": "1"} and result.stable
    whole = """query($from: Long!, $to: Long!, $p: Pagination) {
      taskDetails(from: $from, to: $to, pagination: $p) { tasks { id } pageInfo { endCursor } } }"""
    result = eng.execute(whole, {**WINDOW, "p": None})
    assert result.next_variables == {**WINDOW, "p": {"cursor": "1"}}
    literal = """query($from: Long!, $to: Long!) {
      taskDetails(from: $from, to: $to, pagination: {cursor: "1"}) { tasks { id } } }"""
    assert eng.execute(literal, WINDOW).next_variables is None
    last = eng.execute(TASKS, {**WINDOW, "cursor": "1"})  # the window's last page
    assert orjson.loads(last.body)["data"]["taskDetails"]["pageInfo"]["endCursor"] is None
    assert last.next_variables is None


def _token(client: AsgiClient) -> str:
    return str(
        client.post(
            "/v1/access_token",
            data={
                "grant_type": "refresh_token",
                "client_id": "sandbox-client",
                "client_secret": "sandbox-secret",
                "refresh_token": "sandbox-refresh",
            },
        ).json()["access_token"]
    )


def _app_client(**kwargs: Any) -> tuple[AsgiClient, Any, str]:
    app = create_app(tenant(), now_ms=NOW_MS, budget_per_minute=0, **kwargs)
    client = AsgiClient(app)
    return client, app.state.sandbox, _token(client)


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_the_app_computes_the_next_pages_ahead(encoding: str) -> None:
    client, state, token = _app_client()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": encoding}
    window = {"from": DAY_START - 2 * DAY_MS, "to": DAY_END}  # 6 pages
    reference = SearchEngine(tenant(), lambda: NOW_MS)  # same answers, same cache keys
    pages = [reference.execute(TASKS, {**window, "cursor": str(n)}) for n in range(5)]
    body = {"query": TASKS, "variables": {**window, "cursor": "0"}}
    assert client.post("/search", json=body, headers=headers).status_code == 200
    ahead = 2 if encoding == "gzip" else 1  # with gzip, one more while one is compressed
    cached = [p.cache_key in state.engine._answers for p in pages[1:4]]
    assert cached == [n < ahead for n in range(3)]
    body = {"query": TASKS, "variables": {**window, "cursor": "1"}}
    second = client.post("/search", json=body, headers=headers)
    assert orjson.loads(second.content) == orjson.loads(pages[1].body)
    assert [p.cache_key in state.engine._answers for p in pages[2:4]] == [True, ahead == 2]


def test_pages_computed_ahead_are_gzipped_ahead() -> None:
    client, state, token = _app_client()
    query = project_query("task_details")  # every CSR field: over 1 MB a page
    window = {"from": DAY_START - 2 * DAY_MS, "to": DAY_END}
    headers = {"Authorization": f"Bearer {token}"}  # httpx asks for gzip
    reference = SearchEngine(tenant(), lambda: NOW_MS)
    second = reference.execute(query, {**window, "cursor": "1"})
    assert len(second.body) > 1024 * 1024
    first = client.post("/search", json={"query": query, "variables": window}, headers=headers)
    assert first.headers["content-encoding"] == "gzip"
    assert second.cache_key in state._gzipped or second.cache_key in state._gzipping
    body = {"query": query, "variables": {**window, "cursor": "1"}}
    response, raw = client.raw("POST", "/search", json=body, headers=headers)
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == second.body


def test_the_app_computes_nothing_ahead_of_a_window_that_can_change() -> None:
    app = create_app(tenant(), budget_per_minute=0, clock=ManualClock(NOW_MS / 1000))
    client = AsgiClient(app)
    state = app.state.sandbox
    token = _token(client)
    window = {"from": DAY_START, "to": NOW_MS + HOUR_MS}  # open tasks, the clock moves
    body = {"query": TASKS, "variables": {**window, "cursor": "0"}}
    answer = client.post("/search", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert orjson.loads(answer.content)["data"]["taskDetails"]["pageInfo"]["hasNextPage"]
    assert len(state.engine._answers) == 1


def test_cache_size_option() -> None:
    _client, state, _token = _app_client(cache_mb=3)
    assert state.engine.max_cached_bytes == 3 * 1024 * 1024
    assert state._gzip_budget == 3 * 1024 * 1024 // 4


def test_cli_cache_mb_option_and_config_key(tmp_path: Any) -> None:
    from sandbox.cli import _options, _parser

    config = tmp_path / "sandbox.yaml"
    config.write_text("sandbox:\n  cache_mb: 1024\n", encoding="utf-8")
    args = _parser().parse_args(["serve", "--config", str(config)])
    assert _options(args, ["cache_mb"])["cache_mb"] == 1024
    args = _parser().parse_args(["serve", "--config", str(config), "--cache-mb", "64"])
    assert _options(args, ["cache_mb"])["cache_mb"] == 64
    assert _options(_parser().parse_args(["serve"]), ["cache_mb"])["cache_mb"] is None


@pytest.mark.parametrize(
    "name", ["task_details", "task", "task_leg_details", "agent_sessions", "task_activities"]
)
def test_a_plain_selection_projects_records_as_the_compiled_projection(name: str) -> None:
    """The project's all-fields queries select every member of a record in its order, so the
    projection passes the record through (less its trailing members): byte for byte the same
    as the compiled projection, for records open or ended, and for records laid out otherwise."""
    from sandbox.search import render as projection
    from sandbox.search.plan import compile_operation
    from sandbox.search.roots import ROOTS

    op = compile_operation(project_query(name), {"from": DAY_START, "to": NOW_MS}, None)
    root = op.roots[0].sel
    spec = ROOTS[root.name]
    (records_sel,) = root.child(spec.list_field)
    options = projection._Options(None, spec.aliases, spec.global_variables)
    compiled = projection._build(records_sel.children, spec.record_type, options, fast=False)
    render = projection.build_renderer(
        records_sel.children,
        record_type=spec.record_type,
        aliases=spec.aliases,
        global_variables=spec.global_variables,
    )
    if name == "task_details":
        assert projection._plain(records_sel.children, spec.aliases, True, top=True)
    read = getattr(tenant(), spec.source)
    window = (DAY_START - DAY_MS, NOW_MS, NOW_MS)
    records = list(read(*window) if spec.source == "agent_sessions_records" else read(*window))
    assert any(r["isActive"] for r in records) and any(not r["isActive"] for r in records)
    for r in records[:300] + records[-300:]:
        assert orjson.dumps(render(r)) == orjson.dumps(compiled(r))
        # laid out otherwise, and so without the model's layout promise (sandbox.layout)
        shuffled = {k: v for k, v in reversed(list(r.items())) if k != "_layout"}
        assert orjson.dumps(render(shuffled)) == orjson.dumps(compiled(shuffled))


def test_a_session_its_page_rendered_is_not_rendered_again_for_its_further_pages() -> None:
    """The pipeline pages a window's sessions with their activities, then asks each long
    channel's further pages by session key: those records come from the page that rendered
    them (within ``max_page_weight``), with the same bytes as rendering them again."""
    page = {**WINDOW, "cursor": "NA"}
    answers: dict[int, list[bytes]] = {}
    renders: dict[int, int] = {}
    for weight in (25_000, 0):  # pages kept, and none
        counting = _Counting(tenant())
        eng = SearchEngine(
            counting, lambda: NOW_MS, max_window_records=SMALL, max_page_weight=weight
        )
        body = eng.execute(project_query("agent_activities"), page).body
        sessions = orjson.loads(body)["data"]["agentSession"]["agentSessions"]
        assert (
            len(sessions) > 10
            and not orjson.loads(body)["data"]["agentSession"]["pageInfo"]["hasNextPage"]
        )
        after_page = counting.rendered
        got = [body]
        for s in sessions:
            variables = {**WINDOW, "sessionId": s["agentSessionId"], "after": str(NOW_MS)}
            got.append(eng.execute(MORE_SESSION, variables).body)
        answers[weight] = got
        renders[weight] = counting.rendered - after_page
    assert answers[25_000] == answers[0]
    assert renders == {25_000: 0, 0: len(answers[0]) - 1}


def test_no_page_is_computed_ahead_of_records_kept_for_their_further_pages() -> None:
    """The next page computed ahead, while the client asks a page's further activities, would
    push that page's records out of ``max_page_weight`` (each then rendered again): a page
    whose records are kept names no next page; one that keeps none (no activities) does."""
    window = {"from": DAY_START - 12 * DAY_MS, "to": DAY_END}  # over 250 sessions: two pages
    eng = SearchEngine(tenant(), lambda: NOW_MS, max_window_records=SMALL)
    with_activities = eng.execute(project_query("agent_activities"), {**window, "cursor": "NA"})
    answer = orjson.loads(with_activities.body)["data"]["agentSession"]
    assert answer["pageInfo"]["hasNextPage"] and eng._page_records
    assert with_activities.next_variables is None
    sessions = eng.execute(project_query("agent_sessions"), {**window, "cursor": "NA"})
    assert sessions.next_variables is not None


def test_a_serving_engine_freezes_what_a_request_leaves_alive() -> None:
    """With ``gc_freeze``, a request leaving many objects alive (a page of sessions kept for
    their further pages) moves them out of the collector's generations, as a window read
    does; a request leaving little (a cached answer) freezes nothing."""
    eng = SearchEngine(tenant(), lambda: NOW_MS, max_window_records=SMALL, gc_freeze=True)
    page = {**WINDOW, "cursor": "NA"}
    eng.execute(project_query("agent_sessions_count"), WINDOW)  # reads the window
    try:
        frozen = gc.get_freeze_count()
        eng.execute(project_query("agent_activities"), page)
        assert eng._page_records and gc.get_freeze_count() > frozen
        frozen = gc.get_freeze_count()
        eng.execute(project_query("agent_activities"), page)  # the cached answer
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_further_pages_rendered_by_a_rebound_renderer_equal_fresh_ones() -> None:
    """A further-activities request differs from the previous one in its activities' ``after``
    (and its key): its renderer is the previous one's source with its own projectors, and its
    answers equal those of an engine building every renderer anew."""
    eng = SearchEngine(tenant(), lambda: NOW_MS, max_window_records=SMALL)
    page = orjson.loads(eng.execute(project_query("agent_activities"), WINDOW).body)
    sessions = page["data"]["agentSession"]["agentSessions"]
    built = 0
    for s in sessions[:6]:
        for channel in s["channelInfo"]:
            for node in channel["activities"]["nodes"][::7]:
                after = str(node["startTime"])
                variables = {**WINDOW, "sessionId": s["agentSessionId"], "after": after}
                fresh = SearchEngine(tenant(), lambda: NOW_MS, max_window_records=SMALL)
                assert eng.execute(MORE_SESSION, variables).body == (
                    fresh.execute(MORE_SESSION, variables).body
                )
                built += 1
    # built once for the page query and once for the further pages; the others rebound
    assert built > 10 and len(eng._renderer_shapes) == 2 and len(eng._renderers) == 2


def test_records_projected_in_place_only_when_one_selection_reads_them() -> None:
    """An indexed window's page records are projected in place (not copied) when nothing else
    holds them; a page selecting its list twice (aliases) projects copies, so the second
    selection still sees every member. (channelMetaData: whole records, not lean ones.)"""
    query = """query($from: Long!, $to: Long!) {
      taskDetails(from: $from, to: $to) {
        a: tasks { id status }
        b: tasks { id status channelType channelMetaData { inBoundTranscript } }
      }
    }"""
    indexed = SearchEngine(tenant(), lambda: NOW_MS, max_window_records=SMALL)
    got = run(indexed, query, WINDOW)
    assert got == run(kept(), query, WINDOW)
    b = got["data"]["taskDetails"]["b"]
    assert b and all(r["channelType"] for r in b)
    legs = project_query("task_leg_details")
    assert _pages(indexed, legs, WINDOW) == _pages(kept(), legs, WINDOW)
