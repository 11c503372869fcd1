"""The model keeps the record layouts it promises (``sandbox.layout``): the Search projection
answers records carrying a layout without checking them, so every record of whole days, seen
while tasks and sessions are open and after, must keep it; a record breaking its promise would
be answered with wrong members, so a layout that does not fit a selection must not be trusted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from queries import graphql
from sandbox.layout import LAYOUT_KEY, Layout, conforms
from sandbox.model import CSR_LAYOUT, LEAN_FIELDS, NODES_LAYOUT, Tenant
from sandbox.records import CHANNEL_LAYOUT, CLR_LAYOUT
from sandbox.search.engine import SearchEngine
from sandbox.search.render import _keeps
from tests.sandbox._search_support import (
    DAY_END,
    DAY_MS,
    DAY_START,
    NOW_MS,
    SEED,
    TASKS_PER_DAY,
    tenant,
)

# Mid-day (tasks and sessions open) and the next day (the previous day all ended).
NOWS = [NOW_MS, DAY_END + DAY_MS]


def test_every_task_keeps_the_csr_layout_with_and_without_nodes() -> None:
    t = tenant()
    seen = 0
    for now in NOWS:
        refs = t.record_index("tasks", DAY_START, DAY_END + DAY_MS, now)
        for with_nodes in (True, False):
            for rec in refs.render(refs.refs, with_nodes):
                assert rec[LAYOUT_KEY] is CSR_LAYOUT
                assert conforms(rec, CSR_LAYOUT) is None, rec["id"]
                seen += 1
        assert any(r["isActive"] for r in t.tasks(DAY_START, now, now)) or now != NOW_MS
    for rec in t.legacy_tasks(DAY_START, DAY_END, NOW_MS):
        assert conforms(rec, CSR_LAYOUT) is None  # entryPoint added after the layout's members
        assert list(rec)[-1] == "entryPoint"
    assert seen > 1000


def test_every_leg_and_session_channel_keeps_its_layout() -> None:
    t = tenant()
    legs = sessions = 0
    for now in NOWS:
        for leg in t.task_legs(DAY_START, DAY_END, now):
            assert leg[LAYOUT_KEY] is CLR_LAYOUT
            assert conforms(leg, CLR_LAYOUT) is None, leg["id"]
            legs += 1
        for session in t.agent_sessions_records(DAY_START, DAY_END, now):
            for channel in session["channelInfo"]:
                assert channel[LAYOUT_KEY] is CHANNEL_LAYOUT
                assert conforms(channel, CHANNEL_LAYOUT) is None, channel["channelId"]
                sessions += 1
    assert legs > 500 and sessions > 20


def test_a_layout_is_trusted_only_for_a_selection_it_fits() -> None:
    keys = list(CSR_LAYOUT.keys[:3])
    assert _keeps(CSR_LAYOUT, keys, [], top=True)
    assert not _keeps(CSR_LAYOUT, [keys[1], keys[0]], [], top=True)  # another order
    assert not _keeps(CSR_LAYOUT, keys[:2], [], top=False)  # a node or nested object: exact
    # a selected nested object with fewer members than the record's
    assert not _keeps(CSR_LAYOUT, ["id"], [("customer", ["name"], [])], top=True)
    assert not _keeps(Layout(("id",)), ["id"], [("customer", ["name"], [])], top=True)


def test_an_all_fields_answer_from_trusted_records_has_no_private_member() -> None:
    """Records answered by their layout lose their private members (``_layout`` too) and keep
    the schema's order."""
    t = tenant()
    eng = SearchEngine(t, lambda: NOW_MS)
    variables = {"from": DAY_START, "to": DAY_END, "cursor": "NA"}
    body = orjson.loads(eng.execute(graphql("task_details"), variables).body)
    tasks = body["data"]["taskDetails"]["tasks"]
    assert tasks and all(LAYOUT_KEY not in r and "_activities" not in r for r in tasks)
    assert list(tasks[0]) == list(CSR_LAYOUT.keys[: len(tasks[0])])


def test_nodes_only_records_hold_the_same_nodes_as_whole_ones() -> None:
    """An activities page without a filter is answered from records holding only the task's key,
    createdTime and nodes (``RecordRefs.render_nodes``): the same nodes, byte for byte."""
    t = tenant()
    for now in NOWS:
        refs = t.record_index("tasks", DAY_START, DAY_END + DAY_MS, now)
        assert refs.render_nodes is not None and refs.nodes_fields == {
            "id",
            "createdTime",
            "channelType",
        }
        whole = refs.render(refs.refs, True)
        only = refs.render_nodes(refs.refs)
        assert len(only) == len(whole) > 300
        for w, o in zip(whole, only, strict=True):
            assert conforms(o, NODES_LAYOUT) is None
            assert (o["id"], o["createdTime"], o["channelType"]) == (
                w["id"],
                w["createdTime"],
                w["channelType"],
            )
            assert orjson.dumps(o["_activities"]) == orjson.dumps(w["_activities"])
    legacy = t.record_index("legacy_tasks", DAY_START, DAY_END, NOW_MS)
    assert legacy.render_nodes is None  # its records add entryPoint


def test_lean_records_hold_the_same_fields_as_whole_ones() -> None:
    """A task query page without a filter is answered from lean records
    (``RecordRefs.render_lean``): every member they fill is the whole record's, byte for byte,
    and they fill every field the task query reads (so the engine takes them for it)."""
    t = tenant()
    for now in NOWS:
        refs = t.record_index("tasks", DAY_START, DAY_END + DAY_MS, now)
        assert refs.render_lean is not None and refs.lean_fields is LEAN_FIELDS
        whole = refs.render(refs.refs, False)
        lean = refs.render_lean(refs.refs)
        assert len(lean) == len(whole) > 300
        fields = sorted(LEAN_FIELDS)
        for w, o in zip(whole, lean, strict=True):
            assert list(o) == list(w)  # the template's members, in its order
            assert orjson.dumps([o[f] for f in fields]) == orjson.dumps([w[f] for f in fields])
            assert o[LAYOUT_KEY] is None  # never answered as the whole record
    legacy = t.record_index("legacy_tasks", DAY_START, DAY_END, NOW_MS)
    assert legacy.render_lean is None  # its records add entryPoint


def test_the_task_query_is_answered_from_lean_records_with_the_same_bytes() -> None:
    """An indexed window answers the task query's pages from lean records (no other renderer
    called), with the bytes a kept window of whole records answers."""
    called: list[str] = []

    def spied(t: Any) -> Any:
        index = t.record_index

        def record_index(*args: Any, **kwargs: Any) -> Any:
            refs = index(*args, **kwargs)
            render, lean = refs.render, refs.render_lean

            def whole(r: Any, n: bool) -> Any:
                called.append("whole")
                return render(r, n)

            def lean_only(r: Any) -> Any:
                called.append("lean")
                return lean(r)

            return replace(refs, render=whole, render_lean=lean and lean_only)

        t.record_index = record_index
        return t

    kept = SearchEngine(tenant(), lambda: NOW_MS)
    fresh = Tenant(seed=SEED, tasks_per_day=TASKS_PER_DAY)  # not the shared one: spied on
    indexed = SearchEngine(spied(fresh), lambda: NOW_MS, max_window_records=1)
    for cursor in ("0", "1", "2"):
        variables = {"from": DAY_START, "to": DAY_END, "cursor": cursor}
        a = kept.execute(graphql("task"), variables)
        b = indexed.execute(graphql("task"), variables)
        assert a.status == b.status == 200
        assert a.body == b.body
        assert orjson.loads(b.body)["data"]["task"]["tasks"]
    assert called and set(called) == {"lean"}
