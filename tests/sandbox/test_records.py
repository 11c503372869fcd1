"""Agent sessions (ASR/AAR), task legs (CLR) and legacy task records of the data model."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sandbox.clock import HOUR_MS, day_of, day_start
from sandbox.model import Tenant
from sandbox.records import (
    AAR_NODE_FIELDS,
    ASR_FIELDS,
    CHANNEL_FIELDS,
    CLR_FIELDS,
    OPEN_SESSION_END_TIME,
    _agent_work,
    _task_legs,
    channel_spans,
    render_session,
)

DICTIONARIES = (
    Path(__file__).resolve().parents[1]
    / "fixtures/samples/webexsamples_reporting/graphql-sample/DataDictionary"
)
FRI, SAT = ((date(2024, 3, d) - date(1970, 1, 1)).days for d in (8, 9))  # org-local days
LATER = day_start(SAT + 10)  # every session and task of these days has ended
MID = day_start(FRI) + 15 * HOUR_MS  # Friday 15:00 local: sessions and tasks open
INT32 = (-(2**31), 2**31 - 1)


def _dictionary(name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (DICTIONARIES / name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or line.startswith(("|--", "|:")):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] != "Field Name":
            rows.append((cells[0], cells[1]))
    return rows


ASR = _dictionary("ASR.md")
AAR = _dictionary("AAR.md")
CLR = _dictionary("CLR.md")


@pytest.fixture(scope="module")
def tenant() -> Tenant:
    return Tenant(42, 2000)


@pytest.fixture(scope="module")
def sessions(tenant: Tenant) -> list[dict[str, Any]]:
    return list(tenant.agent_sessions_records(day_start(FRI), day_start(SAT + 1), LATER))


@pytest.fixture(scope="module")
def tasks(tenant: Tenant) -> list[dict[str, Any]]:
    return list(tenant.tasks(day_start(FRI), day_start(SAT + 1), LATER))


@pytest.fixture(scope="module")
def legs(tenant: Tenant) -> list[dict[str, Any]]:
    return list(tenant.task_legs(day_start(FRI), day_start(SAT + 1), LATER))


def _typed(value: Any, gtype: str, path: str) -> None:
    if value is None:
        return
    if gtype == "Int":
        assert type(value) is int and INT32[0] <= value <= INT32[1], path
    elif gtype == "Long":
        assert type(value) is int, path
    elif gtype == "Boolean":
        assert type(value) is bool, path
    elif gtype in ("String", "AgentState"):
        assert type(value) is str, path
    elif gtype == "Float":
        assert type(value) is float, path


# --- agent sessions -------------------------------------------------------------------------


def test_field_lists_match_the_dictionaries() -> None:
    assert list(ASR_FIELDS) == [p for p, _ in ASR if "." not in p]
    assert list(CHANNEL_FIELDS) == [
        p.split(".", 1)[1] for p, _ in ASR if p.startswith("channelInfo.")
    ] + ["ronaCount"]
    nodes = []
    for p, _ in AAR:
        if p.startswith("channelInfo.activities.nodes."):
            head = p.split(".")[3]
            if head not in nodes:
                nodes.append(head)
    assert list(AAR_NODE_FIELDS) == nodes
    heads = []
    for p, _ in CLR:
        head = p.split(".")[0]
        if "GlobalVariables" not in head and head not in heads:
            heads.append(head)
    assert list(CLR_FIELDS) == [*heads, "isChildLeg", "consultCount", "queueDuration"]


def test_every_asr_and_aar_field_is_present_and_typed(sessions: list[dict[str, Any]]) -> None:
    assert sessions
    for s in sessions:
        assert list(s) == [*ASR_FIELDS, "channelInfo"]
        for path, gtype in ASR:
            if path.startswith("channelInfo."):
                for c in s["channelInfo"]:
                    _typed(c[path.split(".", 1)[1]], gtype, path)
            else:
                _typed(s[path], gtype, path)
        for c in s["channelInfo"]:
            assert list(c) == [*CHANNEL_FIELDS, "_activities", "_layout"]
            for n in c["_activities"]:
                assert list(n) == list(AAR_NODE_FIELDS)
                for obj in ("idleCode", "queue", "wrapupCode"):
                    assert set(n[obj]) == {"id", "name"}
                for path, gtype in AAR:
                    if path.startswith("channelInfo.activities.nodes."):
                        value: Any = n
                        for part in path.split(".")[3:]:
                            value = value[part]
                        _typed(value, gtype, path)


def test_aar_nodes_tile_each_channel_newest_first(sessions: list[dict[str, Any]]) -> None:
    ids: set[str] = set()
    for s in sessions:
        assert {c["channelType"] for c in s["channelInfo"]} == {
            "telephony",
            "chat",
            "email",
            "social",
        }
        for c in s["channelInfo"]:
            nodes = list(reversed(c["_activities"]))  # oldest first
            assert nodes[0]["isLoginActivity"] and nodes[0]["startTime"] == s["startTime"]
            logout = nodes[-1]
            assert logout["state"] == "logged-out" and logout["isLogoutActivity"]
            assert logout["startTime"] == logout["endTime"] == s["endTime"]
            assert logout["duration"] == 0
            states = nodes[:-1]
            for a, b in zip(states, states[1:], strict=False):
                assert a["endTime"] == b["startTime"], "no gap, no overlap"
            assert states[-1]["endTime"] == s["endTime"]
            for n in nodes:
                assert n["duration"] == n["endTime"] - n["startTime"]
                assert (
                    n["id"] == f"{c['channelId']}-{c['channelType']}-{n['startTime']}-{n['state']}"
                )
                assert n["id"] not in ids
                ids.add(n["id"])
                assert not n["isCurrentActivity"]
                assert (n["idleCode"]["id"] is not None) == (n["state"] == "idle")
                assert (n["wrapupCode"]["id"] is not None) == (n["state"] == "wrapup")
                assert (n["taskId"] is not None) == (n["outboundType"] is not None)
            assert sum(1 for n in nodes if n["isLoginActivity"]) == 1
            assert sum(1 for n in nodes if n["isLogoutActivity"]) == 1


def test_channel_statistics_agree_with_the_activities(sessions: list[dict[str, Any]]) -> None:
    states: Counter[str] = Counter()
    for s in sessions:
        assert not s["isActive"] and s["agentSignOutReason"] and s["state"] == "logged-out"
        for c in s["channelInfo"]:
            nodes = c["_activities"]
            count: Counter[str] = Counter()
            dur: Counter[str] = Counter()
            for n in nodes:
                key = n["state"] + ("/out" if n["isOutdial"] else "")
                count[key] += 1
                dur[key] += n["duration"]
                states[n["state"]] += 1
            assert c["totalDuration"] == s["endTime"] - s["startTime"] == sum(dur.values())
            assert (c["availableCount"], c["availableDuration"]) == (
                count["available"],
                dur["available"],
            )
            assert (c["idleCount"], c["idleDuration"]) == (count["idle"], dur["idle"])
            assert (c["ringingCount"], c["ringingDuration"]) == (count["ringing"], dur["ringing"])
            assert (c["outdialRingingCount"], c["outdialRingingDuration"]) == (
                count["outdial-reserved/out"],
                dur["outdial-reserved/out"],
            )
            assert c["outdialCount"] == count["outdial-reserved/out"]
            assert c["connectedCount"] == count["connected"]
            assert c["connectedDuration"] == (
                dur["connected"] + dur["hold-done"] + dur["consult-done"]
            )
            assert (c["outdialConnectedCount"], c["outdialConnectedDuration"]) == (
                count["connected/out"],
                dur["connected/out"],
            )
            assert (c["holdCount"], c["holdDuration"]) == (count["on-hold"], dur["on-hold"])
            assert (c["consultCount"], c["consultDuration"]) == (
                count["consulting"],
                dur["consulting"],
            )
            assert (c["wrapupCount"], c["wrapupDuration"]) == (count["wrapup"], dur["wrapup"])
            assert (c["outdialWrapupCount"], c["outdialWrapupDuration"]) == (
                count["wrapup/out"],
                dur["wrapup/out"],
            )
            assert c["currentState"] == "logged-out" and c["lastActivityTime"] == s["endTime"]
            idles = [n for n in nodes if n["state"] == "idle"]
            assert c["idleCodeName"] == (idles[0]["idleCode"]["name"] if idles else None)
    for state in ("available", "idle", "ringing", "connected", "on-hold", "hold-done", "wrapup"):
        assert states[state], state
    assert states["outdial-reserved"] and states["logged-out"]


def test_agent_activities_are_the_tasks_agent_intervals(
    sessions: list[dict[str, Any]], tasks: list[dict[str, Any]]
) -> None:
    """Per channel, the agent's task time in the AAR equals the CAR intervals of its tasks."""
    car: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in tasks:
        out = "/out" if rec["isOutdial"] else ""
        for n in rec["_activities"]:
            if n["agentChannelId"] is None or n["endedTime"] is None:
                continue
            ev = n["eventName"]
            if ev in ("connected", "hold-done", "consult-done", "on-hold", "consulting"):
                car[n["agentChannelId"]]["talk" + out] += n["duration"]
            if ev == "connected":
                car[n["agentChannelId"]]["connected" + out] += 1
            if ev == "connect":
                car[n["agentChannelId"]]["ringing" + out] += n["duration"]
            if ev == "WrapUp":
                car[n["agentChannelId"]]["wrapup" + out] += n["duration"]
            if ev == "blind-transfer":
                car[n["agentChannelId"]]["transfers"] += 1
    seen = 0
    for s in sessions:
        for c in s["channelInfo"]:
            want = car.get(c["channelId"], Counter())
            got = Counter(
                {
                    "talk": c["connectedDuration"] + c["holdDuration"] + c["consultDuration"],
                    "talk/out": c["outdialConnectedDuration"],
                    "connected": c["connectedCount"],
                    "connected/out": c["outdialConnectedCount"],
                    "ringing": c["ringingDuration"],
                    "ringing/out": c["outdialRingingDuration"],
                    "wrapup": c["wrapupDuration"],
                    "wrapup/out": c["outdialWrapupDuration"],
                    "transfers": c["blindTransferCount"],
                }
            )
            assert +got == +want, c["channelId"]
            seen += bool(want)
    assert seen > 20


def test_open_sessions_at_now(tenant: Tenant) -> None:
    open_ = list(tenant.agent_sessions_records(day_start(FRI), day_start(FRI + 1), MID))
    done = {
        s["agentSessionId"]: s
        for s in tenant.agent_sessions_records(day_start(FRI), day_start(FRI + 1), LATER)
    }
    assert open_ and all(s["startTime"] < MID for s in open_)
    active = [s for s in open_ if s["isActive"]]
    assert active
    for s in active:
        assert s["endTime"] == OPEN_SESSION_END_TIME and s["agentSignOutReason"] is None
        assert s["state"] not in (None, "logged-out")
        full = {c["channelId"]: c for c in done[s["agentSessionId"]]["channelInfo"]}
        for c in s["channelInfo"]:
            current, *older = c["_activities"]
            assert current["isCurrentActivity"] and current["endTime"] is None
            assert current["duration"] == MID - current["startTime"]
            assert c["currentState"] == current["state"]
            assert c["totalDuration"] == MID - s["startTime"]
            assert not any(n["isCurrentActivity"] or n["isLogoutActivity"] for n in older)
            # what ended before now is as it will stay
            later = {n["id"]: n for n in full[c["channelId"]]["_activities"]}
            assert all(later[n["id"]] == n for n in older)
    ended = [s for s in open_ if not s["isActive"]]
    for s in ended:
        assert s == done[s["agentSessionId"]], "an ended session no longer changes"


@pytest.mark.parametrize("now", [MID, LATER], ids=["mid-day", "after"])
def test_session_nodes_walk_the_channel_spans(tenant: Tenant, now: int) -> None:
    """``render_session`` walks each channel's states and gaps without listing them first: its
    nodes are ``channel_spans`` (what the reporting and legacy families tile) cut at now, and
    its statistics the same with or without the nodes."""
    plan = tenant.day(FRI)
    ctx = tenant._records_ctx
    checked = 0
    for s in plan.staff:
        if s.start >= now:
            continue
        whole = render_session(s, now, ctx, plan)
        bare = render_session(s, now, ctx, plan, with_nodes=False)
        for c, b in zip(whole["channelInfo"], bare["channelInfo"], strict=True):
            assert b["_activities"] == []
            assert {**c, "_activities": []} == b
            spans = [sp for sp in channel_spans(s, c["channelType"]) if sp[0] < now]
            nodes = [n for n in reversed(c["_activities"]) if not n["isLogoutActivity"]]
            assert [(n["startTime"], n["taskId"]) for n in nodes] == [
                (sp[0], sp[3]) for sp in spans
            ]
            assert [n["endTime"] is None for n in nodes] == [sp[1] >= now for sp in spans]
            assert [n["state"] for n in nodes if n["state"] in ("available", "idle")] == [
                sp[2] for sp in spans if sp[2] in ("available", "idle")
            ]
            checked += len(nodes)
    assert checked > 1000


def test_sessions_window_by_start_time(tenant: Tenant) -> None:
    start, end = day_start(FRI) + 12 * HOUR_MS, day_start(FRI) + 14 * HOUR_MS
    got = list(tenant.agent_sessions_records(start, end, LATER))
    assert got and all(start <= s["startTime"] < end for s in got)
    assert [s["startTime"] for s in got] == sorted(s["startTime"] for s in got)
    assert tenant.agent_session_count(start, end, LATER) == len(got)
    whole = tenant.agent_session_count(day_start(FRI), day_start(FRI + 1), LATER)
    assert whole == len(tenant.day(FRI).staff)


# --- task legs ------------------------------------------------------------------------------


def test_every_clr_field_is_present_and_typed(legs: list[dict[str, Any]]) -> None:
    assert legs
    for leg in legs:
        assert list(leg) == [*CLR_FIELDS, "_globalVariables", "_layout"]
        for path, gtype in CLR:
            head = path.split(".")[0]
            if "GlobalVariables" in head:
                continue
            value: Any = leg
            for part in path.split("."):
                value = value[part]
            _typed(value, gtype, path)


def test_legs_tile_their_task_and_add_up_to_it(
    legs: list[dict[str, Any]], tasks: list[dict[str, Any]]
) -> None:
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for leg in legs:
        by_task[leg["taskId"]].append(leg)
    assert set(by_task) == {t["id"] for t in tasks}
    transferred = 0
    for t in tasks:
        mine = sorted(by_task[t["id"]], key=lambda x: x["createdTime"])
        assert len(mine) == t["transferCount"] + 1
        transferred += len(mine) > 1
        assert mine[0]["createdTime"] == t["createdTime"]
        for a, b in zip(mine, mine[1:], strict=False):
            assert a["endedTime"] == b["createdTime"]
            assert a["blindTransferCount"] == 1 and a["contactState"] == "blind-transfer"
            assert a["nextDestination"]["queue"]["id"] == b["queue"]["id"] is not None
            assert b["interQueueBlindTransferCount"] == 1
        assert mine[-1]["endedTime"] == t["endedTime"]
        for leg in mine:
            assert leg["id"] == f"{t['id']}-callLeg-{leg['createdTime']}"
            assert leg["taskLegCount"] == 1 and not leg["isActive"]
            assert leg["isTaskLegHandled"] == (leg["connectedCount"] > 0)
            assert leg["queueDuration"] == (leg["queue"]["duration"] or 0)
            assert leg["handleTime"] == leg["connectedDuration"] + leg["wrapupDuration"]
            assert leg["_globalVariables"] == t["_globalVariables"]
        for field in (
            "selfserviceDuration",
            "queueDuration",
            "ringingDuration",
            "connectedDuration",
            "holdDuration",
            "wrapupDuration",
            "queueCount",
            "connectedCount",
            "holdCount",
            "consultToEPCount",
            "blindTransferCount",
        ):
            assert sum(leg[field] for leg in mine) == t[field], field
        assert mine[-1]["terminationReason"] == t["terminationReason"]
        owners = [leg["owner"]["id"] for leg in mine if leg["owner"]["id"] is not None]
        assert (owners[-1] if owners else None) == t["lastAgent"]["id"]
    assert transferred > 5


def test_leg_handle_types(legs: list[dict[str, Any]]) -> None:
    kinds = Counter(leg["handleType"] for leg in legs)
    assert set(kinds) == {"normal", "abandoned", "self_service"}
    for leg in legs:
        if leg["handleType"] == "abandoned":
            assert not leg["isTaskLegHandled"]
        if leg["queue"]["id"] is None:
            assert leg["queueCount"] == 0 and leg["isWithinServiceLevel"] is None


def test_legs_window_and_order(tenant: Tenant) -> None:
    start, end = day_start(FRI) + 14 * HOUR_MS, day_start(FRI) + 16 * HOUR_MS
    got = list(tenant.task_legs(start, end, LATER))
    assert got and all(start <= x["createdTime"] < end for x in got)
    assert [(x["createdTime"], x["id"]) for x in got] == sorted(
        (x["createdTime"], x["id"]) for x in got
    )
    assert tenant.task_leg_count(start, end, LATER) == len(got)
    by_end = list(tenant.task_legs(start, end, LATER, time_field="endedTime"))
    assert by_end and all(start <= x["endedTime"] < end for x in by_end)
    assert tenant.task_leg_count(start, end, LATER, "endedTime") == len(by_end)


def test_a_leg_starts_on_its_task_s_simulation_day(tenant: Tenant) -> None:
    """What windows by createdTime rely on: legs never start after their day ends."""
    busy = Tenant(42, 10_000)
    for t, d in ((tenant, FRI), (tenant, SAT), (busy, FRI)):
        plan = t.day(d)
        for leg in t.task_legs(plan.start, plan.end, LATER):
            assert day_of(leg["createdTime"]) == d


def test_open_legs_at_now(tenant: Tenant) -> None:
    legs_mid = list(tenant.task_legs(day_start(FRI), day_start(FRI + 1), MID))
    done = {x["id"]: x for x in tenant.task_legs(day_start(FRI), day_start(FRI + 1), LATER)}
    active = [x for x in legs_mid if x["isActive"]]
    assert active
    for leg in legs_mid:
        assert leg["createdTime"] < MID
        if leg["isActive"]:
            assert leg["endedTime"] is None and leg["handleType"] is None
            assert leg["status"] != "ended"
        else:
            assert leg == done[leg["id"]]


def test_legacy_task_records_add_the_entry_point(tenant: Tenant) -> None:
    start, end = day_start(FRI) + 14 * HOUR_MS, day_start(FRI) + 15 * HOUR_MS
    plain = list(tenant.tasks(start, end, LATER))
    legacy = list(tenant.legacy_tasks(start, end, LATER))
    assert len(plain) == len(legacy) > 0
    for a, b in zip(plain, legacy, strict=True):
        assert b["entryPoint"] == a["lastEntryPoint"] == b["lastEntryPoint"]
        assert {k: v for k, v in b.items() if k != "entryPoint"} == a


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_session_ids_are_uuids(sessions: list[dict[str, Any]]) -> None:
    assert all(UUID.match(s["agentSessionId"]) for s in sessions)
    assert len({s["agentSessionId"] for s in sessions}) == len(sessions)


def test_new_families_are_deterministic_and_lazy_per_day() -> None:
    start, end = day_start(FRI) + 9 * HOUR_MS, day_start(FRI) + 12 * HOUR_MS
    a, b = Tenant(42, 2000), Tenant(42, 2000)
    assert list(a.agent_sessions_records(start, end, LATER)) == list(
        b.agent_sessions_records(start, end, LATER)
    )
    assert b.day.cache_info().currsize == 1, "sessions simulate only their day"
    assert list(a.task_legs(start, end, LATER)) == list(b.task_legs(start, end, LATER))
    assert b.day.cache_info().currsize == 1, "legs by createdTime simulate only their day"
    list(b.task_legs(start, end, LATER, time_field="endedTime"))
    assert b.day.cache_info().currsize == 2, "by endedTime: one day of look-back"
    other = {
        s["agentSessionId"] for s in Tenant(43, 2000).agent_sessions_records(start, end, LATER)
    }
    assert other.isdisjoint(
        s["agentSessionId"] for s in a.agent_sessions_records(start, end, LATER)
    )


# --- what the renderers skip by a task's transfer count -------------------------------------


def test_a_tasks_transfer_count_is_its_blind_transfers(tenant: Tenant) -> None:
    """Legs and agent work skip the activities of a task with no transfer and no callback
    (``task.transfers``): the count must be exactly its blind-transfer activities, and the
    legs and agent work found that way the ones a full read of every activity finds."""
    transferred = callbacks = 0
    for day in (FRI, SAT):
        plan = tenant.day(day)
        expected: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
        for task in plan.tasks:
            blind = [i for i, a in enumerate(task.acts) if a.event == "blind-transfer"]
            assert task.transfers == len(blind), task.id
            transferred += bool(blind)
            callbacks += task.cb_request is not None
            bounds = [0, *(i + 1 for i in blind), len(task.acts)]
            starts = [task.created, *(task.acts[i].start for i in blind)]
            ends = [*starts[1:], task.end]
            assert _task_legs(task) == [
                (c, f"{task.id}-callLeg-{c}", task, k, bounds[k], bounds[k + 1], ends[k])
                for k, c in enumerate(starts)
            ]
            callback = task.cb_request is not None
            for a in task.acts:  # every activity read, as before the shortcut
                s = a.staff
                if s is None:
                    continue
                if a.event == "blind-transfer":
                    expected.setdefault((s.session_id, task.channel), ([], []))[0].append(a.start)
                elif callback and a.event == "connected":
                    expected.setdefault((s.session_id, task.channel), ([], []))[1].append(a.start)
                    callback = False
        assert _agent_work(plan) == expected
    assert transferred > 10 and callbacks > 10
