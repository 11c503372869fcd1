"""The WFO side of the sandbox's data model: WFO ids, evaluations and schedules.

Part of the model, not of the HTTP rendering: both the Data Explorer routes (``reports.py``) and
the ground truth (``truth.py``) read these facts and aggregate them on their own.

- Groups are the org's sites, teams its teams, persons its agents; WFO ids are small integers
  numbered in the entities' order (WFO numbers its own objects; the agent's WxCC id is the
  person's ``ACD ID``).
- Every handled task is evaluated for its agent with a probability of 1 in 8, on the voice form
  (telephony) or the digital form (other channels), with a score drawn from a hash of the seed,
  task and agent.
- An agent's schedule for a simulation day is the roster shift (``entities.SHIFTS``) whose local
  start lies nearest the session's login.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sandbox.clock import day_of, day_start, local_minute
from sandbox.entities import SHIFTS, Entities
from sandbox.timeline import _local_to_utc

GROUP_ID_BASE = 100
TEAM_ID_BASE = 200
PERSON_ID_BASE = 1000
FORMS: dict[str, tuple[int, str]] = {
    "telephony": (301, "Voice Quality"),
    "digital": (302, "Digital Quality"),
}
MAX_SCORE = 100.0
PASS_SCORE = 75.0
EVALUATED_ONE_IN = 8
ACTIVATED = date(2021, 1, 4)  # when the org was set up in WFO
NEVER = date(2999, 12, 31)  # WFO's "not deactivated"
ADHERENT_IDLE_CODES = frozenset({"Break", "Lunch"})  # scheduled breaks keep an agent adherent


@dataclass(frozen=True)
class WfoIds:
    """WFO ids of the org's groups (sites), teams and persons (agents), by WxCC id."""

    groups: dict[str, int]
    teams: dict[str, int]
    persons: dict[str, int]


def wfo_ids(ents: Entities) -> WfoIds:
    return WfoIds(
        groups={s.id: GROUP_ID_BASE + 1 + i for i, s in enumerate(ents.sites)},
        teams={t.id: TEAM_ID_BASE + 1 + i for i, t in enumerate(ents.teams)},
        persons={a.id: PERSON_ID_BASE + 1 + i for i, a in enumerate(ents.agents)},
    )


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).digest()


@dataclass(frozen=True)
class Evaluation:
    evaluation_id: str
    form_id: int
    form_name: str
    score: float


def evaluation(seed: int, task_id: str, agent_id: str, channel_type: str) -> Evaluation | None:
    """The evaluation of ``agent_id``'s handling of ``task_id``, if that task was evaluated."""
    d = _digest("wfo-evaluation", seed, task_id, agent_id)
    if d[0] % EVALUATED_ONE_IN:
        return None
    form_id, form_name = FORMS["telephony" if channel_type == "telephony" else "digital"]
    score = 50 + int.from_bytes(d[1:3], "big") % 501 / 10  # 50.0 .. 100.0, one decimal
    h = d.hex()
    return Evaluation(f"ev-{h[:8]}-{h[8:12]}-{h[12:16]}", form_id, form_name, score)


@dataclass(frozen=True)
class Schedule:
    shift: str
    start_ms: int
    end_ms: int
    local_date: date


def schedule_of(session_start_ms: int) -> Schedule:
    """The rostered shift of the session that logged in at ``session_start_ms``."""
    d = day_of(session_start_ms)
    minute = local_minute(session_start_ms)
    name, lo, hi, _ = min(SHIFTS, key=lambda s: abs(s[1] - minute))
    d0_ms = day_start(d)
    return Schedule(
        name,
        _local_to_utc(d0_ms, lo),
        _local_to_utc(d0_ms, hi),
        date.fromordinal(date(1970, 1, 1).toordinal() + d),
    )


__all__ = [
    "ACTIVATED",
    "ADHERENT_IDLE_CODES",
    "Evaluation",
    "FORMS",
    "MAX_SCORE",
    "NEVER",
    "PASS_SCORE",
    "Schedule",
    "WfoIds",
    "evaluation",
    "schedule_of",
    "wfo_ids",
]
