"""Records encoded straight to JSON text (``sandbox.encoded``) are byte for byte what the dict
path answers: every leg of whole days, open and ended, with every number of leading members a
selection may show; and a taskLegDetails answer is the same whether its page is written as text
or projected from the records, for the project's query and for queries that must not take the
text path (aliases, another order, a subset of a nested object, a filter)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from queries import graphql
from sandbox.layout import LAYOUT_KEY
from sandbox.records import CLR_FIELDS, CLR_LAYOUT, render_leg, render_leg_text
from sandbox.search import engine as engine_module
from sandbox.search.engine import SearchEngine
from sandbox.search.plan import compile_operation
from sandbox.search.render import members_as_is
from sandbox.search.roots import ROOTS
from tests.sandbox._search_support import DAY_END, DAY_MS, DAY_START, NOW_MS, tenant

# Mid-day (legs open) and the next day (the previous day all ended).
NOWS = [NOW_MS, DAY_END + DAY_MS]


def _shown(record: dict[str, Any], members: int) -> bytes:
    """What the dict path answers for a selection of the record's first ``members`` members."""
    public = [name for name in record if not name.startswith("_")][:members]
    return orjson.dumps({name: record[name] for name in public})


@pytest.mark.parametrize("members", [len(CLR_FIELDS), 95, 40, 1])
def test_every_leg_as_text_is_its_record_encoded(members: int) -> None:
    t = tenant()
    ctx = t._records_ctx
    seen = open_legs = 0
    for now in NOWS:
        for leg in t._legs(DAY_START - DAY_MS, DAY_END + DAY_MS, now, "createdTime"):
            record = render_leg(leg, now, ctx)
            assert record[LAYOUT_KEY] is CLR_LAYOUT
            assert render_leg_text(leg, now, ctx, members).encode() == _shown(record, members)
            seen += 1
            open_legs += record["isActive"]
    assert seen > 1000 and open_legs > 0


def _list_selection(query: str) -> Any:  # noqa: ANN401 - a Sel
    op = compile_operation(query, {"from": DAY_START, "to": DAY_END}, None)
    return op.roots[0].sel.child("taskLegs")[0]


_LEGS_QUERY = """query($from: Long!, $to: Long!) {
  taskLegDetails(from: $from, to: $to) { taskLegs { %s } pageInfo { hasNextPage endCursor } }
}"""


def _members(fields: str) -> int | None:
    spec = ROOTS["taskLegDetails"]
    sel = _list_selection(_LEGS_QUERY % fields)
    return members_as_is(sel.children, CLR_LAYOUT, spec.aliases, spec.global_variables)


def test_only_selections_showing_leading_members_as_they_are_take_the_text_path() -> None:
    spec = ROOTS["taskLegDetails"]
    project = _list_selection(graphql("task_leg_details"))
    assert members_as_is(project.children, CLR_LAYOUT, spec.aliases, spec.global_variables) == 95
    assert _members("id taskId createdTime") == 3
    assert _members("id entryPoint { id name }") is None  # taskId skipped
    assert _members("taskId id") is None  # another order
    assert _members("first: id taskId") is None  # an alias
    assert _members("__typename id") is None
    assert (
        _members(
            "id taskId createdTime endedTime lastActivityTime isActive status contactState "
            "destination origin channelType channelSubType entryPoint { id }"
        )
        is None
    )  # a nested object in part
    assert (
        _members(
            "id taskId createdTime endedTime lastActivityTime isActive status contactState "
            "destination origin channelType channelSubType entryPoint { id name }"
        )
        == 13
    )


def _pages(eng: SearchEngine, query: str, variables: dict[str, Any]) -> list[bytes]:
    bodies = []
    cursor: str | None = None
    while True:
        result = eng.execute(query, {**variables, "cursor": cursor})
        bodies.append(result.body)
        answer = orjson.loads(result.body)
        if result.status != 200 or "errors" in answer:
            return bodies
        info = answer["data"]["taskLegDetails"]["pageInfo"]
        if not info.get("hasNextPage"):
            return bodies
        cursor = info["endCursor"]


_PAGED = """query($from: Long!, $to: Long!, $cursor: String) {
  taskLegDetails(from: $from, to: $to, pagination: {cursor: $cursor}%s) {
    taskLegs { %s } pageInfo { hasNextPage endCursor }
  }
}"""

QUERIES = {
    "project": graphql("task_leg_details"),
    "leading members": _PAGED % ("", "id taskId createdTime endedTime lastActivityTime isActive"),
    "alias": _PAGED % ("", "id leg: taskId createdTime"),
    "order": _PAGED % ("", "taskId id"),
    "nested subset": _PAGED % ("", "id taskId createdTime endedTime owner { id }"),
    "filter": _PAGED % (", filter: {isActive: {equals: false}}", "id taskId createdTime"),
    "twice": _PAGED.replace("taskLegs {", "a: taskLegs { id } taskLegs {") % ("", "id taskId"),
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_leg_pages_are_the_same_as_text_and_as_records(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine whose windows are all indexed (a tiny record budget) answers every page the
    same with the text path and without it; the project's query takes it."""
    variables = {"from": DAY_START, "to": DAY_END + DAY_MS}
    query = QUERIES[name]
    texts = []
    render_text = engine_module._RawCall._text_renderer

    def counted(self: Any, index: Any, list_sels: Any) -> Any:  # noqa: ANN401
        found = render_text(self, index, list_sels)
        texts.append(found is not None)
        return found

    monkeypatch.setattr(engine_module._RawCall, "_text_renderer", counted)
    for now in NOWS:
        with_text = _pages(
            SearchEngine(tenant(), lambda now=now: now, max_window_records=80), query, variables
        )
        taken = any(texts)
        texts.clear()
        monkeypatch.setattr(engine_module._RawCall, "_text_renderer", lambda *_a: None)
        without = _pages(
            SearchEngine(tenant(), lambda now=now: now, max_window_records=80), query, variables
        )
        monkeypatch.setattr(engine_module._RawCall, "_text_renderer", counted)
        assert len(with_text) > 1
        assert with_text == without
        assert taken == (name in ("project", "leading members"))
