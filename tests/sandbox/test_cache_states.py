"""The same seed and volume give byte-identical answers whatever the caches hold.

A cold engine (nothing simulated, nothing rendered), a warm one (the days simulated and the
answers cached by earlier requests, other windows served in between), one whose caches are
too small to hold anything (windows indexed, days dropped and simulated again between pages,
two windows paged side by side), and ones whose days come from the disk cache (written by one
tenant, read by another, as a second process would) must send the same bytes for every page
of the pipeline's own queries, including the further-activity pages it asks by record key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from queries import graphql
from sandbox.model import DayCache, Tenant
from sandbox.search.engine import SearchEngine
from tests.sandbox._search_support import DAY_END, DAY_MS, DAY_START, NOW_MS, SEED, TASKS_PER_DAY

DAYS = [(DAY_START - DAY_MS, DAY_START), (DAY_START, DAY_END)]
# (query file, root, list field, bound variables besides the window and cursor)
RAW = [
    ("task_details", "taskDetails", "tasks", {}),
    ("task_activities", "taskDetails", "tasks", {}),
    ("task", "task", "tasks", {}),
    ("agent_sessions", "agentSession", "agentSessions", {}),
    ("agent_activities", "agentSession", "agentSessions", {}),
    ("task_leg_details", "taskLegDetails", "taskLegs", {}),
    ("task_details", "taskDetails", "tasks", {"timeComparator": "endedTime"}),
]
COUNTS = ["task_details_count", "task_count", "agent_sessions_count", "task_leg_details_count"]


def _cold() -> SearchEngine:
    return SearchEngine(Tenant(SEED, TASKS_PER_DAY), lambda: NOW_MS)


def _starved() -> SearchEngine:
    tenant = Tenant(SEED, TASKS_PER_DAY)
    tenant.day = DayCache(tenant._simulate, max_days=1)  # a day simulated again on each switch
    return SearchEngine(
        tenant, lambda: NOW_MS, max_window_records=1, max_cached_bytes=0, max_index_records=1
    )


def _session(eng: SearchEngine) -> list[bytes]:
    """Every answer of the pipeline's queries over both days, the days' pages interleaved (as
    windows landed side by side ask them), plus one further-activities page per record."""
    out: list[bytes] = []
    for name in COUNTS:
        for start, end in DAYS:
            out.append(eng.execute(graphql(name), {"from": start, "to": end}).body)
    for name, root, list_field, extra in RAW:
        cursors: dict[int, Any] = {0: "NA", 1: "NA"}
        keys: list[str] = []
        while cursors:
            for day in sorted(cursors):
                start, end = DAYS[day]
                variables = {"from": start, "to": end, "cursor": cursors[day], **extra}
                result = eng.execute(graphql(name), variables)
                assert result.status == 200, result.body
                out.append(result.body)
                answer = orjson.loads(result.body)["data"][root]
                keys += [r.get("id") or r.get("agentSessionId") for r in answer[list_field]]
                info = answer["pageInfo"]
                if info["hasNextPage"]:
                    cursors[day] = info["endCursor"]
                else:
                    del cursors[day]
        more = {"task_activities": "task_activities_more", "agent_activities": None}
        if name in more:
            query = graphql(more[name] or "agent_activities_more")
            variable = "taskId" if name == "task_activities" else "sessionId"
            for key in keys[:: max(1, len(keys) // 7)]:
                for start, end in DAYS:
                    variables = {"from": start, "to": end, variable: key, "after": str(NOW_MS)}
                    out.append(eng.execute(query, variables).body)
    return out


def test_answers_do_not_depend_on_the_cache_state() -> None:
    cold = _session(_cold())
    warm = _cold()
    for start, end in [(DAY_START - 3 * DAY_MS, DAY_START - 2 * DAY_MS), *DAYS]:
        warm.tenant.day(int(start // DAY_MS))  # type: ignore[attr-defined]
        warm.execute(graphql("task_details"), {"from": start, "to": end, "cursor": "NA"})
    first = _session(warm)
    again = _session(warm)  # every answer from the answer cache now
    starved = _session(_starved())
    assert len(cold) > 60
    assert first == cold
    assert again == cold
    assert starved == cold


def test_answers_from_days_on_disk_are_the_same(tmp_path: Path) -> None:
    cold = _session(_cold())
    writer = Tenant(SEED, TASKS_PER_DAY, cache_dir=tmp_path)
    written = _session(SearchEngine(writer, lambda: NOW_MS))
    assert writer.day_store is not None
    assert writer.day_store.saved >= 3 and writer.day_store.loaded == 0
    reader = Tenant(SEED, TASKS_PER_DAY, cache_dir=tmp_path)  # a second process, say
    read = _session(SearchEngine(reader, lambda: NOW_MS))
    assert reader.day_store is not None
    assert reader.day_store.loaded == writer.day_store.saved and reader.day_store.saved == 0
    # the days read point at the reading tenant's own entities, not copies
    plan = reader.day(int(DAY_START // DAY_MS))
    assert plan.tasks[0].ep is reader.entities.by_id[plan.tasks[0].ep.id]
    assert written == cold
    assert read == cold
