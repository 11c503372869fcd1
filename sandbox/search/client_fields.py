"""Fields real clients select that the data model does not hold: their values, derived from the
record (seeded by its id where a choice is needed), so every answer agrees with every other.

Each field is listed with its source in sandbox/README.md ("Requests real clients send"). A
record member of the same name, once the data model has one, wins over the derived value.

- ``TaskDetails.isRealtimeTranscriptionEnabled`` (Boolean): a feature of voice calls an agent
  answered (Cisco's AI Assistant real-time transcription); on for a seeded 40 % of them.
- ``QueueInfo.durationBusinessHours`` (Long, ms): the queue time inside business hours. The
  sandbox's queues only hold contacts while open (07:00-22:00 local), so it is the queue time.
- ``AgentActivity.reason`` (String): the idle code's name of an idle activity, else null.
- ``TaskDetails.queues``/``teams``/``contributors``/``sites`` (lists): older fields of Cisco's
  2021 sample answers; the last queue, last team, owner and last site, when the contact has one.
- ``ChannelInfo`` evaluation, dead-air and word-ratio metrics (from the Contact AI Agent Session
  dictionary): null, as the sandbox's agents are people and nothing evaluates them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

Derive = Callable[[Mapping[str, Any]], Any]
_EMPTY: Mapping[str, Any] = {}
_RTT_SHARE = 0.4


def _fraction(key: str) -> float:
    """A stable draw in [0, 1) from a record id (the same on every machine and run)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8, person=b"wxcc-rtt").digest()
    return int.from_bytes(digest, "big") / 2**64


def realtime_transcription(task: Mapping[str, Any]) -> bool | None:
    if "isRealtimeTranscriptionEnabled" in task:
        value: bool | None = task["isRealtimeTranscriptionEnabled"]
        return value
    task_id = task.get("id")
    if task_id is None:
        return None
    answered = (task.get("owner") or _EMPTY).get("id") is not None
    if task.get("channelType") != "telephony" or not answered:
        return False
    return _fraction(str(task_id)) < _RTT_SHARE


def queue_business_hours(queue: Mapping[str, Any]) -> int | None:
    if "durationBusinessHours" in queue:
        value: int | None = queue["durationBusinessHours"]
        return value
    duration: int | None = queue.get("duration")
    return duration


def activity_reason(node: Mapping[str, Any]) -> str | None:
    if "reason" in node:
        value: str | None = node["reason"]
        return value
    if node.get("state") != "idle":
        return None
    name: str | None = (node.get("idleCode") or _EMPTY).get("name")
    return name


def _present(member: str) -> Derive:
    """An older list field (``queues``, ``teams``, ...): the linked object, when there is one."""

    def derive(task: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        obj = task.get(member) or _EMPTY
        return [obj] if obj.get("id") is not None else []

    return derive


# (GraphQL object type, field) -> value from the object being projected.
BY_TYPE: dict[tuple[str, str], Derive] = {
    ("TaskDetails", "isRealtimeTranscriptionEnabled"): realtime_transcription,
    ("QueueInfo", "durationBusinessHours"): queue_business_hours,
    ("AgentActivity", "reason"): activity_reason,
    ("TaskDetails", "queues"): _present("lastQueue"),
    ("TaskDetails", "teams"): _present("lastTeam"),
    ("TaskDetails", "contributors"): _present("owner"),
    ("TaskDetails", "sites"): _present("lastSite"),
}


def _in(member: str, derive: Derive) -> Derive:
    return lambda r: derive(r.get(member) or _EMPTY)


# Field path (as filters, sorts and group-bys read it, relative to its nesting level) -> value.
BY_PATH: dict[str, Derive] = {
    "isRealtimeTranscriptionEnabled": realtime_transcription,
    "lastQueue.durationBusinessHours": _in("lastQueue", queue_business_hours),
    "queue.durationBusinessHours": _in("queue", queue_business_hours),
    "reason": activity_reason,
}
