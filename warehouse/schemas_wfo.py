"""The wfo.* tables: WFO Data Explorer reports (configured) and org snapshots.

**Snapshots.** ``wfo.persons``, ``wfo.groups`` and ``wfo.teams`` hold the WFO org export
(``/api/rest/fileexport/<type>``) as taken for a load window: keyed by the WFO id and
``snapshot_date`` (the window's UTC day). ``snapshot_time`` (the window's start) is the window
column: a window column must be an instant, and a reload of the day replaces its snapshot.

**Reports.** One table ``wfo.<table>`` per configured report, from the ``wfo_reports:`` list of
the ``WXCC_CONFIG`` YAML file (without one: :data:`DEFAULT_REPORTS_CONFIG`, the sandbox's own
reports)::

    wfo_reports:
      - table: agent_interval_productivity   # -> wfo.agent_interval_productivity
        report_id: 101                       # Data Explorer report id (URL path)
        qname: RP1_101_0_agentintervalproductivity
        date_parameter: pDate                # the report's date range parameter
        time_column: interval_start          # an instant column; rows of a window have it inside
        key: [agent_id, channel_type, interval_start]
        columns:                             # CSV columns to keep (others are ignored)
          - {name: interval_start, header: "Interval Start", type: instant}
          - {name: agent_id, header: "Agent ID", type: String}
        headers:                             # optional: localized header -> column, by language
          de: {"Intervallbeginn": interval_start, "Agenten-ID": agent_id}

``type`` is one of ``String``, ``Int``, ``Long``, ``Float``, ``Boolean``, ``Date`` (CSV
``M/D/YYYY``) or ``instant`` (CSV epoch milliseconds, stored as ``TIMESTAMP WITH TIME ZONE``).
``header`` is the English header; ``headers`` adds the labels of other session languages (the
default reports and the snapshots know German). Each column keeps its English header as the
field's ``api_path``.

Loading needs each table's committed SQL files (``queries/sql/{ddl,load}``, generated from
``warehouse.catalog`` by ``python -m warehouse.ddl``). The default reports and the snapshots are
in the catalog; a report configured beyond them is not, so its files are not generated yet:
``warehouse.ddl.render_all([report.table])`` gives them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warehouse.schemas import Column, Table

SCHEMA = "wfo"
_TYPES = {"String", "Int", "Long", "Float", "Boolean", "Date", "instant"}


@dataclass(frozen=True)
class WfoExport:
    """A WFO CSV export mapped onto a table: which header (per language) feeds which column."""

    table: Table
    headers: Mapping[str, Mapping[str, str]]  # language -> localized header -> column name

    def header_map(self, language: str) -> dict[str, str]:
        """Header -> column for a session ``language``: its labels and always the English ones."""
        lang = language.replace("-", "_").split("_")[0].lower()
        return {**self.headers.get("en", {}), **self.headers.get(lang, {})}


@dataclass(frozen=True)
class WfoReport(WfoExport):
    report_id: int = 0
    qname: str = ""
    date_parameter: str = "pDate"


def _column(name: str, header: str, kind: str) -> Column:
    if kind not in _TYPES:
        raise ValueError(f"column {name!r}: type must be one of {sorted(_TYPES)}, not {kind!r}")
    if kind == "instant":
        return Column(header, "Long", "instant", name=name)
    return Column(header, kind, name=name)


_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def report_from_config(spec: Mapping[str, Any]) -> WfoReport:
    """One ``wfo_reports:`` entry as a :class:`WfoReport` (``ValueError`` names what is wrong)."""
    try:
        table_name = str(spec["table"])
        names = [table_name, *(str(c["name"]) for c in spec["columns"])]
        bad = [n for n in names if not _IDENTIFIER.match(n)]
        if bad:
            # The names become a table, its columns, Dagster asset keys and Parquet directories.
            raise ValueError(
                f"table and column names must be 1-63 lower-case letters, digits or '_', "
                f"starting with a letter; not {bad[0]!r}"
            )
        columns = [
            _column(str(c["name"]), str(c["header"]), str(c.get("type", "String")))
            for c in spec["columns"]
        ]
        table = Table(
            schema=SCHEMA,
            name=table_name,
            columns=tuple(columns),
            key=tuple(spec["key"]),
            time_column=str(spec["time_column"]),
        )
        headers: dict[str, dict[str, str]] = {"en": {c.api_path: c.name for c in columns}}
        for lang, labels in (spec.get("headers") or {}).items():
            headers[str(lang).lower()] = {str(k): str(v) for k, v in labels.items()}
        for lang, labels in headers.items():
            unknown = sorted(set(labels.values()) - {c.name for c in columns})
            if unknown:
                raise ValueError(f"headers.{lang} names unknown columns {unknown}")
        if table.column(table.time_column).kind != "instant":
            raise ValueError(f"time_column {table.time_column!r} must be of type instant")
        return WfoReport(
            table=table,
            headers=headers,
            report_id=int(spec["report_id"]),
            qname=str(spec["qname"]),
            date_parameter=str(spec.get("date_parameter", "pDate")),
        )
    except KeyError as exc:
        raise ValueError(f"wfo_reports entry {spec.get('table', '?')!r}: missing {exc}") from None
    except ValueError as exc:
        raise ValueError(f"wfo_reports entry {spec.get('table', '?')!r}: {exc}") from None


def reports_from_config(config: Mapping[str, Any] | None) -> tuple[WfoReport, ...]:
    """The reports a ``WXCC_CONFIG`` document configures (``wfo_reports:``), else the defaults."""
    specs: Sequence[Mapping[str, Any]] | None = (config or {}).get("wfo_reports")
    if not specs:
        specs = DEFAULT_REPORTS_CONFIG
    if not isinstance(specs, list | tuple) or not all(isinstance(s, Mapping) for s in specs):
        raise ValueError(f"wfo_reports must be a list of report entries (mappings), not {specs!r}")
    reports = tuple(report_from_config(s) for s in specs)
    names = [r.table.name for r in reports]
    dupes = sorted({n for n in names if names.count(n) > 1} | (set(names) & set(_SNAPSHOT_NAMES)))
    if dupes:
        raise ValueError(f"wfo_reports: table names used twice or reserved: {dupes}")
    return reports


def _cols(*rows: tuple[str, str, str, str]) -> list[dict[str, Any]]:
    return [{"name": n, "header": h, "type": t, "de": de} for n, h, t, de in rows]


def _report(
    table: str, report_id: int, qname: str, time_column: str, key: list[str], rows: list[Any]
) -> dict[str, Any]:
    return {
        "table": table,
        "report_id": report_id,
        "qname": qname,
        "date_parameter": "pDate",
        "time_column": time_column,
        "key": key,
        "columns": [{k: c[k] for k in ("name", "header", "type")} for c in rows],
        "headers": {"de": {c["de"]: c["name"] for c in rows}},
    }


_AGENT = [
    ("agent_id", "Agent ID", "String", "Agenten-ID"),
    ("person_id", "Person ID", "Long", "Personen-ID"),
    ("agent_name", "Agent Name", "String", "Agentenname"),
    ("team_name", "Team", "String", "Team"),
]

DEFAULT_REPORTS_CONFIG: list[dict[str, Any]] = [
    _report(
        "agent_interval_productivity",
        101,
        "RP1_101_0_agentintervalproductivity",
        "interval_start",
        ["agent_id", "channel_type", "interval_start"],
        _cols(
            ("interval_start", "Interval Start", "instant", "Intervallbeginn"),
            *_AGENT,
            ("channel_type", "Channel", "String", "Kanal"),
            ("logged_in_ms", "Logged In (ms)", "Long", "Angemeldet (ms)"),
            ("available_ms", "Available (ms)", "Long", "Verfügbar (ms)"),
            ("idle_ms", "Idle (ms)", "Long", "Nicht bereit (ms)"),
            ("busy_ms", "Busy (ms)", "Long", "Beschäftigt (ms)"),
            ("wrapup_ms", "Wrap-up (ms)", "Long", "Nachbearbeitung (ms)"),
            ("tasks_handled", "Tasks Handled", "Int", "Bearbeitete Aufgaben"),
            ("occupancy_pct", "Occupancy %", "Float", "Auslastung %"),
        ),
    ),
    _report(
        "evaluation_scores",
        102,
        "RP1_102_0_evaluationscores",
        "evaluated_time",
        ["evaluation_id"],
        _cols(
            ("evaluation_id", "Evaluation ID", "String", "Bewertungs-ID"),
            ("evaluated_time", "Evaluated", "instant", "Bewertet"),
            *_AGENT,
            ("form_id", "Form ID", "Long", "Formular-ID"),
            ("form_name", "Form", "String", "Formular"),
            ("task_id", "Task ID", "String", "Aufgaben-ID"),
            ("channel_type", "Channel", "String", "Kanal"),
            ("score", "Score", "Float", "Punktzahl"),
            ("max_score", "Max Score", "Float", "Maximale Punktzahl"),
            ("passed", "Passed", "Boolean", "Bestanden"),
        ),
    ),
    _report(
        "schedule_adherence",
        103,
        "RP1_103_0_scheduleadherence",
        "scheduled_start",
        ["agent_id", "scheduled_start"],
        _cols(
            ("scheduled_start", "Scheduled Start", "instant", "Geplanter Beginn"),
            ("scheduled_end", "Scheduled End", "instant", "Geplantes Ende"),
            ("schedule_date", "Date", "Date", "Datum"),
            *_AGENT,
            ("shift", "Shift", "String", "Schicht"),
            ("scheduled_ms", "Scheduled (ms)", "Long", "Geplant (ms)"),
            ("logged_in_ms", "Logged In (ms)", "Long", "Angemeldet (ms)"),
            ("in_adherence_ms", "In Adherence (ms)", "Long", "Planeinhaltung (ms)"),
            ("adherence_pct", "Adherence %", "Float", "Planeinhaltung %"),
        ),
    ),
]

DEFAULT_REPORTS: tuple[WfoReport, ...] = tuple(
    report_from_config(s) for s in DEFAULT_REPORTS_CONFIG
)


# -- snapshots ------------------------------------------------------------------------------

SNAPSHOT_DATE = "snapshot_date"
SNAPSHOT_TIME = "snapshot_time"


def _snapshot(name: str, id_column: str, rows: list[tuple[str, str, str, str]]) -> WfoExport:
    columns = [_column(n, h, t) for n, h, t, _ in rows]
    columns += [
        Column(SNAPSHOT_DATE, "Date", name=SNAPSHOT_DATE),
        Column(SNAPSHOT_TIME, "Long", "instant", name=SNAPSHOT_TIME),
    ]
    table = Table(
        schema=SCHEMA,
        name=name,
        columns=tuple(columns),
        key=(id_column, SNAPSHOT_DATE),
        time_column=SNAPSHOT_TIME,
    )
    return WfoExport(
        table=table,
        headers={"en": {h: n for n, h, _, _ in rows}, "de": {de: n for n, _, _, de in rows}},
    )


PERSONS = _snapshot(
    "persons",
    "user_id",
    [
        ("user_id", "User ID", "Long", "Benutzer-ID"),
        ("email", "Email", "String", "E-Mail"),
        ("first_name", "First Name", "String", "Vorname"),
        ("last_name", "Last Name", "String", "Nachname"),
        ("display_time_zone", "Display Time Zone", "String", "Anzeigezeitzone"),
        ("login", "Login", "String", "Anmeldename"),
        ("employee_id", "Employee ID", "String", "Mitarbeiter-ID"),
        ("team", "Team", "String", "Team"),
        ("activated", "Activated", "Date", "Aktiviert"),
        ("deactivated", "Deactivated", "Date", "Deaktiviert"),
        ("locale", "Locale", "String", "Gebietsschema"),
        ("roles", "Roles", "String", "Rollen"),
        ("acd_id", "ACD ID", "String", "ACD-ID"),
        ("acd_server_id", "ACD Server ID", "String", "ACD-Server-ID"),
        ("enable_scheduling", "Enable Scheduling", "Boolean", "Planung aktivieren"),
    ],
)
GROUPS = _snapshot(
    "groups",
    "group_id",
    [
        ("group_id", "Group ID", "Long", "Gruppen-ID"),
        ("name", "Name", "String", "Name"),
        ("activated_date", "Activated Date", "Date", "Aktivierungsdatum"),
        ("deactivated_date", "Deactivated Date", "Date", "Deaktivierungsdatum"),
    ],
)
TEAMS = _snapshot(
    "teams",
    "team_id",
    [
        ("team_id", "Team ID", "Long", "Team-ID"),
        ("name", "Name", "String", "Name"),
        ("activated_date", "Activated Date", "Date", "Aktivierungsdatum"),
        ("deactivated_date", "Deactivated Date", "Date", "Deaktivierungsdatum"),
        ("parent_group_id", "Parent Group ID", "Long", "Übergeordnete Gruppen-ID"),
        (
            "productivity_compilation",
            "Productivity Compilation",
            "Boolean",
            "Produktivitätserfassung",
        ),
    ],
)
SNAPSHOTS: dict[str, WfoExport] = {"persons": PERSONS, "groups": GROUPS, "teams": TEAMS}
_SNAPSHOT_NAMES = tuple(SNAPSHOTS)

TABLES: tuple[Table, ...] = (
    PERSONS.table,
    GROUPS.table,
    TEAMS.table,
    *(r.table for r in DEFAULT_REPORTS),
)
