"""The legacy.* tables: Analyzer's v1 records (CSR, CAR, ASR, AAR) as the record API lists them.

Each table is flat, one row per record, keyed by the record's own id (with ``org_id``): ``sid``
for contact and agent sessions, ``id`` for contact and agent activities. Column names are the
legacy field names in snake_case; ``cstts``/``cetts`` (contact records) and ``stts``/``etts``
(agent records) are instants, every ``*Duration`` and ``duration`` a Long in milliseconds. A
window holds the records that started in it (``cstts`` or ``stts``), the API's own date filter.
The sandbox README ("Legacy v1 records") documents each field.
"""

from __future__ import annotations

from warehouse.schemas import Table, _columns

_CSR: list[tuple[str, ...]] = [
    ("sid", "String"),
    ("cstts", "Long", "instant"),
    ("cetts", "Long", "instant"),
    ("channelType", "String"),
    ("direction", "String"),
    ("contactState", "String"),
    ("ani", "String"),
    ("dnis", "String"),
    ("callerId", "String"),
    ("customerName", "String"),
    ("entryPointId", "String"),
    ("entryPointName", "String"),
    ("queueId", "String"),
    ("queueName", "String"),
    ("agentId", "String"),
    ("agentName", "String"),
    ("agentSessionId", "String"),
    ("teamId", "String"),
    ("teamName", "String"),
    ("siteId", "String"),
    ("siteName", "String"),
    ("terminationType", "String"),
    ("terminatingEnd", "String"),
    ("wrapupCodeName", "String"),
    ("contactReason", "String"),
    ("flowActivitySequence", "String"),
    ("transcript", "String"),
    ("isCallback", "Boolean"),
    ("csatScore", "Int"),
    ("duration", "Long"),
    ("ivrDuration", "Long"),
    ("queueDuration", "Long"),
    ("ringDuration", "Long"),
    ("talkDuration", "Long"),
    ("holdDuration", "Long"),
    ("holdCount", "Int"),
    ("consultCount", "Int"),
    ("transferCount", "Int"),
    ("wrapupDuration", "Long"),
]

_CAR: list[tuple[str, ...]] = [
    ("id", "String"),
    ("session", "String"),
    ("cstts", "Long", "instant"),
    ("cetts", "Long", "instant"),
    ("event", "String"),
    ("previousState", "String"),
    ("state", "String"),
    ("channelType", "String"),
    ("agentId", "String"),
    ("agentName", "String"),
    ("agentSessionId", "String"),
    ("queueId", "String"),
    ("queueName", "String"),
    ("entryPointId", "String"),
    ("activityName", "String"),
    ("terminationReason", "String"),
    ("duration", "Long"),
]

_ASR: list[tuple[str, ...]] = [
    ("sid", "String"),
    ("stts", "Long", "instant"),
    ("etts", "Long", "instant"),
    ("agentId", "String"),
    ("agentName", "String"),
    ("agentLogin", "String"),
    ("teamId", "String"),
    ("teamName", "String"),
    ("siteId", "String"),
    ("siteName", "String"),
    ("state", "String"),
    ("signOutReason", "String"),
    ("channels", "String"),
    ("duration", "Long"),
    ("availableDuration", "Long"),
    ("idleDuration", "Long"),
    ("ringDuration", "Long"),
    ("talkDuration", "Long"),
    ("holdDuration", "Long"),
    ("wrapupDuration", "Long"),
    ("contactsHandled", "Int"),
]

_AAR: list[tuple[str, ...]] = [
    ("id", "String"),
    ("session", "String"),
    ("stts", "Long", "instant"),
    ("etts", "Long", "instant"),
    ("agentId", "String"),
    ("channelId", "String"),
    ("channelType", "String"),
    ("state", "String"),
    ("idleCodeName", "String"),
    ("wrapupCodeName", "String"),
    ("contactSession", "String"),
    ("queueId", "String"),
    ("queueName", "String"),
    ("isOutdial", "Boolean"),
    ("duration", "Long"),
]

CSR = Table("legacy", "csr", _columns(_CSR), key=("sid",), time_column="cstts")
CAR = Table("legacy", "car", _columns(_CAR), key=("id",), time_column="cstts")
ASR = Table("legacy", "asr", _columns(_ASR), key=("sid",), time_column="stts")
AAR = Table("legacy", "aar", _columns(_AAR), key=("id",), time_column="stts")

TABLES: tuple[Table, ...] = (CSR, CAR, ASR, AAR)

# The record API's path segment of each table.
RECORD_PATHS: dict[str, str] = {
    "legacy.csr": "csrs",
    "legacy.car": "cars",
    "legacy.asr": "asrs",
    "legacy.aar": "aars",
}
