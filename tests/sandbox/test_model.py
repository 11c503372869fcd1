"""The sandbox data model: record shape, simulation invariants, open tasks, determinism, laziness."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.clock import HOUR_MS, day_of, day_start, local_minute, weekday
from sandbox.model import (
    CAR_NODE_FIELDS,
    MAX_TASK_LIFETIME_MS,
    MIN_CACHED_DAYS,
    AgentSession,
    DayCache,
    Tenant,
)
from warehouse.schemas import TASK_DETAILS

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
INT32 = (-(2**31), 2**31 - 1)
DICTIONARIES = Path(
    "/work/shared/wxcc/samples/webexsamples_reporting/graphql-sample/DataDictionary"
)

# Friday, Saturday and Sunday (the day daylight time starts: 23 hours long), org-local days.
FRI, SAT, SUN = (
    (date(2024, 3, d) - date(1970, 1, 1)).days for d in (8, 9, 10)
)  # fmt: skip
LATER = day_start(SUN + 10)  # a now after every task of these days has ended

# Events that are phases of a task (they tile its life); the rest are instants.
PHASES = {
    "new": "selfservice",
    "parked": "queue",
    "connect": "ringing",
    "connected": "connected",
    "hold-done": "connected",
    "consult-done": "connected",
    "on-hold": "hold",
    "consulting": "consult",
    "WrapUp": "wrapup",
}
AGENT_STATE = {
    "connect": "ringing",
    "connected": "connected",
    "hold-done": "connected",
    "consult-done": "connected",
    "on-hold": "on-hold",
    "consulting": "consulting",
    "WrapUp": "wrapup",
}


def _outdial_new(node: dict[str, Any]) -> bool:
    return node["entrypointName"] == "EP_Outdial"


def _phases(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's phase nodes, oldest first (an outdial's ``new`` is an instant)."""
    nodes = list(reversed(rec["_activities"]))
    return [
        n
        for n in nodes
        if n["eventName"] in PHASES and not (n["eventName"] == "new" and _outdial_new(n))
    ]


@pytest.fixture(scope="module")
def tenant() -> Tenant:
    return Tenant(seed=42, tasks_per_day=2000)


@pytest.fixture(scope="module")
def busy() -> Tenant:
    return Tenant(seed=7, tasks_per_day=9000)


def _day_records(t: Tenant, day: int, now: int = LATER) -> list[dict[str, Any]]:
    return list(t.tasks(day_start(day), day_start(day + 1), now))


@pytest.fixture(scope="module")
def days(tenant: Tenant) -> dict[int, list[dict[str, Any]]]:
    return {d: _day_records(tenant, d) for d in (FRI, SAT, SUN)}


@pytest.fixture(scope="module")
def busy_days(busy: Tenant) -> dict[int, list[dict[str, Any]]]:
    return {d: _day_records(busy, d) for d in (FRI, SAT)}


def _all_cases(
    tenant: Tenant,
    busy: Tenant,
    days: dict[int, list[dict[str, Any]]],
    busy_days: dict[int, list[dict[str, Any]]],
) -> Iterator[tuple[Tenant, int, list[dict[str, Any]]]]:
    for d, recs in days.items():
        yield tenant, d, recs
    for d, recs in busy_days.items():
        yield busy, d, recs


# --- entities -------------------------------------------------------------------------------


def test_entities_are_listable_and_well_formed(tenant: Tenant) -> None:
    e = tenant.entities
    assert UUID.match(tenant.org_id)
    for group in (
        e.sites,
        e.teams,
        e.queues,
        e.entry_points,
        e.agents,
        e.wrapup_codes,
        e.idle_codes,
    ):
        assert group, "every entity family is populated"
        ids = [x.id for x in group]
        assert len(ids) == len(set(ids)) and all(UUID.match(i) for i in ids)
    assert {q.channel_type for q in e.queues} == {"telephony", "chat", "email", "social"}
    assert {ep.channel_type for ep in e.entry_points} == {"telephony", "chat", "email", "social"}
    logins = [a.sign_in_id for a in e.agents]
    assert len(set(logins)) == len(logins)
    assert all("@" in x for x in logins)
    assert all(a.name and a.phone_number.startswith("+1") and a.skills for a in e.agents)
    team_ids = {t.id for t in e.teams}
    assert all(a.team_id in team_ids for a in e.agents)
    gv = {g.name: g.type for g in e.global_variables}
    for name in ("GV1", "GV2", "GV59", "Global_Language", "BooleanGV", "DateAndTime"):
        assert name in gv
    assert set(gv.values()) == {"string", "integer", "long", "double", "boolean"}


def test_workforce_grows_with_volume(tenant: Tenant, busy: Tenant) -> None:
    # Square-root staffing: 4.5 times the volume needs fewer than 4.5 times the agents.
    assert (
        2 * len(tenant.entities.agents)
        < len(busy.entities.agents)
        < 4.5 * len(tenant.entities.agents)
    )


# --- record shape ---------------------------------------------------------------------------


def _expected_top_level() -> dict[str, set[str] | None]:
    """CSR top-level keys -> member names (None for scalars), from the warehouse schema."""
    out: dict[str, set[str] | None] = {}
    for c in TASK_DETAILS.columns:
        head, *rest = c.api_path.split(".")
        if rest:
            members = out.setdefault(head, set())
            assert members is not None
            members.add(".".join(rest))
        else:
            out[head] = None
    out["owner"] = {"id", "name"}
    out["sentiment"] = None
    return out


def _flatten(obj: dict[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for k, v in obj.items():
        if isinstance(v, dict) and k not in ("globalVariables",):
            keys |= _flatten(v, f"{prefix}{k}.")
        else:
            keys.add(f"{prefix}{k}")
    return keys


def test_every_csr_field_path_is_present_and_typed(days: dict[int, list[dict[str, Any]]]) -> None:
    expected = _expected_top_level()
    paths = {c.api_path for c in TASK_DETAILS.columns} | {"owner.id", "owner.name", "sentiment"}
    types = {c.api_path: c.graphql_type for c in TASK_DETAILS.columns}
    kinds = {c.api_path: c.kind for c in TASK_DETAILS.columns}
    for rec in days[FRI]:
        assert set(rec) == set(expected) | {"_globalVariables", "_activities", "_layout"}
        body = {k: v for k, v in rec.items() if not k.startswith("_")}
        assert _flatten(body) == paths
        for path, gtype in types.items():
            value: Any = rec
            for part in path.split("."):
                value = value[part]
            if value is None:
                continue
            if gtype == "Int":
                assert type(value) is int and INT32[0] <= value <= INT32[1], path
            elif gtype == "Long":
                assert type(value) is int and value >= 0, path
                if kinds[path] == "instant":
                    assert 1_000_000_000_000 < value < 4_000_000_000_000, path
            elif gtype == "Boolean":
                assert type(value) is bool, path
            elif gtype == "String":
                assert type(value) is str, path
            elif gtype == "Float":
                assert type(value) is float, path
            else:
                assert isinstance(value, dict | list), path


def test_car_nodes_carry_every_activity_field(days: dict[int, list[dict[str, Any]]]) -> None:
    for rec in days[FRI]:
        assert rec["_activities"], "every task has activities"
        ids = [n["id"] for n in rec["_activities"]]
        assert len(ids) == len(set(ids))
        for n in rec["_activities"]:
            assert tuple(n) == CAR_NODE_FIELDS
            assert n["id"] == f"{rec['id']}-{n['createdTime']}-{n['id'].split('-', 6)[6]}"
            assert n["id"].startswith(f"{rec['id']}-{n['createdTime']}-")
            assert n["entrypointId"] == rec["lastEntryPoint"]["id"]
            assert (
                n["destinationAgentPhoneNumber"] is None
                or type(n["destinationAgentPhoneNumber"]) is int
            )
        created = [n["createdTime"] for n in rec["_activities"]]
        assert created == sorted(created, reverse=True), "newest first"


@pytest.mark.skipif(not DICTIONARIES.exists(), reason="Cisco's data dictionaries are not here")
def test_field_lists_match_cisco_dictionaries() -> None:
    def fields(name: str) -> list[str]:
        rows = (DICTIONARIES / f"{name}.md").read_text(encoding="utf-8").splitlines()
        cells = [
            r.split("|")[1].strip() for r in rows if r.startswith("|") and not r.startswith("|--")
        ]
        return [c for c in cells if c and c != "Field Name"]

    car = [
        f.removeprefix("activities.nodes.")
        for f in fields("CAR")
        if f.startswith("activities.nodes.")
    ]
    assert tuple(car) == CAR_NODE_FIELDS
    csr = [f for f in fields("CSR") if "GlobalVariables." not in f]
    assert csr == [c.api_path for c in TASK_DETAILS.columns]


def test_global_variables_are_typed_and_agree(
    days: dict[int, list[dict[str, Any]]], tenant: Tenant
) -> None:
    defs = {g.name: g.type for g in tenant.entities.global_variables}
    py = {"string": str, "integer": int, "long": int, "double": float, "boolean": bool}
    seen_types = set()
    for rec in days[FRI]:
        gvs = rec["_globalVariables"]
        assert {g["name"]: g["value"] for g in gvs} == rec["globalVariables"]
        for g in gvs:
            assert set(g) == {"name", "type", "value"}
            assert defs[g["name"]] == g["type"]
            assert type(g["value"]) is py[g["type"]]
            if g["type"] == "integer":
                assert INT32[0] <= g["value"] <= INT32[1]
            seen_types.add(g["type"])
    assert seen_types == set(py)


def test_channel_specific_fields(days: dict[int, list[dict[str, Any]]]) -> None:
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in days[FRI]:
        by_channel[rec["channelType"]].append(rec)
    assert set(by_channel) == {"telephony", "chat", "email", "social"}
    for rec in by_channel["email"]:
        assert rec["channelMetaData"]["email"]["subject"] and rec["emailMessageId"]
        assert rec["customer"]["email"] and rec["emailDate"] < rec["createdTime"]
    for rec in by_channel["chat"]:
        assert rec["channelMetaData"]["chat"]["chatReason"]
        assert rec["emailMessageId"] is None
    for rec in by_channel["telephony"]:
        assert (
            rec["emailMessageId"] is None and rec["channelMetaData"]["chat"]["chatReason"] is None
        )
        number = rec["destination"] if rec["direction"] == "outdial" else rec["origin"]
        assert number.startswith("+1") and rec["customer"]["phoneNumber"] == number
    assert {r["channelSubType"] for r in by_channel["social"]} == {"facebook", "whatsapp", "sms"}
    assert {r["direction"] for r in days[FRI]} == {"inbound", "outdial"}
    assert all(r["isOutdial"] == (r["direction"] == "outdial") for r in days[FRI])


def test_missing_linked_objects_are_objects_of_nulls(days: dict[int, list[dict[str, Any]]]) -> None:
    ivr_only = [r for r in days[FRI] if r["queueCount"] == 0 and r["direction"] == "inbound"]
    assert ivr_only
    for rec in ivr_only:
        assert rec["lastAgent"] == dict.fromkeys(
            ("id", "name", "signInId", "sessionId", "phoneNumber", "channelId")
        )
        assert rec["lastQueue"] == {"id": None, "name": None, "duration": None}
        assert rec["owner"] == {"id": None, "name": None}
        assert rec["lastTeam"] == {"id": None, "name": None}


def test_outcomes_cover_the_contact_center(days: dict[int, list[dict[str, Any]]]) -> None:
    recs = days[FRI] + days[SAT]
    handled = [r for r in recs if r["isContactHandled"] and r["direction"] == "inbound"]
    abandoned = [r for r in recs if r["contactHandleType"] == "abandoned" and r["queueCount"]]
    short = [r for r in recs if r["shortInQueueCount"] == 1]
    ivr = [r for r in recs if r["ivrEndedCount"] == 1]
    outdial = [r for r in recs if r["isOutdial"]]
    callback = [r for r in recs if r["isCallback"]]
    transferred = [r for r in recs if r["transferCount"]]
    consulted = [r for r in recs if r["consultCount"]]
    held = [r for r in recs if r["holdCount"]]
    for group in (handled, abandoned, short, ivr, outdial, callback, transferred, consulted, held):
        assert group
    for r in short:
        assert r["queueDuration"] < 5_000 and r["abandonedType"] == "short"
    for r in callback:
        cb = r["callbackData"]
        assert cb["callbackRequestTime"] and cb["callbackNumber"] == r["customer"]["phoneNumber"]
        if r["isContactHandled"]:
            assert cb["callbackConnectTime"] > cb["callbackRequestTime"]
            first = next(n for n in reversed(r["_activities"]) if n["eventName"] == "connected")
            assert cb["callbackConnectTime"] == first["createdTime"]
            assert (
                cb["callbackAgentName"] == first["agentName"] and cb["callbackStatus"] == "success"
            )
    for r in transferred:
        assert r["queueCount"] == 2 and r["previousQueue"]["id"] != r["lastQueue"]["id"]
        transfer = next(n for n in r["_activities"] if n["eventName"] == "blind-transfer")
        assert transfer["destinationQueueId"] == r["lastQueue"]["id"]
        offers = [n for n in r["_activities"] if n["eventName"] == "connect"]
        if len(offers) == 2:  # offered to a second agent after the transfer
            assert r["previousAgentId"] == offers[1]["agentId"] == transfer["agentId"]
            assert r["lastAgent"]["id"] == offers[0]["agentId"]
        else:
            assert r["previousAgentId"] is None
    # Abandon rate of tasks that reached a queue stays realistic on weekdays.
    queued = [r for r in days[FRI] if r["queueCount"]]
    rate = sum(r["contactHandleType"] in ("abandoned", "short") for r in queued) / len(queued)
    assert 0.01 < rate < 0.15


# --- invariants -----------------------------------------------------------------------------


def test_durations_add_up_and_agree_with_activities(
    tenant: Tenant,
    busy: Tenant,
    days: dict[int, list[dict[str, Any]]],
    busy_days: dict[int, list[dict[str, Any]]],
) -> None:
    for _, _, recs in _all_cases(tenant, busy, days, busy_days):
        for rec in recs:
            assert rec["totalDuration"] == (
                rec["selfserviceDuration"] + rec["queueDuration"] + rec["ringingDuration"]
                + rec["connectedDuration"] + rec["wrapupDuration"]
            )  # fmt: skip
            assert rec["totalDuration"] == rec["endedTime"] - rec["createdTime"]
            assert rec["totalDuration"] <= MAX_TASK_LIFETIME_MS
            phases = _phases(rec)
            # Phases tile the task's life.
            assert phases[0]["createdTime"] == rec["createdTime"]
            for a, b in zip(phases, phases[1:], strict=False):
                assert a["endedTime"] == b["createdTime"]
            assert phases[-1]["endedTime"] == rec["endedTime"]
            sums: Counter[str] = Counter()
            counts: Counter[str] = Counter()
            for n in phases:
                assert n["duration"] == n["endedTime"] - n["createdTime"] >= 0
                sums[PHASES[n["eventName"]]] += n["duration"]
                counts[n["eventName"]] += 1
            assert rec["selfserviceDuration"] == sums["selfservice"]
            assert rec["queueDuration"] == sums["queue"] and rec["queueCount"] == counts["parked"]
            assert rec["ringingDuration"] == sums["ringing"]
            assert rec["connectedDuration"] == sums["connected"] + sums["hold"] + sums["consult"]
            assert rec["connectedCount"] == counts["connected"]
            assert rec["holdDuration"] == sums["hold"] and rec["holdCount"] == counts["on-hold"]
            assert (
                rec["consultDuration"] == sums["consult"]
                and rec["consultCount"] == counts["consulting"]
            )
            assert rec["wrapupDuration"] == sums["wrapup"]
            parked = [n for n in phases if n["eventName"] == "parked"]
            if parked:
                assert rec["lastQueue"]["duration"] == parked[-1]["duration"]
                assert rec["lastQueue"]["id"] == parked[-1]["queueId"]
                assert rec["firstQueueId"] == parked[0]["queueId"]
            agents = [n for n in phases if n["agentId"]]
            if agents:
                assert rec["lastAgent"]["id"] == agents[-1]["agentId"] == rec["owner"]["id"]
                assert rec["lastAgent"]["sessionId"] == agents[-1]["agentSessionId"]
            assert all(n["createdTime"] <= rec["endedTime"] for n in rec["_activities"])
            assert all(not n["isActive"] for n in rec["_activities"])


def _sessions_of(t: Tenant, day: int) -> list[AgentSession]:
    return t.agent_sessions(day_start(day), day_start(day + 1), LATER)


def test_agent_activities_tile_their_sessions(tenant: Tenant, busy: Tenant) -> None:
    for t, d in ((tenant, FRI), (tenant, SAT), (tenant, SUN), (busy, FRI), (busy, SAT)):
        sessions = _sessions_of(t, d)
        assert sessions
        for s in sessions:
            assert s.end_ms is not None and s.start_ms < s.end_ms
            assert {c.channel_type for c in s.channels} == {"telephony", "chat", "email", "social"}
            for c in s.channels:
                acts = c.activities
                assert acts[0].start_ms == s.start_ms and acts[-1].end_ms == s.end_ms
                assert acts[0].is_login and acts[-1].is_logout
                for a, b in zip(acts, acts[1:], strict=False):
                    assert a.end_ms == b.start_ms, "no gap, no overlap"
                assert all(a.end_ms is not None and a.start_ms < a.end_ms for a in acts)
                for a in acts:
                    assert (a.state == "idle") == (a.idle_code is not None)
                    assert (a.task_id is not None) == (a.state not in ("available", "idle"))


def test_agents_work_exactly_the_task_intervals(
    tenant: Tenant,
    busy: Tenant,
    days: dict[int, list[dict[str, Any]]],
    busy_days: dict[int, list[dict[str, Any]]],
) -> None:
    for t, d, recs in _all_cases(tenant, busy, days, busy_days):
        from_tasks = set()
        task_ids = {r["id"] for r in recs}
        for rec in recs:
            for n in rec["_activities"]:
                if n["agentId"] and n["eventName"] in AGENT_STATE:
                    key = (n["agentId"], n["agentSessionId"], n["agentChannelId"], rec["id"])
                    from_tasks.add(
                        (*key, AGENT_STATE[n["eventName"]], n["createdTime"], n["endedTime"])
                    )
        from_sessions = set()
        for s in _sessions_of(t, d):
            for c in s.channels:
                for a in c.activities:
                    if a.task_id is not None:
                        # Every agent activity belongs to a task of this org, created the same day.
                        assert a.task_id in task_ids
                        key = (s.agent.id, s.session_id, c.channel_id, a.task_id)
                        from_sessions.add((*key, a.state, a.start_ms, a.end_ms))
        assert from_tasks == from_sessions


def test_an_agent_never_handles_two_voice_tasks_at_once(
    tenant: Tenant,
    busy: Tenant,
    days: dict[int, list[dict[str, Any]]],
    busy_days: dict[int, list[dict[str, Any]]],
) -> None:
    for _, _, recs in _all_cases(tenant, busy, days, busy_days):
        spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for rec in recs:
            if rec["channelType"] != "telephony":
                continue
            per_agent: dict[str, list[int]] = defaultdict(list)
            for n in rec["_activities"]:
                if n["agentId"] and n["eventName"] in AGENT_STATE:
                    per_agent[n["agentId"]] += [n["createdTime"], n["endedTime"]]
            for agent, times in per_agent.items():
                spans[agent].append((min(times), max(times), rec["id"]))
        assert spans
        for agent_spans in spans.values():
            agent_spans.sort()
            for (_, end_a, _), (start_b, _, _) in zip(agent_spans, agent_spans[1:], strict=False):
                assert end_a <= start_b


def test_sessions_of_consecutive_days_never_overlap(tenant: Tenant, busy: Tenant) -> None:
    for t in (tenant, busy):
        by_agent: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for d in (FRI, SAT, SUN):
            for s in _sessions_of(t, d):
                assert s.end_ms is not None
                by_agent[s.agent.id].append((s.start_ms, s.end_ms))
        for spans in by_agent.values():
            spans.sort()
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                assert end < start


# --- arrivals -------------------------------------------------------------------------------


def test_arrivals_follow_business_hours_and_weekdays(
    tenant: Tenant, days: dict[int, list[dict[str, Any]]]
) -> None:
    assert weekday(FRI) == 4 and weekday(SAT) == 5 and weekday(SUN) == 6
    fri, sat = days[FRI], days[SAT]
    assert len(fri) > 1.4 * len(sat)
    hours = Counter(local_minute(r["createdTime"]) // 60 for r in fri)
    assert hours[10] > 10 * max(1, hours[3])
    # Business hours in New York run past midnight UTC: tasks created 00:00-02:00 UTC exist.
    utc_hours = Counter(datetime.fromtimestamp(r["createdTime"] / 1000, UTC).hour for r in fri)
    assert utc_hours[0] + utc_hours[1] > 50
    # tasks_per_day is the average over a week.
    week = [
        tenant.task_count(day_start(d), day_start(d + 1), LATER) for d in range(FRI - 4, FRI + 3)
    ]
    assert 0.9 * 2000 * 7 < sum(week) < 1.1 * 2000 * 7


def test_a_23_hour_day_is_simulated_whole(days: dict[int, list[dict[str, Any]]]) -> None:
    assert day_start(SUN + 1) - day_start(SUN) == 23 * HOUR_MS
    assert all(day_of(r["createdTime"]) == SUN for r in days[SUN])
    assert len(days[SUN]) > 500


# --- the record API -------------------------------------------------------------------------


def test_window_order_and_existence(tenant: Tenant) -> None:
    start = day_start(FRI) + 14 * HOUR_MS
    end = start + 3 * HOUR_MS
    now = start + 2 * HOUR_MS  # the window reaches past now: only tasks created before now
    recs = list(tenant.tasks(start, end, now))
    assert recs and all(start <= r["createdTime"] < now for r in recs)
    keys = [(r["createdTime"], r["id"]) for r in recs]
    assert keys == sorted(keys) and len({r["id"] for r in recs}) == len(recs)
    assert tenant.task_count(start, end, now) == len(recs)
    assert list(tenant.tasks(end, start, now)) == []
    # Windows that cut across days join without gaps or repeats.
    a = list(tenant.tasks(day_start(FRI) - 5 * HOUR_MS, day_start(FRI) + 5 * HOUR_MS, LATER))
    b = list(tenant.tasks(day_start(FRI) - 5 * HOUR_MS, day_start(FRI), LATER)) + list(
        tenant.tasks(day_start(FRI), day_start(FRI) + 5 * HOUR_MS, LATER)
    )
    assert [r["id"] for r in a] == [r["id"] for r in b]


def test_ended_time_windows(tenant: Tenant) -> None:
    start, end = day_start(SAT) - 2 * HOUR_MS, day_start(SAT) + 6 * HOUR_MS
    recs = list(tenant.tasks(start, end, LATER, time_field="endedTime"))
    assert recs and all(start <= r["endedTime"] < end for r in recs)
    assert any(r["createdTime"] < start for r in recs), "tasks created before the window end in it"
    keys = [(r["createdTime"], r["id"]) for r in recs]
    assert keys == sorted(keys)
    expected = [
        r["id"]
        for r in _day_records(tenant, SAT - 1) + _day_records(tenant, SAT)
        if start <= r["endedTime"] < end
    ]
    assert sorted(r["id"] for r in recs) == sorted(expected)
    with pytest.raises(ValueError, match="time_field"):
        list(tenant.tasks(start, end, LATER, time_field="lastActivityTime"))


# --- open tasks and history -----------------------------------------------------------------


@pytest.mark.parametrize("day,hour", [(FRI, 10), (FRI, 15), (SAT, 12)])
def test_open_tasks_at_now(tenant: Tenant, day: int, hour: int) -> None:
    now = day_start(day) + hour * HOUR_MS + 12_345
    recs = list(tenant.tasks(day_start(day), now, now))
    open_ = [r for r in recs if r["isActive"]]
    assert len(open_) > 10
    statuses = Counter(r["status"] for r in open_)
    assert "connected" in statuses
    assert set(statuses) <= {"created", "parked", "ringing", "connected", "wrapup"}
    for r in open_:
        assert r["endedTime"] is None and r["terminationType"] is None
        assert r["terminationReason"] is None and r["contactHandleType"] is None
        assert r["lastWrapupCodeName"] is None and r["csatScore"] is None
        assert r["totalDuration"] == now - r["createdTime"]
        assert r["totalDuration"] == (
            r["selfserviceDuration"] + r["queueDuration"] + r["ringingDuration"]
            + r["connectedDuration"] + r["wrapupDuration"]
        )  # fmt: skip
        nodes = r["_activities"]
        assert all(n["createdTime"] < now for n in nodes)
        active = [n for n in nodes if n["isActive"]]
        assert len(active) == 1 and active[0]["endedTime"] is None
        assert active[0]["duration"] == now - active[0]["createdTime"]
        assert r["status"] == {
            "new": "created", "parked": "parked", "connect": "ringing", "WrapUp": "wrapup",
        }.get(active[0]["eventName"], "connected")  # fmt: skip
        # The active phase is the newest phase; instants after it may follow (recording).
        phases = _phases(r)
        assert phases[-1] is active[0]
    ended = [r for r in recs if not r["isActive"]]
    assert all(r["endedTime"] < now for r in ended)


def test_open_tasks_pass_through_every_phase(tenant: Tenant) -> None:
    seen: Counter[str] = Counter()
    for minute in range(8 * 60, 20 * 60, 7):
        now = day_start(FRI) + minute * 60_000
        for r in tenant.tasks(now - 2 * HOUR_MS, now, now):
            if r["isActive"]:
                seen[r["status"]] += 1
    assert set(seen) == {"created", "parked", "ringing", "connected", "wrapup"}


def test_history_never_depends_on_now(tenant: Tenant) -> None:
    t1 = day_start(FRI) + 16 * HOUR_MS
    t2 = t1 + 2 * HOUR_MS
    at1 = {r["id"]: r for r in tenant.tasks(day_start(FRI), t1, t1)}
    at2 = {r["id"]: r for r in tenant.tasks(day_start(FRI), t1, t2)}
    at_later = {r["id"]: r for r in tenant.tasks(day_start(FRI), t1, LATER)}
    assert at1.keys() == at2.keys() == at_later.keys()
    progressed = 0
    for task_id, r1 in at1.items():
        r2, r3 = at2[task_id], at_later[task_id]
        if not r1["isActive"]:
            assert r1 == r2 == r3, "a task ended before T1 is identical later"
            continue
        if not r2["isActive"]:
            assert r2 == r3, "once ended, the view no longer changes"
            progressed += 1
        # A later now only extends: every activity ended at T1 is unchanged at T2.
        done1 = [n for n in r1["_activities"] if not n["isActive"]]
        ids2 = {n["id"]: n for n in r2["_activities"]}
        assert all(ids2[n["id"]] == n for n in done1)
        assert (
            r1["createdTime"] == r2["createdTime"] and r1["lastEntryPoint"] == r2["lastEntryPoint"]
        )
    assert progressed > 0


def test_open_sessions_at_now(tenant: Tenant) -> None:
    now = day_start(FRI) + 11 * HOUR_MS
    sessions = tenant.agent_sessions(day_start(FRI), day_start(FRI + 1), now)
    assert sessions and all(s.start_ms < now for s in sessions)
    active = [s for s in sessions if s.is_active]
    assert active
    full = {s.session_id: s for s in _sessions_of(tenant, FRI)}
    for s in active:
        for c, c_full in zip(s.channels, full[s.session_id].channels, strict=True):
            *done, current = c.activities
            assert current.end_ms is None and current.start_ms < now
            assert not current.is_logout
            assert list(done) == list(c_full.activities[: len(done)])
            assert current.start_ms == c_full.activities[len(done)].start_ms


# --- determinism and laziness ---------------------------------------------------------------


def test_deterministic_per_seed() -> None:
    start, end, now = day_start(FRI) + 13 * HOUR_MS, day_start(FRI) + 14 * HOUR_MS, LATER
    a = list(Tenant(42, 2000).tasks(start, end, now))
    b = list(Tenant(42, 2000).tasks(start, end, now))
    c = list(Tenant(43, 2000).tasks(start, end, now))
    assert a == b
    assert Tenant(42).org_id == Tenant(42).org_id != Tenant(43).org_id
    assert {r["id"] for r in a}.isdisjoint({r["id"] for r in c})


class _SpyTenant(Tenant):
    """Records which simulation days are produced."""

    def __init__(self, *args: Any) -> None:
        self.simulated: list[int] = []
        super().__init__(*args)

    def _simulate(self, day: int) -> Any:
        self.simulated.append(day)
        return super()._simulate(day)


def test_a_window_simulates_only_its_days() -> None:
    t = _SpyTenant(42, 2000)
    far = day_of(int(datetime(2025, 7, 16, tzinfo=UTC).timestamp() * 1000))
    start = day_start(far) + 10 * HOUR_MS
    now = day_start(far + 30)
    list(t.tasks(start, start + HOUR_MS, now))
    assert t.simulated == [far]
    list(t.tasks(start, start + HOUR_MS, now, time_field="endedTime"))
    assert sorted(set(t.simulated)) == [far - 1, far], "look-back is bounded by the task lifetime"
    t.agent_sessions(start, start + HOUR_MS, now)
    assert sorted(set(t.simulated)) == [far - 1, far]
    # Memory stays bounded: the days kept fit the cache's budget (four at least).
    for d in range(far, far + 10):
        t.task_count(day_start(d), day_start(d + 1), now)
    info = t.day.cache_info()
    assert info.currsize <= info.maxsize and info.bytes <= info.budget


def test_the_day_cache_keeps_days_by_memory() -> None:
    t = _SpyTenant(42, 2000)
    t.day = DayCache(t._simulate, budget=1)  # every day over budget: four are kept
    far = day_of(int(datetime(2025, 7, 16, tzinfo=UTC).timestamp() * 1000))
    for d in range(far, far + 6):
        t.day(d)
    info = t.day.cache_info()
    assert (info.currsize, info.misses) == (MIN_CACHED_DAYS, 6)
    t.day(far + 5)
    t.day(far)  # dropped (least recently used): simulated again, identically
    assert t.simulated == [*range(far, far + 6), far]
    roomy = DayCache(t._simulate, budget=10**12)
    for d in range(far, far + 6):
        roomy(d)
    assert roomy.cache_info().currsize == 6
    assert [(p.id, p.end) for p in roomy(far).tasks] == [(p.id, p.end) for p in t.day(far).tasks]


def test_a_far_day_matches_whether_or_not_earlier_days_ran() -> None:
    day = FRI + 40
    cold = Tenant(42, 2000)
    warm = Tenant(42, 2000)
    for d in range(day - 3, day):
        warm.day(d)
    assert _day_records(cold, day) == _day_records(warm, day)
