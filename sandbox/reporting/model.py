"""The reporting REST family's view of the data model: what each endpoint knows, as plain objects.

Both the HTTP app (``sandbox.reporting.api``, which renders these objects as JSON and pages them)
and the ground truth (``sandbox.reporting.truth``, which writes them as columns) read the tenant
through this module, so the REST answers and the Search answers come from the same simulation:

- tasks (``GET /v1/tasks``) are the Search API's CSR records reduced to the REST fields;
- queue statistics are counted from those same CSR records (the task's last queue), so
  ``totalOfferedTasks`` and ``totalAbandonedTasks`` agree with ``taskDetails`` per queue and
  interval;
- agent statistics and agent activities come from the agents' state spans, the same spans the
  Search API's AAR nodes are rendered from;
- captures are the recordings each task's ``recording-started`` / ``recording-available`` events
  describe.

Statistics are kept per 15-minute cell, per UTC day (cached a few at a time); 30- and 60-minute
intervals are sums of their cells, averages recomputed from the sums. Definitions the sources do
not give are listed in sandbox/README.md, "Reporting REST".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import sha256
from typing import Any

from sandbox.clock import DAY_MS, day_of
from sandbox.entities import CHANNELS, Agent
from sandbox.records import _agent_work, channel_spans
from sandbox.timeline import CONSULT, HOLD, TALK, Staff, TaskPlan

INTERVAL_MS = 15 * 60_000
RECORDING_BYTES_PER_MS = 2  # the sandbox's recording files: 16 kbit/s (small on purpose)
WAV_HEADER_BYTES = 44
DEFAULT_CAPTURE_RETENTION_DAYS = 30

# /v1/tasks status (OAS enum created|queued|offered|assigned|abandoned|completed) from the CSR's.
_TASK_STATUS = {
    "created": "created",
    "parked": "queued",
    "ringing": "offered",
    "connected": "assigned",
    "wrapup": "assigned",
}
_QUEUE_ABANDONED = frozenset(("queue", "short"))  # CSR abandonedType of a queue abandon


def floor_interval(ms: int, interval_ms: int = INTERVAL_MS) -> int:
    return ms - ms % interval_ms


# --- tasks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskView:
    """A task as ``GET /v1/tasks`` describes it; ``owner_*`` / ``queue_*`` None when it had none."""

    id: str
    owner_id: str | None
    owner_name: str | None
    queue_id: str | None
    queue_name: str | None
    channel_type: str
    status: str
    created_time: int
    last_updated_time: int
    capture_requested: bool
    origin: str | None
    destination: str | None
    direction: str | None
    reason_code: str | None


def task_view(csr: dict[str, Any]) -> TaskView:
    """The REST view of one CSR record (as ``Tenant.tasks`` renders it at a ``now``)."""
    owner = csr["owner"] or {}
    queue = csr["lastQueue"] or {}
    if csr["status"] == "ended":
        status = "abandoned" if csr["abandonedType"] is not None else "completed"
    else:
        status = _TASK_STATUS[csr["status"]]
    return TaskView(
        id=csr["id"],
        owner_id=owner.get("id"),
        owner_name=owner.get("name"),
        queue_id=queue.get("id"),
        queue_name=queue.get("name"),
        channel_type=csr["channelType"],
        status=status,
        created_time=csr["createdTime"],
        last_updated_time=csr["lastActivityTime"],
        capture_requested=bool(csr["captureRequested"]),
        origin=csr["origin"],
        destination=csr["destination"],
        direction=csr["direction"],
        reason_code=csr["contactReason"],
    )


def tasks(tenant: Any, from_ms: int, to_ms: int, now_ms: int) -> Iterator[TaskView]:
    """Tasks created in ``[from_ms, to_ms)`` before ``now_ms``, ascending by createdTime, id."""
    for csr in tenant.tasks(from_ms, to_ms, now_ms, with_nodes=False):  # CSR fields only
        yield task_view(csr)


# --- queue statistics -------------------------------------------------------------------------


@dataclass
class QueueCell:
    """Sums of one queue in one interval (start-time figures by creation, end-time by end)."""

    queue_name: str
    channel_type: str
    offered: int = 0
    enqueued: int = 0
    accepted: int = 0
    rejected: int = 0
    abandoned: int = 0
    enqueued_sum: int = 0
    enqueued_n: int = 0
    handled_sum: int = 0
    handled_n: int = 0
    sl_in: int = 0
    sl_n: int = 0

    def add(self, other: QueueCell) -> None:
        for name in _QUEUE_SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_QUEUE_SUMS = (
    "offered",
    "enqueued",
    "accepted",
    "rejected",
    "abandoned",
    "enqueued_sum",
    "enqueued_n",
    "handled_sum",
    "handled_n",
    "sl_in",
    "sl_n",
)


@dataclass(frozen=True)
class QueueStat:
    """One row of ``GET /v1/queues/statistics``."""

    interval_start_time: int
    queue_id: str
    queue_name: str
    channel_type: str
    total_offered_tasks: int
    total_enqueued_tasks: int
    total_assigned_tasks: int
    total_accepted_tasks: int
    total_rejected_tasks: int
    total_abandoned_tasks: int
    average_enqueued_time: float
    average_handled_time: float
    service_level_threshold_percentage: float


def _avg(total: int, n: int) -> float:
    return total / n if n else 0.0


@lru_cache(maxsize=8)
def _queue_cells(tenant: Any, utc_day: int, now_ms: int) -> dict[tuple[str, int], QueueCell]:
    """15-minute cells of one UTC day: start-time figures of the tasks created in it, end-time
    figures (handle time) of the tasks ended in it."""
    lo, hi = utc_day * DAY_MS, (utc_day + 1) * DAY_MS
    cells: dict[tuple[str, int], QueueCell] = {}

    def cell(queue: dict[str, Any], channel: str, at: int) -> QueueCell:
        key = (queue["id"], floor_interval(at))
        found = cells.get(key)
        if found is None:
            found = cells[key] = QueueCell(queue["name"], channel)
        return found

    # Tasks live at most a day, so those ending in the day were created at most a day before;
    # of those created before the day, only the ones ending in it or later count (rendering
    # the others was half the reporting truth's time). CSR fields only: no CAR nodes.
    index = tenant.record_index("tasks", lo - DAY_MS, hi, now_ms)
    plans = [p for p in index.refs if p.created >= lo or p.end >= lo]
    for csr in index.render(plans, False):
        queue = csr["lastQueue"]
        if queue is None or queue["id"] is None:
            continue
        created = csr["createdTime"]
        # Accepted in its last queue: connected, and not abandoned after a transfer.
        accepted = bool(csr["isContactHandled"]) and csr["abandonedType"] is None
        if created >= lo:
            c = cell(queue, csr["channelType"], created)
            c.offered += 1
            c.enqueued += 1
            if accepted:
                c.accepted += 1
            if csr["abandonedType"] in _QUEUE_ABANDONED:
                c.abandoned += 1
            if queue["duration"] is not None and csr["status"] != "parked":
                c.enqueued_sum += queue["duration"]
                c.enqueued_n += 1
            # The OpenAPI description: "how many contacts out of the total handled have met
            # the service level" (handled only: abandons count neither way).
            if accepted and csr["isWithInServiceLevel"] is not None:
                c.sl_n += 1
                c.sl_in += 1 if csr["isWithInServiceLevel"] else 0
        ended = csr["endedTime"]
        if ended is not None and lo <= ended < hi and accepted:
            c = cell(queue, csr["channelType"], ended)
            # "total time the call was connected / number of calls that were handled. Note :-
            # This does not include wrap-up time" (OpenAPI, averageHandledTime).
            c.handled_sum += csr["connectedDuration"]
            c.handled_n += 1
    return cells


def queue_statistics(
    tenant: Any,
    from_ms: int,
    to_ms: int,
    now_ms: int,
    *,
    interval_min: int = 15,
    queue_ids: Iterable[str] | None = None,
    skew: dict[tuple[str, int], dict[str, int]] | None = None,
) -> list[QueueStat]:
    """Rows for intervals starting in ``[from_ms, to_ms)`` (both on 15-minute boundaries),
    ascending by interval start, then queue id. Only intervals with something to report.

    ``skew`` (tests only) adds to a 15-minute cell's counts: ``{(queue id, cell start):
    {"offered": 1}}``, to make the statistics disagree with the tasks.
    """
    wanted = set(queue_ids) if queue_ids is not None else None
    interval_ms = interval_min * 60_000
    merged: dict[tuple[int, str], QueueCell] = {}
    for utc_day in range(from_ms // DAY_MS, (to_ms - 1) // DAY_MS + 1):
        for (queue_id, start), c in _queue_cells(tenant, utc_day, now_ms).items():
            if not from_ms <= start < to_ms or (wanted is not None and queue_id not in wanted):
                continue
            key = (from_ms + (start - from_ms) // interval_ms * interval_ms, queue_id)
            into = merged.get(key)
            if into is None:
                into = merged[key] = QueueCell(c.queue_name, c.channel_type)
            into.add(c)
            for name, delta in ((skew or {}).get((queue_id, start)) or {}).items():
                setattr(into, name, getattr(into, name) + delta)
    return [
        QueueStat(
            interval_start_time=start,
            queue_id=queue_id,
            queue_name=c.queue_name,
            channel_type=c.channel_type,
            total_offered_tasks=c.offered,
            total_enqueued_tasks=c.enqueued,
            total_assigned_tasks=0,  # deprecated in the OAS: always 0
            total_accepted_tasks=c.accepted,
            total_rejected_tasks=c.rejected,
            total_abandoned_tasks=c.abandoned,
            average_enqueued_time=_avg(c.enqueued_sum, c.enqueued_n),
            average_handled_time=_avg(c.handled_sum, c.handled_n),
            service_level_threshold_percentage=100.0 * _avg(c.sl_in, c.sl_n),
        )
        for (start, queue_id), c in sorted(merged.items())
    ]


# --- agents: spans, activities, statistics ----------------------------------------------------


def _staff_from(tenant: Any, from_ms: int, hi: int) -> Iterator[tuple[Any, Staff]]:
    """Sessions (with their day) that may have spans in ``[from_ms, hi)``: a session lasts less
    than a day, so those started from a day before."""
    if from_ms >= hi:
        return
    for day in range(day_of(from_ms - DAY_MS), day_of(hi - 1) + 1):
        plan = tenant.day(day)
        for s in plan.staff:
            if s.start < hi:
                yield plan, s


@dataclass(frozen=True)
class ActivityView:
    """One agent state span on one channel (a record of ``GET /v1/agents/activities``)."""

    agent: Agent
    session_id: str
    channel_id: str
    channel_type: str
    state: str
    start_time: int
    end_time: int | None  # None while the state lasts at now
    is_login: bool
    task_id: str | None
    queue_id: str | None
    queue_name: str | None
    idle_code_id: str | None
    idle_code_name: str | None
    wrapup_code_name: str | None


def activities(tenant: Any, from_ms: int, to_ms: int, now_ms: int) -> list[ActivityView]:
    """Agent state spans starting in ``[from_ms, to_ms)`` before ``now_ms``, ascending by start
    time, then session id, then channel id."""
    hi = min(to_ms, now_ms)
    out: list[ActivityView] = []
    for _plan, s in _staff_from(tenant, from_ms, hi):
        for ch in CHANNELS:
            cid = s.channel_ids[ch]
            for n, (a0, a1, state, task_id, queue, idle, wrap, _outdial) in enumerate(
                channel_spans(s, ch)
            ):
                if a0 >= hi:
                    break
                if a0 < from_ms:
                    continue
                out.append(
                    ActivityView(
                        agent=s.agent,
                        session_id=s.session_id,
                        channel_id=cid,
                        channel_type=ch,
                        state=state,
                        start_time=a0,
                        end_time=a1 if a1 < now_ms else None,
                        is_login=n == 0,
                        task_id=task_id,
                        queue_id=queue.id if queue is not None else None,
                        queue_name=queue.name if queue is not None else None,
                        idle_code_id=idle.id if idle is not None else None,
                        idle_code_name=idle.name if idle is not None else None,
                        wrapup_code_name=wrap.name if wrap is not None else None,
                    )
                )
    out.sort(key=lambda a: (a.start_time, a.session_id, a.channel_id))
    return out


@dataclass
class AgentCell:
    offered: int = 0
    accepted: int = 0
    rejected: int = 0
    transferred: int = 0
    engaged: int = 0
    hold: int = 0
    wrapup: int = 0
    available: int = 0
    unavailable: int = 0
    handled_sum: int = 0
    handled_n: int = 0

    def add(self, other: AgentCell) -> None:
        for name in _AGENT_SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_AGENT_SUMS = (
    "offered",
    "accepted",
    "rejected",
    "transferred",
    "engaged",
    "hold",
    "wrapup",
    "available",
    "unavailable",
    "handled_sum",
    "handled_n",
)


@lru_cache(maxsize=8)
def _agent_cells(
    tenant: Any, utc_day: int, now_ms: int
) -> dict[tuple[str, int, str], tuple[Agent, AgentCell]]:
    """15-minute cells of one UTC day per (agent id, cell start, channel type).

    Offers, accepts and transfers count where they happen; the time in a state counts in the
    interval where the state ended (an end-time figure, like handle time), so only ended states
    count; a contact's handle time (connected, held, consulting and wrap-up) counts where its
    wrap-up ended.
    """
    lo, hi = utc_day * DAY_MS, min((utc_day + 1) * DAY_MS, now_ms)
    cells: dict[tuple[str, int, str], tuple[Agent, AgentCell]] = {}

    def cell(agent: Agent, at: int, ch: str) -> AgentCell:
        key = (agent.id, floor_interval(at), ch)
        found = cells.get(key)
        if found is None:
            found = cells[key] = (agent, AgentCell())
        return found[1]

    for plan, s in _staff_from(tenant, lo, hi):
        agent = s.agent
        work = _agent_work(plan)
        for ch in CHANNELS:
            handling: dict[str, int] = {}  # task id -> engaged + held time so far
            # (state, task id, outdial, start) of the previous span
            prev: tuple[str, str | None, bool, int] | None = None
            for a0, a1, state, task_id, _q, _idle, _wrap, outdial in channel_spans(s, ch):
                # Past the day's end only to see offers of the day accepted after midnight.
                if a0 >= now_ms or (a0 >= hi and state != "connected"):
                    break
                ended = a1 < now_ms
                length = a1 - a0
                if state == "ringing" and not outdial and lo <= a0 < hi:
                    cell(agent, a0, ch).offered += 1
                if (
                    state == "connected"
                    and prev is not None
                    and prev[0] == "ringing"
                    and prev[1] == task_id
                    and not prev[2]
                ):
                    # accepted where the offer was made (a start-time figure)
                    if lo <= prev[3] < hi:
                        cell(agent, prev[3], ch).accepted += 1
                if a0 >= hi:
                    break
                if state in ("connected", "on-hold", "consulting") and ended and task_id:
                    handling[task_id] = handling.get(task_id, 0) + length
                if ended and lo <= a1 < hi:
                    c = cell(agent, a1, ch)
                    if state in ("connected", "consulting"):
                        c.engaged += length
                    elif state == "on-hold":
                        c.hold += length
                    elif state == "wrapup":
                        c.wrapup += length
                        if task_id is not None and task_id in handling:
                            c.handled_sum += handling.pop(task_id) + length
                            c.handled_n += 1
                    elif state == "available":
                        c.available += length
                    elif state == "idle":
                        c.unavailable += length
                prev = (state, task_id, outdial, a0)
            for t in work.get((s.session_id, ch), ((), ()))[0]:
                if lo <= t < hi:
                    cell(agent, t, ch).transferred += 1
    return cells


@dataclass(frozen=True)
class AgentChannelStat:
    channel_type: str
    total_assigned_tasks: int
    total_offered_tasks: int
    total_accepted_tasks: int
    total_rejected_tasks: int
    total_transferred_tasks: int
    total_engaged_duration: int
    total_hold_duration: int
    total_wrap_up_duration: int
    total_available_time: int
    total_un_available_time: int
    average_handled_time: float


@dataclass(frozen=True)
class AgentStat:
    """One row of ``GET /v1/agents/statistics``: an agent in an interval, per channel."""

    interval_start_time: int
    agent_id: str
    agent_name: str
    team_id: str
    team_name: str
    channels: tuple[AgentChannelStat, ...] = field(default=())


def agent_statistics(
    tenant: Any,
    from_ms: int,
    to_ms: int,
    now_ms: int,
    *,
    interval_min: int = 15,
    agent_ids: Iterable[str] | None = None,
) -> list[AgentStat]:
    """Rows for intervals starting in ``[from_ms, to_ms)``, ascending by interval start, then
    agent id; channels in the tenant's channel order, only those with something to report."""
    wanted = set(agent_ids) if agent_ids is not None else None
    interval_ms = interval_min * 60_000
    teams = {t.id: t for t in tenant.entities.teams}
    merged: dict[tuple[int, str], tuple[Agent, dict[str, AgentCell]]] = {}
    for utc_day in range(from_ms // DAY_MS, (to_ms - 1) // DAY_MS + 1):
        for (agent_id, start, ch), (agent, c) in _agent_cells(tenant, utc_day, now_ms).items():
            if not from_ms <= start < to_ms or (wanted is not None and agent_id not in wanted):
                continue
            key = (from_ms + (start - from_ms) // interval_ms * interval_ms, agent_id)
            entry = merged.setdefault(key, (agent, {}))
            entry[1].setdefault(ch, AgentCell()).add(c)
    rows = []
    for (start, agent_id), (agent, by_channel) in sorted(merged.items()):
        team = teams[agent.team_id]
        channels = tuple(
            AgentChannelStat(
                channel_type=ch,
                total_assigned_tasks=c.offered,
                total_offered_tasks=c.offered,
                total_accepted_tasks=c.accepted,
                total_rejected_tasks=c.rejected,
                total_transferred_tasks=c.transferred,
                total_engaged_duration=c.engaged,
                total_hold_duration=c.hold,
                total_wrap_up_duration=c.wrapup,
                total_available_time=c.available,
                total_un_available_time=c.unavailable,
                average_handled_time=_avg(c.handled_sum, c.handled_n),
            )
            for ch, c in sorted(by_channel.items(), key=lambda item: CHANNELS.index(item[0]))
        )
        rows.append(AgentStat(start, agent_id, agent.name, team.id, team.name, channels))
    return rows


# --- captures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """One recording of a task (its ``recording-started`` event), available once the task's
    ``recording-available`` event has happened."""

    task_id: str
    id: str
    file_name: str
    start_time: int
    stop_time: int
    participants: tuple[str, ...]
    channel1: str
    channel2: str
    call_type: str
    size: int

    def content(self, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes ``[offset, offset + length)`` of the file: a WAV header, then a pattern."""
        end = self.size if length is None else min(self.size, offset + length)
        block = sha256(self.id.encode()).digest() * 128  # 4 KiB
        header = b"RIFF" + (self.size - 8).to_bytes(4, "little") + b"WAVE"
        header = header.ljust(WAV_HEADER_BYTES, b"\0")
        out = bytearray()
        pos = offset
        while pos < end:
            if pos < WAV_HEADER_BYTES:
                chunk = header[pos : min(end, WAV_HEADER_BYTES)]
            else:
                i = (pos - WAV_HEADER_BYTES) % len(block)
                chunk = block[i : i + min(end - pos, len(block) - i)]
            out += chunk
            pos += len(chunk)
        return bytes(out)


def recordings_of(plan: TaskPlan, now_ms: int) -> list[Recording]:
    """The task's recordings at ``now_ms``: none before its recording is available."""
    acts = plan.acts
    if not any(a.event == "recording-available" and a.start < now_ms for a in acts):
        return []
    customer = plan.customer_phone or plan.origin or ""
    out = []
    for n, a in enumerate(a for a in acts if a.event == "recording-started"):
        s = a.staff
        # The recording stops when this agent's conversation (talk, holds, consults) ends.
        stop = max(
            (b.end for b in acts if b.staff is s and b.kind in (TALK, HOLD, CONSULT)),
            default=a.start,
        )
        agent = s.agent.sign_in_id if s is not None else ""
        out.append(
            Recording(
                task_id=plan.id,
                id=f"{plan.id}-rec-{n + 1}",
                file_name=f"{plan.id}_{n + 1}.wav",
                start_time=a.start,
                stop_time=stop,
                participants=(agent, customer),
                channel1=agent,
                channel2=customer,
                call_type="main" if n == 0 else "consult",
                size=WAV_HEADER_BYTES + (stop - a.start) * RECORDING_BYTES_PER_MS,
            )
        )
    return out


class CaptureIndex:
    """Task ids of the days recordings are kept, found lazily newest day first (per tenant)."""

    def __init__(self, tenant: Any, retention_days: int = DEFAULT_CAPTURE_RETENTION_DAYS):
        self.tenant = tenant
        self.retention_days = retention_days
        self._days: dict[int, dict[str, int]] = {}  # day -> task id -> index in the day

    def plan(self, task_id: str, now_ms: int) -> TaskPlan | None:
        """The task, if it was created before ``now_ms`` within the retention period."""
        last = day_of(now_ms - 1)
        for day in range(last, last - self.retention_days - 1, -1):
            ids = self._days.get(day)
            if ids is None:
                tasks = self.tenant.day(day).tasks
                ids = self._days[day] = {t.id: i for i, t in enumerate(tasks)}
            i = ids.get(task_id)
            if i is not None:
                plan: TaskPlan = self.tenant.day(day).tasks[i]
                lo = now_ms - self.retention_days * DAY_MS
                return plan if lo <= plan.created < now_ms else None
        return None


def capture_tasks(tenant: Any, from_ms: int, to_ms: int, now_ms: int) -> Iterator[TaskPlan]:
    """Tasks created in the window that requested capture (a recording started before now)."""
    for plan in tenant.task_plans(from_ms, to_ms, now_ms):
        if any(a.event == "recording-started" and a.start < now_ms for a in plan.acts):
            yield plan
