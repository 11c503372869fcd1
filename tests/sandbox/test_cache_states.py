"""The same seed and volume give byte-identical answers whatever the caches hold.

A cold engine (nothing simulated, nothing rendered), a warm one (the days simulated and the
answers cached by earlier requests, other windows served in between), and one whose caches are
too small to hold anything (windows indexed, days dropped and simulated again between pages,
two windows paged side by side) must send the same bytes for every page of the pipeline's own
queries, including the further-activity pages it asks by record key.
"""

from __future__ import annotations

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
