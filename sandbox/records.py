"""Agent sessions (ASR + AAR) and task legs (CLR) in the Search API's shape, from a simulated day.

``sandbox.timeline`` decides what happens; this module renders it at a ``now`` the way the
``agentSession`` and ``taskLegDetails`` queries serialize it, with the same rule as tasks: an
event at instant ``t`` has happened at ``now`` iff ``t < now``, so a later ``now`` only extends
history (open sessions and legs end, current activities grow). See sandbox/README.md (Part 1).

- An agent session record has every ASR field of ASR.md at the top level, ``channelInfo`` (a
  list, one entry per channel, every ``channelInfo.*`` field) and, per channel, ``_activities``:
  the AAR nodes (every ``channelInfo.activities.nodes.*`` field of AAR.md), newest first.
- A task leg record has every CLR field of CLR.md (nested objects with all members), the three
  undocumented fields seen in Cisco's published answers and queries (``isChildLeg``,
  ``consultCount``, ``queueDuration``) and ``_globalVariables`` like a task.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from functools import cache
from operator import itemgetter
from typing import Any

from sandbox import encoded
from sandbox.entities import CHANNELS, Code, Entities, Queue
from sandbox.layout import LAYOUT_KEY, Layout, flat
from sandbox.timeline import (
    CONSULT,
    HOLD,
    INSTANT,
    QUEUE,
    RING,
    SS,
    TALK,
    WRAP,
    Act,
    DayPlan,
    Staff,
    TaskPlan,
)

__all__ = [
    "AAR_NODE_FIELDS",
    "ASR_FIELDS",
    "CHANNEL_FIELDS",
    "CLR_FIELDS",
    "OPEN_SESSION_END_TIME",
    "RecordContext",
    "channel_spans",
    "day_legs",
    "render_leg",
    "render_session",
]

# Every top-level ASR field of ASR.md, in its order (``channelInfo`` follows them).
ASR_FIELDS: tuple[str, ...] = (
    "isActive", "agentId", "agentName", "agentSessionId", "agentSignOutReason", "userLoginId",
    "endTime", "startTime", "state", "siteId", "siteName", "teamId", "teamName", "orgId",
    "orgName", "multiMediaProfileType", "skillsProfile", "agentSkills", "parentOrgId",
    "parentOrgName",
)  # fmt: skip

# Every ``channelInfo.*`` field of ASR.md, in its order, plus ``ronaCount`` (seen in public
# clients, not in the dictionary).
CHANNEL_FIELDS: tuple[str, ...] = (
    "channelId", "channelType", "totalDuration", "agentPhoneNumber", "currentState",
    "ringingDuration", "ringingCount", "outdialRingingCount", "outdialRingingDuration",
    "idleCount", "idleDuration", "availableCount", "availableDuration", "connectedCount",
    "connectedDuration", "outdialConnectedCount", "outdialConnectedDuration", "conferenceCount",
    "conferenceDuration", "outdialConferenceCount", "outdialConferenceDuration",
    "consultAnswerCount", "consultAnswerDuration", "outdialConsultAnswerCount",
    "outdialConsultAnswerDuration", "consultRequestCount", "consultRequestDuration",
    "outdialConsultRequestCount", "outdialConsultRequestDuration", "consultCount",
    "consultDuration", "outdialConsultCount", "outdialConsultDuration",
    "consultToQueueAnswerCount", "consultToQueueAnswerDuration",
    "outdialConsultToQueueAnswerCount", "outdialConsultToQueueAnswerDuration",
    "consultToQueueRequestCount", "consultToQueueRequestDuration",
    "outdialConsultToQueueRequestCount", "outdialConsultToQueueRequestDuration",
    "consultToQueueCount", "consultToQueueDuration", "holdCount", "holdDuration",
    "outdialHoldCount", "outdialHoldDuration", "notRespondedCount", "notRespondedDuration",
    "outdialNotRespondedCount", "outdialNotRespondedDuration", "wrapupCount", "wrapupDuration",
    "outdialWrapupCount", "outdialWrapupDuration", "disconnectedCount",
    "agentToAgentTransferCount", "outdialAgentToAgentTransferCount",
    "outdialAgentTransferToQueueRequestCount", "agentTransferToQueueRequestCount",
    "blindTransferCount", "outdialBlindTransferCount", "outdialCount", "outdialTransferCount",
    "disconnectedHoldCallsCount", "transferCount", "subChannelType",
    "outdialConsultTransferDuration", "callBackCount", "lastActivityTime", "idleCodeName",
    "consultToEpRequestedCount", "consultToEpRequestedDuration", "consultToEpAnsweredCount",
    "consultToEpAnsweredDuration", "outdialConsultToEpRequestedCount",
    "outdialConsultToEpRequestedDuration", "outdialConsultToEpAnsweredCount",
    "outdialConsultToEpAnsweredDuration", "totalReservationTime", "reservationCount",
    "postCallDuration", "postCallCount", "outdialPostCallDuration", "outdialPostCallCount",
    "postCallAssistanceDuration", "postCallAssistanceCount", "outdialPostCallAssistanceDuration",
    "outdialPostCallAssistanceCount", "manualAssignCount", "ronaCount",
)  # fmt: skip
# Channel fields that start null (the rest are counters and durations, 0 when nothing happened).
_CHANNEL_NULLS = frozenset(
    {"channelId", "channelType", "agentPhoneNumber", "currentState", "subChannelType",
     "lastActivityTime", "idleCodeName"}
)  # fmt: skip

# Every ``channelInfo.activities.nodes.*`` field of AAR.md, in its order.
AAR_NODE_FIELDS: tuple[str, ...] = (
    "id", "startTime", "endTime", "duration", "state", "idleCode", "taskId", "queue",
    "wrapupCode", "isOutdial", "outboundType", "isCurrentActivity", "isLoginActivity",
    "isLogoutActivity", "changedById", "changedByName", "contactAssignmentType",
)  # fmt: skip

# Every CLR field of CLR.md (top-level names; nested objects carry all their members), in its
# order, then the undocumented ones seen in Cisco's published taskLegDetails answers/queries.
CLR_FIELDS: tuple[str, ...] = (
    "id", "taskId", "createdTime", "endedTime", "lastActivityTime", "isActive", "status",
    "contactState", "destination", "origin", "channelType", "channelSubType", "entryPoint",
    "isWithinServiceLevel", "queue", "ringingDuration", "owner", "site", "team", "direction",
    "ivrScriptId", "ivrScriptName", "ivrScriptTagId", "ivrScriptTagName", "terminatingEnd",
    "terminationReason", "customer", "preferredAgentSystemId", "preferredAgentName",
    "isHandledByPreferredAgent", "routingType", "callType", "lastWrapupCodeName",
    "wrapupDuration", "isOutdial", "abandonedType", "blindTransferCount", "transferCount",
    "queueCount", "transferErrorCount", "taskLegCount", "handleType", "isTaskLegHandled",
    "isOptOutOfQueue", "optOutOfQueueTimestamp", "connectedCount", "connectedDuration",
    "holdCount", "holdDuration", "consultDuration", "outdialConsultCount",
    "outdialConsultDuration", "outdialConferenceCount", "outdialConferenceDuration",
    "conferenceDuration", "selfserviceDuration", "selfserviceCount", "consultToQueueCount",
    "consultToQueueDuration", "outdialConsultToQueueCount", "outdialConsultToQueueDuration",
    "slaValue", "handleTime", "consultEpId", "consultEpName", "childContactId",
    "childContactType", "consultToEPCount", "consultToEPDuration", "outdialConsultToEPCount",
    "outdialConsultToEPDuration", "nextDestination", "abandonedSlCount",
    "agentToDnTransferCount", "agentTransferedInCount", "matchedSkills", "requiredSkills",
    "matchedSkillsProfile", "skillsAssignedIn", "consultToQueueHandledCount",
    "outdialConsultToQueueHandledCount", "interQueueBlindTransferCount",
    "interQueueConsultTransferCount", "consultSuccessCount", "conferenceSuccessCount",
    "blindTransferToAgentCount", "queuedTo", "consultToAgentErrorCount",
    "consultToQueueErrorCount", "outdialConsultToQueueErrorCount", "consultToEpErrorCount",
    "consultToDnErrorCount", "postCallDuration", "manualAssignCount", "transferEpDN",
    "isChildLeg", "consultCount", "queueDuration",
)  # fmt: skip

# What the service puts in ``endTime`` while a session is open (Cisco's published answers show
# ``"endTime": -1`` on every active session; see sandbox/README.md).
OPEN_SESSION_END_TIME = -1
SIGN_OUT_REASON = "Agent Logout"
_STATUS_OF_KIND = {
    SS: "created",
    QUEUE: "parked",
    RING: "ringing",
    TALK: "connected",
    HOLD: "connected",
    CONSULT: "connected",
    WRAP: "wrapup",
}
_PROFILE_TYPE = {"telephony": "Exclusive"}  # voice agents; digital agents are "Blended"
_NULL_ID_NAME: dict[str, Any] = {"id": None, "name": None}

# What the renderers below promise (``sandbox.layout``): a channel entry's AAR nodes, a leg.
_ID_NAME = flat("id", "name")
_AGENT_INFO = flat("id", "name", "signInId", "sessionId", "phoneNumber", "channelId")
AAR_LAYOUT = Layout(
    AAR_NODE_FIELDS, nested={"idleCode": _ID_NAME, "queue": _ID_NAME, "wrapupCode": _ID_NAME}
)
CHANNEL_LAYOUT = Layout((), nodes=AAR_LAYOUT)  # its own members: no promise
CLR_LAYOUT = Layout(
    (*CLR_FIELDS, "_globalVariables", LAYOUT_KEY),
    nested={
        "entryPoint": _ID_NAME,
        "queue": flat("id", "name", "duration"),
        "owner": _AGENT_INFO,
        "site": _ID_NAME,
        "team": _ID_NAME,
        "customer": flat("name", "phoneNumber", "email"),
        "nextDestination": Layout(
            ("agent", "team", "queue"),
            nested={"agent": _AGENT_INFO, "team": _ID_NAME, "queue": _ID_NAME},
        ),
    },
)


class RecordContext:
    """Per-tenant lookups the renderers need (built once per tenant)."""

    def __init__(self, ents: Entities) -> None:
        self.org_id = ents.org_id
        self.org_name = ents.org_name
        self.teams = {t.id: t for t in ents.teams}
        self.sites = {s.id: s for s in ents.sites}
        # JSON text of the parts of a leg that come from entities (``render_leg_text``): an
        # agent's site, team and matched skills; a queue's object up to its duration's value,
        # its id and name, its required skills; an entry point's id and name.
        self.agent_texts = {
            a.id: (
                encoded.value({"id": a.site_id, "name": self.sites[a.site_id].name}),
                encoded.value({"id": a.team_id, "name": self.teams[a.team_id].name}),
                encoded.value(_skills(a.skills[:1])),
            )
            for a in ents.agents
        }
        self.queue_texts = {
            q.id: (
                encoded.value({"id": q.id, "name": q.name, "duration": 0})[:-2],
                encoded.value({"id": q.id, "name": q.name}),
                encoded.value(_skills(q.required_skills)),
            )
            for q in ents.queues
        }
        self.entry_point_texts = {
            ep.id: encoded.value({"id": ep.id, "name": ep.name}) for ep in ents.entry_points
        }
        self._owner_texts: dict[tuple[str, str], str] = {}

    def owner_text(self, s: Staff, ch: str) -> str:
        """``_agent_info`` of ``s`` on channel ``ch`` as JSON text."""
        key = (s.session_id, ch)
        out = self._owner_texts.get(key)
        if out is None:
            if len(self._owner_texts) > 100_000:  # sessions of many days, served in turn
                self._owner_texts.clear()
            out = self._owner_texts[key] = encoded.value(_agent_info(s, ch))
        return out


# --- agent sessions -------------------------------------------------------------------------

# (start, end, state, task id, queue, idle code, wrap-up code, is outdial)
Span = tuple[int, int, str, "str | None", "Queue | None", "Code | None", "Code | None", bool]


def channel_spans(s: Staff, ch: str) -> list[Span]:
    """The agent's states on one channel over the whole session, tiling it (oldest first).

    Breaks are idle on every channel; the time between task work and breaks is ``available``.
    """
    spans: list[Span] = [
        (b0, b1, "idle", None, None, code, None, False) for b0, b1, code in s.idles
    ]
    for c, state, a0, a1, task_id, queue, wrap, outdial in s.log:
        if c == ch:
            spans.append((a0, a1, state, task_id, queue, None, wrap, outdial))
    return _tiled(spans, s.start, s.end)


def _tiled(spans: list[Span], start: int, end: int) -> list[Span]:
    """``spans`` (breaks first, then work in log order) sorted by start, the gaps between them
    from ``start`` to ``end`` filled as ``available``."""
    spans.sort(key=_span_start)  # stable: breaks first, then work in log order
    tiled: list[Span] = []
    append = tiled.append
    t = start
    for span in spans:
        if span[0] > t:
            append((t, span[0], "available", None, None, None, None, False))
        append(span)
        t = span[1]
    if t < end:
        append((t, end, "available", None, None, None, None, False))
    return tiled


# A span's start (C, not a Python function called per span: most of sorting a session's).
_span_start = itemgetter(0)

# A log entry's channel and start (C getters: sorting a session's log calls them per entry).
_row_channel = itemgetter(0)
_row_start = itemgetter(2)
_CHANNEL_SET = frozenset(CHANNELS)


def _channel_rows(s: Staff) -> list[list[tuple[Any, ...]]]:
    """Per channel of ``CHANNELS``, the session's breaks and that channel's log entries sorted
    by start as ``_tiled`` sorts them (breaks first, then the log's order): log-shaped rows,
    a break's channel None and its idle code where an entry has its wrap-up code.

    The log's own tuples are sorted (by channel, then each channel by start): rebuilding a
    span tuple per entry, then a tiled list per channel, was most of rendering a session
    without its activities.
    """
    log = s.log
    breaks = [(None, "idle", b0, b1, None, None, code, False) for b0, b1, code in s.idles]
    try:
        by_channel = sorted(log, key=_row_channel)  # stable: each channel in the log's order
    except TypeError:
        by_channel = []
    rows: list[list[tuple[Any, ...]]] = []
    taken = 0
    for ch in CHANNELS:
        lo = bisect_left(by_channel, ch, key=_row_channel)
        hi = bisect_right(by_channel, ch, key=_row_channel)
        taken += hi - lo
        rows.append(sorted(breaks + by_channel[lo:hi], key=_row_start))
    if taken != len(log):  # a channel outside CHANNELS: refused (a KeyError, as it always was)
        for entry in log:
            if entry[0] not in _CHANNEL_SET:
                raise KeyError(entry[0])
    return rows


def _available_node(
    prefix: str, start: int, end: int, duration: int, is_current: bool, first: bool
) -> dict[str, Any]:
    """The AAR node of a gap between the agent's states (``available``)."""
    return {
        "id": f"{prefix}{start}-available",
        "startTime": start,
        "endTime": None if is_current else end,
        "duration": duration,
        "state": "available",
        "idleCode": _NULL_ID_NAME,
        "taskId": None,
        "queue": _NULL_ID_NAME,
        "wrapupCode": _NULL_ID_NAME,
        "isOutdial": False,
        "outboundType": None,
        "isCurrentActivity": is_current,
        "isLoginActivity": first,
        "isLogoutActivity": False,
        "changedById": None,
        "changedByName": None,
        "contactAssignmentType": None,
    }


def _agent_work(plan: DayPlan) -> dict[tuple[str, str], tuple[list[int], list[int]]]:
    """Per (session id, channel): times of the agent's blind transfers and callback connects."""
    work = plan.derived.get("agent_work")
    if work is None:
        out: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
        for task in plan.tasks:
            callback = task.cb_request is not None
            if not callback and not task.transfers:
                continue  # ~95 % of tasks: nothing to note, and their activities unread
            for a in task.acts:
                s = a.staff
                if s is None:
                    continue
                if a.event == "blind-transfer":
                    out.setdefault((s.session_id, task.channel), ([], []))[0].append(a.start)
                elif callback and a.event == "connected":
                    out.setdefault((s.session_id, task.channel), ([], []))[1].append(a.start)
                    callback = False  # the callback is the first connect
        work = plan.derived["agent_work"] = out
    return work  # type: ignore[return-value]


def _code(code: Code | None) -> dict[str, Any]:
    return {"id": code.id, "name": code.name} if code is not None else {"id": None, "name": None}


def _channel_template() -> dict[str, Any]:
    return {f: (None if f in _CHANNEL_NULLS else 0) for f in CHANNEL_FIELDS}


_CHANNEL_TEMPLATE = _channel_template()


def render_session(
    s: Staff, now: int, ctx: RecordContext, plan: DayPlan, with_nodes: bool = True
) -> dict[str, Any]:
    """An agent session (ASR, with AAR nodes per channel) as the Search API shows it at ``now``.

    Only sessions started before ``now`` exist; activities started before ``now`` are listed,
    the one still running is the current activity (no ``endTime``, duration counted to now).
    ``with_nodes`` False leaves every channel's ``_activities`` empty (its statistics are still
    computed from them): answers that select no activity skip building the nodes.
    """
    agent = s.agent
    end = s.end
    ended = end < now
    work = _agent_work(plan)
    channels: list[dict[str, Any]] = []
    latest: tuple[int, str] | None = None  # (start, state) of the newest current activity
    start = s.start
    for ch, rows in zip(CHANNELS, _channel_rows(s), strict=True):
        cid = s.channel_ids[ch]
        prefix = f"{cid}-{ch}-"
        c = _CHANNEL_TEMPLATE.copy()
        c["channelId"] = cid
        c["channelType"] = ch
        c["agentPhoneNumber"] = agent.phone_number if ch == "telephony" else agent.sign_in_id
        nodes: list[dict[str, Any]] = []
        prev_state: str | None = None
        prev_task: str | None = None
        idle_name: str | None = None
        first = True
        last_start = s.start
        current = None
        # Tallies in locals, written to the channel once (a dict item per span costs more).
        av_n = av_d = idle_n = idle_d = ring_n = ring_d = oring_n = oring_d = 0
        con_n = con_d = ocon_n = ocon_d = hold_n = hold_d = cons_n = cons_d = 0
        wrap_n = wrap_d = owrap_n = owrap_d = 0
        # The channel's states tiled over the session (``_tiled``), the gaps between them
        # (available) met on the way instead of listed first: the walk of ``_tiled``'s list,
        # without building it.
        t = start
        for row_ch, state, a0, a1, task_id, queue, code, outdial in rows:
            if a0 > t:  # available from the previous state's end to this one's start
                if t >= now:
                    break
                last_start = t
                is_current = a0 >= now
                duration = (now if is_current else a0) - t
                av_n += 1
                av_d += duration
                if with_nodes:
                    nodes.append(_available_node(prefix, t, a0, duration, is_current, first))
                if is_current:
                    current = "available"
                first = False
                prev_state, prev_task = "available", None
            if a0 >= now:
                break
            t = a1
            last_start = a0
            api_state = state
            if state == "connected" and task_id == prev_task:
                if prev_state == "on-hold":
                    api_state = "hold-done"
                elif prev_state == "consulting":
                    api_state = "consult-done"
            elif state == "ringing" and outdial:
                api_state = "outdial-reserved"
            is_current = a1 >= now
            duration = (now if is_current else a1) - a0
            # The API states by how often they occur (gaps, the available time, are met above).
            if api_state == "connected":
                if outdial:
                    ocon_n += 1
                    ocon_d += duration
                else:
                    con_n += 1
                    con_d += duration
            elif api_state == "ringing":
                ring_n += 1
                ring_d += duration
            elif api_state == "wrapup":
                if outdial:
                    owrap_n += 1
                    owrap_d += duration
                else:
                    wrap_n += 1
                    wrap_d += duration
            elif api_state == "on-hold":
                hold_n += 1
                hold_d += duration
            elif api_state in ("hold-done", "consult-done"):
                con_d += duration
            elif api_state == "idle":
                idle_n += 1
                idle_d += duration
                # A break's idle code rides where a log entry has its wrap-up code.
                idle_name = code.name if row_ch is None and code is not None else None
            elif api_state == "consulting":
                cons_n += 1
                cons_d += duration
            elif api_state == "outdial-reserved":
                oring_n += 1
                oring_d += duration
            elif api_state == "available":
                av_n += 1
                av_d += duration
            if with_nodes:
                # An AAR node is built ~300 times a session: literals, not calls, and one shared null
                # object (a record's readers never change it; orjson writes it as often as held).
                nodes.append(
                    {
                        "id": f"{prefix}{a0}-{api_state}",
                        "startTime": a0,
                        "endTime": None if is_current else a1,
                        "duration": duration,
                        "state": api_state,
                        "idleCode": (
                            {"id": code.id, "name": code.name}
                            if row_ch is None and code is not None and api_state == "idle"
                            else _NULL_ID_NAME
                        ),
                        "taskId": task_id,
                        "queue": (
                            {"id": queue.id, "name": queue.name}
                            if queue is not None
                            else _NULL_ID_NAME
                        ),
                        "wrapupCode": (
                            {"id": code.id, "name": code.name}
                            if row_ch is not None and code is not None and api_state == "wrapup"
                            else _NULL_ID_NAME
                        ),
                        "isOutdial": outdial,
                        "outboundType": (
                            None if task_id is None else ("outbound" if outdial else "inbound")
                        ),
                        "isCurrentActivity": is_current,
                        "isLoginActivity": first,
                        "isLogoutActivity": False,
                        "changedById": None,
                        "changedByName": None,
                        "contactAssignmentType": "automatic" if state == "ringing" else None,
                    }
                )
            if is_current:
                current = api_state
            first = False
            prev_state, prev_task = state, task_id
        else:  # every state begun before now: available from the last one's end to the end
            if t < end and t < now:
                last_start = t
                is_current = end >= now
                duration = (now if is_current else end) - t
                av_n += 1
                av_d += duration
                if with_nodes:
                    nodes.append(_available_node(prefix, t, end, duration, is_current, first))
                if is_current:
                    current = "available"
        c["availableCount"] = av_n
        c["availableDuration"] = av_d
        c["idleCount"] = idle_n
        c["idleDuration"] = idle_d
        c["ringingCount"] = ring_n
        c["ringingDuration"] = ring_d
        c["outdialRingingCount"] = c["outdialCount"] = oring_n
        c["outdialRingingDuration"] = oring_d
        c["connectedCount"] = con_n
        c["connectedDuration"] = con_d
        c["outdialConnectedCount"] = ocon_n
        c["outdialConnectedDuration"] = ocon_d
        c["holdCount"] = hold_n
        c["holdDuration"] = hold_d
        c["consultCount"] = cons_n
        c["consultDuration"] = cons_d
        c["wrapupCount"] = wrap_n
        c["wrapupDuration"] = wrap_d
        c["outdialWrapupCount"] = owrap_n
        c["outdialWrapupDuration"] = owrap_d
        if ended:
            if with_nodes:
                nodes.append(
                    {
                        "id": prefix + f"{end}-logged-out",
                        "startTime": end,
                        "endTime": end,
                        "duration": 0,
                        "state": "logged-out",
                        "idleCode": dict(_NULL_ID_NAME),
                        "taskId": None,
                        "queue": dict(_NULL_ID_NAME),
                        "wrapupCode": dict(_NULL_ID_NAME),
                        "isOutdial": False,
                        "outboundType": None,
                        "isCurrentActivity": False,
                        "isLoginActivity": False,
                        "isLogoutActivity": True,
                        "changedById": None,
                        "changedByName": None,
                        "contactAssignmentType": None,
                    }
                )
            c["currentState"] = "logged-out"
            c["lastActivityTime"] = end
            c["totalDuration"] = end - s.start
        else:
            c["currentState"] = current
            c["lastActivityTime"] = last_start
            c["totalDuration"] = now - s.start
            if current is not None and (latest is None or last_start > latest[0]):
                latest = (last_start, current)
        # Consults are to entry points (Supervisor Desk, Tier 2 Hotline), always answered.
        c["consultRequestCount"] = c["consultToEpRequestedCount"] = c["consultCount"]
        c["consultToEpAnsweredCount"] = c["consultCount"]
        c["consultRequestDuration"] = c["consultToEpRequestedDuration"] = c["consultDuration"]
        c["consultToEpAnsweredDuration"] = c["consultDuration"]
        transfers, callbacks = work.get((s.session_id, ch), ((), ()))
        n_transfers = sum(1 for t in transfers if t < now)
        c["blindTransferCount"] = c["transferCount"] = n_transfers
        c["agentTransferToQueueRequestCount"] = n_transfers
        c["callBackCount"] = sum(1 for t in callbacks if t < now)
        c["idleCodeName"] = idle_name
        nodes.reverse()  # newest first, as the API lists them
        c["_activities"] = nodes
        c[LAYOUT_KEY] = CHANNEL_LAYOUT
        channels.append(c)
    team = ctx.teams[agent.team_id]
    site = ctx.sites[agent.site_id]
    return {
        "isActive": not ended,
        "agentId": agent.id,
        "agentName": agent.name,
        "agentSessionId": s.session_id,
        "agentSignOutReason": SIGN_OUT_REASON if ended else None,
        "userLoginId": agent.sign_in_id,
        "endTime": end if ended else OPEN_SESSION_END_TIME,
        "startTime": s.start,
        "state": "logged-out" if ended else (latest[1] if latest is not None else None),
        "siteId": site.id,
        "siteName": site.name,
        "teamId": team.id,
        "teamName": team.name,
        "orgId": ctx.org_id,
        "orgName": ctx.org_name,
        "multiMediaProfileType": _PROFILE_TYPE.get(agent.channels[0], "Blended"),
        "skillsProfile": agent.skill_profile,
        "agentSkills": [{"name": n, "type": t, "value": v} for n, t, v in agent.skills],
        "parentOrgId": None,
        "parentOrgName": None,
        "channelInfo": channels,
    }


# --- task legs ------------------------------------------------------------------------------

# (created, leg id, task, leg index, first act index, end act index, leg end)
Leg = tuple[int, str, TaskPlan, int, int, int, int]


def _task_legs(task: TaskPlan) -> list[Leg]:
    """A task's legs: the first from its creation, then one from each blind transfer.

    A leg holds the task's activities from its start up to and including the transfer that ends
    it (the next leg's ``parked`` starts at the same instant).
    """
    acts = task.acts
    if not task.transfers:  # most tasks: one leg, found without reading the activities
        return [
            (task.created, f"{task.id}-callLeg-{task.created}", task, 0, 0, len(acts), task.end)
        ]
    bounds = [0]
    starts = [task.created]
    for i, a in enumerate(acts):
        if a.event == "blind-transfer":
            bounds.append(i + 1)
            starts.append(a.start)
    bounds.append(len(acts))
    legs: list[Leg] = []
    tid = task.id
    for k, created in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else task.end
        legs.append((created, f"{tid}-callLeg-{created}", task, k, bounds[k], bounds[k + 1], end))
    return legs


def day_legs(plan: DayPlan) -> tuple[list[Leg], list[int]]:
    """Every leg of the day's tasks ascending by (created, id), and their created times."""
    cached = plan.derived.get("legs")
    if cached is None:
        legs = [leg for task in plan.tasks for leg in _task_legs(task)]
        legs.sort(key=_leg_key)
        cached = plan.derived["legs"] = (legs, [leg[0] for leg in legs])
    return cached  # type: ignore[return-value]


# A leg's (created, id), in C (sorting a day's legs called a Python key function per leg).
_leg_key = itemgetter(0, 1)


_ABANDONED_TYPE = {"abandoned": "queue", "short_abandon": "queue", "short_ivr": "new"}
_SELF_SERVICE = frozenset(("ivr", "short_ivr", "closed"))
_ABANDONED = frozenset(("abandoned", "short_abandon", "expired", "callback_failed"))


def _agent_info(s: Staff | None, ch: str) -> dict[str, Any]:
    if s is None:
        return {
            "id": None,
            "name": None,
            "signInId": None,
            "sessionId": None,
            "phoneNumber": None,
            "channelId": None,
        }
    ag = s.agent
    return {
        "id": ag.id,
        "name": ag.name,
        "signInId": ag.sign_in_id,
        "sessionId": s.session_id,
        "phoneNumber": ag.phone_number,
        "channelId": s.channel_ids[ch],
    }


def _skills(skills: tuple[tuple[str, str, object], ...]) -> list[dict[str, Any]]:
    return [{"name": n, "type": t, "value": v} for n, t, v in skills]


def _leg_activities(acts: list[Act], now: int, created: int) -> tuple[Any, ...]:
    """What a leg's activities (``acts``, those before ``now`` count) add up to: (status, last
    start (``created`` if none), last event, staff, transfers, destination queue, self-service count and
    duration, queue count and duration, ringing duration, connected count and duration, hold
    count and duration, consult count and duration, wrap-up duration, offered, connected, the
    queue phase, the consult's info)."""
    ss_n = ss_d = q_n = q_d = ring_d = con_n = con_d = hold_n = hold_d = cons_n = cons_d = 0
    wrap_d = transfers = 0
    offered = connected = False
    parked: Act | None = None
    staff: Staff | None = None
    consult_info: dict[str, Any] | None = None
    dest: Queue | None = None
    status = "ended"
    last_start = created
    last_event: str | None = None
    for a in acts:
        start = a.start
        if start >= now:
            break
        last_start = start
        last_event = a.event
        kind = a.kind
        if a.staff is not None:
            staff = a.staff
        if kind == INSTANT:
            if a.event == "blind-transfer":
                transfers += 1
                dest = a.info["dest"]  # type: ignore[index]
            continue
        a_end = a.end
        if a_end < now:
            duration = a_end - start
        else:
            duration = now - start
            status = _STATUS_OF_KIND[kind]
        if kind == TALK:
            con_d += duration
            if a.event == "connected":
                con_n += 1
                connected = True
        elif kind == QUEUE:
            q_n += 1
            q_d += duration
            parked = a
        elif kind == RING:
            ring_d += duration
            offered = True
        elif kind == SS:
            ss_n += 1
            ss_d += duration
        elif kind == WRAP:
            wrap_d += duration
        elif kind == HOLD:
            con_d += duration
            hold_n += 1
            hold_d += duration
        else:  # CONSULT
            con_d += duration
            cons_n += 1
            cons_d += duration
            consult_info = a.info
    return (
        status, last_start, last_event, staff, transfers, dest, ss_n, ss_d, q_n, q_d, ring_d,
        con_n, con_d, hold_n, hold_d, cons_n, cons_d, wrap_d, offered, connected, parked,
        consult_info,
    )  # fmt: skip


def _next_agent(leg: Leg, dest: Queue | None, now: int) -> Staff | None:
    """Who took the task a transferred leg sent on (once offered to them), if anyone."""
    _created, _id, task, _k, _i0, i1, _end = leg
    acts = task.acts
    if dest is None or i1 == len(acts):
        return None
    for a in acts[i1:]:
        if a.start >= now or a.event == "blind-transfer":
            break
        if a.kind == RING:
            return a.staff
    return None


def _leg_ending(
    leg: Leg,
    ended: bool,
    last_event: str | None,
    wrap_d: int,
    connected: bool,
    queue: Queue | None,
    q_duration: int | None,
) -> tuple[Any, ...]:
    """(terminatingEnd, terminationReason, contactState, lastWrapupCodeName, abandonedType,
    abandonedSlCount, handleType) of a leg at ``now`` (``ended``: it has ended)."""
    if not ended:
        return None, None, last_event, None, None, None, None
    task = leg[2]
    outcome = task.outcome
    last_leg = leg[5] == len(task.acts)
    if connected or task.direction == "outdial":
        handle = "normal"
    elif last_leg and outcome in _SELF_SERVICE:
        handle = "self_service"
    elif last_leg and outcome in _ABANDONED:
        handle = "abandoned"
    else:
        handle = "normal"
    if not last_leg:
        return "agent", None, "blind-transfer", None, None, None, handle
    sl_count = None
    if outcome in ("abandoned", "short_abandon") and queue is not None:
        sl_count = 1 if (q_duration or 0) <= queue.service_level_ms else 0
    return (
        task.terminating_end,
        task.termination_reason,
        "wrapup-completed" if wrap_d or task.wrap_code else "ended",
        task.wrap_code.name if task.wrap_code is not None else None,
        _ABANDONED_TYPE.get(outcome),
        sl_count,
        handle,
    )


def _leg_queue(parked: Act | None, offered: bool, now: int) -> tuple[Any, ...]:
    """(queue, its duration, whether within its service level) of the leg's queue phase."""
    queue = parked.queue if parked is not None else None
    if parked is None or queue is None:
        return queue, None, None
    q_end = parked.end
    q_duration = (q_end if q_end < now else now) - parked.start
    within_sl = (offered and q_duration <= queue.service_level_ms) if q_end < now else None
    return queue, q_duration, within_sl


def render_leg(leg: Leg, now: int, ctx: RecordContext) -> dict[str, Any]:
    """A task leg (CLR) as the Search API shows it at ``now`` (the leg exists: created < now)."""
    created, leg_id, task, k, i0, i1, leg_end = leg
    ch = task.channel
    ep = task.ep
    flow = ep.flow
    ended = leg_end < now
    (
        status, last_start, last_event, staff, transfers, dest, ss_n, ss_d, q_n, q_d, ring_d,
        con_n, con_d, hold_n, hold_d, cons_n, cons_d, wrap_d, offered, connected, parked,
        consult_info,
    ) = _leg_activities(task.acts[i0:i1], now, created)  # fmt: skip
    queue, q_duration, within_sl = _leg_queue(parked, offered, now)
    agent = staff.agent if staff is not None else None
    (
        terminating_end, termination_reason, contact_state, wrapup_name, abandoned_type,
        abandoned_sl, handle_type,
    ) = _leg_ending(leg, ended, last_event, wrap_d, connected, queue, q_duration)  # fmt: skip
    required = matched = matched_profile = skills_in = None
    if queue is not None and queue.required_skills:
        required = _skills(queue.required_skills)
        skills_in = "queue"
        if connected and agent is not None:
            matched = _skills(agent.skills[:1])
            matched_profile = agent.skill_profile
    next_agent = _next_agent(leg, dest, now)
    next_ag = next_agent.agent if next_agent is not None else None
    return {
        "id": leg_id,
        "taskId": task.id,
        "createdTime": created,
        "endedTime": leg_end if ended else None,
        "lastActivityTime": leg_end if ended else last_start,
        "isActive": not ended,
        "status": status,
        "contactState": contact_state,
        "destination": task.destination,
        "origin": task.origin,
        "channelType": ch,
        "channelSubType": ep.channel_sub_type,
        "entryPoint": {"id": ep.id, "name": ep.name},
        "isWithinServiceLevel": within_sl,
        "queue": (
            {"id": queue.id, "name": queue.name, "duration": q_duration}
            if queue is not None
            else {"id": None, "name": None, "duration": None}
        ),
        "ringingDuration": ring_d,
        "owner": _agent_info(staff, ch),
        "site": (
            {"id": agent.site_id, "name": ctx.sites[agent.site_id].name}
            if agent is not None
            else {"id": None, "name": None}
        ),
        "team": (
            {"id": agent.team_id, "name": ctx.teams[agent.team_id].name}
            if agent is not None
            else {"id": None, "name": None}
        ),
        "direction": task.direction,
        "ivrScriptId": flow.id,
        "ivrScriptName": flow.name,
        "ivrScriptTagId": flow.tag_id,
        "ivrScriptTagName": flow.tag_name,
        "terminatingEnd": terminating_end,
        "terminationReason": termination_reason,
        "customer": {
            "name": task.customer_name,
            "phoneNumber": task.customer_phone,
            "email": task.customer_email,
        },
        "preferredAgentSystemId": None,
        "preferredAgentName": None,
        "isHandledByPreferredAgent": False,
        "routingType": queue.routing_type if queue is not None else None,
        "callType": None,
        "lastWrapupCodeName": wrapup_name,
        "wrapupDuration": wrap_d,
        "isOutdial": task.direction == "outdial",
        "abandonedType": abandoned_type,
        "blindTransferCount": transfers,
        "transferCount": transfers,
        "queueCount": q_n,
        "transferErrorCount": 0,
        "taskLegCount": 1,
        "handleType": handle_type,
        "isTaskLegHandled": connected,
        "isOptOutOfQueue": False,
        "optOutOfQueueTimestamp": None,
        "connectedCount": con_n,
        "connectedDuration": con_d,
        "holdCount": hold_n,
        "holdDuration": hold_d,
        "consultDuration": cons_d,
        "outdialConsultCount": 0,
        "outdialConsultDuration": 0,
        "outdialConferenceCount": 0,
        "outdialConferenceDuration": 0,
        "conferenceDuration": 0,
        "selfserviceDuration": ss_d,
        "selfserviceCount": ss_n,
        "consultToQueueCount": 0,
        "consultToQueueDuration": 0,
        "outdialConsultToQueueCount": 0,
        "outdialConsultToQueueDuration": 0,
        "slaValue": str(queue.service_level_ms // 1000) if queue is not None else None,
        "handleTime": con_d + wrap_d,
        "consultEpId": None,
        "consultEpName": consult_info["consultEpName"] if consult_info else None,
        "childContactId": consult_info["child"] if consult_info else None,
        "childContactType": "telephony" if consult_info else None,
        "consultToEPCount": cons_n,
        "consultToEPDuration": cons_d,
        "outdialConsultToEPCount": 0,
        "outdialConsultToEPDuration": 0,
        "nextDestination": {
            "agent": _agent_info(next_agent, ch),
            "team": (
                {"id": next_ag.team_id, "name": ctx.teams[next_ag.team_id].name}
                if next_ag is not None
                else {"id": None, "name": None}
            ),
            "queue": {"id": dest.id, "name": dest.name}
            if dest is not None
            else {"id": None, "name": None},
        },
        "abandonedSlCount": abandoned_sl,
        "agentToDnTransferCount": 0,
        "agentTransferedInCount": 0,
        "matchedSkills": matched,
        "requiredSkills": required,
        "matchedSkillsProfile": matched_profile,
        "skillsAssignedIn": skills_in,
        "consultToQueueHandledCount": 0,
        "outdialConsultToQueueHandledCount": 0,
        "interQueueBlindTransferCount": 1 if k > 0 else 0,
        "interQueueConsultTransferCount": 0,
        "consultSuccessCount": cons_n,
        "conferenceSuccessCount": 0,
        "blindTransferToAgentCount": 0,
        "queuedTo": "Queue" if queue is not None else None,
        "consultToAgentErrorCount": 0,
        "consultToQueueErrorCount": 0,
        "outdialConsultToQueueErrorCount": 0,
        "consultToEpErrorCount": 0,
        "consultToDnErrorCount": 0,
        "postCallDuration": 0,
        "manualAssignCount": 0,
        "transferEpDN": consult_info["transferEpDN"] if consult_info else None,
        "isChildLeg": False,
        "consultCount": cons_n,
        "queueDuration": q_d,
        "_globalVariables": [{"name": n, "type": t, "value": v} for n, t, v in task.gvars],
        LAYOUT_KEY: CLR_LAYOUT,
    }


# --- task legs as JSON text (sandbox.encoded) -----------------------------------------------

# The members ``render_leg`` writes with the same value for every leg.
_LEG_FIXED: dict[str, Any] = {
    **dict.fromkeys(
        (
            "preferredAgentSystemId", "preferredAgentName", "callType", "optOutOfQueueTimestamp",
            "consultEpId",
        ),
        None,
    ),
    **dict.fromkeys(("isHandledByPreferredAgent", "isOptOutOfQueue", "isChildLeg"), False),
    **dict.fromkeys(
        (
            "transferErrorCount", "outdialConsultCount", "outdialConsultDuration",
            "outdialConferenceCount", "outdialConferenceDuration", "conferenceDuration",
            "consultToQueueCount", "consultToQueueDuration", "outdialConsultToQueueCount",
            "outdialConsultToQueueDuration", "outdialConsultToEPCount",
            "outdialConsultToEPDuration", "agentToDnTransferCount", "agentTransferedInCount",
            "consultToQueueHandledCount", "outdialConsultToQueueHandledCount",
            "interQueueConsultTransferCount", "conferenceSuccessCount",
            "blindTransferToAgentCount", "consultToAgentErrorCount", "consultToQueueErrorCount",
            "outdialConsultToQueueErrorCount", "consultToEpErrorCount", "consultToDnErrorCount",
            "postCallDuration", "manualAssignCount",
        ),
        0,
    ),
    "taskLegCount": 1,
}  # fmt: skip


@cache
def _leg_writer(members: int) -> Callable[..., str]:
    """Writes a leg's first ``members`` public members (a selection may stop before the last
    ones, e.g. the project's query leaves out the three undocumented fields)."""
    return encoded.formatter(CLR_FIELDS[:members], _LEG_FIXED)


_NULL = "null"
_NULL_ID_NAME_TEXT = encoded.value(_NULL_ID_NAME)
_NO_AGENT_TEXT = encoded.value(_agent_info(None, ""))
_NO_QUEUE_TEXT = encoded.value({"id": None, "name": None, "duration": None})
_BOOLEAN = encoded.BOOLEAN


def render_leg_text(leg: Leg, now: int, ctx: RecordContext, members: int = len(CLR_FIELDS)) -> str:
    """``orjson.dumps`` of ``render_leg``'s record less its private members and any public
    member after the first ``members``, as text, written without building the record (an
    all-fields taskLegDetails page, ``sandbox.encoded``)."""
    created, leg_id, task, k, i0, i1, leg_end = leg
    ch = task.channel
    ep = task.ep
    flow = ep.flow
    ended = leg_end < now
    (
        status, last_start, last_event, staff, transfers, dest, ss_n, ss_d, q_n, q_d, ring_d,
        con_n, con_d, hold_n, hold_d, cons_n, cons_d, wrap_d, offered, connected, parked,
        consult_info,
    ) = _leg_activities(task.acts[i0:i1], now, created)  # fmt: skip
    queue, q_duration, within_sl = _leg_queue(parked, offered, now)
    (
        terminating_end, termination_reason, contact_state, wrapup_name, abandoned_type,
        abandoned_sl, handle_type,
    ) = _leg_ending(leg, ended, last_event, wrap_d, connected, queue, q_duration)  # fmt: skip
    text = encoded.text
    value = encoded.value
    if staff is None:
        owner = _NO_AGENT_TEXT
        site = team = _NULL_ID_NAME_TEXT
    else:
        owner = ctx.owner_text(staff, ch)
        site, team, matched_skills = ctx.agent_texts[staff.agent.id]
    required = matched = matched_profile = skills_in = _NULL
    if queue is None:
        queue_text = _NO_QUEUE_TEXT
        routing = sla = queued_to = _NULL
    else:
        queue_head, _id_name, required_skills = ctx.queue_texts[queue.id]
        queue_text = f"{queue_head}{q_duration}}}"
        routing = text(queue.routing_type)
        sla = text(str(queue.service_level_ms // 1000))
        queued_to = '"Queue"'
        if queue.required_skills:
            required = required_skills
            skills_in = '"queue"'
            if connected and staff is not None:
                matched = matched_skills
                matched_profile = text(staff.agent.skill_profile)
    next_agent = _next_agent(leg, dest, now)
    next_destination = (
        '{"agent":'
        + (_NO_AGENT_TEXT if next_agent is None else ctx.owner_text(next_agent, ch))
        + ',"team":'
        + (_NULL_ID_NAME_TEXT if next_agent is None else ctx.agent_texts[next_agent.agent.id][1])
        + ',"queue":'
        + (_NULL_ID_NAME_TEXT if dest is None else ctx.queue_texts[dest.id][1])
        + "}"
    )
    consulted = bool(consult_info)  # as render_leg reads it
    return _leg_writer(members)(
        value(leg_id),
        value(task.id),
        created,
        leg_end if ended else _NULL,
        leg_end if ended else last_start,
        _BOOLEAN[not ended],
        text(status),
        text(contact_state),
        value(task.destination),
        value(task.origin),
        text(ch),
        text(ep.channel_sub_type),
        ctx.entry_point_texts[ep.id],
        _BOOLEAN[within_sl],
        queue_text,
        ring_d,
        owner,
        site,
        team,
        text(task.direction),
        text(flow.id),
        text(flow.name),
        text(flow.tag_id),
        text(flow.tag_name),
        text(terminating_end),
        text(termination_reason),
        value(
            {
                "name": task.customer_name,
                "phoneNumber": task.customer_phone,
                "email": task.customer_email,
            }
        ),
        routing,
        text(wrapup_name),
        wrap_d,
        _BOOLEAN[task.direction == "outdial"],
        text(abandoned_type),
        transfers,
        transfers,
        q_n,
        text(handle_type),
        _BOOLEAN[connected],
        con_n,
        con_d,
        hold_n,
        hold_d,
        cons_d,
        ss_d,
        ss_n,
        sla,
        con_d + wrap_d,
        text(consult_info["consultEpName"]) if consulted else _NULL,  # type: ignore[index]
        value(consult_info["child"]) if consulted else _NULL,  # type: ignore[index]
        '"telephony"' if consulted else _NULL,
        cons_n,
        cons_d,
        next_destination,
        _NULL if abandoned_sl is None else abandoned_sl,
        matched,
        required,
        matched_profile,
        skills_in,
        1 if k > 0 else 0,
        cons_n,
        queued_to,
        value(consult_info["transferEpDN"]) if consulted else _NULL,  # type: ignore[index]
        cons_n,
        q_d,
    )
