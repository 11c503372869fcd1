"""Warehouse tables as typed data: one pyarrow schema per table, the single source of truth.

DDL, normalizers, the GraphQL field lists and the sandbox's ground truth are all checked against
these definitions by tests, so a field cannot be selected and then silently dropped.

Column names are the API's field paths in snake_case (``lastAgent.id`` -> ``last_agent_id``).
Instants (epoch ms in the API) become ``timestamp[ms, UTC]``; durations and other Longs stay int64
milliseconds under the API's name. Which Longs are instants is decided per field, not by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa

UTC_MS = pa.timestamp("ms", tz="UTC")

# GraphQL scalar -> Arrow type; Long instants are overridden to UTC_MS by their ``kind``.
_ARROW_BY_GRAPHQL = {
    "String": pa.string(),
    "Int": pa.int32(),
    "Long": pa.int64(),
    "Float": pa.float64(),
    "Boolean": pa.bool_(),
    "JSON": pa.string(),  # JSON text; DuckDB column type JSON
}

_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL = re.compile(r"([a-z\d])([A-Z])")


def snake_case(api_path: str) -> str:
    """``lastAgent.id`` -> ``last_agent_id``; ``consultToEPCount`` -> ``consult_to_ep_count``."""
    parts = []
    for part in api_path.split("."):
        part = _ACRONYM.sub(r"\1_\2", part)
        parts.append(_CAMEL.sub(r"\1_\2", part).lower())
    return "_".join(parts)


@dataclass(frozen=True)
class Column:
    """One warehouse column and the API field it comes from."""

    api_path: str
    graphql_type: str
    kind: str = ""  # "instant" (epoch ms -> timestamp), "json" (JSON text), or "" (as is)

    @property
    def name(self) -> str:
        return snake_case(self.api_path)

    @property
    def arrow_type(self) -> pa.DataType:
        return UTC_MS if self.kind == "instant" else _ARROW_BY_GRAPHQL[self.graphql_type]

    def arrow_field(self) -> pa.Field:
        meta = {b"api_path": self.api_path.encode()}
        if self.kind:
            meta[b"kind"] = self.kind.encode()
        return pa.field(self.name, self.arrow_type, metadata=meta)


@dataclass(frozen=True)
class Table:
    """A warehouse table: its columns, key and the column a load window selects on."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # without org_id, which every table has first
    time_column: str  # rows of a window [start, end) are those with time_column in it

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @cached_property
    def arrow(self) -> pa.Schema:
        org = pa.field("org_id", pa.string(), nullable=False)
        return pa.schema([org, *(c.arrow_field() for c in self.columns)])

    @property
    def column_names(self) -> list[str]:
        return self.arrow.names

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.qualified_name} has no column {name!r}")


def _columns(spec: list[tuple[str, ...]]) -> tuple[Column, ...]:
    return tuple(Column(*row) for row in spec)


# Every CSR field of Cisco's data dictionary (DataDictionary/CSR.md), in its order. The typed
# global-variable fields (``stringGlobalVariables(name:)`` ...) need a variable name to be selected,
# so a task's variables land as the ``globalVariables`` JSON object instead; CAD variables chosen in
# WXCC_CONFIG get their own typed columns later.
_CSR_FIELDS: list[tuple[str, ...]] = [
    ("id", "String"),
    ("status", "String"),
    ("channelType", "String"),
    ("createdTime", "Long", "instant"),
    ("endedTime", "Long", "instant"),
    ("origin", "String"),
    ("destination", "String"),
    ("contactReason", "String"),
    ("direction", "String"),
    ("terminationType", "String"),
    ("channelSubType", "String"),
    ("customer.name", "String"),
    ("customer.phoneNumber", "String"),
    ("customer.email", "String"),
    ("isActive", "Boolean"),
    ("isCampaign", "Boolean"),
    ("outdialType", "String"),
    ("isCallback", "Boolean"),
    ("cpaStatus", "String"),
    ("channelMetaData.email.subject", "String"),
    ("channelMetaData.email.metadata", "String"),
    ("channelMetaData.chat.chatReason", "String"),
    ("channelMetaData.inBoundTranscript", "String"),
    ("channelMetaData.outBoundTranscript", "String"),
    ("callbackData.callbackRequestTime", "Long", "instant"),
    ("callbackData.callbackConnectTime", "Long", "instant"),
    ("callbackData.callbackNumber", "String"),
    ("callbackData.callbackStatus", "String"),
    ("callbackData.callbackOrigin", "String"),
    ("callbackData.callbackType", "String"),
    ("callbackData.callbackQueueName", "String"),
    ("callbackData.callbackAgentName", "String"),
    ("callbackData.callbackTeamName", "String"),
    ("callbackData.callbackRetryCount", "Int"),
    ("recordingLocation", "String"),
    ("lastQueue.id", "String"),
    ("lastQueue.name", "String"),
    ("lastQueue.duration", "Long"),
    ("lastSite.id", "String"),
    ("lastSite.name", "String"),
    ("lastTeam.id", "String"),
    ("lastTeam.name", "String"),
    ("lastEntryPoint.id", "String"),
    ("lastEntryPoint.name", "String"),
    ("previousQueue.id", "String"),
    ("previousQueue.name", "String"),
    ("preferredAgentSystemId", "String"),
    ("terminationReason", "String"),
    ("ivrScriptName", "String"),
    ("ivrScriptTagName", "String"),
    ("abandonedType", "String"),
    ("contactHandleType", "String"),
    ("feedback.surveyOptIn", "String"),
    ("feedback.type", "String"),
    ("feedback.questionsAnswered", "Int"),
    ("feedback.surveyCompleted", "Boolean"),
    ("feedback.questionsPresented", "Int"),
    ("feedback.comment", "String"),
    ("firstQueueName", "String"),
    ("terminatingEnd", "String"),
    ("lastWrapUpCodeId", "String"),
    ("lastWrapupCodeName", "String"),
    ("lastAgent.id", "String"),
    ("lastAgent.name", "String"),
    ("lastAgent.signInId", "String"),
    ("lastAgent.sessionId", "String"),
    ("lastAgent.phoneNumber", "String"),
    ("lastAgent.channelId", "String"),
    ("abandonedSlCount", "Int"),
    ("agentHangupCount", "Int"),
    ("botName", "String"),
    ("chainedInToEPCount", "Int"),
    ("chainedInToQueueCount", "Int"),
    ("emailBody", "String"),
    ("emailContent", "String"),
    ("emailContentType", "String"),
    ("emailDate", "Long", "instant"),
    ("emailFullMessage", "String"),
    ("emailMessageId", "String"),
    ("emailRef", "String"),
    ("emailReplyBody", "String"),
    ("emailReplyContentType", "String"),
    ("epTransferToEPCount", "Int"),
    ("firstQueueId", "String"),
    ("fullMonitoringCount", "Int"),
    ("isHandledByPreferredAgent", "Boolean"),
    ("ivrEndedCount", "Int"),
    ("midcallMonitoringCount", "Int"),
    ("emailBccList", "String"),
    ("emailCcList", "String"),
    ("emailReplyTo", "String"),
    ("emailToList", "String"),
    ("isEmailSent", "Boolean"),
    ("emailHasAttachments", "Boolean"),
    ("routingType", "String"),
    ("ivrScriptId", "String"),
    ("ivrScriptTagId", "String"),
    ("campaignId", "String"),
    ("campaignName", "String"),
    ("campaignStatus", "String"),
    ("flowActivityName", "String"),
    ("flowActivitySequence", "String"),
    ("totalDuration", "Long"),
    ("csatScore", "Int"),
    ("blindTransferCount", "Int"),
    ("conferenceCount", "Int"),
    ("conferenceDuration", "Long"),
    ("consultCount", "Int"),
    ("consultDuration", "Long"),
    ("holdCount", "Int"),
    ("holdDuration", "Long"),
    ("selfserviceCount", "Int"),
    ("selfserviceDuration", "Long"),
    ("connectedCount", "Int"),
    ("connectedDuration", "Long"),
    ("consultToQueueCount", "Int"),
    ("consultToQueueDuration", "Long"),
    ("transferCount", "Int"),
    ("wrapupDuration", "Long"),
    ("ringingDuration", "Long"),
    ("queueDuration", "Long"),
    ("queueCount", "Int"),
    ("captureRequested", "Boolean"),
    ("isTranscriptionAvailable", "Boolean"),
    ("consultToEPCount", "Int"),
    ("consultToEPDuration", "Long"),
    ("outdialConsultToEPCount", "Int"),
    ("outdialConsultToEPDuration", "Long"),
    ("agentToDnTransferCount", "Int"),
    ("agentToAgentTransferCount", "Int"),
    ("callCompletedCount", "Int"),
    ("autoCsat", "String"),
    ("globalVariables", "JSON", "json"),
    ("matchedSkills", "JSON", "json"),
    ("requiredSkills", "JSON", "json"),
    ("matchedSkillsProfile", "String"),
    ("skillsAssignedIn", "String"),
    ("isWithInServiceLevel", "Boolean"),
    ("isContactOffered", "Boolean"),
    ("transferErrorCount", "Int"),
    ("isContactEscalatedToQueue", "Boolean"),
    ("isOptOutOfQueue", "Boolean"),
    ("isContactHandled", "Boolean"),
    ("outdialConsultToQueueCount", "Int"),
    ("outdialConsultCount", "Int"),
    ("overflowCount", "Int"),
    ("pausedCount", "Int"),
    ("pausedDuration", "Long"),
    ("previousAgentId", "String"),
    ("previousAgentSessionId", "String"),
    ("previousAgentName", "String"),
    ("queueTransferToEPCount", "Int"),
    ("queueTransferToQueueCount", "Int"),
    ("recordingFileSize", "Long"),
    ("recordingCount", "Int"),
    ("recordingErrorCount", "Int"),
    ("resumedCount", "Int"),
    ("shortInIVRCount", "Int"),
    ("shortInQueueCount", "Int"),
    ("silentMonitoringCount", "Int"),
    ("recordingStereoBlobId", "String"),
    ("suddenDisconnectCount", "Int"),
    ("totalMonitoringCount", "Int"),
    ("outdialConsultToQueueDuration", "Long"),
    ("transferInToEPCount", "Int"),
    ("isOutdial", "Boolean"),
    ("monitoringTimestamp", "Long", "instant"),
    ("isRecordingDeleted", "Boolean"),
    ("isMonitored", "Boolean"),
    ("monitorFullName", "String"),
    ("isBarged", "Boolean"),
    ("bargedInDuration", "Long"),
    ("bargedInCount", "Int"),
    ("bargedInFailedCount", "Int"),
    ("preferredAgentName", "String"),
    ("agentTransferedInCount", "Int"),
    ("agentToEntrypointTransferCount", "Int"),
    ("agentToQueueTransferCount", "Int"),
    ("totalBnrDuration", "Long"),
    ("lastActivityTime", "Long", "instant"),
    ("postCallDuration", "Long"),
    ("manualAssignCount", "Int"),
    ("contactPriority", "Int"),
    ("transferEpDN", "String"),
    ("topicName", "String"),
    ("contactDriver", "String"),
]

TASK_DETAILS = Table(
    schema="search",
    name="task_details",
    columns=_columns(_CSR_FIELDS),
    key=("id",),
    time_column="created_time",
)

TABLES: dict[str, Table] = {t.qualified_name: t for t in (TASK_DETAILS,)}
