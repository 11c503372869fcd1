"""The legacy v1 records (CSR, CAR, ASR, AAR) of the data model: flat dicts with legacy names.

This is the legacy family's view of ``sandbox.model.Tenant``: the HTTP app renders these records
as JSON or CSV, and the ground truth builds its Parquet files from them. The same tenant state
as the Search API, so a CSR is exactly a task of ``taskDetails`` at the same ``now``.

A window ``[start_ms, end_ms)`` selects records by their own start instant:

- CSR (``csrs``): tasks created in the window (``cstts``), key ``sid`` (the task id);
- CAR (``cars``): task activities started in the window (``cstts``), key ``id``
  (``{session}-{timestamp}-{event}``); ``session`` is the CSR's ``sid``;
- ASR (``asrs``): agent sessions started in the window (``stts``), key ``sid`` (the agent
  session id);
- AAR (``aars``): agent activities started in the window (``stts``), key ``id``
  (``{channelId}-{channelType}-{startTime}-{state}``); ``session`` is the ASR's ``sid``.

Records come ascending by their start instant, then key. Only what started before ``now``
exists; a record still open at ``now`` has a null end (``cetts``/``etts``) and its duration
counted to ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any

DAY_MS = 86_400_000
# A task lasts at most a day (sandbox.model.MAX_TASK_LIFETIME_MS) and an agent session less than
# one, so the activities of a window belong to parents started at most this long before it.
PARENT_LOOKBACK_MS = DAY_MS

Record = dict[str, Any]


@dataclass(frozen=True)
class RecordType:
    """One legacy record type: its path segment, key field, start and end instant fields."""

    path: str  # csrs | cars | asrs | aars
    key: str
    start: str
    end: str
    fields: tuple[str, ...]  # every field, in the order the API lists them


CSR_FIELDS: tuple[str, ...] = (
    "sid", "cstts", "cetts", "channelType", "direction", "contactState", "ani", "dnis",
    "callerId", "customerName", "entryPointId", "entryPointName", "queueId", "queueName",
    "agentId", "agentName", "agentSessionId", "teamId", "teamName", "siteId", "siteName",
    "terminationType", "terminatingEnd", "wrapupCodeName", "contactReason",
    "flowActivitySequence", "transcript", "isCallback", "csatScore", "duration", "ivrDuration",
    "queueDuration", "ringDuration", "talkDuration", "holdDuration", "holdCount",
    "consultCount", "transferCount", "wrapupDuration",
)  # fmt: skip

CAR_FIELDS: tuple[str, ...] = (
    "id", "session", "cstts", "cetts", "event", "previousState", "state", "channelType",
    "agentId", "agentName", "agentSessionId", "queueId", "queueName", "entryPointId",
    "activityName", "terminationReason", "duration",
)  # fmt: skip

ASR_FIELDS: tuple[str, ...] = (
    "sid", "stts", "etts", "agentId", "agentName", "agentLogin", "teamId", "teamName", "siteId",
    "siteName", "state", "signOutReason", "channels", "duration", "availableDuration",
    "idleDuration", "ringDuration", "talkDuration", "holdDuration", "wrapupDuration",
    "contactsHandled",
)  # fmt: skip

AAR_FIELDS: tuple[str, ...] = (
    "id", "session", "stts", "etts", "agentId", "channelId", "channelType", "state",
    "idleCodeName", "wrapupCodeName", "contactSession", "queueId", "queueName", "isOutdial",
    "duration",
)  # fmt: skip

CSR = RecordType("csrs", "sid", "cstts", "cetts", CSR_FIELDS)
CAR = RecordType("cars", "id", "cstts", "cetts", CAR_FIELDS)
ASR = RecordType("asrs", "sid", "stts", "etts", ASR_FIELDS)
AAR = RecordType("aars", "id", "stts", "etts", AAR_FIELDS)
RECORD_TYPES: dict[str, RecordType] = {t.path: t for t in (CSR, CAR, ASR, AAR)}


def _caller_id(task: Record) -> str | None:
    """A SIP-style caller id (``"Name" <number>``) for voice calls with a known caller."""
    name = task["customer"]["name"]
    if task["channelType"] != "telephony" or name is None:
        return task["origin"]
    return f'"{name}" <{task["origin"]}>'


def csr_of(task: Record) -> Record:
    """The CSR of one task record (``Tenant.tasks`` shape)."""
    agent = task["lastAgent"]
    return {
        "sid": task["id"],
        "cstts": task["createdTime"],
        "cetts": task["endedTime"],
        "channelType": task["channelType"],
        "direction": task["direction"],
        "contactState": task["status"],
        "ani": task["origin"],
        "dnis": task["destination"],
        "callerId": _caller_id(task),
        "customerName": task["customer"]["name"],
        "entryPointId": task["lastEntryPoint"]["id"],
        "entryPointName": task["lastEntryPoint"]["name"],
        "queueId": task["lastQueue"]["id"],
        "queueName": task["lastQueue"]["name"],
        "agentId": agent["id"],
        "agentName": agent["name"],
        "agentSessionId": agent["sessionId"],
        "teamId": task["lastTeam"]["id"],
        "teamName": task["lastTeam"]["name"],
        "siteId": task["lastSite"]["id"],
        "siteName": task["lastSite"]["name"],
        "terminationType": task["terminationType"],
        "terminatingEnd": task["terminatingEnd"],
        "wrapupCodeName": task["lastWrapupCodeName"],
        "contactReason": task["contactReason"],
        "flowActivitySequence": task["flowActivitySequence"],
        "transcript": task["channelMetaData"]["inBoundTranscript"],
        "isCallback": task["isCallback"],
        "csatScore": task["csatScore"],
        "duration": task["totalDuration"],
        "ivrDuration": task["selfserviceDuration"],
        "queueDuration": task["queueDuration"],
        "ringDuration": task["ringingDuration"],
        "talkDuration": task["connectedDuration"],
        "holdDuration": task["holdDuration"],
        "holdCount": task["holdCount"],
        "consultCount": task["consultCount"],
        "transferCount": task["transferCount"],
        "wrapupDuration": task["wrapupDuration"],
    }


def car_of(task: Record, node: Record) -> Record:
    """The CAR of one activity node of a task."""
    return {
        "id": node["id"],
        "session": task["id"],
        "cstts": node["createdTime"],
        "cetts": None if node["isActive"] else node["endedTime"],
        "event": node["eventName"],
        "previousState": node["previousState"],
        "state": node["nextState"],
        "channelType": task["channelType"],
        "agentId": node["agentId"],
        "agentName": node["agentName"],
        "agentSessionId": node["agentSessionId"],
        "queueId": node["queueId"],
        "queueName": node["queueName"],
        "entryPointId": node["entrypointId"],
        "activityName": node["activityName"],
        "terminationReason": node["terminationReason"],
        "duration": node["duration"],
    }


def _sum(channels: list[Record], field: str) -> int:
    return sum(c[field] or 0 for c in channels)


def asr_of(session: Record, now_ms: int) -> Record:
    """The ASR of one agent session record (``Tenant.agent_sessions_records`` shape)."""
    channels = session["channelInfo"]
    ended = not session["isActive"]
    end = session["endTime"] if ended else None
    return {
        "sid": session["agentSessionId"],
        "stts": session["startTime"],
        "etts": end,
        "agentId": session["agentId"],
        "agentName": session["agentName"],
        "agentLogin": session["userLoginId"],
        "teamId": session["teamId"],
        "teamName": session["teamName"],
        "siteId": session["siteId"],
        "siteName": session["siteName"],
        "state": session["state"],
        "signOutReason": session["agentSignOutReason"],
        "channels": ",".join(c["channelType"] for c in channels),
        "duration": (end if end is not None else now_ms) - session["startTime"],
        "availableDuration": _sum(channels, "availableDuration"),
        "idleDuration": _sum(channels, "idleDuration"),
        "ringDuration": _sum(channels, "ringingDuration"),
        "talkDuration": _sum(channels, "connectedDuration"),
        "holdDuration": _sum(channels, "holdDuration"),
        "wrapupDuration": _sum(channels, "wrapupDuration"),
        "contactsHandled": _sum(channels, "connectedCount"),
    }


def aar_of(session: Record, channel: Record, node: Record) -> Record:
    """The AAR of one activity node of an agent session's channel."""
    return {
        "id": node["id"],
        "session": session["agentSessionId"],
        "stts": node["startTime"],
        "etts": node["endTime"],
        "agentId": session["agentId"],
        "channelId": channel["channelId"],
        "channelType": channel["channelType"],
        "state": node["state"],
        "idleCodeName": node["idleCode"]["name"],
        "wrapupCodeName": node["wrapupCode"]["name"],
        "contactSession": node["taskId"],
        "queueId": node["queue"]["id"],
        "queueName": node["queue"]["name"],
        "isOutdial": node["isOutdial"],
        "duration": node["duration"],
    }


def _by_start(rtype: RecordType, records: list[Record]) -> list[Record]:
    records.sort(key=itemgetter(rtype.start, rtype.key))
    return records


def csrs(tenant: Any, start_ms: int, end_ms: int, now_ms: int) -> list[Record]:
    """CSRs of the tasks created in ``[start_ms, end_ms)`` before ``now_ms``."""
    index = tenant.record_index("tasks", start_ms, end_ms, now_ms)
    # A CSR reads the task's own fields only: rendered without its CAR nodes (a third of the
    # rendering, and the bulk of a legacy truth file's time).
    return _by_start(CSR, [csr_of(t) for t in index.render(index.refs, False)])


def cars(tenant: Any, start_ms: int, end_ms: int, now_ms: int) -> list[Record]:
    """CARs of the task activities started in ``[start_ms, end_ms)`` before ``now_ms``."""
    index = tenant.record_index("tasks", start_ms - PARENT_LOOKBACK_MS, end_ms, now_ms)
    hi = min(end_ms, now_ms)
    plans = [p for p in index.refs if any(start_ms <= a.start < hi for a in p.acts)]
    out = []
    # A CAR reads the task's id and channel and its nodes: the CSR fields are not rendered.
    render_nodes = getattr(index, "render_nodes", None)
    tasks = render_nodes(plans) if render_nodes is not None else index.render(plans, True)
    for task in tasks:
        for node in task["_activities"]:
            if start_ms <= node["createdTime"] < end_ms:
                out.append(car_of(task, node))
    return _by_start(CAR, out)


def asrs(tenant: Any, start_ms: int, end_ms: int, now_ms: int) -> list[Record]:
    """ASRs of the agent sessions started in ``[start_ms, end_ms)`` before ``now_ms``."""
    index = tenant.record_index("agent_sessions_records", start_ms, end_ms, now_ms)
    # An ASR reads the session's fields and its channels' statistics, never an AAR node: the
    # sessions are rendered without them (the statistics are computed all the same).
    return _by_start(ASR, [asr_of(s, now_ms) for s in index.render(index.refs, False)])


def aars(tenant: Any, start_ms: int, end_ms: int, now_ms: int) -> list[Record]:
    """AARs of the agent activities started in ``[start_ms, end_ms)`` before ``now_ms``."""
    index = tenant.record_index(
        "agent_sessions_records", start_ms - PARENT_LOOKBACK_MS, end_ms, now_ms
    )
    # A session holds activities of the window only if it overlaps it.
    pairs = [(p, s) for p, s in index.refs if s.start < end_ms and s.end >= start_ms]
    out = []
    for session in index.render(pairs, True):
        for channel in session["channelInfo"]:
            for node in channel["_activities"]:
                if start_ms <= node["startTime"] < end_ms:
                    out.append(aar_of(session, channel, node))
    return _by_start(AAR, out)


SOURCES = {"csrs": csrs, "cars": cars, "asrs": asrs, "aars": aars}


def records(path: str, tenant: Any, start_ms: int, end_ms: int, now_ms: int) -> list[Record]:
    """The records of type ``path`` (``csrs`` ...) in the window, ascending by start, then key."""
    return SOURCES[path](tenant, start_ms, end_ms, now_ms)
