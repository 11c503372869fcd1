"""One simulation day of the sandbox org: arrivals, routing, agents' shifts, every task's timeline.

A day is decided by a generator seeded from ``(seed, tasks_per_day, day)`` alone, so any day is
produced without producing the days before it. A task created on day D may end on D + 1, but its
whole life (and the agent work it causes) is decided by day D: agents' shifts end before the
next day's shifts start, so two days never compete for the same agent.

Routing is a small discrete-event simulation: tasks reach a queue in time order and take the
agent of the queue's pool who is free earliest (longest available first), or abandon when their
patience runs out first. Agents take breaks when they are due and free, and stop taking work at
the end of their shift. Everything a task does is recorded as a list of ``Act``s: *phases*
(self-service, queue, ringing, connected, hold, consult, wrap-up) that tile the task's life, and
*instants* (flow activities, recording events, transfers, ``ended``) of zero duration.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect, insort
from collections.abc import Callable, Sequence
from functools import partial
from itertools import accumulate
from itertools import chain as _chain
from math import cos as _cos
from math import exp as _exp
from math import log as _log
from math import sin as _sin
from math import sqrt as _sqrt
from operator import attrgetter
from typing import Any

from sandbox.clock import DAY_MS, MINUTE_MS, day_start, local_minute, utc_offset_ms, weekday
from sandbox.entities import (
    CHANNEL_MIX,
    CHANNELS,
    SHIFTS,
    Agent,
    Code,
    Entities,
    EntryPoint,
    Queue,
    rng_for,
    uuid_from,
)

# Kinds of activity. The first seven are phases; their durations sum to the task's total.
SS, QUEUE, RING, TALK, HOLD, CONSULT, WRAP, INSTANT = range(8)

# A task never lives longer than this (longest: an email waiting 8 h in queue, then handled).
# Serving tasks by ``endedTime`` looks back this far for tasks created earlier.
MAX_TASK_LIFETIME_MS = DAY_MS

OPEN_MINUTE, CLOSE_MINUTE = 7 * 60, 22 * 60  # queues are staffed 07:00-22:00 local
SHORT_ABANDON_MS = 5_000  # abandoned in queue within this is a short abandon
SHORT_IVR_MS = 5_000
_EMAIL_EXPIRY_MS = 8 * 3_600_000
_CALLBACK_EXPIRY_MS = 4 * 3_600_000

# Arrivals per local hour (relative); weekdays peak mid-morning and mid-afternoon.
_WEEKDAY_PROFILE = (
    0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 1.0, 3.0, 6.0, 8.5, 9.5, 9.0,
    7.5, 8.0, 8.5, 8.0, 7.0, 5.5, 4.0, 3.0, 2.2, 1.5, 0.8, 0.5,
)  # fmt: skip
_WEEKEND_PROFILE = (
    0.4, 0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.5, 3.5, 5.5, 7.0, 7.5,
    7.5, 7.0, 7.0, 6.5, 6.0, 5.0, 4.0, 3.2, 2.5, 1.8, 1.0, 0.6,
)  # fmt: skip
_WEEKDAY_FACTOR, _WEEKEND_FACTOR = 1.14, 0.65  # (5 * 1.14 + 2 * 0.65) / 7 = 1.0
_ATTENDANCE = {False: 0.85, True: 0.5}  # share of agents working a weekday / weekend day


class Staff:
    """An agent's working day: one login session, its channels, and what happened on them."""

    __slots__ = (
        "agent",
        "idx",
        "session_id",
        "channel_ids",
        "start",
        "shift_end",
        "free",
        "breaks",
        "idles",
        "log",
        "parts",
    )

    def __init__(
        self, agent: Agent, idx: int, session_id: str, channel_ids: dict[str, str]
    ) -> None:
        self.agent = agent
        self.idx = idx
        self.session_id = session_id
        self.channel_ids = channel_ids
        self.start = 0
        self.shift_end = 0
        self.free: dict[str, int] = {}  # channel -> when it can take its next task
        self.breaks: list[tuple[int, int, Code]] = []  # planned (start, duration, idle code)
        self.idles: list[tuple[int, int, Code]] = []  # taken (start, end, idle code)
        # (channel, state, start, end, task id, queue, wrap-up code, is outdial)
        self.log: list[tuple[str, str, int, int, str, Queue | None, Code | None, bool]] = []
        self.parts: dict[str, dict[str, object]] = {}  # the renderer's cache of CAR agent fields

    @property
    def end(self) -> int:
        """When the session ends: the shift's end, or later when the last task's work ends."""
        return max(self.shift_end, *self.free.values())


class Act:
    """One CAR activity of a task: a phase (``kind`` < INSTANT) or an instant event."""

    __slots__ = ("event", "suffix", "start", "end", "kind", "staff", "queue", "info")
    # Built by ``_act`` (a plain function, twice as fast as a class call); ``suffix`` is the CAR
    # id's last part, which differs from the event name for some.

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by its arguments (sandbox.daystore writes days to disk): ten activities a
        # task, and pickle's generic path for slotted objects builds a state dict for each.
        return (
            _act,
            (
                self.event,
                self.suffix,
                self.start,
                self.end,
                self.kind,
                self.staff,
                self.queue,
                self.info,
            ),
        )


class TaskPlan:
    """Everything about one task, decided once; ``sandbox.model`` renders it at any ``now``."""

    __slots__ = (
        "id",
        "created",
        "end",
        "channel",
        "direction",
        "ep",
        "outcome",
        "acts",
        "customer_name",
        "customer_phone",
        "customer_email",
        "origin",
        "destination",
        "reason",
        "gvars",
        "wrap_code",
        "terminating_end",
        "termination_reason",
        "cb_request",
        "cb_number",
        "csat",
        "survey",
        "sentiment",
        "monitor",
        "email",
        "chat_reason",
        "bot",
        "priority",
        "patience",
        "queue",
        "prev_staff",
        "transfers",
    )

    def __init__(
        self, task_id: str, created: int, channel: str, direction: str, ep: EntryPoint
    ) -> None:
        self.id = task_id
        self.created = created
        self.end = created
        self.channel = channel
        self.direction = direction
        self.ep = ep
        self.outcome = ""
        self.acts: list[Act] = []
        self.customer_name: str | None = None
        self.customer_phone: str | None = None
        self.customer_email: str | None = None
        self.origin: str | None = None
        self.destination: str | None = None
        self.reason: str | None = None
        self.gvars: list[tuple[str, str, object]] = []
        self.wrap_code: Code | None = None
        self.terminating_end: str | None = None
        self.termination_reason: str | None = None
        self.cb_request: int | None = None
        self.cb_number: str | None = None
        self.csat: int | None = None
        self.survey: tuple[str, str, int, bool, int, str | None] | None = None
        self.sentiment: str | None = None
        self.monitor: tuple[int, str] | None = None
        self.email: tuple[str, str, bool, str | None] | None = None
        self.chat_reason: str | None = None
        self.bot: str | None = None
        self.priority = 5
        self.patience = 0
        self.queue: Queue | None = None
        self.prev_staff: Staff | None = None
        self.transfers = 0

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with its activities flattened into one list (sandbox.daystore writes days to
        # disk): ~10 Acts a task, each reduced on its own, were 60 % of writing a day, and the
        # first process to serve a day pays for writing it.
        flat: list[Any] = []
        for a in self.acts:
            flat += (a.event, a.suffix, a.start, a.end, a.kind, a.staff, a.queue, a.info)
        return (_task_from, (tuple([getattr(self, name) for name in _TASK_STATE]), flat))


_new = object.__new__


def _act(
    event: str,
    suffix: str,
    start: int,
    end: int,
    kind: int,
    staff: Staff | None = None,
    queue: Queue | None = None,
    info: dict[str, object] | None = None,
) -> Act:
    """An :class:`Act`, built by a plain function: calling a class goes through
    ``type.__call__`` and ``__init__`` with its arguments packed (~0.6 us an act, ~0.3 us here),
    and a day builds ~9 acts a task (and reads as many back from a day file)."""
    a = _new(Act)
    a.event = event
    a.suffix = suffix
    a.start = start
    a.end = end
    a.kind = kind
    a.staff = staff
    a.queue = queue
    a.info = info
    return a


# A task's members besides its activities, in the order ``TaskPlan.__reduce__`` writes them.
_TASK_STATE = tuple(name for name in TaskPlan.__slots__ if name != "acts")


def _task_from(state: tuple[Any, ...], flat: list[Any]) -> TaskPlan:
    """A task read back from its ``__reduce__``."""
    return _task_with(state, list(map(_act, *_act_columns(flat))))


def _task_with(state: tuple[Any, ...], acts: list[Act]) -> TaskPlan:
    """A task from its members in ``_TASK_STATE`` order and its activities: the members stored
    by one unpacking (~10 ns each) rather than ``setattr`` by name (~50 ns each), ~30 a task
    and every task of a day read back from a day file."""
    task = _new(TaskPlan)
    (
        task.id,
        task.created,
        task.end,
        task.channel,
        task.direction,
        task.ep,
        task.outcome,
        task.customer_name,
        task.customer_phone,
        task.customer_email,
        task.origin,
        task.destination,
        task.reason,
        task.gvars,
        task.wrap_code,
        task.terminating_end,
        task.termination_reason,
        task.cb_request,
        task.cb_number,
        task.csat,
        task.survey,
        task.sentiment,
        task.monitor,
        task.email,
        task.chat_reason,
        task.bot,
        task.priority,
        task.patience,
        task.queue,
        task.prev_staff,
        task.transfers,
    ) = state
    task.acts = acts
    return task


def _act_columns(flat: list[Any]) -> list[list[Any]]:
    """The members of acts flattened in ``Act.__slots__`` order, as one list per member."""
    n = len(Act.__slots__)
    return [flat[i::n] for i in range(n)]


class DayPlan:
    """A simulated day: its tasks ascending by (created, id), and its agents' sessions."""

    __slots__ = ("day", "start", "end", "tasks", "created", "staff", "derived")

    def __init__(
        self, day: int, start: int, end: int, tasks: list[TaskPlan], staff: list[Staff]
    ) -> None:
        self.day = day
        self.start = start
        self.end = end
        self.tasks = tasks
        self.created = [t.created for t in tasks]
        self.staff = staff
        # Indexes other record families build once per day (task legs, agent work by session).
        self.derived: dict[str, object] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as the whole day's columns (sandbox.daystore writes days to disk, and the
        # first process to serve a day pays for it): every task's members as one tuple, every
        # act's as one flat list, gathered by C getters in two passes, instead of a Python
        # ``TaskPlan.__reduce__`` call per task (writing ~20 % cheaper, reading ~25 %).
        acts = list(map(_task_acts, self.tasks))
        flat = list(_chain.from_iterable(map(_act_fields, _chain.from_iterable(acts))))
        states = list(map(_task_state, self.tasks))
        counts = list(map(len, acts))
        args = (self.day, self.start, self.end, self.staff, states, counts, flat, self.derived)
        return (_day_from, args)


def _day_from(
    day: int,
    start: int,
    end: int,
    staff: list[Staff],
    states: list[tuple[Any, ...]],
    counts: list[int],
    flat: list[Any],
    derived: dict[str, object],
) -> DayPlan:
    """A day read back from its ``__reduce__``: the acts built by ``map`` over the columns
    (no tuple an act), each task's acts a slice of them."""
    acts = list(map(_act, *_act_columns(flat)))
    bounds = list(accumulate(counts, initial=0))
    if len(flat) != len(acts) * len(Act.__slots__) or bounds[-1] != len(acts):
        raise ValueError("a day's activities do not match their counts")
    if len(states) != len(counts):
        raise ValueError("a day's tasks do not match their activity counts")
    per_task = map(acts.__getitem__, map(slice, bounds, bounds[1:]))
    tasks = list(map(_task_with, states, per_task))
    plan = DayPlan(day, start, end, tasks, staff)
    plan.derived = derived
    return plan


_task_acts = attrgetter("acts")
_task_state = attrgetter(*_TASK_STATE)
_act_fields = attrgetter(*Act.__slots__)


# --- small helpers --------------------------------------------------------------------------


def _lognormal(mean_s: float, sigma: float, lo_s: float, hi_s: float) -> tuple[float, ...]:
    """A log-normal with mean ``mean_s`` seconds clipped to [lo, hi], as ``_lognormal_ms`` draws
    it: (mu, sigma, lo, hi), mu computed once instead of per draw."""
    return (math.log(mean_s) - sigma * sigma / 2, sigma, lo_s, hi_s)


_TWOPI = 2.0 * math.pi  # as random.TWOPI


def _lognormal_ms(rng: random.Random, params: tuple[float, ...]) -> int:
    """Milliseconds drawn from the log-normal ``params`` (``_lognormal``), clipped.

    ``random.Random.gauss(0.0, 1.0)`` written out (its Box-Muller pair, the second value kept
    in ``gauss_next`` as it keeps it), so a draw is one Python call, not two: ~160,000 draws a
    15,000-task day. The same draws as ``gauss``, bit for bit (``tests/sandbox/test_timeline_draws.py``).
    """
    mu, sigma, lo_s, hi_s = params
    z = rng.gauss_next  # type: ignore[attr-defined]
    rng.gauss_next = None  # type: ignore[attr-defined]
    if z is None:
        rnd = rng.random
        x2pi = rnd() * _TWOPI
        g2rad = _sqrt(-2.0 * _log(1.0 - rnd()))
        z = _cos(x2pi) * g2rad
        rng.gauss_next = _sin(x2pi) * g2rad  # type: ignore[attr-defined]
    x = _exp(mu + sigma * (0.0 + z * 1.0))
    return int(1000 * (lo_s if x < lo_s else hi_s if x > hi_s else x))


def _local_to_utc(d0: int, minute: int) -> int:
    """UTC ms of local ``minute`` after the local midnight at ``d0`` (DST-correct)."""
    t = d0 + minute * MINUTE_MS
    return t + utc_offset_ms(d0) - utc_offset_ms(t)


_AREA_CODES = ("212", "312", "415", "512", "617", "704", "813", "919", "971", "202", "305", "646")
_CUSTOMER_FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Karen Carlos Ana Luis Carmen Mohamed Fatima Wei Li Yuki"
).split()
_CUSTOMER_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Kim"
).split()
_MAIL_DOMAINS = ("example.net", "example.org", "mail.example.com")
_CHAT_REASONS = ("Order status", "Return request", "Product question", "Technical help", "Billing")
_EMAIL_SUBJECTS = (
    "Question about my order",
    "Refund request",
    "Invoice discrepancy",
    "Unable to log in",
    "Change of address",
    "Cancel my subscription",
)
_TIERS = ("Bronze", "Silver", "Gold", "Platinum")
_IVR_ATTEMPTS = (1, 1, 1, 2, 3)
_GV1 = ("ABC123", "XYZ789", "QWE456")
_N_FIRST, _N_LAST = len(_CUSTOMER_FIRST), len(_CUSTOMER_LAST)
_N_AREA, _N_DOMAINS = len(_AREA_CODES), len(_MAIL_DOMAINS)
_CONSULT_EPS = (("Supervisor Desk", "+18005550190"), ("Tier 2 Hotline", "+18005550191"))
_SENTIMENTS = ("positive", "neutral", "negative")
_SENTIMENT_CUM = (0.45, 0.85, 1.0)
_CSAT_CUM = (0.06, 0.13, 0.28, 0.6, 1.0)  # CSAT 1..5
# Phase lengths per channel: (mean s, log-normal sigma, min s, max s).
_RING_S = {
    "telephony": (7, 0.4, 2, 25),
    "chat": (5, 0.4, 1, 20),
    "email": (4, 0.4, 1, 20),
    "social": (5, 0.4, 1, 20),
}
_TALK_S = {
    "telephony": (290, 0.7, 15, 5400),
    "chat": (500, 0.6, 30, 5400),
    "email": (420, 0.7, 30, 3600),
    "social": (360, 0.6, 20, 3600),
}
_WRAP_S = {
    "telephony": (45, 0.6, 3, 900),
    "chat": (30, 0.6, 3, 900),
    "email": (60, 0.6, 3, 900),
    "social": (30, 0.6, 3, 900),
}
_RING = {ch: _lognormal(*p) for ch, p in _RING_S.items()}
_TALK = {ch: _lognormal(*p) for ch, p in _TALK_S.items()}
_WRAP = {ch: _lognormal(*p) for ch, p in _WRAP_S.items()}
_HOLD_LEN = _lognormal(45, 0.6, 5, 600)
_CONSULT_LEN = _lognormal(70, 0.6, 10, 600)
_CLOSED_IVR_LEN = _lognormal(30, 0.3, 12, 90)
_SELF_SERVICE_LEN = _lognormal(95, 0.5, 20, 600)
_IVR_LEN = _lognormal(38, 0.45, 8, 300)
_CLOSED_DIGITAL_LEN = {ch: _lognormal(6 if ch != "email" else 2, 0.4, 1, 30) for ch in CHANNELS}
_VIRTUAL_AGENT_LEN = _lognormal(120, 0.5, 20, 900)
_BOT_LEN = {
    ch: _lognormal(m, 0.4, 1, 300) for ch, m in (("chat", 40.0), ("email", 2.0), ("social", 8.0))
}
_OUTDIAL_RING_LEN = _lognormal(14, 0.4, 3, 40)
_OUTDIAL_TALK_LEN = _lognormal(180, 0.7, 10, 3600)
_OUTDIAL_WRAP_LEN = _lognormal(25, 0.6, 3, 600)


# Patience in queue: the share who give up within seconds, else exponential (1 / mean s, cap s).
_SHORT_PATIENCE_P = {"telephony": 0.04, "chat": 0.03, "social": 0.01}
_PATIENCE = {
    ch: (1 / mean, cap)
    for ch, mean, cap in (
        ("telephony", 150.0, 1800.0),
        ("chat", 300.0, 3600.0),
        ("social", 1800.0, 4 * 3600.0),
    )
}
_BLIND_TRANSFER_P = {"telephony": 0.05, "chat": 0.03}  # share of handled tasks transferred

_FLOW_INFO: dict[tuple[str, str], dict[str, object]] = {}
# The ``ended`` instant's CAR fields by termination reason, shared like the flow activities'
# (read-only by convention): a day file then writes each once, not once a task.
_ENDED_INFO: dict[str, dict[str, object]] = {}


def _flow_info(name: str, kind: str) -> dict[str, object]:
    """A flow activity's CAR fields, shared between tasks (read-only by convention)."""
    info = _FLOW_INFO.get((name, kind))
    if info is None:
        info = _FLOW_INFO[(name, kind)] = {"activityName": name, "activityType": kind}
    return info


def _flows(*names: tuple[str, str]) -> tuple[dict[str, object], ...]:
    return tuple(_flow_info(name, kind) for name, kind in names)


_CLOSED_IVR_FLOW = _flows(("Welcome_Message", "play-message"), ("Closed_Message", "play-message"))
_SHORT_IVR_FLOW = _flows(("Welcome_Message", "play-message"))
_SELF_SERVICE_FLOW = _flows(
    ("Welcome_Message", "play-message"),
    ("Main_Menu", "menu"),
    ("Self_Service", "http-request"),
    ("Goodbye", "play-message"),
)
_IVR_FLOW = _flows(("Welcome_Message", "play-message"), ("Main_Menu", "menu"))
_IVR_COLLECT_FLOW = (*_IVR_FLOW, *_flows(("Collect_Account", "collect-digits")))
_CLOSED_DIGITAL_FLOW = _flows(("Closed_AutoReply", "play-message"))
_VIRTUAL_AGENT_FLOW = _flows(("Virtual_Agent", "virtual-agent"))
_PARSE_EMAIL_FLOW = _flows(("Parse_Email", "set-variable"))


def _queue_contact(queue: Queue) -> dict[str, object]:
    """The flow activity that queues a task to ``queue``."""
    return _flow_info(f"QueueContact_{queue.name.replace(' ', '')}", "queue-contact")


def _uid_factory(rng: random.Random) -> Callable[[], str]:
    return partial(uuid_from, rng)


# --- arrivals -------------------------------------------------------------------------------

_MINUTE_CUM: dict[tuple[bool, int, int], list[float]] = {}


def _minute_cdf(weekend: bool, d0: int, d1: int) -> list[float]:
    """Cumulative arrival weight per minute of the day (the day may be 23 or 25 hours long)."""
    n_minutes = (d1 - d0) // MINUTE_MS
    shifted = utc_offset_ms(d1 - 1) - utc_offset_ms(d0)  # non-zero on DST change days only
    key = (weekend, n_minutes, shifted)
    cum = _MINUTE_CUM.get(key)
    if cum is None:
        profile = _WEEKEND_PROFILE if weekend else _WEEKDAY_PROFILE
        weights = []
        for i in range(n_minutes):
            m = local_minute(d0 + i * MINUTE_MS) if shifted else i
            h, frac = divmod(m, 60)
            # Interpolate between hours so the curve has no steps.
            a, b = profile[h], profile[(h + 1) % 24]
            weights.append(a + (b - a) * frac / 60)
        cum = list(accumulate(weights))
        _MINUTE_CUM[key] = cum
    return cum


def _arrivals(
    rng: random.Random, ents: Entities, tasks_per_day: int, d0: int, d1: int, weekend: bool
) -> list[tuple[int, str, Queue | None]]:
    """(time, channel, forced queue) of every task created this day, ascending."""
    factor = _WEEKEND_FACTOR if weekend else _WEEKDAY_FACTOR
    n = max(0, round(tasks_per_day * factor * 0.985 * rng.gauss(1.0, 0.04)))
    cum = _minute_cdf(weekend, d0, d1)
    total = cum[-1]
    channels = list(CHANNEL_MIX)
    ch_cum = list(accumulate(CHANNEL_MIX.values()))
    rnd = rng.random
    out: list[tuple[int, str, Queue | None]] = []
    for _ in range(n):
        minute = bisect(cum, rnd() * total)
        t = d0 + int((minute + rnd()) * MINUTE_MS)
        out.append((t, channels[min(3, bisect(ch_cum, rnd()))], None))
    # Random bursts: an outage floods Technical Support and Social Care for up to an hour.
    n_bursts = rng.choices((0, 1, 2), (0.7, 0.25, 0.05) if weekend else (0.5, 0.35, 0.15))[0]
    for _ in range(n_bursts):
        start = _local_to_utc(d0, rng.randint(9 * 60, 18 * 60))
        length = rng.randint(20, 60) * MINUTE_MS
        extra = round(tasks_per_day * rng.uniform(0.01, 0.03))
        voice = rng.random() < 0.7
        queue = ents.queue("Technical Support" if voice else "Social Care")
        for _ in range(extra):
            out.append((start + int(rnd() * length), queue.channel_type, queue))
    out.sort(key=lambda a: a[0])
    return out


# --- agents ---------------------------------------------------------------------------------


def _staff_day(
    rng: random.Random, ents: Entities, d0: int, weekend: bool
) -> tuple[list[Staff], dict[tuple[str, str], list[tuple[int, int]]]]:
    """Who works today, their shifts and planned breaks; and a heap per (pool, channel)."""
    uid = _uid_factory(rng)
    idle = {c.name: c for c in ents.idle_codes}
    attendance = _ATTENDANCE[weekend]
    pools: dict[str, list[Agent]] = {}
    for agent in ents.agents:
        pools.setdefault(agent.pool, []).append(agent)
    # A fixed share of each pool works, spread over the shifts by quota, so a small pool is
    # never left without an agent for part of the day (independent draws would do that).
    rostered: list[tuple[Agent, tuple[int, int]]] = []
    for members in pools.values():
        working = rng.sample(members, max(1, round(len(members) * attendance)))
        k = len(working)
        bounds = [0]
        for _, _, _, share in SHIFTS:
            bounds.append(bounds[-1] + share)
        for i, agent in enumerate(working):
            slot = min(len(SHIFTS) - 1, bisect(bounds, (i + 0.5) / k) - 1)
            _, lo, hi, _ = SHIFTS[1] if k == 1 else SHIFTS[slot]  # a lone agent works "mid"
            rostered.append((agent, (lo, hi)))
    staff: list[Staff] = []
    for agent, (lo, hi) in rostered:
        s = Staff(agent, len(staff), uid(), {ch: uid() for ch in CHANNELS})
        s.start = _local_to_utc(d0, lo) + rng.randint(-10, 10) * MINUTE_MS + rng.randint(0, 59_999)
        s.shift_end = _local_to_utc(d0, hi) + rng.randint(-10, 10) * MINUTE_MS
        # Agents sign in "Not Ready" and go available after a minute or two.
        ready = s.start + rng.randint(20_000, 180_000)
        s.idles.append((s.start, ready, idle["Not Ready"]))
        s.free = dict.fromkeys(CHANNELS, ready)
        hour = 3_600_000
        plan = [
            (s.start + 2 * hour + rng.randint(-20, 20) * MINUTE_MS, 15 * MINUTE_MS, idle["Break"]),
            (s.start + 4 * hour + rng.randint(-30, 30) * MINUTE_MS, 30 * MINUTE_MS, idle["Lunch"]),
            (s.start + 6 * hour + rng.randint(-20, 20) * MINUTE_MS, 15 * MINUTE_MS, idle["Break"]),
        ]
        if rng.random() < 0.12:
            code = idle[rng.choice(("Meeting", "Training", "Coaching"))]
            plan.append(
                (s.start + rng.randint(60, 420) * MINUTE_MS, rng.randint(20, 45) * MINUTE_MS, code)
            )
        s.breaks = sorted(plan, key=lambda b: b[0])
        staff.append(s)
    heaps: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for s in staff:
        for ch in s.agent.channels:
            heaps.setdefault((s.agent.pool, ch), []).append((s.free[ch], s.idx))
    for h in heaps.values():
        heapq.heapify(h)
    return staff, heaps


def _take_break(s: Staff) -> None:
    """Start the agent's next planned break as soon as every channel is free."""
    planned, duration, code = s.breaks.pop(0)
    begin = max(planned, *s.free.values())
    if begin + duration > s.shift_end:
        return  # too late in the shift: skipped
    s.idles.append((begin, begin + duration, code))
    for ch in s.free:
        s.free[ch] = begin + duration


def _peek(heap: list[tuple[int, int]], staff: Sequence[Staff], ch: str, t: int) -> Staff | None:
    """The agent who can start a task on ``ch`` earliest at or after ``t`` (left on the heap)."""
    while heap:
        free, idx = heap[0]
        s = staff[idx]
        cur = s.free[ch]
        if cur != free:  # stale: work or a break moved this channel's free time since filing
            heapq.heapreplace(heap, (cur, idx))
            continue
        start = free if free > t else t
        if start >= s.shift_end:
            heapq.heappop(heap)  # off shift for good: free times and t only grow
            continue
        if s.breaks and s.breaks[0][0] <= start:
            _take_break(s)
            continue
        return s
    return None


def _commit(s: Staff, ch: str, free: int) -> None:
    """The agent's channel is busy until ``free``. Its heap entry is now stale (too early) and
    ``_peek`` re-files it when it comes up, so the heap need not be touched here."""
    s.free[ch] = free


def _settle_breaks(staff: list[Staff]) -> None:
    """Breaks due after the day's last task: taken while idle."""
    for s in staff:
        while s.breaks:
            _take_break(s)


# --- tasks ----------------------------------------------------------------------------------


_SEQ_BITS = 32
_SEQ_MASK = (1 << _SEQ_BITS) - 1


class _DaySim:
    """The state of one day's simulation (kept together to keep per-task work cheap)."""

    def __init__(self, ents: Entities, rng: random.Random, d0: int, d1: int, weekend: bool) -> None:
        self.ents = ents
        self.rng = rng
        self.d0 = d0
        self.d1 = d1
        self.weekend = weekend
        self.uid = _uid_factory(rng)
        self.staff, self.heaps = _staff_day(rng, ents, d0, weekend)
        # Pending events as one int each, (t - d0) * 2**32 + seq: the heap compares ints, not
        # (t, seq, task) tuples, in the same order; seq indexes the event's task.
        self.events: list[int] = []
        self.event_tasks: list[TaskPlan | None] = []
        self.tasks: list[TaskPlan] = []
        # Every act is appended in start order (ties in the order they happen), so a task's acts
        # need no sort at the end of the day; a task whose acts may not be is listed here.
        self.unordered: list[TaskPlan] = []
        self.eps: dict[str, tuple[list[EntryPoint], list[float]]] = {}
        for ch in CHANNELS:
            eps = [e for e in ents.entry_points if e.channel_type == ch and e.share > 0]
            self.eps[ch] = (eps, list(accumulate(e.share for e in eps)))
        self.queues = {q.id: q for q in ents.queues}
        self.outdial_ep = next(e for e in ents.entry_points if e.name == "EP_Outdial")
        self.codes = {c.name: c for c in ents.wrapup_codes}
        self.voice_queues = [q for q in ents.queues if q.channel_type == "telephony"]
        self.queue_cum = {e.id: list(accumulate(e.queue_weights)) for e in ents.entry_points}
        # The flows that end by queueing a task, per queue: IVR with and without collecting the
        # account, and digital (virtual agent or email parser).
        self.queue_flows = {
            q.id: (
                (*_IVR_COLLECT_FLOW, _queue_contact(q)),
                (*_IVR_FLOW, _queue_contact(q)),
                (
                    (*_VIRTUAL_AGENT_FLOW, _queue_contact(q)),
                    (*_PARSE_EMAIL_FLOW, _queue_contact(q)),
                ),
            )
            for q in ents.queues
        }
        self.open_from = _local_to_utc(d0, OPEN_MINUTE)
        self.open_to = _local_to_utc(d0, CLOSE_MINUTE)

    def push(self, t: int, task: TaskPlan | None) -> None:
        """``task`` (None: an outdial) happens at ``t``; events at the same time in push order."""
        seq = len(self.event_tasks)
        self.event_tasks.append(task)
        heapq.heappush(self.events, ((t - self.d0) << _SEQ_BITS) + seq)

    # -- customers and flow ------------------------------------------------------------------

    def _customer(self, task: TaskPlan, ep: EntryPoint) -> None:
        """Who contacts us, and the addresses the channel uses (a phone, an email, a handle)."""
        # FastRandom's choice and randint written out (the same single draw each): ~7 a task.
        r = self.rng.random
        first = _CUSTOMER_FIRST[int(r() * _N_FIRST)]
        last = _CUSTOMER_LAST[int(r() * _N_LAST)]
        ch = task.channel
        task.destination = ep.address
        if ch == "telephony":
            area = _AREA_CODES[int(r() * _N_AREA)]
            phone = f"+1{area}555{int(r() * 10_000):04d}"
            task.customer_phone = task.origin = phone
            task.customer_name = f"{first} {last}" if r() < 0.45 else None
            return
        task.customer_name = f"{first} {last}"
        if ch in ("email", "chat"):
            n = 1 + int(r() * 999)
            email = f"{first}.{last}{n}@{_MAIL_DOMAINS[int(r() * _N_DOMAINS)]}".lower()
            task.customer_email = task.origin = email
        elif ep.channel_sub_type in ("whatsapp", "sms"):
            area = _AREA_CODES[int(r() * _N_AREA)]
            phone = f"+1{area}555{int(r() * 10_000):04d}"
            task.customer_phone = task.origin = phone
        else:
            task.origin = f"fb-user-{self.rng.getrandbits(40)}"

    def _gvars(self, task: TaskPlan, queue: Queue | None) -> None:
        """Global (CAD) variables the flow sets; which ones depends on channel and path."""
        rng, r = self.rng, self.rng.random
        out = task.gvars
        ch = task.channel
        inbound = task.direction != "outdial"
        if inbound and (ch == "telephony" or ch == "chat"):
            lang = "es-US" if queue is not None and queue.pool == "spanish" else "en-US"
            out.append(("Global_Language", "string", lang))
        if inbound:
            if r() < 0.8:
                out.append(("CustomerTier", "string", _TIERS[int(r() * 4)]))
            if r() < 0.6:
                number = 10_000_000 + int(r() * 90_000_000)
                out.append(("AccountNumber", "string", f"{number}"))
        if inbound and ch == "telephony":
            out.append(("IVRAttempts", "integer", _IVR_ATTEMPTS[int(r() * 5)]))
            out.append(("IsAuthenticated", "boolean", r() < 0.55))
        if ch == "chat" or ch == "social" or (ch == "telephony" and r() < 0.5):
            out.append(("IntentConfidence", "double", round(rng.uniform(0.35, 0.99), 3)))
        if queue is not None and queue.name in ("Sales", "Chat Sales", "Billing") and r() < 0.6:
            out.append(("OrderTotal", "double", round(rng.uniform(5, 2500), 2)))
            out.append(("LastOrderTime", "long", task.created - (1 + int(r() * 400)) * DAY_MS))
        # The sample variables of Cisco's queries, on a share of tasks as in their responses.
        if r() < 0.3:
            out.append(("GV1", "string", _GV1[int(r() * 3)]))
            out.append(("GV2", "integer", 100 + int(r() * 1_999_901)))
            out.append(("BooleanGV", "boolean", r() < 0.5))
            out.append(("DateAndTime", "long", task.created - int(r() * 3_600_001)))
            if r() < 0.5:
                out.append(("GV59", "string", "GV59"))

    def _flow(
        self, task: TaskPlan, t: int, length: int, infos: Sequence[dict[str, object]]
    ) -> None:
        """The self-service phase ``new`` and its flow-activity instants (``_flow_info`` each),
        spread over ``length``."""
        acts = task.acts
        acts.append(_act("new", "new", t, t + length, SS))
        n = len(infos)
        if length > n + 2:
            # Strictly inside the phase and 1 ms apart, so ids stay unique.
            span, parts = length - n - 2, n + 1
            for i, info in enumerate(infos):
                at = t + 1 + i + span * (i + 1) // parts
                acts.append(
                    _act("flow-activity", "flow-activity", at, at, INSTANT, None, None, info)
                )
        else:
            # Too short to hold its instants: they may fall after the acts that follow.
            self.unordered.append(task)
            for i, info in enumerate(infos):
                at = t + 1 + i
                acts.append(
                    _act("flow-activity", "flow-activity", at, at, INSTANT, None, None, info)
                )

    def _finish(self, task: TaskPlan, t: int, reason: str, end_by: str, outcome: str) -> None:
        info = _ENDED_INFO.get(reason)
        if info is None:
            info = _ENDED_INFO[reason] = {"reason": reason}
        task.acts.append(_act("ended", "ended", t, t, INSTANT, None, task.queue, info))
        task.end = t
        task.termination_reason = reason
        task.terminating_end = end_by
        task.outcome = outcome

    # -- inbound -----------------------------------------------------------------------------

    def inbound(self, t: int, ch: str, forced: Queue | None) -> None:
        rng = self.rng
        eps, cum = self.eps[ch]
        if forced is not None:
            ep = next(e for e in eps if forced.id in e.queue_ids)
        else:
            ep = eps[min(len(eps) - 1, bisect(cum, rng.random() * cum[-1]))]
        task = TaskPlan(self.uid(), t, ch, "inbound", ep)
        self.tasks.append(task)
        self._customer(task, ep)
        if forced is not None:
            queue = forced
        else:
            # FastRandom.choices written out (one draw).
            ids, qcum = ep.queue_ids, self.queue_cum[ep.id]
            queue = self.queues[ids[min(len(ids) - 1, bisect(qcum, rng.random() * qcum[-1]))]]
        task.queue = None
        task.priority = queue.priority
        reasons = queue.contact_reasons
        task.reason = reasons[int(rng.random() * len(reasons))]
        self._gvars(task, queue)
        is_open = self.open_from <= t < self.open_to
        r = rng.random()
        if ch == "telephony":
            if not is_open:
                length = _lognormal_ms(rng, _CLOSED_IVR_LEN)
                self._flow(task, t, length, _CLOSED_IVR_FLOW)
                self._finish(task, t + length, "Customer Left", "customer", "closed")
                return
            if r < 0.025:  # hangs up in the IVR within seconds
                length = rng.randint(800, SHORT_IVR_MS - 500)
                self._flow(task, t, length, _SHORT_IVR_FLOW)
                self._finish(task, t + length, "Customer Left", "customer", "short_ivr")
                return
            if r < 0.125:  # self-service: the IVR answers the question
                length = _lognormal_ms(rng, _SELF_SERVICE_LEN)
                self._flow(task, t, length, _SELF_SERVICE_FLOW)
                self._finish(task, t + length, "Customer Left", "customer", "ivr")
                return
            length = _lognormal_ms(rng, _IVR_LEN)
            collect, plain, _digital = self.queue_flows[queue.id]
            self._flow(task, t, length, collect if rng.random() < 0.6 else plain)
        else:
            bot = ch in ("chat", "social")
            if bot:
                task.bot = "Sandbox Virtual Assistant"
            if ch == "chat":
                task.chat_reason = rng.choice(_CHAT_REASONS)
            if ch == "email":
                cc = (
                    f"{rng.choice(_CUSTOMER_FIRST).lower()}@{rng.choice(_MAIL_DOMAINS)}"
                    if rng.random() < 0.15
                    else None
                )
                subject = rng.choice(_EMAIL_SUBJECTS)
                msg_id = f"<{rng.getrandbits(64):016x}@{rng.choice(_MAIL_DOMAINS)}>"
                task.email = (subject, msg_id, rng.random() < 0.2, cc)
            if not is_open:
                length = _lognormal_ms(rng, _CLOSED_DIGITAL_LEN[ch])
                self._flow(task, t, length, _CLOSED_DIGITAL_FLOW)
                self._finish(
                    task,
                    t + length,
                    "Customer Left" if ch != "email" else "Not Found",
                    "system",
                    "closed",
                )
                return
            if bot and r < 0.06:
                length = _lognormal_ms(rng, _VIRTUAL_AGENT_LEN)
                self._flow(task, t, length, _VIRTUAL_AGENT_FLOW)
                self._finish(task, t + length, "Customer Left", "customer", "ivr")
                return
            length = _lognormal_ms(rng, _BOT_LEN[ch])
            _collect, _plain, (by_bot, parsed) = self.queue_flows[queue.id]
            self._flow(task, t, length, by_bot if bot else parsed)
        task.patience = self._patience(ch)
        task.queue = queue
        self.push(t + length, task)

    def _patience(self, ch: str) -> int:
        rng = self.rng
        if ch == "email":
            return _EMAIL_EXPIRY_MS
        if rng.random() < _SHORT_PATIENCE_P[ch]:
            return rng.randint(500, SHORT_ABANDON_MS - 500)
        # random.expovariate(1 / mean) written out (the same single draw and arithmetic).
        lambd, cap = _PATIENCE[ch]
        return int(1000 * min(cap, 5 + -_log(1.0 - rng.random()) / lambd))

    def route(self, t: int, task: TaskPlan) -> None:
        """The task enters ``task.queue`` at ``t``: wait for an agent, or give up."""
        rng = self.rng
        queue = task.queue
        assert queue is not None
        ch = task.channel
        parked = _act("parked", "parked", t, t, QUEUE, None, queue, None)
        task.acts.append(parked)
        heap = self.heaps.get((queue.pool, ch), [])
        s = _peek(heap, self.staff, ch, t)
        if s is not None and s is task.prev_staff:
            # A transferred task goes to someone else: look past the agent who transferred it.
            held = heapq.heappop(heap)
            s = _peek(heap, self.staff, ch, t)
            heapq.heappush(heap, held)
        start = None if s is None else max(t, s.free[ch])
        patience = task.patience
        if (
            ch == "telephony"
            and task.cb_request is None
            and task.transfers == 0
            and (start is None or start - t > 90_000)
            and rng.random() < 0.35
        ):
            req = t + rng.randint(20_000, 80_000)
            if req - t < patience and (start is None or start > req):
                task.cb_request, task.cb_number = req, task.customer_phone
                patience = _CALLBACK_EXPIRY_MS
        if s is None or start is None or start - t > patience:
            end = t + patience
            parked.end = end
            if task.cb_request is not None:
                self._finish(task, end, "Customer Unavailable", "system", "callback_failed")
            elif ch == "email":
                self._finish(task, end, "Not Found", "system", "expired")
            else:
                short = patience < SHORT_ABANDON_MS
                self._finish(
                    task,
                    end,
                    "Customer Left",
                    "customer",
                    "short_abandon" if short else "abandoned",
                )
            return
        parked.end = start
        self._handle(task, s, start, queue)

    def _handle(self, task: TaskPlan, s: Staff, start: int, queue: Queue) -> None:
        """Agent ``s`` is offered the task at ``start``: ringing, connected (hold, consult), wrap-up."""
        rng = self.rng
        ch = task.channel
        acts = task.acts
        tid = task.id
        log = s.log
        ring = _lognormal_ms(rng, _RING[ch])
        t = start + ring
        acts.append(_act("connect", "connect", start, t, RING, s, queue, None))
        log.append((ch, "ringing", start, t, tid, queue, None, False))
        talk = _lognormal_ms(rng, _TALK[ch])
        # Interruptions of the conversation: holds and consults (telephony only).
        breaks: list[tuple[int, int]] = []
        cuts: list[int] = []
        if ch == "telephony":
            if rng.random() < 0.25:
                for _ in range(rng.choice((1, 1, 2))):
                    breaks.append((HOLD, _lognormal_ms(rng, _HOLD_LEN)))
            if rng.random() < 0.08:
                breaks.append((CONSULT, _lognormal_ms(rng, _CONSULT_LEN)))
            if breaks:
                if len(breaks) > 1:  # shuffling fewer than two draws nothing
                    rng.shuffle(breaks)
                cuts = sorted(rng.randint(1, max(1, talk - 1)) for _ in breaks)
        seg_start = t
        prev = 0
        resume_event = "connected"
        for (kind, dur), cut in zip(breaks, cuts, strict=True):
            seg_end = seg_start + (cut - prev)
            acts.append(_act(resume_event, resume_event, seg_start, seg_end, TALK, s, queue, None))
            log.append((ch, "connected", seg_start, seg_end, tid, queue, None, False))
            if kind == HOLD:
                acts.append(
                    _act("on-hold", "on-hold", seg_end, seg_end + dur, HOLD, s, queue, None)
                )
                log.append((ch, "on-hold", seg_end, seg_end + dur, tid, queue, None, False))
                resume_event = "hold-done"
            else:
                name, dn = rng.choice(_CONSULT_EPS)
                info = {"consultEpName": name, "transferEpDN": dn, "child": self.uid()}
                acts.append(
                    _act(
                        "consulting", "consulting", seg_end, seg_end + dur, CONSULT, s, queue, info
                    )
                )
                log.append((ch, "consulting", seg_end, seg_end + dur, tid, queue, None, False))
                resume_event = "consult-done"
            seg_start = seg_end + dur
            prev = cut
        talk_end = seg_start + (talk - prev)
        acts.append(_act(resume_event, resume_event, seg_start, talk_end, TALK, s, queue, None))
        log.append((ch, "connected", seg_start, talk_end, tid, queue, None, False))
        if ch == "telephony":
            rec = t + 900 + int(rng.random() * 1601)  # FastRandom.randint(900, 2500)
            if rec < talk_end:
                recording = _act(
                    "recording-started", "capture-started", rec, rec, INSTANT, s, queue, None
                )
                if breaks:  # a hold or consult may start before the recording does
                    insort(acts, recording, key=_act_start)  # after acts of equal start
                else:
                    acts.append(recording)
            if rng.random() < 0.03 and talk_end - t > 20_000:
                task.monitor = (
                    t + rng.randint(5_000, talk_end - t - 5_000),
                    rng.choice(self.ents.supervisors),
                )
        # Blind transfer to another queue of the same channel: the agent is free at once.
        if task.transfers == 0 and rng.random() < _BLIND_TRANSFER_P.get(ch, 0.0):
            others = [
                q
                for q in self.ents.queues
                if q.channel_type == ch and q.id != queue.id and q.pool != "spanish"
            ]
            dest = rng.choice(others)
            acts.append(
                _act(
                    "blind-transfer",
                    "blind-transfer",
                    talk_end,
                    talk_end,
                    INSTANT,
                    s,
                    queue,
                    {"dest": dest},
                )
            )
            _commit(s, ch, talk_end)
            task.transfers += 1
            task.prev_staff = s
            task.queue = dest
            task.patience = self._patience(ch)
            self.push(talk_end, task)
            return
        agent_hangs_up = rng.random() < 0.3
        self._finish(
            task,
            talk_end,
            "Agent Left" if agent_hangs_up else "Customer Left",
            "agent" if agent_hangs_up else "customer",
            "handled",
        )
        acts[-1].staff = s
        wrap = _lognormal_ms(rng, _WRAP[ch])
        end = talk_end + wrap
        code = self._wrap_code(task, queue)
        task.wrap_code = code
        acts.append(_act("WrapUp", "wrapup-done", talk_end, end, WRAP, s, queue, None))
        log.append((ch, "wrapup", talk_end, end, tid, queue, code, False))
        if ch == "telephony":
            avail = talk_end + rng.randint(800, min(2500, wrap - 1))
            acts.append(
                _act(
                    "recording-available",
                    "capture-available",
                    avail,
                    avail,
                    INSTANT,
                    s,
                    queue,
                    None,
                )
            )
        task.end = end
        _commit(s, ch, end)
        self._after_contact(task)

    def _wrap_code(self, task: TaskPlan, queue: Queue) -> Code:
        rng = self.rng
        c = self.codes
        if task.cb_request is not None:
            return c["Callback Completed"]
        if queue.pool == "sales" or queue.name == "Chat Sales":
            options = ("Sale Completed", "Information Provided", "Follow-up Required")
        elif queue.pool == "billing" or queue.name == "Email Billing":
            options = ("Billing Inquiry", "Resolved", "Follow-up Required")
        elif queue.pool == "tech":
            options = ("Technical Issue", "Resolved", "Escalated")
        else:
            options = (
                "Resolved",
                "Resolved",
                "Information Provided",
                "Follow-up Required",
                "Escalated",
            )
        if task.channel == "telephony" and rng.random() < 0.02:
            return c["Wrong Number"]
        return c[rng.choice(options)]

    def _after_contact(self, task: TaskPlan) -> None:
        """Survey, CSAT and sentiment of a handled contact."""
        rng = self.rng
        if task.channel in ("telephony", "chat"):
            # FastRandom.choices written out (one draw).
            task.sentiment = _SENTIMENTS[min(2, bisect(_SENTIMENT_CUM, rng.random() * 1.0))]
            if rng.random() < 0.3:
                presented = 3
                answered = rng.randint(1, 3)
                score = rng.choices((1, 2, 3, 4, 5), cum_weights=_CSAT_CUM)[0]
                comment = rng.choice(
                    (None, None, "Quick and helpful", "Took too long", "Great agent")
                )
                kind = "Inline survey" if task.channel == "telephony" else "Deferred survey"
                task.survey = ("yes", kind, answered, answered == presented, presented, comment)
                task.csat = score

    # -- outdial -----------------------------------------------------------------------------

    def outdial(self, t: int) -> None:
        """An agent free at ``t`` dials a customer; no outdial happens if nobody is free."""
        rng = self.rng
        pool = rng.choices(("sales", "support", "billing"), (0.5, 0.3, 0.2))[0]
        heap = self.heaps.get((pool, "telephony"), [])
        s = _peek(heap, self.staff, "telephony", t)
        if s is None or s.free["telephony"] > t:
            return
        ep = self.outdial_ep
        task = TaskPlan(self.uid(), t, "telephony", "outdial", ep)
        self.tasks.append(task)
        phone = f"+1{rng.choice(_AREA_CODES)}555{rng.randint(0, 9999):04d}"
        task.customer_phone = phone
        task.origin, task.destination = ep.address, phone
        task.reason = rng.choice(("Follow-up", "Payment reminder", "Appointment confirmation"))
        self._gvars(task, None)
        acts = task.acts
        tid = task.id
        acts.append(_act("new", "new", t, t, INSTANT))
        ring = _lognormal_ms(rng, _OUTDIAL_RING_LEN)
        acts.append(_act("connect", "connect", t, t + ring, RING, s, None, None))
        s.log.append(("telephony", "ringing", t, t + ring, tid, None, None, True))
        end = t + ring
        answered = rng.random() < 0.72
        if answered:
            talk = _lognormal_ms(rng, _OUTDIAL_TALK_LEN)
            acts.append(_act("connected", "connected", end, end + talk, TALK, s, None, None))
            s.log.append(("telephony", "connected", end, end + talk, tid, None, None, True))
            rec = end + rng.randint(900, 2500)
            if rec < end + talk:
                acts.append(
                    _act("recording-started", "capture-started", rec, rec, INSTANT, s, None, None)
                )
            end += talk
            by_agent = rng.random() < 0.6
            self._finish(
                task,
                end,
                "Agent Left" if by_agent else "Customer Left",
                "agent" if by_agent else "customer",
                "outdial",
            )
            code = self.codes[
                rng.choice(("Resolved", "Information Provided", "Follow-up Required"))
            ]
        else:
            self._finish(task, end, "Customer Unavailable", "agent", "outdial_noanswer")
            code = self.codes["No Answer"]
        acts[-1].staff = s
        wrap = _lognormal_ms(rng, _OUTDIAL_WRAP_LEN)
        acts.append(_act("WrapUp", "wrapup-done", end, end + wrap, WRAP, s, None, None))
        s.log.append(("telephony", "wrapup", end, end + wrap, tid, None, code, True))
        if answered:
            avail = end + rng.randint(800, min(2500, wrap - 1))
            acts.append(
                _act(
                    "recording-available", "capture-available", avail, avail, INSTANT, s, None, None
                )
            )
        task.wrap_code = code
        task.end = end + wrap
        _commit(s, "telephony", end + wrap)

    # -- the day -----------------------------------------------------------------------------

    def run(self, arrivals: list[tuple[int, str, Queue | None]]) -> None:
        rng = self.rng
        outdial_times: list[int] = []
        for t, ch, forced in arrivals:
            if ch == "telephony" and forced is None and rng.random() < 0.07:
                if self.open_from <= t < self.open_to:
                    outdial_times.append(t)
                    continue
            self.inbound(t, ch, forced)
        for t in outdial_times:
            self.push(t, None)
        events, event_tasks, d0 = self.events, self.event_tasks, self.d0
        while events:
            key = heapq.heappop(events)
            t, task = d0 + (key >> _SEQ_BITS), event_tasks[key & _SEQ_MASK]
            if task is None:
                self.outdial(t)
            else:
                self.route(t, task)
        _settle_breaks(self.staff)
        for task in self.unordered:
            task.acts.sort(key=_act_start)
        self.tasks.sort(key=_task_key)


_act_start = attrgetter("start")  # C getters: the sort keys of acts (insort, rare sorts) and tasks
_task_key = attrgetter("created", "id")


def simulate_day(ents: Entities, seed: int, tasks_per_day: int, day: int) -> DayPlan:
    """Simulate simulation day ``day`` (local days since 1970-01-01) from its own seed."""
    rng = rng_for(seed, tasks_per_day, "day", day)
    d0, d1 = day_start(day), day_start(day + 1)
    weekend = weekday(day) >= 5
    sim = _DaySim(ents, rng, d0, d1, weekend)
    sim.run(_arrivals(rng, ents, tasks_per_day, d0, d1, weekend))
    return DayPlan(day, d0, d1, sim.tasks, sim.staff)
