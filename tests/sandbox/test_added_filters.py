"""Filter fields real clients send that the data dictionaries do not list (sandbox/README.md,
"Requests real clients send"): each is accepted and filters the data as stated."""

from __future__ import annotations

from typing import Any

from tests.sandbox._search_support import DAY_END, DAY_START, NOW_MS, engine, run, tenant, truth


def _answer(query: str) -> dict[str, Any]:
    body = run(engine(), query)
    assert body["_status"] == 200 and "errors" not in body, body.get("errors")
    return body["data"]


def _task_ids(flt: str, first_page_only: bool = True) -> set[str]:
    query = (
        f"{{ taskDetails(from: {DAY_START}, to: {DAY_END}, filter: {flt}) "
        "{ tasks { id } pageInfo { hasNextPage } } }"
    )
    answer = _answer(query)["taskDetails"]
    assert first_page_only and not answer["pageInfo"]["hasNextPage"]
    return {t["id"] for t in answer["tasks"]}


def test_owner_filter_on_task_details() -> None:
    records = truth()
    owned = {r["id"] for r in records if r["owner"]["id"] is not None}
    assert 0 < len(owned) < len(records) <= 500
    got = set()
    # two halves of the day keep each answer within one page
    for start, end in ((DAY_START, DAY_START + 43_200_000), (DAY_START + 43_200_000, DAY_END)):
        query = (
            f"{{ taskDetails(from: {start}, to: {end}, "
            "filter: {owner: {notequals: {id: null}}}) { tasks { id owner { id } } } }"
        )
        tasks = _answer(query)["taskDetails"]["tasks"]
        assert all(t["owner"]["id"] is not None for t in tasks)
        got |= {t["id"] for t in tasks}
    assert got == owned
    agent = next(r["owner"] for r in records if r["owner"]["id"] is not None)
    want = {r["id"] for r in records if r["owner"]["id"] == agent["id"]}
    assert _task_ids(f'{{owner: {{id: {{equals: "{agent["id"]}"}}}}}}') == want
    assert _task_ids(f'{{owner: {{equals: {{name: "{agent["name"]}"}}}}}}') == want


def test_equals_on_queue_and_callback_objects() -> None:
    records = truth()
    queue = next(r["lastQueue"] for r in records if r["lastQueue"]["id"] is not None)
    want = {r["id"] for r in records if r["lastQueue"]["id"] == queue["id"]}
    assert want and _task_ids(f'{{lastQueue: {{equals: {{id: "{queue["id"]}"}}}}}}') == want
    callback = next(r["callbackData"] for r in records if r["callbackData"]["callbackNumber"])
    want = {
        r["id"]
        for r in records
        if r["callbackData"]["callbackNumber"] == callback["callbackNumber"]
        and r["callbackData"]["callbackStatus"] == callback["callbackStatus"]
    }
    flt = (
        f'{{and: [{{callbackData: {{equals: {{callbackNumber: "{callback["callbackNumber"]}"}}}}}}'
        f' {{callbackData: {{equals: {{callbackStatus: "{callback["callbackStatus"]}"}}}}}}]}}'
    )
    assert want and _task_ids(flt) == want


def test_required_and_matched_skills_on_tasks() -> None:
    records = truth()
    skilled = {
        r["id"]
        for r in records
        if any(s["name"] == "Language" and s["value"] == "es" for s in r["requiredSkills"] or ())
    }
    assert skilled
    flt = '{requiredSkills: {name: {equals: "Language"}, type: {equals: "text"}}}'
    assert _task_ids(flt) == skilled
    matched = {r["id"] for r in records if r["matchedSkills"]}
    assert matched and _task_ids('{matchedSkills: {name: {equals: "Language"}}}') == matched
    assert _task_ids('{matchedSkills: {name: {equals: "Language"}, intVal: {gte: 1}}}') == set()


def test_required_skills_on_task_legs() -> None:
    legs = list(tenant().task_legs(DAY_START, DAY_END, NOW_MS))
    want = {leg["id"] for leg in legs if leg["requiredSkills"]}
    assert 0 < len(want) < len(legs)
    query = (
        f"{{ taskLegDetails(from: {DAY_START}, to: {DAY_END}, "
        '     filter: {requiredSkills: {name: {equals: "Language"}}}) '
        "{ taskLegs { id requiredSkills } pageInfo { hasNextPage } } }"
    )
    answer = _answer(query)["taskLegDetails"]
    assert not answer["pageInfo"]["hasNextPage"]
    assert {leg["id"] for leg in answer["taskLegs"]} == want


def _sessions(args: str, channel: str = "channelId") -> list[dict[str, Any]]:
    query = (
        f"{{ agentSession(from: {DAY_START}, to: {DAY_END}, {args}) "
        f"{{ agentSessions {{ agentSessionId agentSkills channelInfo {{ {channel} }} }} }} }}"
    )
    sessions: list[dict[str, Any]] = _answer(query)["agentSession"]["agentSessions"]
    return sessions


def test_agent_skills_filter_on_proficiency() -> None:
    records = list(tenant().agent_sessions_records(DAY_START, DAY_END, NOW_MS))

    def proficient(r: dict[str, Any]) -> bool:
        return any(
            s["name"] == "ProductKnowledge" and s["value"] >= 9 for s in r["agentSkills"] or ()
        )

    want = {r["agentSessionId"] for r in records if proficient(r)}
    assert 0 < len(want) < len(records)
    got = _sessions('filter: {agentSkills: {name: {equals: "ProductKnowledge"}, intVal: {gte: 9}}}')
    assert {s["agentSessionId"] for s in got} == want
    # name and value must hold for the same skill: a text skill has no intVal
    assert _sessions('filter: {agentSkills: {name: {equals: "Language"}, intVal: {gte: 0}}}') == []


def test_agent_channel_id_in_the_session_ext_filter() -> None:
    records = list(tenant().agent_sessions_records(DAY_START, DAY_END, NOW_MS))
    several = next(r for r in records if len(r["channelInfo"]) > 1)
    channel_id = several["channelInfo"][1]["channelId"]
    got = _sessions(f'extFilter: {{agentChannelId: {{equals: "{channel_id}"}}}}')
    assert [s["agentSessionId"] for s in got] == [
        r["agentSessionId"]
        for r in sorted(records, key=lambda r: r["agentSessionId"])
        if any(c["channelId"] == channel_id for c in r["channelInfo"])
    ]
    assert all([c["channelId"] for c in s["channelInfo"]] == [channel_id] for s in got)
