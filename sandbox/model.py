"""The sandbox tenant: a deterministic, seeded simulation of one WxCC org, served as API records.

``Tenant(seed, tasks_per_day)`` is a pure function of its arguments. Each simulation day (a local
calendar day of the org, America/New_York) is simulated from its own seed (``sandbox.timeline``)
and cached a few at a time, so any window is served without producing what came before it.

Records are rendered at a ``now``: a task is what the Search API would answer at that instant.
An event at instant ``t`` has happened at ``now`` iff ``t < now`` (the same rule as a window's
exclusive end), so a later ``now`` only extends history. See ``sandbox/README.md (Part 1)``.
"""

from __future__ import annotations

import gc
import os
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from sandbox.clock import day_of
from sandbox.daystore import DayStore, cached
from sandbox.entities import (
    CHANNELS,
    Agent,
    Code,
    Entities,
    GlobalVariableDef,
    Queue,
    build_entities,
)
from sandbox.layout import LAYOUT_KEY, Layout, flat
from sandbox.records import (
    CLR_LAYOUT,
    RecordContext,
    _agent_work,
    channel_spans,
    day_legs,
    render_leg,
    render_leg_text,
    render_session,
)
from sandbox.timeline import (
    CONSULT,
    HOLD,
    INSTANT,
    MAX_TASK_LIFETIME_MS,
    QUEUE,
    RING,
    SS,
    TALK,
    WRAP,
    Act,
    DayPlan,
    Staff,
    TaskPlan,
    simulate_day,
)

__all__ = [
    "AgentActivity",
    "AgentSession",
    "CAR_NODE_FIELDS",
    "MAX_TASK_LIFETIME_MS",
    "SessionChannel",
    "Tenant",
]

# Every ``activities.nodes.*`` field of CAR.md, in its order.
CAR_NODE_FIELDS: tuple[str, ...] = (
    "id", "isActive", "createdTime", "endedTime", "agentId", "agentName", "agentPhoneNumber",
    "agentSessionId", "agentChannelId", "entrypointId", "entrypointName", "queueId", "queueName",
    "siteId", "siteName", "teamId", "teamName", "transferType", "activityType", "activityName",
    "eventName", "previousState", "nextState", "consultEpId", "consultEpName", "childContactId",
    "childContactType", "duration", "destinationAgentPhoneNumber", "destinationAgentId",
    "destinationAgentName", "destinationAgentSessionId", "destinationAgentChannelId",
    "destinationAgentTeamId", "destinationAgentTeamName", "destinationQueueName",
    "destinationQueueId", "terminationReason", "ivrScriptId", "ivrScriptName", "ivrScriptTagId",
    "ivrScriptTagName", "bnrMode", "lastActivityTime", "skillsAssignedIn", "emailHasAttachments",
    "contactAssignmentType",
)  # fmt: skip

# The task's status while in a phase (CSR ``status``); "ended" once it has ended.
STATUS_OF_KIND = {
    SS: "created",
    QUEUE: "parked",
    RING: "ringing",
    TALK: "connected",
    HOLD: "connected",
    CONSULT: "connected",
    WRAP: "wrapup",
}
# The agent state (AAR ``state``) for an agent's part of a task phase.
AGENT_STATE_OF_KIND = {
    RING: "ringing",
    TALK: "connected",
    HOLD: "on-hold",
    CONSULT: "consulting",
    WRAP: "wrapup",
}

_ENDED_IN_FLOW = frozenset(("ivr", "closed", "short_ivr"))
_ABANDONED = frozenset(("abandoned", "short_abandon"))
_HANDLED = frozenset(("handled", "outdial"))
_TERMINATION_TYPE = {
    "handled": "normal",
    "outdial": "normal",
    "outdial_noanswer": "normal",
    "ivr": "normal",
    "short_ivr": "abandoned",
    "abandoned": "abandoned",
    "short_abandon": "abandoned",
    "closed": "system",
    "expired": "system",
    "callback_failed": "system",
}
_HANDLE_TYPE = {
    "handled": "normal",
    "outdial": "normal",
    "outdial_noanswer": "normal",
    "ivr": "normal",
    "closed": "normal",
    "short_ivr": "short",
    "abandoned": "abandoned",
    "short_abandon": "short",
    "expired": "abandoned",
    "callback_failed": "abandoned",
}
_ABANDONED_TYPE = {"abandoned": "queue", "short_abandon": "short", "short_ivr": "ivr"}
_RECORDING_BYTES_PER_MS = 16  # 128 kbit/s stereo


def _skill_list(skills: tuple[tuple[str, str, object], ...]) -> list[dict[str, object]]:
    return [{"name": n, "type": t, "value": v} for n, t, v in skills]


class _Ctx:
    """Per-tenant lookups the renderer needs (built once)."""

    def __init__(self, ents: Entities) -> None:
        self.org_id = ents.org_id
        self.teams = {t.id: t for t in ents.teams}
        self.sites = {s.id: s for s in ents.sites}
        self.queue_parts = {
            q.id: {
                "queueId": q.id,
                "queueName": q.name,
                "skillsAssignedIn": "queue" if q.required_skills else None,
            }
            for q in ents.queues
        }

    def agent_part(self, s: Staff, ch: str) -> dict[str, object]:
        ag = s.agent
        team = self.teams[ag.team_id]
        site = self.sites[ag.site_id]
        return {
            "agentId": ag.id,
            "agentName": ag.name,
            "agentPhoneNumber": ag.phone_number,
            "agentSessionId": s.session_id,
            "agentChannelId": s.channel_ids[ch],
            "siteId": site.id,
            "siteName": site.name,
            "teamId": team.id,
            "teamName": team.name,
        }


def _node_base(
    ep_id: str,
    ep_name: str,
    flow_id: str,
    flow_name: str,
    tag_id: str,
    tag_name: str,
    email_att: object,
) -> dict[str, object]:
    """A task's CAR node before its activity's own fields (every node field, schema order)."""
    return {
        "id": None,
        "isActive": False,
        "createdTime": None,
        "endedTime": None,
        "agentId": None,
        "agentName": None,
        "agentPhoneNumber": None,
        "agentSessionId": None,
        "agentChannelId": None,
        "entrypointId": ep_id,
        "entrypointName": ep_name,
        "queueId": None,
        "queueName": None,
        "siteId": None,
        "siteName": None,
        "teamId": None,
        "teamName": None,
        "transferType": None,
        "activityType": None,
        "activityName": None,
        "eventName": None,
        "previousState": None,
        "nextState": None,
        "consultEpId": None,
        "consultEpName": None,
        "childContactId": None,
        "childContactType": None,
        "duration": 0,
        "destinationAgentPhoneNumber": None,
        "destinationAgentId": None,
        "destinationAgentName": None,
        "destinationAgentSessionId": None,
        "destinationAgentChannelId": None,
        "destinationAgentTeamId": None,
        "destinationAgentTeamName": None,
        "destinationQueueName": None,
        "destinationQueueId": None,
        "terminationReason": None,
        "ivrScriptId": flow_id,
        "ivrScriptName": flow_name,
        "ivrScriptTagId": tag_id,
        "ivrScriptTagName": tag_name,
        "bnrMode": None,
        "lastActivityTime": None,
        "skillsAssignedIn": None,
        "emailHasAttachments": email_att,
        "contactAssignmentType": None,
    }


def _task_nodes(task: TaskPlan, now: int, ctx: _Ctx) -> list[dict[str, object]]:
    """The task's CAR nodes at ``now`` (every node field, schema order), newest first."""
    ch = task.channel
    ep = task.ep
    flow = ep.flow
    tid = task.id
    has_wrap = task.wrap_code is not None
    email_att = task.email[2] if task.email is not None else None
    base = _node_base(ep.id, ep.name, flow.id, flow.name, flow.tag_id, flow.tag_name, email_att)
    queue_parts = ctx.queue_parts
    nodes: list[dict[str, object]] = []
    state: str | None = None
    for a in task.acts:
        start = a.start
        if start >= now:
            break
        kind = a.kind
        info = a.info
        n = base.copy()
        n["id"] = f"{tid}-{start}-{a.suffix}"
        n["createdTime"] = start
        ev = a.event
        n["eventName"] = ev
        n["previousState"] = state
        if kind == INSTANT:
            n["endedTime"] = start
            n["lastActivityTime"] = start
            if ev == "flow-activity":
                n["activityName"] = info["activityName"]  # type: ignore[index]
                n["activityType"] = info["activityType"]  # type: ignore[index]
            elif ev == "blind-transfer":
                dest = info["dest"]  # type: ignore[index]
                n["transferType"] = "blindTransfer"
                n["destinationQueueId"] = dest.id  # type: ignore[attr-defined]
                n["destinationQueueName"] = dest.name  # type: ignore[attr-defined]
            elif ev == "ended":
                state = "wrapup" if has_wrap else "ended"
                n["terminationReason"] = info["reason"]  # type: ignore[index]
            elif ev == "new":
                state = "created"
        else:
            a_end = a.end
            if a_end < now:
                n["duration"] = a_end - start
                n["endedTime"] = a_end
                n["lastActivityTime"] = a_end
            else:
                n["duration"] = now - start
                n["isActive"] = True
                n["lastActivityTime"] = start
            state = STATUS_OF_KIND[kind]
            if kind == QUEUE:
                n["activityType"] = "queue-contact"
            elif kind == RING:
                n["contactAssignmentType"] = "automatic"
            elif kind == CONSULT:
                n["consultEpName"] = info["consultEpName"]  # type: ignore[index]
                n["childContactId"] = info["child"]  # type: ignore[index]
                n["childContactType"] = "telephony"
        n["nextState"] = state
        s = a.staff
        if s is not None:
            part = s.parts.get(ch)
            if part is None:
                part = s.parts[ch] = ctx.agent_part(s, ch)
            n.update(part)
        q = a.queue
        if q is not None:
            n.update(queue_parts[q.id])
        nodes.append(n)
    nodes.reverse()  # newest first, as the API lists them
    return nodes


def _render_nodes(task: TaskPlan, now: int, ctx: _Ctx) -> dict[str, object]:
    """The task's key, createdTime, channel and CAR nodes: all an activities page without a
    filter reads, and a legacy CAR (the CSR fields are a third of ``_render``'s time)."""
    return {
        "id": task.id,
        "createdTime": task.created,
        "channelType": task.channel,
        "_activities": _task_nodes(task, now, ctx),
        LAYOUT_KEY: NODES_LAYOUT,
    }


def _render(
    task: TaskPlan, now: int, ctx: _Ctx, with_nodes: bool = True, *, lean: bool = False
) -> dict[str, object]:
    """The task as the Search API serializes it at ``now`` (every CSR field, plus CAR nodes).

    ``with_nodes`` False leaves ``_activities`` empty (a third of the time goes into the nodes;
    the Search engine skips them for answers that select no activity and filter on none).
    ``lean`` (without nodes) also leaves the members of ``LEAN_SKIPPED`` at the template's
    placeholder and the record without a layout: for answers reading none of them (the task
    query's field set), which then cost about a third less.
    """
    ended = task.end < now
    ch = task.channel
    ep = task.ep
    flow = ep.flow
    tid = task.id

    ss_n = ss_d = q_n = q_d = ring_d = con_n = con_d = hold_n = hold_d = 0
    cons_n = cons_d = wrap_d = transfers = 0
    offered = connected = rec_available = False
    recordings = 0
    first_queue: Queue | None = None
    last_parked: Act | None = None
    prev_queue: Queue | None = None
    agent_act: Act | None = None
    prev_staff: Staff | None = None
    flow_names: list[str] = []
    transfer_dn: str | None = None
    cb_connect: int | None = None
    cb_staff: Staff | None = None  # the agent the callback connected to
    status = "ended"
    last_start = task.created
    ep_id, ep_name = ep.id, ep.name
    flow_id, flow_name, tag_id, tag_name = flow.id, flow.name, flow.tag_id, flow.tag_name
    email_att = task.email[2] if task.email is not None else None
    for a in task.acts:
        start = a.start
        if start >= now:
            break
        last_start = start
        kind = a.kind
        if kind == INSTANT:
            ev = a.event
            if ev == "flow-activity":
                flow_names.append(a.info["activityName"])  # type: ignore[index]
            elif ev == "recording-started":
                recordings += 1
            elif ev == "recording-available":
                rec_available = True
            elif ev == "blind-transfer":
                transfers += 1
        else:
            a_end = a.end
            if a_end < now:
                duration = a_end - start
            else:
                duration = now - start
                status = STATUS_OF_KIND[kind]
            if kind == TALK:
                con_d += duration
                if a.event == "connected":
                    con_n += 1
                    connected = True
                    if task.cb_request is not None and cb_connect is None:
                        cb_connect, cb_staff = start, a.staff
            elif kind == QUEUE:
                q_n += 1
                q_d += duration
                if first_queue is None:
                    first_queue = a.queue
                elif last_parked is not None:
                    prev_queue = last_parked.queue
                last_parked = a
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
                transfer_dn = a.info["transferEpDN"]  # type: ignore[index]
        s = a.staff
        if s is not None:
            if agent_act is not None and agent_act.staff is not s:
                prev_staff = agent_act.staff  # the agent before a transfer
            agent_act = a

    queue = last_parked.queue if last_parked is not None else None
    staff = agent_act.staff if agent_act is not None else None
    agent: Agent | None = staff.agent if staff is not None else None
    team = ctx.teams[agent.team_id] if agent is not None else None
    site = ctx.sites[agent.site_id] if agent is not None else None
    last_q_duration = None
    within_sl: bool | None = None
    if last_parked is not None:
        q_end = last_parked.end
        last_q_duration = (q_end if q_end < now else now) - last_parked.start
        if q_end < now and queue is not None:
            within_sl = offered and last_q_duration <= queue.service_level_ms
    cb = task.cb_request is not None and task.cb_request < now
    monitored = task.monitor is not None and task.monitor[0] < now
    email = task.email
    handled_end = ended and task.outcome in _HANDLED
    gvars = task.gvars

    # Start from the template (schema order, constant fields set) and fill in the rest; nested
    # objects are built fresh so callers may mutate a record.
    rec = _CSR_TEMPLATE.copy()
    rec["id"] = tid
    rec["status"] = status
    rec["channelType"] = ch
    rec["createdTime"] = task.created
    rec["origin"] = task.origin
    rec["destination"] = task.destination
    rec["contactReason"] = task.reason
    rec["direction"] = task.direction
    rec["channelSubType"] = ep.channel_sub_type
    rec["customer"] = {
        "name": task.customer_name,
        "phoneNumber": task.customer_phone,
        "email": task.customer_email,
    }
    rec["isActive"] = not ended
    rec["isCallback"] = cb
    if not lean:
        rec["channelMetaData"] = {
            "email": {"subject": email[0] if email is not None else None, "metadata": None},
            "chat": {"chatReason": task.chat_reason},
            "inBoundTranscript": (
                f"Customer: {task.chat_reason}\nAgent: Happy to help with that."
                if handled_end and ch == "chat"
                else None
            ),
            "outBoundTranscript": None,
        }
    if cb:
        connected_cb = cb_connect is not None
        rec["callbackData"] = {
            "callbackRequestTime": task.cb_request,
            "callbackConnectTime": cb_connect,
            "callbackNumber": task.cb_number,
            "callbackStatus": "success" if connected_cb else ("not processed" if ended else None),
            "callbackOrigin": "ivr",
            "callbackType": "Courtesy",
            "callbackQueueName": queue.name if queue is not None else None,
            "callbackAgentName": cb_staff.agent.name if cb_staff is not None else None,
            "callbackTeamName": (
                ctx.teams[cb_staff.agent.team_id].name if cb_staff is not None else None
            ),
            "callbackRetryCount": 0,
        }
    else:
        rec["callbackData"] = {
            "callbackRequestTime": None,
            "callbackConnectTime": None,
            "callbackNumber": None,
            "callbackStatus": None,
            "callbackOrigin": None,
            "callbackType": None,
            "callbackQueueName": None,
            "callbackAgentName": None,
            "callbackTeamName": None,
            "callbackRetryCount": None,
        }
    if queue is not None:
        rec["lastQueue"] = {"id": queue.id, "name": queue.name, "duration": last_q_duration}
        rec["routingType"] = queue.routing_type
        rec["contactPriority"] = task.priority
        rec["isContactEscalatedToQueue"] = True
        if queue.required_skills and not lean:
            rec["requiredSkills"] = _skill_list(queue.required_skills)
            rec["skillsAssignedIn"] = "queue"
            if connected and agent is not None:
                rec["matchedSkills"] = _skill_list(agent.skills[:1])
                rec["matchedSkillsProfile"] = agent.skill_profile
    else:
        rec["lastQueue"] = {"id": None, "name": None, "duration": None}
        rec["isContactEscalatedToQueue"] = False
    if agent is not None:
        assert staff is not None and team is not None and site is not None
        rec["lastSite"] = {"id": site.id, "name": site.name}
        rec["lastTeam"] = {"id": team.id, "name": team.name}
        rec["lastAgent"] = {
            "id": agent.id,
            "name": agent.name,
            "signInId": agent.sign_in_id,
            "sessionId": staff.session_id,
            "phoneNumber": agent.phone_number,
            "channelId": staff.channel_ids[ch],
        }
        rec["owner"] = {"id": agent.id, "name": agent.name}
    else:
        rec["lastSite"] = {"id": None, "name": None}
        rec["lastTeam"] = {"id": None, "name": None}
        rec["lastAgent"] = {
            "id": None,
            "name": None,
            "signInId": None,
            "sessionId": None,
            "phoneNumber": None,
            "channelId": None,
        }
        rec["owner"] = {"id": None, "name": None}
    rec["lastEntryPoint"] = {"id": ep_id, "name": ep_name}
    rec["ivrScriptName"] = flow_name
    rec["ivrScriptTagName"] = tag_name
    rec["ivrScriptId"] = flow_id
    rec["ivrScriptTagId"] = tag_id
    if not lean:
        rec["previousQueue"] = (
            {"id": prev_queue.id, "name": prev_queue.name}
            if prev_queue is not None
            else {"id": None, "name": None}
        )
        if prev_staff is not None:
            rec["previousAgentId"] = prev_staff.agent.id
            rec["previousAgentSessionId"] = prev_staff.session_id
            rec["previousAgentName"] = prev_staff.agent.name
        survey = task.survey if ended else None
        if survey is not None:
            rec["feedback"] = {
                "surveyOptIn": survey[0],
                "type": survey[1],
                "questionsAnswered": survey[2],
                "surveyCompleted": survey[3],
                "questionsPresented": survey[4],
                "comment": survey[5],
            }
        else:
            rec["feedback"] = {
                "surveyOptIn": None,
                "type": None,
                "questionsAnswered": None,
                "surveyCompleted": None,
                "questionsPresented": None,
                "comment": None,
            }
    if first_queue is not None:
        rec["firstQueueName"] = first_queue.name
        rec["firstQueueId"] = first_queue.id
    if ended:
        outcome = task.outcome
        rec["endedTime"] = task.end
        rec["terminationType"] = _TERMINATION_TYPE[outcome]
        rec["terminationReason"] = task.termination_reason
        rec["abandonedType"] = _ABANDONED_TYPE.get(outcome)
        rec["contactHandleType"] = _HANDLE_TYPE[outcome]
        rec["terminatingEnd"] = task.terminating_end
        wrap_code = task.wrap_code
        if wrap_code is not None:
            rec["lastWrapUpCodeId"] = wrap_code.id
            rec["lastWrapupCodeName"] = wrap_code.name
        if outcome in _ABANDONED and queue is not None:
            within = (last_q_duration or 0) <= queue.service_level_ms
            rec["abandonedSlCount"] = 1 if within else 0
        rec["agentHangupCount"] = 1 if task.terminating_end == "agent" and connected else 0
        rec["ivrEndedCount"] = 1 if outcome in _ENDED_IN_FLOW else 0
        rec["shortInIVRCount"] = 1 if outcome == "short_ivr" else 0
        rec["shortInQueueCount"] = 1 if outcome == "short_abandon" else 0
        rec["callCompletedCount"] = 1 if handled_end else 0
        rec["csatScore"] = task.csat
        rec["sentiment"] = task.sentiment
        if task.sentiment is not None:
            rec["autoCsat"] = f"{_AUTO_CSAT[task.sentiment]:.1f}"
        rec["lastActivityTime"] = task.end
    else:
        rec["lastActivityTime"] = last_start
    rec["botName"] = task.bot
    if email is not None and not lean:
        subject, message_id, _, cc = email
        rec["emailBody"] = f"<p>{subject}</p>"
        rec["emailContent"] = subject
        rec["emailContentType"] = "text/html"
        rec["emailDate"] = task.created - 3_000
        rec["emailMessageId"] = message_id
        rec["emailRef"] = message_id
        if handled_end:
            rec["emailReplyBody"] = "<p>Thank you for contacting us.</p>"
            rec["emailReplyContentType"] = "text/html"
        rec["emailCcList"] = cc
        rec["emailReplyTo"] = task.customer_email
        rec["emailToList"] = task.destination
        rec["isEmailSent"] = handled_end
        rec["emailHasAttachments"] = email_att
    if flow_names and not lean:
        rec["flowActivityName"] = flow_names[-1]
        rec["flowActivitySequence"] = ",".join(flow_names)
    rec["totalDuration"] = (task.end if ended else now) - task.created
    rec["blindTransferCount"] = transfers
    rec["consultCount"] = cons_n
    rec["consultDuration"] = cons_d
    rec["holdCount"] = hold_n
    rec["holdDuration"] = hold_d
    rec["selfserviceCount"] = ss_n
    rec["selfserviceDuration"] = ss_d
    rec["connectedCount"] = con_n
    rec["connectedDuration"] = con_d
    rec["transferCount"] = transfers
    rec["wrapupDuration"] = wrap_d
    rec["ringingDuration"] = ring_d
    rec["queueDuration"] = q_d
    rec["queueCount"] = q_n
    rec["captureRequested"] = recordings > 0
    rec["consultToEPCount"] = cons_n
    rec["consultToEPDuration"] = cons_d
    rec["agentToQueueTransferCount"] = transfers
    if not lean:
        rec["globalVariables"] = {name: value for name, _, value in gvars}
    rec["isWithInServiceLevel"] = within_sl
    rec["isContactOffered"] = offered
    rec["isContactHandled"] = connected
    rec["recordingCount"] = recordings
    if rec_available:
        rec["recordingLocation"] = f"/recordings/{ctx.org_id}/{tid}.wav"
        rec["recordingFileSize"] = (con_d - hold_d) * _RECORDING_BYTES_PER_MS
        rec["recordingStereoBlobId"] = f"{tid}-stereo"
        rec["isRecordingDeleted"] = False
    if monitored:
        assert task.monitor is not None
        rec["midcallMonitoringCount"] = 1
        rec["silentMonitoringCount"] = 1
        rec["totalMonitoringCount"] = 1
        rec["monitoringTimestamp"] = task.monitor[0]
        rec["monitorFullName"] = task.monitor[1]
    rec["isMonitored"] = monitored
    rec["isOutdial"] = task.direction == "outdial"
    rec["transferEpDN"] = transfer_dn
    if lean:
        rec["_activities"] = []
        return rec
    rec["_globalVariables"] = [{"name": n, "type": t, "value": v} for n, t, v in gvars]
    rec["_activities"] = _task_nodes(task, now, ctx) if with_nodes else []
    rec[LAYOUT_KEY] = CSR_LAYOUT
    return rec


_CSR_TEMPLATE: dict[str, object] = {
    "id": None,
    "status": None,
    "channelType": None,
    "createdTime": None,
    "endedTime": None,
    "origin": None,
    "destination": None,
    "contactReason": None,
    "direction": None,
    "terminationType": None,
    "channelSubType": None,
    "customer": None,
    "isActive": None,
    "isCampaign": False,
    "outdialType": None,
    "isCallback": None,
    "cpaStatus": None,
    "channelMetaData": None,
    "callbackData": None,
    "recordingLocation": None,
    "lastQueue": None,
    "lastSite": None,
    "lastTeam": None,
    "lastEntryPoint": None,
    "previousQueue": None,
    "preferredAgentSystemId": None,
    "terminationReason": None,
    "ivrScriptName": None,
    "ivrScriptTagName": None,
    "abandonedType": None,
    "contactHandleType": None,
    "feedback": None,
    "firstQueueName": None,
    "terminatingEnd": None,
    "lastWrapUpCodeId": None,
    "lastWrapupCodeName": None,
    "lastAgent": None,
    "abandonedSlCount": None,
    "agentHangupCount": None,
    "botName": None,
    "chainedInToEPCount": 0,
    "chainedInToQueueCount": 0,
    "emailBody": None,
    "emailContent": None,
    "emailContentType": None,
    "emailDate": None,
    "emailFullMessage": None,
    "emailMessageId": None,
    "emailRef": None,
    "emailReplyBody": None,
    "emailReplyContentType": None,
    "epTransferToEPCount": 0,
    "firstQueueId": None,
    "fullMonitoringCount": 0,
    "isHandledByPreferredAgent": False,
    "ivrEndedCount": None,
    "midcallMonitoringCount": None,
    "emailBccList": None,
    "emailCcList": None,
    "emailReplyTo": None,
    "emailToList": None,
    "isEmailSent": None,
    "emailHasAttachments": None,
    "routingType": None,
    "ivrScriptId": None,
    "ivrScriptTagId": None,
    "campaignId": None,
    "campaignName": None,
    "campaignStatus": None,
    "flowActivityName": None,
    "flowActivitySequence": None,
    "totalDuration": None,
    "csatScore": None,
    "blindTransferCount": None,
    "conferenceCount": 0,
    "conferenceDuration": 0,
    "consultCount": None,
    "consultDuration": None,
    "holdCount": None,
    "holdDuration": None,
    "selfserviceCount": None,
    "selfserviceDuration": None,
    "connectedCount": None,
    "connectedDuration": None,
    "consultToQueueCount": 0,
    "consultToQueueDuration": 0,
    "transferCount": None,
    "wrapupDuration": None,
    "ringingDuration": None,
    "queueDuration": None,
    "queueCount": None,
    "captureRequested": None,
    "isTranscriptionAvailable": None,
    "consultToEPCount": None,
    "consultToEPDuration": None,
    "outdialConsultToEPCount": 0,
    "outdialConsultToEPDuration": 0,
    "agentToDnTransferCount": 0,
    "agentToAgentTransferCount": 0,
    "callCompletedCount": None,
    "autoCsat": None,
    "globalVariables": None,
    "matchedSkills": None,
    "requiredSkills": None,
    "matchedSkillsProfile": None,
    "skillsAssignedIn": None,
    "isWithInServiceLevel": None,
    "isContactOffered": None,
    "transferErrorCount": 0,
    "isContactEscalatedToQueue": None,
    "isOptOutOfQueue": False,
    "isContactHandled": None,
    "outdialConsultToQueueCount": 0,
    "outdialConsultCount": 0,
    "overflowCount": 0,
    "pausedCount": 0,
    "pausedDuration": 0,
    "previousAgentId": None,
    "previousAgentSessionId": None,
    "previousAgentName": None,
    "queueTransferToEPCount": 0,
    "queueTransferToQueueCount": 0,
    "recordingFileSize": None,
    "recordingCount": None,
    "recordingErrorCount": 0,
    "resumedCount": 0,
    "shortInIVRCount": None,
    "shortInQueueCount": None,
    "silentMonitoringCount": None,
    "recordingStereoBlobId": None,
    "suddenDisconnectCount": 0,
    "totalMonitoringCount": None,
    "outdialConsultToQueueDuration": 0,
    "transferInToEPCount": 0,
    "isOutdial": None,
    "monitoringTimestamp": None,
    "isRecordingDeleted": None,
    "isMonitored": None,
    "monitorFullName": None,
    "isBarged": False,
    "bargedInDuration": 0,
    "bargedInCount": 0,
    "bargedInFailedCount": 0,
    "preferredAgentName": None,
    "agentTransferedInCount": 0,
    "agentToEntrypointTransferCount": 0,
    "agentToQueueTransferCount": None,
    "totalBnrDuration": None,
    "lastActivityTime": None,
    "postCallDuration": 0,
    "manualAssignCount": 0,
    "contactPriority": None,
    "transferEpDN": None,
    "topicName": None,
    "contactDriver": None,
    "owner": None,
    "sentiment": None,
    "_globalVariables": None,
    "_activities": None,
    LAYOUT_KEY: None,
}

_ID_NAME = flat("id", "name")
# What every CSR record ``_render`` returns keeps (its members are the template's, nested
# objects built with these members in this order, nodes copies of ``_node_base``).
CSR_LAYOUT = Layout(
    tuple(_CSR_TEMPLATE),
    nested={
        "customer": flat("name", "phoneNumber", "email"),
        "channelMetaData": Layout(
            ("email", "chat", "inBoundTranscript", "outBoundTranscript"),
            nested={"email": flat("subject", "metadata"), "chat": flat("chatReason")},
        ),
        "callbackData": flat(
            "callbackRequestTime",
            "callbackConnectTime",
            "callbackNumber",
            "callbackStatus",
            "callbackOrigin",
            "callbackType",
            "callbackQueueName",
            "callbackAgentName",
            "callbackTeamName",
            "callbackRetryCount",
        ),  # fmt: skip
        "lastQueue": flat("id", "name", "duration"),
        "lastSite": _ID_NAME,
        "lastTeam": _ID_NAME,
        "lastEntryPoint": _ID_NAME,
        "previousQueue": _ID_NAME,
        "feedback": flat(
            "surveyOptIn",
            "type",
            "questionsAnswered",
            "surveyCompleted",
            "questionsPresented",
            "comment",
        ),  # fmt: skip
        "lastAgent": flat("id", "name", "signInId", "sessionId", "phoneNumber", "channelId"),
        "owner": _ID_NAME,
    },
    nodes=Layout(CAR_NODE_FIELDS),
)
# What ``_render(..., lean=True)`` leaves at the template's placeholder (the rest it fills as
# ``_render`` does): members costly to build that the task query's field set does not read.
LEAN_SKIPPED = frozenset(
    (
        "channelMetaData",
        "requiredSkills",
        "skillsAssignedIn",
        "matchedSkills",
        "matchedSkillsProfile",
        "previousQueue",
        "previousAgentId",
        "previousAgentSessionId",
        "previousAgentName",
        "feedback",
        "emailBody",
        "emailContent",
        "emailContentType",
        "emailDate",
        "emailMessageId",
        "emailRef",
        "emailReplyBody",
        "emailReplyContentType",
        "emailCcList",
        "emailReplyTo",
        "emailToList",
        "isEmailSent",
        "emailHasAttachments",
        "flowActivityName",
        "flowActivitySequence",
        "globalVariables",
        "_globalVariables",
        "_activities",
        LAYOUT_KEY,
    )
)
LEAN_FIELDS = frozenset(_CSR_TEMPLATE) - LEAN_SKIPPED
# What ``_render_nodes`` returns keeps.
NODES_LAYOUT = Layout(
    ("id", "createdTime", "channelType", "_activities", LAYOUT_KEY), nodes=CSR_LAYOUT.nodes
)


_AUTO_CSAT = {"positive": 4.4, "neutral": 3.5, "negative": 2.1}


# --- agent sessions -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentActivity:
    """One agent state interval on one channel (an AAR node); ``end_ms`` None while current."""

    state: str  # available | idle | ringing | connected | on-hold | consulting | wrapup
    start_ms: int
    end_ms: int | None
    task_id: str | None = None
    queue: Queue | None = None
    idle_code: Code | None = None
    wrapup_code: Code | None = None
    is_outdial: bool = False
    is_login: bool = False
    is_logout: bool = False


@dataclass(frozen=True)
class SessionChannel:
    channel_id: str
    channel_type: str
    activities: tuple[AgentActivity, ...]  # oldest first; they tile the session


@dataclass(frozen=True)
class AgentSession:
    """An agent's login session (ASR) as seen at ``now``: ``end_ms`` None while logged in."""

    session_id: str
    agent: Agent
    team_id: str
    site_id: str
    start_ms: int
    end_ms: int | None
    channels: tuple[SessionChannel, ...]

    @property
    def is_active(self) -> bool:
        return self.end_ms is None


def _session(s: Staff, now: int) -> AgentSession:
    end = s.end
    cut = end >= now  # still logged in at now
    channels = []
    for ch in CHANNELS:
        # View at now: what started before now; the current one open.
        seen = []
        for a_start, a_end, state, task_id, queue, idle, wrap, outdial in channel_spans(s, ch):
            if a_start >= now:
                break
            seen.append(
                AgentActivity(
                    state,
                    a_start,
                    None if a_end >= now else a_end,
                    task_id,
                    queue,
                    idle,
                    wrap,
                    outdial,
                )
            )
        if seen:
            seen[0] = _flag(seen[0], login=True, logout=False)
            if not cut:
                seen[-1] = _flag(seen[-1], login=seen[-1].is_login, logout=True)
        channels.append(SessionChannel(s.channel_ids[ch], ch, tuple(seen)))
    return AgentSession(
        s.session_id,
        s.agent,
        s.agent.team_id,
        s.agent.site_id,
        s.start,
        None if cut else end,
        tuple(channels),
    )


def _flag(a: AgentActivity, *, login: bool, logout: bool) -> AgentActivity:
    return AgentActivity(
        a.state,
        a.start_ms,
        a.end_ms,
        a.task_id,
        a.queue,
        a.idle_code,
        a.wrapup_code,
        a.is_outdial,
        login,
        logout,
    )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector while a day is built.

    A day allocates hundreds of thousands of small objects and no reference cycles, so the
    collector's repeated passes over the growing heap only cost time (a third of a cold day).
    Reference counting still frees everything; the collector resumes afterwards if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- simulated days, kept by memory -----------------------------------------------------------

# What a simulated day holds in memory, per task (its plan, activities and agent work: a
# 170,000-task day takes ~530 MB) and per agent session.
DAY_BYTES_PER_TASK = 3_200
DAY_BYTES_PER_SESSION = 40_000
MIN_CACHED_DAYS = 4  # a UTC-day window by endedTime reads three local days, plus one to come
MAX_CACHED_DAYS = 64


def day_cache_budget() -> int:
    """Bytes of simulated days a tenant keeps: an eighth of the machine's memory (a 2-day
    load at 150,000 tasks a day reads three local days of ~530 MB each); never a user knob.
    At least four days are kept whatever their size."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        physical = 8 * 1024**3
    return max(512 * 1024**2, physical // 8)


def day_bytes(plan: DayPlan) -> int:
    """The memory a simulated day is reckoned to hold (see ``DAY_BYTES_PER_TASK``)."""
    return len(plan.tasks) * DAY_BYTES_PER_TASK + len(plan.staff) * DAY_BYTES_PER_SESSION


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int  # days the budget holds at the size of the days kept (at least four)
    currsize: int
    bytes: int  # reckoned bytes of the days kept
    budget: int


class DayCache:
    """``simulate(day)`` memoized, least recently used days dropped past a memory budget.

    A day is simulated once while it is kept: every window, root and record family over it
    reads the same plan, so a client paging several windows side by side never makes the model
    simulate a day again (the day cache used to hold four days whatever their size). The budget
    is reckoned from the days' task and session counts, not measured: the same calls keep the
    same days on any machine with the same memory, and answers never depend on it.
    """

    def __init__(
        self,
        simulate: Callable[[int], DayPlan],
        *,
        max_days: int | None = None,
        budget: int | None = None,
    ) -> None:
        self._simulate = simulate
        self.max_days = max_days  # a fixed count (tests); None: by memory
        self.budget = day_cache_budget() if budget is None else budget
        self._days: OrderedDict[int, tuple[DayPlan, int]] = OrderedDict()
        self._bytes = 0
        self._hits = self._misses = 0
        self._lock = threading.Lock()

    def __call__(self, day: int) -> DayPlan:
        with self._lock:
            kept = self._days.get(day)
            if kept is not None:
                self._days.move_to_end(day)
                self._hits += 1
                return kept[0]
            self._misses += 1
        plan = self._simulate(day)  # outside the lock: deterministic, a race only repeats it
        size = day_bytes(plan)
        with self._lock:
            if day not in self._days:
                self._days[day] = (plan, size)
                self._bytes += size
            self._shrink()
        return plan

    def _shrink(self) -> None:
        days = self._days
        while len(days) > 1:
            over_count = len(days) > (self.max_days or MAX_CACHED_DAYS)
            over_bytes = (
                self.max_days is None and len(days) > MIN_CACHED_DAYS and self._bytes > self.budget
            )
            if not (over_count or over_bytes):
                return
            _day, (_plan, size) = days.popitem(last=False)
            self._bytes -= size

    def cache_info(self) -> CacheInfo:
        with self._lock:
            n = len(self._days)
            if self.max_days is not None:
                maxsize = self.max_days
            else:
                each = self._bytes // n if n else 1
                maxsize = min(MAX_CACHED_DAYS, max(MIN_CACHED_DAYS, self.budget // max(1, each)))
            return CacheInfo(self._hits, self._misses, maxsize, n, self._bytes, self.budget)

    def cache_clear(self) -> None:
        with self._lock:
            self._days.clear()
            self._bytes = 0


# --- the tenant -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordRefs:
    """The records of one window as references into the simulation, rendered on demand.

    ``refs`` come in the order the record method yields the records; ``render(refs,
    with_nodes)`` renders any of them (a page, say) at the window's ``now`` exactly as that
    method would (``with_nodes`` False: tasks without their CAR nodes, sessions without their
    AAR nodes). ``weight`` is what the
    references keep alive, in records (an agent session counts its activities / 5); ``open``
    whether a record is still active at ``now``. ``key_of(ref)`` is the record's
    ``key_field`` (its id), read from the reference: the engine finds a record by id this way.
    """

    refs: list[Any]
    weight: int
    open: bool
    render: Callable[[Sequence[Any], bool], list[dict[str, object]]]
    key_field: str | None = None  # the record field ``key_of(ref)`` gives without rendering
    key_of: Callable[[Any], Any] = lambda _ref: None
    # Records holding only ``nodes_fields`` and their activity nodes (``_activities``), for an
    # answer reading nothing else: a page of activities without a filter.
    render_nodes: Callable[[Sequence[Any]], list[dict[str, object]]] | None = None
    nodes_fields: frozenset[str] = frozenset()
    # Records without nodes filling only ``lean_fields`` (the other members hold placeholders),
    # for an answer without a filter that reads nothing else: the task query's pages.
    render_lean: Callable[[Sequence[Any]], list[dict[str, object]]] | None = None
    lean_fields: frozenset[str] = frozenset()
    # Records as JSON text: ``render_text(refs, n)`` gives each ``orjson.dumps`` of the record
    # ``render`` gives (keeping ``text_layout``) reduced to its first n public members, for an
    # answer that shows them as they are.
    render_text: Callable[[Sequence[Any], int], list[str]] | None = None
    text_layout: Layout | None = None


class Tenant:
    """A simulated WxCC org: entities plus tasks and agent sessions, deterministic per seed."""

    def __init__(
        self,
        seed: int = 42,
        tasks_per_day: int = 2000,
        *,
        cache_days: int | None = None,
        cache_dir: Path | str | None = None,
    ) -> None:
        """``cache_dir``: keep simulated days on disk there (``sandbox.daystore``), so another
        tenant with the same seed and volume, in this process or a later one, reads them
        instead of simulating them; None keeps them in memory only."""
        if tasks_per_day < 0:
            raise ValueError("tasks_per_day must be >= 0")
        self.seed = seed
        self.tasks_per_day = tasks_per_day
        self.entities: Entities = build_entities(seed, tasks_per_day)
        self.org_id: str = self.entities.org_id
        self._ctx = _Ctx(self.entities)
        self._records_ctx = RecordContext(self.entities)
        self.day_store: DayStore | None = (
            None
            if cache_dir is None
            else DayStore(Path(cache_dir), self.entities, seed, tasks_per_day)
        )
        self._day = cached(self._simulate_anew, self.day_store)
        # Days kept by memory (a year at 10,000 tasks/day is served window by window).
        self.day = DayCache(self._simulate, max_days=cache_days)

    def _simulate(self, day: int) -> DayPlan:
        """The day from the disk cache if there is one and it holds it, else simulated."""
        with gc_paused():
            return self._day(day)

    def _simulate_anew(self, day: int) -> DayPlan:
        return simulate_day(self.entities, self.seed, self.tasks_per_day, day)

    # -- entities (shortcuts) ----------------------------------------------------------------

    @property
    def global_variables(self) -> tuple[GlobalVariableDef, ...]:
        return self.entities.global_variables

    # -- tasks -------------------------------------------------------------------------------

    def _plans(
        self, start_ms: int, end_ms: int, now_ms: int, time_field: str
    ) -> Iterator[TaskPlan]:
        if time_field == "createdTime":
            hi = min(end_ms, now_ms)
            if start_ms >= hi:
                return
            for day in range(day_of(start_ms), day_of(hi - 1) + 1):
                plan = self.day(day)
                created = plan.created
                i = bisect_left(created, start_ms)
                j = bisect_left(created, hi)
                yield from plan.tasks[i:j]
        elif time_field == "endedTime":
            hi = min(end_ms, now_ms)
            if start_ms >= hi:
                return
            # Tasks created up to MAX_TASK_LIFETIME_MS before the window may end inside it.
            for day in range(day_of(start_ms - MAX_TASK_LIFETIME_MS), day_of(hi - 1) + 1):
                for t in self.day(day).tasks:
                    if start_ms <= t.end < hi:
                        yield t
        else:
            raise ValueError(f"time_field must be createdTime or endedTime, not {time_field!r}")

    def tasks(
        self,
        start_ms: int,
        end_ms: int,
        now_ms: int,
        time_field: str = "createdTime",
        *,
        with_nodes: bool = True,
    ) -> Iterator[dict[str, object]]:
        """CSR records (API shape at ``now_ms``) of tasks whose ``time_field`` is in the window.

        Only tasks created before ``now_ms`` exist; with ``endedTime`` only tasks ended before
        ``now_ms`` have one. Ascending by createdTime, then id. ``with_nodes`` False: no CAR
        nodes (``_activities`` empty), for readers of the CSR fields alone.
        """
        ctx = self._ctx
        for plan in self._plans(start_ms, end_ms, now_ms, time_field):
            yield _render(plan, now_ms, ctx, with_nodes)

    def task_count(
        self, start_ms: int, end_ms: int, now_ms: int, time_field: str = "createdTime"
    ) -> int:
        """How many records ``tasks`` yields for the same arguments (without rendering them)."""
        return sum(1 for _ in self._plans(start_ms, end_ms, now_ms, time_field))

    def task_plans(
        self, start_ms: int, end_ms: int, now_ms: int, time_field: str = "createdTime"
    ) -> Iterator[TaskPlan]:
        """The simulation's own task objects (for tests and other sandbox record families)."""
        return self._plans(start_ms, end_ms, now_ms, time_field)

    def record_index(
        self,
        source: str,
        start_ms: int,
        end_ms: int,
        now_ms: int,
        time_field: str = "createdTime",
    ) -> RecordRefs:
        """The records ``getattr(self, source)(start, end, now[, time_field])`` yields, as
        references rendered on demand (no record is rendered here): the Search engine's index of
        windows too large to keep rendered. Task and leg references are the simulation's own
        objects; a session reference keeps its staff and the day's agent work, not the day.
        """
        if source in ("tasks", "legacy_tasks"):
            plans = list(self._plans(start_ms, end_ms, now_ms, time_field))
            ctx = self._ctx
            legacy = source == "legacy_tasks"

            def render_tasks(refs: Sequence[Any], with_nodes: bool) -> list[dict[str, object]]:
                with gc_paused():
                    out = [_render(p, now_ms, ctx, with_nodes) for p in refs]
                if legacy:
                    for rec in out:
                        rec["entryPoint"] = dict(rec["lastEntryPoint"])  # type: ignore[call-overload]
                return out

            def render_nodes(refs: Sequence[Any]) -> list[dict[str, object]]:
                with gc_paused():
                    return [_render_nodes(p, now_ms, ctx) for p in refs]

            def render_lean(refs: Sequence[Any]) -> list[dict[str, object]]:
                with gc_paused():
                    return [_render(p, now_ms, ctx, False, lean=True) for p in refs]

            is_open = any(p.end >= now_ms for p in plans)
            if legacy:
                return RecordRefs(plans, len(plans), is_open, render_tasks, "id", _plan_id)
            return RecordRefs(
                plans,
                len(plans),
                is_open,
                render_tasks,
                "id",
                _plan_id,
                render_nodes,
                frozenset(("id", "createdTime", "channelType")),
                render_lean,
                LEAN_FIELDS,
            )
        if source == "task_legs":
            legs = list(self._legs(start_ms, end_ms, now_ms, time_field))
            rctx = self._records_ctx

            def render_legs(refs: Sequence[Any], _with_nodes: bool) -> list[dict[str, object]]:
                with gc_paused():
                    return [render_leg(leg, now_ms, rctx) for leg in refs]

            def render_legs_text(refs: Sequence[Any], members: int) -> list[str]:
                with gc_paused():
                    return [render_leg_text(leg, now_ms, rctx, members) for leg in refs]

            is_open = any(leg[6] >= now_ms for leg in legs)
            return RecordRefs(
                legs,
                len(legs),
                is_open,
                render_legs,
                "id",
                _leg_id,
                render_text=render_legs_text,
                text_layout=CLR_LAYOUT,
            )
        if source == "agent_sessions_records":
            shells: dict[int, DayPlan] = {}
            pairs: list[tuple[DayPlan, Staff]] = []
            for plan, staff in self._staff(start_ms, end_ms, now_ms):
                shell = shells.get(plan.day)
                if shell is None:
                    shell = shells[plan.day] = DayPlan(plan.day, plan.start, plan.end, [], [])
                    shell.derived["agent_work"] = _agent_work(plan)
                pairs.append((shell, staff))

            def render_sessions(refs: Sequence[Any], with_nodes: bool) -> list[dict[str, object]]:
                rctx = self._records_ctx
                with gc_paused():
                    return [render_session(s, now_ms, rctx, shell, with_nodes) for shell, s in refs]

            weight = sum(1 + len(s.log) // 5 for _p, s in pairs)
            is_open = any(s.end >= now_ms for _p, s in pairs)
            return RecordRefs(
                pairs, weight, is_open, render_sessions, "agentSessionId", _pair_session_id
            )
        raise ValueError(f"unknown record source {source!r}")

    # -- agent sessions ----------------------------------------------------------------------

    def agent_sessions(self, start_ms: int, end_ms: int, now_ms: int) -> list[AgentSession]:
        """Sessions whose start lies in ``[start_ms, end_ms)`` and before ``now_ms``, seen at now.

        Ascending by start, then session id.
        """
        hi = min(end_ms, now_ms)
        if start_ms >= hi:
            return []
        out = []
        for day in range(day_of(start_ms), day_of(hi - 1) + 1):
            for s in self.day(day).staff:
                if start_ms <= s.start < hi:
                    out.append(_session(s, now_ms))
        out.sort(key=lambda x: (x.start_ms, x.session_id))
        return out

    def agent_sessions_records(
        self, start_ms: int, end_ms: int, now_ms: int
    ) -> Iterator[dict[str, object]]:
        """agentSession records (API shape at ``now_ms``) of sessions started in the window.

        Every ASR field, ``channelInfo`` (one entry per channel) and per channel ``_activities``
        (AAR nodes, newest first). Ascending by startTime, then agentSessionId.
        """
        ctx = self._records_ctx
        for plan, s in self._staff(start_ms, end_ms, now_ms):
            yield render_session(s, now_ms, ctx, plan)

    def agent_session_count(self, start_ms: int, end_ms: int, now_ms: int) -> int:
        """How many records ``agent_sessions_records`` yields (without rendering them)."""
        return sum(1 for _ in self._staff(start_ms, end_ms, now_ms))

    def _staff(self, start_ms: int, end_ms: int, now_ms: int) -> Iterator[tuple[DayPlan, Staff]]:
        hi = min(end_ms, now_ms)
        if start_ms >= hi:
            return
        for day in range(day_of(start_ms), day_of(hi - 1) + 1):
            plan = self.day(day)
            found = [s for s in plan.staff if start_ms <= s.start < hi]
            found.sort(key=_staff_key)
            for s in found:
                yield plan, s

    # -- task legs ---------------------------------------------------------------------------

    def task_legs(
        self, start_ms: int, end_ms: int, now_ms: int, time_field: str = "createdTime"
    ) -> Iterator[dict[str, object]]:
        """taskLegDetails records (CLR, API shape at ``now_ms``) whose ``time_field`` is in the
        window: one leg per queue visit (the first from the task's creation, then one per
        transfer). Only legs created before ``now_ms`` exist; with ``endedTime`` only legs ended
        before ``now_ms`` have one. Ascending by the leg's createdTime, then id.
        """
        ctx = self._records_ctx
        for leg in self._legs(start_ms, end_ms, now_ms, time_field):
            yield render_leg(leg, now_ms, ctx)

    def task_leg_count(
        self, start_ms: int, end_ms: int, now_ms: int, time_field: str = "createdTime"
    ) -> int:
        """How many records ``task_legs`` yields (without rendering them)."""
        return sum(1 for _ in self._legs(start_ms, end_ms, now_ms, time_field))

    def _legs(self, start_ms: int, end_ms: int, now_ms: int, time_field: str) -> Iterator[Any]:
        hi = min(end_ms, now_ms)
        if start_ms >= hi:
            return
        if time_field == "createdTime":
            # A leg starts on the simulation day of its task (transfers happen in open hours).
            for day in range(day_of(start_ms), day_of(hi - 1) + 1):
                legs, created = day_legs(self.day(day))
                yield from legs[bisect_left(created, start_ms) : bisect_left(created, hi)]
        elif time_field == "endedTime":
            found = []
            for day in range(day_of(start_ms - MAX_TASK_LIFETIME_MS), day_of(hi - 1) + 1):
                for leg in day_legs(self.day(day))[0]:
                    if start_ms <= leg[6] < hi:
                        found.append(leg)
            found.sort(key=_leg_sort)
            yield from found
        else:
            raise ValueError(f"time_field must be createdTime or endedTime, not {time_field!r}")

    # -- legacy task query -------------------------------------------------------------------

    def legacy_tasks(
        self, start_ms: int, end_ms: int, now_ms: int, time_field: str = "createdTime"
    ) -> Iterator[dict[str, object]]:
        """Records of the legacy ``task`` query: the CSR record plus ``entryPoint {id name}``
        (the entry point the task arrived on; no chained entry points, so = lastEntryPoint)."""
        for rec in self.tasks(start_ms, end_ms, now_ms, time_field):
            ep = rec["lastEntryPoint"]
            rec["entryPoint"] = dict(ep)  # type: ignore[call-overload]
            yield rec


def _plan_id(plan: TaskPlan) -> str:
    return plan.id


def _leg_id(leg: Any) -> str:
    return leg[1]  # type: ignore[no-any-return]


def _pair_session_id(pair: tuple[DayPlan, Staff]) -> str:
    return pair[1].session_id


def _staff_key(s: Staff) -> tuple[int, str]:
    return (s.start, s.session_id)


def _leg_sort(leg: Any) -> tuple[int, str]:
    return (leg[0], leg[1])
