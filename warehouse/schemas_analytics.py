"""The analytics.* interval marts: counts and sums per queue or agent and 15-minute UTC interval.

Only counts (``n_*``) and millisecond sums (``sum_*_ms``) are stored, so any roll-up (30 and 60
minutes, local days, weeks, several queues) is an exact sum; ratios are computed in the views of
``queries/sql/analytics`` and never stored. Each column says which clock puts a contact in an
interval:

- the **arrival clock** (``created_time``, when the contact reached the tenant): every
  queue-outcome count (entered, answered, abandoned, in service level) and the queue and ring
  time of answered contacts. Cisco's queue statistics count start-time figures this way
  (``GET /v1/queues/statistics``: "counted only once ... in the interval where the contact
  started"), and it keeps a contact's outcome and its service-level flag in one interval, so a
  service level never mixes two populations;
- the **end clock** (``ended_time``): handled contacts and their connected, hold and wrap-up time
  (Cisco: "stats that require the end time ... like averageHandledTime ... in the interval where
  the contact ended"), and the transfers, consults and conferences of a contact;
- **clipping** for agent states: a state from 09:10 to 09:40 puts 5 minutes in 09:00, 15 in
  09:15 and 10 in 09:30.

Every mart also carries the interval's local start, local date, UTC offset and the time zone used
(the queue's, else the tenant's), so local roll-ups need no time-zone arithmetic and a fall-back
day holds 100 quarter-hours.
"""

from __future__ import annotations

from warehouse.schemas import Column, Table

ARRIVAL = "Arrival clock: counted in the 15-minute interval of the contact's created_time."
END = "End clock: counted in the 15-minute interval of the contact's ended_time."
CLIPPED = "Clipped: the part of each agent state that lies in the interval."

# (name, type, description). Descriptions become the columns' COMMENT ON (warehouse.descriptions).
_INTERVAL_KEY: list[tuple[str, str, str]] = [
    (
        "interval_start",
        "instant",
        "Start of the 15-minute interval, UTC (the key; intervals are [start, start + 15 min)).",
    ),
    (
        "interval_start_local",
        "LocalTimestamp",
        "interval_start as wall-clock time in time_zone (on a fall-back day two intervals share "
        "a local start; utc_offset_minutes tells them apart).",
    ),
    ("local_date", "Date", "Calendar date of interval_start_local (the local day it belongs to)."),
    (
        "utc_offset_minutes",
        "Int",
        "Offset of time_zone from UTC at interval_start, in minutes (-240 for EDT, 330 for IST, "
        "345 for Nepal).",
    ),
    (
        "time_zone",
        "String",
        "IANA time zone of the local columns: the queue's, else the tenant's (WXCC_TIME_ZONE).",
    ),
]

QUEUE_COLUMNS: list[tuple[str, str, str]] = [
    ("queue_id", "String", "Queue the contact was in last (CSR lastQueue.id)."),
    ("queue_name", "String", "Name of the queue (CSR lastQueue.name, latest seen)."),
    ("channel_type", "String", "Channel: telephony, chat, email or social."),
    *_INTERVAL_KEY,
    (
        "n_entered",
        "Long",
        f"Contacts that entered the queue (lastQueue set). {ARRIVAL}",
    ),
    (
        "n_offered",
        "Long",
        "Contacts that reached an outcome in the queue: n_answered + n_abandoned (the "
        f"denominator of abandon_rate_offered and the service-level variants). {ARRIVAL}",
    ),
    (
        "n_answered",
        "Long",
        "Contacts answered by an agent from the queue (CSR isContactHandled and no "
        f"abandonedType; Cisco's totalAcceptedTasks). {ARRIVAL}",
    ),
    (
        "n_answered_in_sl",
        "Long",
        "Answered contacts within the queue's service-level threshold (CSR isWithInServiceLevel, "
        "set with the threshold in force when the contact queued, so history keeps its own "
        f"threshold). {ARRIVAL}",
    ),
    (
        "n_abandoned",
        "Long",
        f"Contacts abandoned in the queue (CSR abandonedType queue or short). {ARRIVAL}",
    ),
    (
        "n_abandoned_in_sl",
        "Long",
        f"Abandoned contacts that abandoned within the threshold (CSR abandonedSlCount). {ARRIVAL}",
    ),
    (
        "n_short_abandoned",
        "Long",
        "Abandoned contacts whose whole life (created to ended, measured from call start) was "
        f"shorter than the tenant's short-call threshold (WXCC_SHORT_CALL_SECONDS). {ARRIVAL}",
    ),
    (
        "n_short_abandoned_in_sl",
        "Long",
        f"Short abandons that also abandoned within the service-level threshold. {ARRIVAL}",
    ),
    (
        "n_short_abandoned_in_queue",
        "Long",
        "Abandons the platform marked short in queue (CSR shortInQueueCount; its own threshold, "
        f"measured from queue entry). {ARRIVAL}",
    ),
    (
        "sum_queue_answered_ms",
        "Long",
        f"Queue time of the answered contacts, ms (CSR queueDuration, all queues). {ARRIVAL}",
    ),
    (
        "sum_ring_answered_ms",
        "Long",
        f"Ring (alerting) time of the answered contacts, ms (CSR ringingDuration). {ARRIVAL}",
    ),
    (
        "n_handled",
        "Long",
        "Answered contacts that ended (the denominator of both handle-time averages; Cisco's "
        f"handled count of averageHandledTime). {END}",
    ),
    ("sum_connected_ms", "Long", f"Connected time of the handled contacts, ms. {END}"),
    ("sum_hold_ms", "Long", f"Hold time of the handled contacts, ms. {END}"),
    ("sum_wrapup_ms", "Long", f"Wrap-up time of the handled contacts, ms. {END}"),
    ("n_transfers", "Long", f"Transfers of the handled contacts (CSR transferCount). {END}"),
    ("n_consults", "Long", f"Consults of the handled contacts (CSR consultCount). {END}"),
    (
        "n_conferences",
        "Long",
        f"Conferences of the handled contacts (CSR conferenceCount). {END}",
    ),
]

AGENT_COLUMNS: list[tuple[str, str, str]] = [
    ("agent_id", "String", "Agent (ASR agentId)."),
    ("agent_name", "String", "Agent name (ASR agentName, latest seen)."),
    ("team_id", "String", "Team of the agent's session (latest seen in the interval)."),
    ("channel_type", "String", "Channel of the agent's channel session."),
    *_INTERVAL_KEY,
    ("sum_staffed_ms", "Long", f"Signed-in time in any state, ms. {CLIPPED}"),
    ("sum_available_ms", "Long", f"Time in state available, ms. {CLIPPED}"),
    ("sum_idle_ms", "Long", f"Time in state idle (not ready, any idle code), ms. {CLIPPED}"),
    (
        "sum_ringing_ms",
        "Long",
        f"Time in state ringing and outdial-reserved (offered, not yet connected), ms. {CLIPPED}",
    ),
    (
        "sum_connected_ms",
        "Long",
        f"Time connected to a customer (connected, hold-done, consult-done), ms. {CLIPPED}",
    ),
    ("sum_hold_ms", "Long", f"Time in state on-hold, ms. {CLIPPED}"),
    ("sum_consult_ms", "Long", f"Time in state consulting, ms. {CLIPPED}"),
    ("sum_wrapup_ms", "Long", f"Time in state wrapup, ms. {CLIPPED}"),
    (
        "sum_busy_ms",
        "Long",
        "Handling time: connected + hold + consult + wrap-up states, ms (occupancy and "
        f"utilization numerator). {CLIPPED}",
    ),
    (
        "n_rona",
        "Long",
        "Offers that rang out without an answer (AAR state rona), counted at the state's start.",
    ),
    (
        "n_handled",
        "Long",
        f"Contacts this agent handled last (CSR lastAgent, answered) that ended. {END}",
    ),
    (
        "sum_handle_ms",
        "Long",
        "Connected + hold + wrap-up time of those contacts, ms (agent AHT numerator). " + END,
    ),
    ("n_transfers", "Long", f"Transfers of those contacts (CSR transferCount). {END}"),
    ("n_consults", "Long", f"Consults of those contacts (CSR consultCount). {END}"),
    ("n_conferences", "Long", f"Conferences of those contacts (CSR conferenceCount). {END}"),
]


def _table(name: str, spec: list[tuple[str, str, str]], key: tuple[str, ...]) -> Table:
    columns = tuple(
        Column(n, "Long", "instant") if t == "instant" else Column(n, t) for n, t, _ in spec
    )
    return Table(
        schema="analytics", name=name, columns=columns, key=key, time_column="interval_start"
    )


QUEUE_INTERVAL_15M = _table(
    "queue_interval_15m", QUEUE_COLUMNS, ("queue_id", "channel_type", "interval_start")
)
AGENT_INTERVAL_15M = _table(
    "agent_interval_15m", AGENT_COLUMNS, ("agent_id", "channel_type", "interval_start")
)

TABLES = (QUEUE_INTERVAL_15M, AGENT_INTERVAL_15M)

TABLE_DESCRIPTIONS = {
    QUEUE_INTERVAL_15M.qualified_name: (
        "One row per org, queue, channel and 15-minute UTC interval: counts and ms sums of the "
        "contacts whose last queue it was (Search API CSRs). Ratios: queue_interval_15m_metrics."
    ),
    AGENT_INTERVAL_15M.qualified_name: (
        "One row per org, agent, channel and 15-minute UTC interval: state time clipped to the "
        "interval (AARs) and the contacts the agent handled last (CSRs). Ratios: "
        "agent_interval_15m_metrics."
    ),
}

COLUMN_DESCRIPTIONS = {
    QUEUE_INTERVAL_15M.qualified_name: {n: d for n, _, d in QUEUE_COLUMNS},
    AGENT_INTERVAL_15M.qualified_name: {n: d for n, _, d in AGENT_COLUMNS},
}
