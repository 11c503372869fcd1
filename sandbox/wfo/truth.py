"""Ground truth of the wfo.* tables, computed from the data model directly.

Shares no code with the HTTP rendering (``reports.py``, ``api.py``): the report rows are
aggregated here on their own, from the same model facts (``sandbox.model`` sessions and
``sandbox.wfo.org``'s ids, evaluations and schedules), and typed straight into each table's
Arrow schema. Only the table definitions (``warehouse.schemas_wfo``) are shared.

- ``wfo.<report>`` for every configured report (``config["wfo_reports"]``, else the defaults)
  whose ``report_id`` is one of the sandbox's (101, 102, 103): the rows whose time column lies in
  ``[from, to)`` as seen at ``now``, columns picked by their English header;
- ``wfo.persons``, ``wfo.groups``, ``wfo.teams``: one snapshot per UTC day touching
  ``[from, to)``, ``snapshot_time`` the later of the day's start and ``from``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.wfo import org
from warehouse.schemas import Table
from warehouse.schemas_wfo import GROUPS, PERSONS, TEAMS, reports_from_config

DAY = 86_400_000
SLOT = 1_800_000


def _people(tenant: Any) -> dict[str, dict[str, Any]]:
    ents = tenant.entities
    ids = org.wfo_ids(ents)
    team_names = {t.id: t.name for t in ents.teams}
    return {
        a.id: {
            "Agent ID": a.id,
            "Person ID": ids.persons[a.id],
            "Agent Name": f"{a.first_name} {a.last_name}",
            "Team": team_names[a.team_id],
        }
        for a in ents.agents
    }


def _end(value: int | None, now_ms: int) -> int:
    return now_ms if value is None else value


def _productivity(
    tenant: Any, sessions: list[Any], lo: int, hi: int, now_ms: int
) -> list[dict[str, Any]]:
    people = _people(tenant)
    cells: dict[tuple[str, str, int], dict[str, Any]] = {}
    category = {"available": "a", "idle": "i", "wrapup": "w"}
    for s in sessions:
        for ch in s.channels:
            for act in ch.activities:
                a0, a1 = act.start_ms, min(_end(act.end_ms, now_ms), now_ms)
                first = a0 // SLOT * SLOT
                for slot in range(first, a1, SLOT):
                    part = min(a1, slot + SLOT) - max(a0, slot)
                    if part <= 0 or not lo <= slot < hi:
                        continue
                    cell = cells.setdefault(
                        (s.agent.id, ch.channel_type, slot),
                        {"a": 0, "i": 0, "b": 0, "w": 0, "tasks": set()},
                    )
                    cell[category.get(act.state, "b")] += part
                    if act.state == "connected" and act.task_id and slot <= a0 < slot + SLOT:
                        cell["tasks"].add(act.task_id)
    out = []
    for (agent, channel, slot), c in cells.items():
        work = c["a"] + c["b"] + c["w"]
        out.append(
            {
                "Interval Start": slot,
                **people[agent],
                "Channel": channel,
                "Logged In (ms)": c["a"] + c["i"] + c["b"] + c["w"],
                "Available (ms)": c["a"],
                "Idle (ms)": c["i"],
                "Busy (ms)": c["b"],
                "Wrap-up (ms)": c["w"],
                "Tasks Handled": len(c["tasks"]),
                "Occupancy %": round(100 * (c["b"] + c["w"]) / work, 2) if work else None,
            }
        )
    return out


def _evaluations(
    tenant: Any, sessions: list[Any], lo: int, hi: int, now_ms: int
) -> list[dict[str, Any]]:
    people = _people(tenant)
    out = []
    for s in sessions:
        for ch in s.channels:
            ends: dict[str, list[int | None]] = defaultdict(list)
            for act in ch.activities:
                if act.task_id is not None:
                    ends[act.task_id].append(act.end_ms)
            for task_id, task_ends in ends.items():
                if any(e is None for e in task_ends):
                    continue  # still working on it at now
                done = max(e for e in task_ends if e is not None)
                if not lo <= done < hi:
                    continue
                ev = org.evaluation(tenant.seed, task_id, s.agent.id, ch.channel_type)
                if ev is None:
                    continue
                out.append(
                    {
                        "Evaluation ID": ev.evaluation_id,
                        "Evaluated": done,
                        **people[s.agent.id],
                        "Form ID": ev.form_id,
                        "Form": ev.form_name,
                        "Task ID": task_id,
                        "Channel": ch.channel_type,
                        "Score": ev.score,
                        "Max Score": org.MAX_SCORE,
                        "Passed": ev.score >= org.PASS_SCORE,
                    }
                )
    return out


def _adherence(
    tenant: Any, sessions: list[Any], lo: int, hi: int, now_ms: int
) -> list[dict[str, Any]]:
    people = _people(tenant)
    out = []
    for s in sessions:
        plan = org.schedule_of(s.start_ms)
        if plan.start_ms < lo or plan.start_ms >= hi:
            continue
        top = min(plan.end_ms, now_ms)

        def inside(a0: int, a1: int, top: int = top, plan: org.Schedule = plan) -> int:
            return max(0, min(a1, top) - max(a0, plan.start_ms))

        logged = inside(s.start_ms, _end(s.end_ms, now_ms))
        acts = next((c.activities for c in s.channels if c.activities), ())
        away = sum(
            inside(a.start_ms, _end(a.end_ms, now_ms))
            for a in acts
            if a.state == "idle"
            and not (a.idle_code is not None and a.idle_code.name in org.ADHERENT_IDLE_CODES)
        )
        planned = plan.end_ms - plan.start_ms
        out.append(
            {
                "Scheduled Start": plan.start_ms,
                "Scheduled End": plan.end_ms,
                "Date": plan.local_date,
                **people[s.agent.id],
                "Shift": plan.shift,
                "Scheduled (ms)": planned,
                "Logged In (ms)": logged,
                "In Adherence (ms)": logged - away,
                "Adherence %": round(100 * (logged - away) / planned, 2),
            }
        )
    return out


_REPORT_ROWS = {101: _productivity, 102: _evaluations, 103: _adherence}


def _snapshot_rows(kind: str, tenant: Any) -> list[dict[str, Any]]:
    ents = tenant.entities
    ids = org.wfo_ids(ents)
    if kind == "groups":
        return [
            {
                "Group ID": ids.groups[site.id],
                "Name": site.name,
                "Activated Date": org.ACTIVATED,
                "Deactivated Date": org.NEVER,
            }
            for site in ents.sites
        ]
    if kind == "teams":
        return [
            {
                "Team ID": ids.teams[team.id],
                "Name": team.name,
                "Activated Date": org.ACTIVATED,
                "Deactivated Date": org.NEVER,
                "Parent Group ID": ids.groups[team.site_id],
                "Productivity Compilation": True,
            }
            for team in ents.teams
        ]
    team_names = {t.id: t.name for t in ents.teams}
    return [
        {
            "User ID": ids.persons[a.id],
            "Email": a.sign_in_id,
            "First Name": a.first_name,
            "Last Name": a.last_name,
            "Display Time Zone": "America/New_York",
            "Login": a.sign_in_id.partition("@")[0],
            "Employee ID": f"E{ids.persons[a.id]}",
            "Team": team_names[a.team_id],
            "Activated": org.ACTIVATED,
            "Deactivated": org.NEVER,
            "Locale": "en",
            "Roles": "Agent",
            "ACD ID": a.id,
            "ACD Server ID": "1",
            "Enable Scheduling": True,
        }
        for a in ents.agents
    ]


def _write(out: Path, table: Table, org_id: str, rows: list[dict[str, Any]]) -> Path:
    schema = table.arrow
    arrays = [pa.array([org_id] * len(rows), pa.string())]
    for column, field in zip(table.columns, list(schema)[1:], strict=True):
        values = [r.get(column.api_path) for r in rows]
        if field.type == pa.string():
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, field.type))
    data = pa.Table.from_arrays(arrays, schema=schema)
    key = ["org_id", *table.key]
    data = data.sort_by([(k, "ascending") for k in key])
    path = out / f"{table.qualified_name}.parquet"
    tmp = path.with_suffix(".parquet.tmp")
    # No min/max statistics: nothing prunes by them, and they were a third of writing a file.
    pq.write_table(data, tmp, write_statistics=False)
    tmp.replace(path)
    return path


def write_truth(
    out: Path, tenant: Any, *, now_ms: int, from_ms: int, to_ms: int, config: dict[str, Any]
) -> list[Path]:
    """Write ``<schema>.<table>.parquet`` for each of the family's tables; return the paths."""
    org_id = tenant.org_id
    paths = []
    # Every report reads the sessions started from a day before the window (a session lasts
    # less than a day): built once for all of them, not once a report.
    sessions: list[Any] | None = None
    for report in reports_from_config(config):
        compute = _REPORT_ROWS.get(report.report_id)
        if compute is None:
            continue  # not a report the sandbox serves
        if sessions is None:
            sessions = tenant.agent_sessions(from_ms - DAY, to_ms, now_ms)
        rows = compute(tenant, sessions, from_ms, to_ms, now_ms)
        paths.append(_write(out, report.table, org_id, rows))
    days = range(from_ms // DAY, (to_ms - 1) // DAY + 1) if to_ms > from_ms else range(0)
    for kind, export in (("persons", PERSONS), ("groups", GROUPS), ("teams", TEAMS)):
        rows = []
        for day in days:
            taken = max(from_ms, day * DAY)
            stamp = {
                "snapshot_date": datetime.fromtimestamp(day * DAY / 1000, tz=UTC).date(),
                "snapshot_time": taken,
            }
            rows += [{**r, **stamp} for r in _snapshot_rows(kind, tenant)]
        paths.append(_write(out, export.table, org_id, rows))
    return paths
