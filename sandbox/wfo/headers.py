"""Localized CSV headers: exported headers follow the session's locale (seed, Export API).

The sandbox knows English (the default, and for any locale it has no labels for) and German;
a locale is matched on its language (``de``, ``de_DE``, ``de-AT`` all give German).
"""

from __future__ import annotations

GERMAN: dict[str, str] = {
    # Data Explorer reports
    "Interval Start": "Intervallbeginn",
    "Agent ID": "Agenten-ID",
    "Person ID": "Personen-ID",
    "Agent Name": "Agentenname",
    "Team": "Team",
    "Channel": "Kanal",
    "Logged In (ms)": "Angemeldet (ms)",
    "Available (ms)": "Verfügbar (ms)",
    "Idle (ms)": "Nicht bereit (ms)",
    "Busy (ms)": "Beschäftigt (ms)",
    "Wrap-up (ms)": "Nachbearbeitung (ms)",
    "Tasks Handled": "Bearbeitete Aufgaben",
    "Occupancy %": "Auslastung %",
    "Evaluation ID": "Bewertungs-ID",
    "Evaluated": "Bewertet",
    "Form ID": "Formular-ID",
    "Form": "Formular",
    "Task ID": "Aufgaben-ID",
    "Score": "Punktzahl",
    "Max Score": "Maximale Punktzahl",
    "Passed": "Bestanden",
    "Scheduled Start": "Geplanter Beginn",
    "Scheduled End": "Geplantes Ende",
    "Date": "Datum",
    "Shift": "Schicht",
    "Scheduled (ms)": "Geplant (ms)",
    "In Adherence (ms)": "Planeinhaltung (ms)",
    "Adherence %": "Planeinhaltung %",
    # persons
    "User ID": "Benutzer-ID",
    "Email": "E-Mail",
    "First Name": "Vorname",
    "Last Name": "Nachname",
    "Display Time Zone": "Anzeigezeitzone",
    "Login": "Anmeldename",
    "Employee ID": "Mitarbeiter-ID",
    "Is Reconcile Only": "Nur Abgleich",
    "Activated": "Aktiviert",
    "Deactivated": "Deaktiviert",
    "Locale": "Gebietsschema",
    "Roles": "Rollen",
    "Full Scope": "Vollständiger Bereich",
    "Scope Groups": "Bereichsgruppen",
    "Scope Teams": "Bereichsteams",
    "QM Views": "QM-Ansichten",
    "ACD ID": "ACD-ID",
    "ACD Server ID": "ACD-Server-ID",
    "Enable Scheduling": "Planung aktivieren",
    "Views": "Ansichten",
    "Main View": "Hauptansicht",
    "Skill Mappings": "Skill-Zuordnungen",
    "Company Start Date": "Eintrittsdatum Unternehmen",
    "Department Start Date": "Eintrittsdatum Abteilung",
    "Rank": "Rang",
    "Company End Date": "Austrittsdatum Unternehmen",
    "Work Condition Profile": "Arbeitsbedingungsprofil",
    "Schedule Release Profile": "Planfreigabeprofil",
    "Scheduling Time Zone": "Planungszeitzone",
    "Max Staffing Group": "Maximale Besetzungsgruppe",
    # groups, teams
    "Group ID": "Gruppen-ID",
    "Name": "Name",
    "Activated Date": "Aktivierungsdatum",
    "Deactivated Date": "Deaktivierungsdatum",
    "Team ID": "Team-ID",
    "Parent Group ID": "Übergeordnete Gruppen-ID",
    "Productivity Compilation": "Produktivitätserfassung",
}

_BY_LANGUAGE: dict[str, dict[str, str]] = {"de": GERMAN}


def localize(header: str, locale: str | None) -> str:
    """``header`` (English) in the language of ``locale``."""
    language = (locale or "en").replace("-", "_").split("_")[0].lower()
    return _BY_LANGUAGE.get(language, {}).get(header, header)
