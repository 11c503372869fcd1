"""Fields seen in real clients but not in the data dictionaries (sandbox/README.md, "Requests real
clients send"): served with the type the source shows, and filters, sorts and group-bys read the
same values the answer shows."""

from __future__ import annotations

from typing import Any

from tests.sandbox._search_support import DAY_END, DAY_START, NOW_MS, engine, run, tenant, truth

HALF_DAY = 43_200_000


def _data(query: str) -> dict[str, Any]:
    body = run(engine(), query)
    assert body["_status"] == 200 and "errors" not in body, body.get("errors")
    answer: dict[str, Any] = body["data"]
    return answer


def _tasks(args: str = "", start: int = DAY_START, end: int = DAY_START + HALF_DAY) -> list[Any]:
    query = (
        f"{{ taskDetails(from: {start}, to: {end}{args}) {{ tasks {{ id channelType owner {{ id }}"
        " isRealtimeTranscriptionEnabled lastQueue { duration durationBusinessHours } }"
        " pageInfo { hasNextPage } } }"
    )
    answer = _data(query)["taskDetails"]
    assert not answer["pageInfo"]["hasNextPage"]
    tasks: list[Any] = answer["tasks"]
    return tasks


def test_realtime_transcription_is_a_seeded_share_of_answered_voice_calls() -> None:
    tasks = _tasks()
    assert all(isinstance(t["isRealtimeTranscriptionEnabled"], bool) for t in tasks)
    on = [t for t in tasks if t["isRealtimeTranscriptionEnabled"]]
    answered_voice = [
        t for t in tasks if t["channelType"] == "telephony" and t["owner"]["id"] is not None
    ]
    assert all(t in answered_voice for t in on)
    assert 0.2 < len(on) / len(answered_voice) < 0.6
    # the same on every request, and what a filter and a group-by read
    assert _tasks() == tasks
    flt = ", filter: {isRealtimeTranscriptionEnabled: {equals: true}}"
    assert [t["id"] for t in _tasks(flt)] == [t["id"] for t in on]
    query = (
        f"{{ taskDetails(from: {DAY_START}, to: {DAY_START + HALF_DAY}, "
        'aggregations: [{field: "id", type: count, name: "n"}]) '
        "{ tasks { isRealtimeTranscriptionEnabled aggregation { value } } } }"
    )
    rows = {
        r["isRealtimeTranscriptionEnabled"]: r["aggregation"][0]["value"]
        for r in _data(query)["taskDetails"]["tasks"]
    }
    assert rows == {False: float(len(tasks) - len(on)), True: float(len(on))}


def test_queue_business_hours_duration_is_the_queue_time() -> None:
    tasks = _tasks()
    assert any(t["lastQueue"]["duration"] for t in tasks)
    assert all(t["lastQueue"]["durationBusinessHours"] == t["lastQueue"]["duration"] for t in tasks)
    flt = ", filter: {lastQueue: {durationBusinessHours: {gt: 60000}}}"
    assert [t["id"] for t in _tasks(flt)] == [
        t["id"] for t in tasks if (t["lastQueue"]["duration"] or 0) > 60_000
    ]
    legs = _data(
        f"{{ taskLegDetails(from: {DAY_START}, to: {DAY_END}) "
        "{ taskLegs { queue { duration durationBusinessHours } } } }"
    )["taskLegDetails"]["taskLegs"]
    assert legs and all(
        leg["queue"]["durationBusinessHours"] == leg["queue"]["duration"] for leg in legs
    )


def test_agent_activity_reason_is_the_idle_code() -> None:
    query = (
        f"{{ agentSession(from: {DAY_START}, to: {DAY_END}) {{ agentSessions {{ channelInfo {{"
        " overallEvalScore wordRatioTotalScore wordRatioCount evalInteractionsCount"
        " activities(first: 100) { nodes { state reason idleCode { name } } } } } } }"
    )
    sessions = _data(query)["agentSession"]["agentSessions"]
    nodes = [n for s in sessions for c in s["channelInfo"] for n in c["activities"]["nodes"]]
    idle = [n for n in nodes if n["state"] == "idle"]
    assert idle and all(n["reason"] == n["idleCode"]["name"] for n in idle)
    assert all(n["reason"] is None for n in nodes if n["state"] != "idle")
    channels = [c for s in sessions for c in s["channelInfo"]]
    assert all(c["overallEvalScore"] is None and c["wordRatioCount"] is None for c in channels), (
        "the sandbox's human agents are not evaluated"
    )
    records = list(tenant().agent_sessions_records(DAY_START, DAY_END, NOW_MS))
    want = {
        r["agentSessionId"]
        for r in records
        for c in r["channelInfo"]
        for n in c["_activities"]
        if n["state"] == "idle" and n["idleCode"]["name"] == "Lunch"
    }
    got = _data(
        f"{{ agentSession(from: {DAY_START}, to: {DAY_END}, extFilter: {{channelInfo: "
        '{activities: {nodes: {reason: {equals: "Lunch"}}}}}) '
        "{ agentSessions { agentSessionId } } }"
    )["agentSession"]["agentSessions"]
    assert want and {s["agentSessionId"] for s in got} == want


def test_derived_values_do_not_change_the_records() -> None:
    # the data model's records (and so the truth the pipeline is checked against) are untouched
    assert all("isRealtimeTranscriptionEnabled" not in r for r in truth())


def test_older_list_fields_hold_the_last_linked_objects() -> None:
    query = (
        f"{{ taskDetails(from: {DAY_START}, to: {DAY_START + HALF_DAY}) {{ tasks {{ id"
        " lastQueue { id name duration } lastTeam { id name } lastSite { id name }"
        " owner { id name } queues { id name duration } teams { id name }"
        " contributors { id name } sites { id name } } } }"
    )
    tasks = _data(query)["taskDetails"]["tasks"]
    assert any(t["queues"] for t in tasks) and any(not t["queues"] for t in tasks)
    for t in tasks:
        for older, last in (
            ("queues", "lastQueue"),
            ("teams", "lastTeam"),
            ("sites", "lastSite"),
            ("contributors", "owner"),
        ):
            assert t[older] == ([t[last]] if t[last]["id"] is not None else []), (older, t)
