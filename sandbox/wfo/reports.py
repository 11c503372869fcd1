"""The sandbox's Data Explorer reports and org exports, as rows the HTTP routes render to CSV.

Each report is a list of columns (English header, value type) and a function computing its rows
for a time range ``[start, end)`` at ``now`` from the data model. Rows are keyed by the English
header; the routes localize the headers by the session's locale (``HEADERS``) and slice rows and
columns as the export's ``pageSpecification`` asks. Rows come sorted by the report's key, so
paging by row offset is stable while the data does not change.

Value types: ``instant`` (UNIX epoch ms, as the seed says report times are), ``date``
(``M/D/YYYY``, as the seed's export example), ``int``, ``float``, ``bool`` (``true``/``false``),
``str``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sandbox.entities import Entities
from sandbox.model import AgentSession, Tenant
from sandbox.wfo import org

DAY_MS = 86_400_000
INTERVAL_MS = 30 * 60_000
BUSY = frozenset({"ringing", "connected", "on-hold", "consulting"})


@dataclass(frozen=True)
class Report:
    report_id: int
    qname: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (English header, value type)
    rows: Callable[[Tenant, int, int, int], list[dict[str, Any]]]


def _sessions(tenant: Tenant, start_ms: int, end_ms: int, now_ms: int) -> list[AgentSession]:
    # A session can start the day before the window and still run into it.
    return tenant.agent_sessions(start_ms - DAY_MS, end_ms, now_ms)


def _agent_cols(ents: Entities, ids: org.WfoIds, s: AgentSession) -> dict[str, Any]:
    team = ents.team(s.team_id)
    return {
        "Agent ID": s.agent.id,
        "Person ID": ids.persons[s.agent.id],
        "Agent Name": s.agent.name,
        "Team": team.name,
    }


def productivity_rows(
    tenant: Tenant, start_ms: int, end_ms: int, now_ms: int
) -> list[dict[str, Any]]:
    """Agent interval productivity: per agent, channel and 30-minute UTC interval."""
    ents = tenant.entities
    ids = org.wfo_ids(ents)
    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    for s in _sessions(tenant, start_ms, end_ms, now_ms):
        for ch in s.channels:
            for a in ch.activities:
                a_end = now_ms if a.end_ms is None else min(a.end_ms, now_ms)
                t = a.start_ms
                while t < a_end:
                    slot = t - t % INTERVAL_MS
                    piece_end = min(a_end, slot + INTERVAL_MS)
                    if start_ms <= slot < end_ms:
                        key = (s.agent.id, ch.channel_type, slot)
                        row = out.get(key)
                        if row is None:
                            row = out[key] = {
                                "Interval Start": slot,
                                **_agent_cols(ents, ids, s),
                                "Channel": ch.channel_type,
                                "_ms": dict.fromkeys(("avail", "idle", "busy", "wrap"), 0),
                                "_tasks": set(),
                            }
                        kind = (
                            "avail"
                            if a.state == "available"
                            else "idle"
                            if a.state == "idle"
                            else "wrap"
                            if a.state == "wrapup"
                            else "busy"
                        )
                        row["_ms"][kind] += piece_end - t
                        if a.state == "connected" and t == a.start_ms and a.task_id:
                            row["_tasks"].add(a.task_id)
                    t = piece_end
    rows = []
    for key in sorted(out):
        row = out[key]
        ms = row.pop("_ms")
        tasks = row.pop("_tasks")
        working = ms["avail"] + ms["busy"] + ms["wrap"]
        row.update(
            {
                "Logged In (ms)": sum(ms.values()),
                "Available (ms)": ms["avail"],
                "Idle (ms)": ms["idle"],
                "Busy (ms)": ms["busy"],
                "Wrap-up (ms)": ms["wrap"],
                "Tasks Handled": len(tasks),
                "Occupancy %": (
                    round(100 * (ms["busy"] + ms["wrap"]) / working, 2) if working else None
                ),
            }
        )
        rows.append(row)
    return rows


def evaluation_rows(
    tenant: Tenant, start_ms: int, end_ms: int, now_ms: int
) -> list[dict[str, Any]]:
    """Evaluation scores: one row per evaluation, at the end of the agent's work on the task."""
    ents = tenant.entities
    ids = org.wfo_ids(ents)
    rows = []
    for s in _sessions(tenant, start_ms, end_ms, now_ms):
        for ch in s.channels:
            last_end: dict[str, int | None] = {}
            for a in ch.activities:
                if a.task_id is None:
                    continue
                prev = last_end.get(a.task_id, 0)
                last_end[a.task_id] = (
                    None if prev is None or a.end_ms is None else max(prev, a.end_ms)
                )
            for task_id, done in last_end.items():
                if done is None or not start_ms <= done < end_ms:
                    continue
                ev = org.evaluation(tenant.seed, task_id, s.agent.id, ch.channel_type)
                if ev is None:
                    continue
                rows.append(
                    {
                        "Evaluation ID": ev.evaluation_id,
                        "Evaluated": done,
                        **_agent_cols(ents, ids, s),
                        "Form ID": ev.form_id,
                        "Form": ev.form_name,
                        "Task ID": task_id,
                        "Channel": ch.channel_type,
                        "Score": ev.score,
                        "Max Score": org.MAX_SCORE,
                        "Passed": ev.score >= org.PASS_SCORE,
                    }
                )
    rows.sort(key=lambda r: r["Evaluation ID"])
    return rows


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def adherence_rows(tenant: Tenant, start_ms: int, end_ms: int, now_ms: int) -> list[dict[str, Any]]:
    """Schedule adherence: per agent and scheduled shift (one a day)."""
    ents = tenant.entities
    ids = org.wfo_ids(ents)
    rows = []
    for s in _sessions(tenant, start_ms, end_ms, now_ms):
        sched = org.schedule_of(s.start_ms)
        if not start_ms <= sched.start_ms < end_ms:
            continue
        s_end = now_ms if s.end_ms is None else s.end_ms
        lo, hi = sched.start_ms, min(sched.end_ms, now_ms)
        logged = _overlap(s.start_ms, s_end, lo, hi)
        channel = next((c for c in s.channels if c.activities), None)
        away = 0
        if channel is not None:
            for a in channel.activities:
                if a.state == "idle" and (
                    a.idle_code is None or a.idle_code.name not in org.ADHERENT_IDLE_CODES
                ):
                    a_end = now_ms if a.end_ms is None else a.end_ms
                    away += _overlap(a.start_ms, a_end, lo, hi)
        scheduled = sched.end_ms - sched.start_ms
        in_adherence = logged - away
        rows.append(
            {
                "Scheduled Start": sched.start_ms,
                "Scheduled End": sched.end_ms,
                "Date": sched.local_date,
                **_agent_cols(ents, ids, s),
                "Shift": sched.shift,
                "Scheduled (ms)": scheduled,
                "Logged In (ms)": logged,
                "In Adherence (ms)": in_adherence,
                "Adherence %": round(100 * in_adherence / scheduled, 2),
            }
        )
    rows.sort(key=lambda r: (r["Agent ID"], r["Scheduled Start"]))
    return rows


_AGENT = (("Agent ID", "str"), ("Person ID", "int"), ("Agent Name", "str"), ("Team", "str"))

REPORTS: dict[int, Report] = {
    r.report_id: r
    for r in (
        Report(
            101,
            "RP1_101_0_agentintervalproductivity",
            "Agent Interval Productivity",
            (
                ("Interval Start", "instant"),
                *_AGENT,
                ("Channel", "str"),
                ("Logged In (ms)", "int"),
                ("Available (ms)", "int"),
                ("Idle (ms)", "int"),
                ("Busy (ms)", "int"),
                ("Wrap-up (ms)", "int"),
                ("Tasks Handled", "int"),
                ("Occupancy %", "float"),
            ),
            productivity_rows,
        ),
        Report(
            102,
            "RP1_102_0_evaluationscores",
            "Evaluation Scores",
            (
                ("Evaluation ID", "str"),
                ("Evaluated", "instant"),
                *_AGENT,
                ("Form ID", "int"),
                ("Form", "str"),
                ("Task ID", "str"),
                ("Channel", "str"),
                ("Score", "float"),
                ("Max Score", "float"),
                ("Passed", "bool"),
            ),
            evaluation_rows,
        ),
        Report(
            103,
            "RP1_103_0_scheduleadherence",
            "Schedule Adherence",
            (
                ("Scheduled Start", "instant"),
                ("Scheduled End", "instant"),
                ("Date", "date"),
                *_AGENT,
                ("Shift", "str"),
                ("Scheduled (ms)", "int"),
                ("Logged In (ms)", "int"),
                ("In Adherence (ms)", "int"),
                ("Adherence %", "float"),
            ),
            adherence_rows,
        ),
    )
}


# -- /api/rest/fileexport/{persons,groups,teams} ---------------------------------------------

PERSON_HEADERS = (
    "User ID", "Email", "First Name", "Last Name", "Display Time Zone", "Login", "Employee ID",
    "Team", "Is Reconcile Only", "Activated", "Deactivated", "Locale", "Roles", "Full Scope",
    "Scope Groups", "Scope Teams", "QM Views", "ACD ID", "ACD Server ID", "Enable Scheduling",
    "Views", "Main View", "Skill Mappings", "Company Start Date", "Department Start Date", "Rank",
    "Company End Date", "Work Condition Profile", "Schedule Release Profile",
    "Scheduling Time Zone", "Max Staffing Group",
)  # fmt: skip
GROUP_HEADERS = ("Group ID", "Name", "Activated Date", "Deactivated Date")
TEAM_HEADERS = (
    "Team ID",
    "Name",
    "Activated Date",
    "Deactivated Date",
    "Parent Group ID",
    "Productivity Compilation",
)


def export_rows(kind: str, ents: Entities) -> tuple[tuple[str, ...], Iterator[dict[str, Any]]]:
    """Headers (English) and rows of one org export, in WFO id order."""
    ids = org.wfo_ids(ents)
    if kind == "groups":
        return GROUP_HEADERS, (
            {
                "Group ID": ids.groups[s.id],
                "Name": s.name,
                "Activated Date": org.ACTIVATED,
                "Deactivated Date": org.NEVER,
            }
            for s in ents.sites
        )
    if kind == "teams":
        return TEAM_HEADERS, (
            {
                "Team ID": ids.teams[t.id],
                "Name": t.name,
                "Activated Date": org.ACTIVATED,
                "Deactivated Date": org.NEVER,
                "Parent Group ID": ids.groups[t.site_id],
                "Productivity Compilation": True,
            }
            for t in ents.teams
        )
    if kind == "persons":
        teams = {t.id: t.name for t in ents.teams}
        return PERSON_HEADERS, (
            {
                "User ID": ids.persons[a.id],
                "Email": a.sign_in_id,
                "First Name": a.first_name,
                "Last Name": a.last_name,
                "Display Time Zone": "America/New_York",
                "Login": a.sign_in_id.split("@")[0],
                "Employee ID": f"E{ids.persons[a.id]}",
                "Team": teams[a.team_id],
                "Is Reconcile Only": False,
                "Activated": org.ACTIVATED,
                "Deactivated": org.NEVER,
                "Locale": "en",
                "Roles": "Agent",
                "Full Scope": False,
                "ACD ID": a.id,
                "ACD Server ID": 1,
                "Enable Scheduling": True,
                "Scheduling Time Zone": "America/New_York",
            }
            for a in ents.agents
        )
    raise KeyError(kind)


def render_value(value: Any) -> str:
    """One CSV cell: epoch ms and numbers as they are, dates M/D/YYYY, booleans lower case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, float):
        return repr(value)
    return str(value)
