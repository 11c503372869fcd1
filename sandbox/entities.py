"""The sandbox org's configuration: sites, teams, queues, entry points, agents, codes, variables.

Everything here is a pure function of ``(seed, tasks_per_day)``: ids come from a random generator
seeded from a hash of the seed, and the workforce is sized from the volume so queues stay
realistic (a few percent abandoned) at any ``tasks_per_day``. Entities are frozen dataclasses so
other modules (the HTTP server mapping sample-query literals onto them) can list and share them.
"""

from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate

CHANNELS: tuple[str, ...] = ("telephony", "chat", "email", "social")
DIGITAL: tuple[str, ...] = ("chat", "email", "social")

# Share of the day's tasks per channel; telephony includes outdials.
CHANNEL_MIX: dict[str, float] = {"telephony": 0.62, "chat": 0.16, "email": 0.12, "social": 0.10}

# Mean handle time (ringing + connected + wrap-up) in seconds, used only to size the workforce.
_AHT_S: dict[str, float] = {"telephony": 400.0, "chat": 560.0, "email": 480.0, "social": 420.0}

# Weekday peak hour as a share of the day's volume (see timeline._WEEKDAY_PROFILE).
_PEAK_HOUR_SHARE = 0.10

# Shift patterns in local minutes since midnight: (name, start, end, share of the workforce).
SHIFTS: tuple[tuple[str, int, int, float], ...] = (
    ("early", 7 * 60, 15 * 60 + 30, 0.35),
    ("mid", 9 * 60 + 30, 18 * 60, 0.40),
    ("late", 13 * 60 + 30, 22 * 60, 0.25),
)


class FastRandom(random.Random):
    """``random.Random`` with cheaper ``choice``/``randint``/``choices`` (the simulation's hot path).

    The stdlib versions draw unbiased integers with rejection sampling; scaling one ``random()``
    is biased by at most 2**-53 per draw, which a simulation does not notice, and is ~4x faster.
    """

    def choice(self, seq):  # type: ignore[no-untyped-def, override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choices(self, population, weights=None, *, cum_weights=None, k=1):  # type: ignore[no-untyped-def, override]
        if weights is None and cum_weights is None:
            return [self.choice(population) for _ in range(k)]
        cum = list(accumulate(weights)) if cum_weights is None else cum_weights
        total = cum[-1]
        hi = len(population) - 1
        if k == 1:
            return [population[min(hi, bisect(cum, self.random() * total))]]
        return [population[min(hi, bisect(cum, self.random() * total))] for _ in range(k)]


def rng_for(*parts: object) -> FastRandom:
    """A generator seeded from a stable hash of ``parts`` (``hash()`` is salted per process)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).digest()
    return FastRandom(int.from_bytes(digest, "big"))


_VARIANT = {f"{i:x}": "89ab"[i & 3] for i in range(16)}


def uuid_from(rng: random.Random) -> str:
    """A version-4-shaped UUID string drawn from ``rng`` (cheaper than ``uuid.UUID``)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


@dataclass(frozen=True)
class Site:
    id: str
    name: str


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    site_id: str
    pool: str  # the routing pool whose queues this team serves
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Skill:
    id: str
    name: str
    type: str  # "text", "proficiency" or "boolean", as in WxCC skill definitions


@dataclass(frozen=True)
class Queue:
    id: str
    name: str
    channel_type: str
    pool: str
    team_ids: tuple[str, ...]
    service_level_ms: int
    routing_type: str  # "longestAvailable" or "skillBased"
    required_skills: tuple[tuple[str, str, object], ...] = ()  # (skill name, type, value)
    contact_reasons: tuple[str, ...] = ()
    priority: int = 5


@dataclass(frozen=True)
class Flow:
    """A routing flow (the CSR's ``ivrScript*`` fields)."""

    id: str
    name: str
    tag_id: str
    tag_name: str


@dataclass(frozen=True)
class EntryPoint:
    id: str
    name: str
    channel_type: str
    address: str  # dialled number, mailbox, chat page or social page the customer contacts
    queue_ids: tuple[str, ...]
    queue_weights: tuple[float, ...]
    flow: Flow
    channel_sub_type: str | None = None
    share: float = 1.0  # share of its channel's inbound volume


@dataclass(frozen=True)
class Agent:
    id: str
    first_name: str
    last_name: str
    sign_in_id: str  # the email an agent signs in with
    phone_number: str
    team_id: str
    site_id: str
    pool: str
    channels: tuple[str, ...]  # channels the agent takes tasks on
    skills: tuple[tuple[str, str, object], ...]  # (skill name, type, value)
    skill_profile: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Code:
    """A wrap-up or idle (auxiliary) code."""

    id: str
    name: str


@dataclass(frozen=True)
class GlobalVariableDef:
    """A global (CAD) variable definition; ``type`` is the Search API's typed-field family."""

    name: str
    type: str  # string | integer | long | double | boolean
    description: str = ""


@dataclass(frozen=True)
class Entities:
    org_id: str
    org_name: str
    domain: str
    sites: tuple[Site, ...]
    teams: tuple[Team, ...]
    skills: tuple[Skill, ...]
    queues: tuple[Queue, ...]
    flows: tuple[Flow, ...]
    entry_points: tuple[EntryPoint, ...]
    agents: tuple[Agent, ...]
    wrapup_codes: tuple[Code, ...]
    idle_codes: tuple[Code, ...]
    global_variables: tuple[GlobalVariableDef, ...]
    supervisors: tuple[str, ...]
    by_id: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def queue(self, name: str) -> Queue:
        return next(q for q in self.queues if q.name == name)

    def team(self, team_id: str) -> Team:
        return next(t for t in self.teams if t.id == team_id)


_FIRST = (
    "Aisha Alex Ana Ben Carla Chen Daniel Diego Elena Emma Fatima Grace Hannah Hugo Ivan Jamal "
    "Jia Jose Julia Kenji Laura Leo Lucia Maya Mei Mohammed Nadia Noah Olivia Omar Priya Rafael "
    "Rosa Sam Sara Sofia Tariq Tom Uma Victor Wei Yara Zoe Amir Bianca Chloe Dmitri Esther Felix"
).split()
_LAST = (
    "Adams Ahmed Baker Brown Campbell Chen Cruz Davis Diaz Edwards Evans Garcia Gomez Green Hall "
    "Harris Hill Jackson Johnson Kim Lee Lewis Lopez Martin Martinez Miller Moore Nguyen Patel "
    "Perez Roberts Robinson Sanchez Scott Singh Smith Taylor Thomas Thompson Torres Walker White "
    "Williams Wilson Wright Young Okafor Rossi Novak Silva"
).split()

WRAPUP_CODE_NAMES = (
    "Resolved",
    "Follow-up Required",
    "Escalated",
    "Sale Completed",
    "Billing Inquiry",
    "Technical Issue",
    "Information Provided",
    "Wrong Number",
    "No Answer",
    "Callback Completed",
)
IDLE_CODE_NAMES = ("Not Ready", "Break", "Lunch", "Meeting", "Training", "Coaching")

# The names Cisco's samples filter on (GV1, GV2, GV59, Global_Language, BooleanGV, DateAndTime)
# plus a few a real flow would set.
GLOBAL_VARIABLES: tuple[GlobalVariableDef, ...] = (
    GlobalVariableDef("GV1", "string", "Sample string variable"),
    GlobalVariableDef("GV2", "integer", "Sample integer variable"),
    GlobalVariableDef("GV59", "string", "Sample string variable"),
    GlobalVariableDef("Global_Language", "string", "Language selected by the caller"),
    GlobalVariableDef("BooleanGV", "boolean", "Sample boolean variable"),
    GlobalVariableDef("DateAndTime", "long", "Epoch ms set by the flow"),
    GlobalVariableDef("CustomerTier", "string", "Tier looked up in the CRM"),
    GlobalVariableDef("AccountNumber", "string", "Account number entered in the IVR"),
    GlobalVariableDef("IVRAttempts", "integer", "Menu attempts before routing"),
    GlobalVariableDef("IntentConfidence", "double", "Intent detection confidence"),
    GlobalVariableDef("OrderTotal", "double", "Last order total in USD"),
    GlobalVariableDef("IsAuthenticated", "boolean", "Caller passed IVR authentication"),
    GlobalVariableDef("LastOrderTime", "long", "Epoch ms of the last order"),
)

# Routing pools: each pool is a set of queues served by the same agents.
# (pool, channels agents take, telephony queues or digital queues)
_VOICE_QUEUES: tuple[tuple[str, str, float, tuple[str, ...]], ...] = (
    # (queue name, pool, share of inbound voice, contact reasons)
    ("Sales", "sales", 0.22, ("New order", "Upgrade", "Pricing question")),
    ("Customer Support", "support", 0.38, ("Order status", "Return request", "Account change")),
    ("Technical Support", "tech", 0.14, ("Device not working", "Connectivity issue", "Setup help")),
    ("Billing", "billing", 0.18, ("Billing question", "Payment issue", "Refund request")),
    ("Spanish Support", "spanish", 0.08, ("Order status", "Billing question", "Setup help")),
)
_DIGITAL_QUEUES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Chat Support", "chat", ("Order status", "Return request", "Setup help")),
    ("Chat Sales", "chat", ("Pricing question", "New order")),
    ("Email Support", "email", ("Return request", "Account change", "Order status")),
    ("Email Billing", "email", ("Billing question", "Refund request")),
    ("Social Care", "social", ("Complaint", "Order status", "Service outage")),
)
_SL_MS = {"telephony": 30_000, "chat": 60_000, "email": 4 * 3_600_000, "social": 900_000}


def _agents_needed(erlangs: float) -> int:
    """Agents on duty at the peak hour for ``erlangs`` of load (square-root staffing)."""
    return max(2, math.ceil(erlangs + 1.2 * math.sqrt(erlangs) + 1))


def _workforce(on_duty_at_peak: int) -> int:
    # At the peak hour about 3/4 of a day's shifts overlap and ~85% of agents work a weekday.
    return max(3, math.ceil(on_duty_at_peak / (0.75 * 0.85)))


def build_entities(seed: int, tasks_per_day: int) -> Entities:
    """The org's configuration for ``(seed, tasks_per_day)``."""
    rng = rng_for(seed, "entities")
    uid = lambda: uuid_from(rng)  # noqa: E731 - a one-line id source
    org_id = uid()
    domain = "sandbox-cc.example.com"
    sites = (Site(uid(), "Raleigh"), Site(uid(), "Austin"), Site(uid(), "Remote"))
    skills = (
        Skill(uid(), "Language", "text"),
        Skill(uid(), "ProductKnowledge", "proficiency"),
        Skill(uid(), "BillingCertified", "boolean"),
    )
    flows = tuple(
        Flow(uid(), name, uid(), tag)
        for name, tag in (
            ("Main_IVR_Flow", "Live"),
            ("Spanish_IVR_Flow", "Live"),
            ("Web_Chat_Flow", "Live"),
            ("Email_Routing_Flow", "Live"),
            ("Social_Routing_Flow", "Live"),
            ("Outdial_Flow", "Live"),
        )
    )
    flow = {f.name: f for f in flows}

    # Size the pools from the weekday peak hour's load.
    weekday_volume = tasks_per_day * 1.14
    peak = weekday_volume * _PEAK_HOUR_SHARE
    voice_in = peak * CHANNEL_MIX["telephony"] * 0.93 * 0.85  # minus outdials and IVR-only
    pool_need: dict[str, int] = {}
    for _, pool, share, _ in _VOICE_QUEUES:
        pool_need[pool] = _agents_needed(voice_in * share * _AHT_S["telephony"] / 3600)
    # Digital agents take one task per digital channel at a time: the busiest channel sizes them.
    pool_need["digital"] = max(
        _agents_needed(peak * CHANNEL_MIX[ch] * 0.95 * _AHT_S[ch] / 3600) for ch in DIGITAL
    )

    teams: list[Team] = []
    agents: list[Agent] = []
    used_logins: set[str] = set()
    team_names = {
        "sales": "Sales",
        "support": "Support",
        "tech": "Tech Support",
        "billing": "Billing",
        "spanish": "Spanish",
        "digital": "Digital Care",
    }
    for pool, need in pool_need.items():
        size = _workforce(need)
        n_teams = max(1, math.ceil(size / 15))
        channels = DIGITAL if pool == "digital" else ("telephony",)
        pool_teams = []
        for i in range(n_teams):
            site = sites[i % len(sites)]
            suffix = f" {chr(ord('A') + i)}" if n_teams > 1 else ""
            team = Team(uid(), f"{team_names[pool]}{suffix}", site.id, pool, channels)
            pool_teams.append(team)
        teams.extend(pool_teams)
        for i in range(size):
            team = pool_teams[i % n_teams]
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            login = f"{first}.{last}".lower()
            n = 1
            while login in used_logins:
                n += 1
                login = f"{first}.{last}{n}".lower()
            used_logins.add(login)
            lang = "es" if pool == "spanish" or rng.random() < 0.15 else "en"
            agent_skills: tuple[tuple[str, str, object], ...] = (
                ("Language", "text", lang),
                ("ProductKnowledge", "proficiency", rng.randint(3, 10)),
                ("BillingCertified", "boolean", pool == "billing" or rng.random() < 0.2),
            )
            agents.append(
                Agent(
                    id=uid(),
                    first_name=first,
                    last_name=last,
                    sign_in_id=f"{login}@{domain}",
                    phone_number=f"+1919555{rng.randint(0, 9999):04d}",
                    team_id=team.id,
                    site_id=team.site_id,
                    pool=pool,
                    channels=channels,
                    skills=agent_skills,
                    skill_profile=f"{team_names[pool]} Profile",
                )
            )

    pool_team_ids = {p: tuple(t.id for t in teams if t.pool == p) for p in pool_need}
    queues: list[Queue] = []
    for qname, pool, _, reasons in _VOICE_QUEUES:
        skill_based = pool == "spanish"
        queues.append(
            Queue(
                id=uid(),
                name=qname,
                channel_type="telephony",
                pool=pool,
                team_ids=pool_team_ids[pool],
                service_level_ms=_SL_MS["telephony"],
                routing_type="skillBased" if skill_based else "longestAvailable",
                required_skills=(("Language", "text", "es"),) if skill_based else (),
                contact_reasons=reasons,
            )
        )
    for qname, ch, reasons in _DIGITAL_QUEUES:
        queues.append(
            Queue(
                id=uid(),
                name=qname,
                channel_type=ch,
                pool="digital",
                team_ids=pool_team_ids["digital"],
                service_level_ms=_SL_MS[ch],
                routing_type="longestAvailable",
                contact_reasons=reasons,
                priority=3 if ch == "email" else 5,
            )
        )
    qid = {q.name: q.id for q in queues}
    voice_share = {name: share for name, _, share, _ in _VOICE_QUEUES}
    main_queues = [n for n in voice_share if n != "Spanish Support"]
    entry_points = (
        EntryPoint(
            uid(),
            "EP_Main_Line",
            "telephony",
            "+18005550100",
            tuple(qid[n] for n in main_queues),
            tuple(voice_share[n] for n in main_queues),
            flow["Main_IVR_Flow"],
            share=0.92,
        ),
        EntryPoint(
            uid(),
            "EP_Spanish_Line",
            "telephony",
            "+18005550101",
            (qid["Spanish Support"],),
            (1.0,),
            flow["Spanish_IVR_Flow"],
            share=0.08,
        ),
        EntryPoint(
            uid(),
            "EP_Outdial",
            "telephony",
            "+19195550199",
            (),
            (),
            flow["Outdial_Flow"],
            share=0.0,
        ),
        EntryPoint(
            uid(),
            "EP_Web_Chat",
            "chat",
            "https://www.example.com/support",
            (qid["Chat Support"], qid["Chat Sales"]),
            (0.7, 0.3),
            flow["Web_Chat_Flow"],
        ),
        EntryPoint(
            uid(),
            "EP_Support_Email",
            "email",
            f"support@{domain}",
            (qid["Email Support"],),
            (1.0,),
            flow["Email_Routing_Flow"],
            share=0.7,
        ),
        EntryPoint(
            uid(),
            "EP_Billing_Email",
            "email",
            f"billing@{domain}",
            (qid["Email Billing"],),
            (1.0,),
            flow["Email_Routing_Flow"],
            share=0.3,
        ),
        EntryPoint(
            uid(),
            "EP_Facebook",
            "social",
            "fb-page-104729384756",
            (qid["Social Care"],),
            (1.0,),
            flow["Social_Routing_Flow"],
            channel_sub_type="facebook",
            share=0.45,
        ),
        EntryPoint(
            uid(),
            "EP_WhatsApp",
            "social",
            "+18005550150",
            (qid["Social Care"],),
            (1.0,),
            flow["Social_Routing_Flow"],
            channel_sub_type="whatsapp",
            share=0.35,
        ),
        EntryPoint(
            uid(),
            "EP_SMS",
            "social",
            "+18005550160",
            (qid["Social Care"],),
            (1.0,),
            flow["Social_Routing_Flow"],
            channel_sub_type="sms",
            share=0.20,
        ),
    )
    wrapup_codes = tuple(Code(uid(), n) for n in WRAPUP_CODE_NAMES)
    idle_codes = tuple(Code(uid(), n) for n in IDLE_CODE_NAMES)
    supervisors = ("Morgan Reyes", "Jordan Blake", "Casey Lin")
    ents = Entities(
        org_id=org_id,
        org_name=f"Sandbox Contact Center {seed}",
        domain=domain,
        sites=sites,
        teams=tuple(teams),
        skills=skills,
        queues=tuple(queues),
        flows=flows,
        entry_points=entry_points,
        agents=tuple(agents),
        wrapup_codes=wrapup_codes,
        idle_codes=idle_codes,
        global_variables=GLOBAL_VARIABLES,
        supervisors=supervisors,
    )
    for group in (
        sites,
        teams,
        skills,
        queues,
        flows,
        entry_points,
        agents,
        wrapup_codes,
        idle_codes,
    ):
        for e in group:
            ents.by_id[e.id] = e
    return ents
