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
    "AgentState": pa.string(),  # enum of agent states (agentSession.state), as its literal
    "Date": pa.date32(),  # a calendar date (REST/CSV sources: snapshot dates, report days)
    "LocalTimestamp": pa.timestamp("ms"),  # a wall-clock time without zone (analytics marts)
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
    """One warehouse column and the API field it comes from.

    ``api_path`` is relative to the object a row is read from: the query record for a top-level
    table, one entry of the innermost list for a child table (``state`` in ``search.agent_activity``
    for ``channelInfo.activities.nodes.state``). A parent column (``from_parent``) instead copies a
    field of an enclosing object onto each child row; its ``api_path`` is then the full path in the
    query record (``agentSessionId``, ``channelInfo.channelId``) and its ``name`` is given
    explicitly (``task_id`` for the task's ``id``). Every other column's name is
    ``snake_case(api_path)``.
    """

    api_path: str
    graphql_type: str
    kind: str = ""  # "instant" (epoch ms -> timestamp), "json" (JSON text), or "" (as is)
    name: str = ""  # default snake_case(api_path); explicit only for parent columns
    from_parent: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", snake_case(self.api_path))

    @property
    def arrow_type(self) -> pa.DataType:
        return UTC_MS if self.kind == "instant" else _ARROW_BY_GRAPHQL[self.graphql_type]

    def arrow_field(self) -> pa.Field:
        meta = {b"api_path": self.api_path.encode()}
        if self.kind:
            meta[b"kind"] = self.kind.encode()
        if self.from_parent:
            meta[b"from_parent"] = b"true"
        return pa.field(self.name, self.arrow_type, metadata=meta)


def parent_column(api_path: str, graphql_type: str, name: str, kind: str = "") -> Column:
    """A column copied from an enclosing object onto each child row (``task_id`` <- ``id``)."""
    return Column(api_path, graphql_type, kind, name=name, from_parent=True)


@dataclass(frozen=True)
class Nesting:
    """Where a child table's rows sit inside the records of its parent table's query.

    ``lists`` holds one dotted path per list level, each relative to an entry of the previous
    level (the first relative to the query record): ``("activities.nodes",)`` for task activities
    in a ``taskDetails`` record, ``("channelInfo",)`` for an agent session's channels,
    ``("channelInfo", "activities.nodes")`` for the activities of each of those channels. A row is
    one entry of the last list; an object on the way that is null or absent, or a null list,
    yields no rows.
    """

    parent: str  # qualified name of the table whose query records hold the lists
    lists: tuple[str, ...]

    @property
    def path(self) -> str:
        """Full dotted path of the row objects in a query record (``channelInfo.activities.nodes``)."""
        return ".".join(self.lists)

    def level_of(self, api_path: str) -> tuple[int, str]:
        """Which list level a parent column's full path reads from, and its path there.

        ``agentSessionId`` -> ``(0, "agentSessionId")`` (the query record);
        ``channelInfo.channelId`` -> ``(1, "channelId")`` (an entry of ``channelInfo``).
        """
        level, rest = 0, api_path
        for list_path in self.lists[:-1]:
            if not rest.startswith(list_path + "."):
                break
            level, rest = level + 1, rest[len(list_path) + 1 :]
        return level, rest


@dataclass(frozen=True)
class Table:
    """A warehouse table: its columns, key and the column a load window selects on.

    A child table (``parent`` set) has one row per entry of a list inside its parent's query
    records; its first columns are parent columns (the parent's key and the parent's window column,
    copied onto each row), so a window of the parent query replaces exactly its children too.
    """

    schema: str
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # without org_id, which every table has first
    time_column: str  # rows of a window [start, end) are those with time_column in it
    parent: Nesting | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        for name in (*self.key, self.time_column):
            if name not in names:
                raise ValueError(f"{self.qualified_name}: no column {name!r} for key or window")
        if self.parent is None and any(c.from_parent for c in self.columns):
            raise ValueError(f"{self.qualified_name}: parent columns need a parent")

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

    def query_path(self, column: Column) -> str:
        """The column's full dotted path in a record of the query that returns the table."""
        if column.from_parent or self.parent is None:
            return column.api_path
        return f"{self.parent.path}.{column.api_path}"


def _columns(spec: list[tuple[str, ...]]) -> tuple[Column, ...]:
    """Columns from ``(api_path, graphql_type[, kind])`` rows."""
    return tuple(Column(row[0], row[1], row[2] if len(row) > 2 else "") for row in spec)


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

# The legacy ``task`` query's field set (the one Cisco's samples select; API_FACTS.md 1.8), with the
# types the CSR dictionary gives the same fields. ``entryPoint`` and ``owner`` are selected here
# only. Instants: createdTime, endedTime, callbackData.callbackRequestTime and
# callbackData.callbackConnectTime.
_TASK_FIELDS: list[tuple[str, ...]] = [
    ("id", "String"),
    ("createdTime", "Long", "instant"),
    ("endedTime", "Long", "instant"),
    ("status", "String"),
    ("channelType", "String"),
    ("channelSubType", "String"),
    ("direction", "String"),
    ("origin", "String"),
    ("destination", "String"),
    ("isActive", "Boolean"),
    ("contactReason", "String"),
    ("lastEntryPoint.id", "String"),
    ("lastEntryPoint.name", "String"),
    ("entryPoint.name", "String"),
    ("lastQueue.id", "String"),
    ("lastQueue.name", "String"),
    ("lastTeam.id", "String"),
    ("lastTeam.name", "String"),
    ("lastSite.id", "String"),
    ("lastSite.name", "String"),
    ("owner.id", "String"),
    ("owner.name", "String"),
    ("customer.phoneNumber", "String"),
    ("customer.email", "String"),
    ("customer.name", "String"),
    ("terminationType", "String"),
    ("lastWrapupCodeName", "String"),
    ("selfserviceDuration", "Long"),
    ("ringingDuration", "Long"),
    ("queueDuration", "Long"),
    ("connectedDuration", "Long"),
    ("totalDuration", "Long"),
    ("holdDuration", "Long"),
    ("wrapupDuration", "Long"),
    ("captureRequested", "Boolean"),
    ("csatScore", "Int"),
    ("recordingLocation", "String"),
    ("callbackData.callbackRequestTime", "Long", "instant"),
    ("callbackData.callbackConnectTime", "Long", "instant"),
    ("callbackData.callbackNumber", "String"),
    ("callbackData.callbackStatus", "String"),
    ("callbackData.callbackOrigin", "String"),
    ("callbackData.callbackType", "String"),
]

# Every ``activities.nodes.*`` CAR field (DataDictionary/CAR.md), relative to the node. The CAR's
# top-level fields (channelType, origin ...) are the task's and live in search.task_details.
# Instants: createdTime, endedTime, lastActivityTime.
_CAR_NODE_FIELDS: list[tuple[str, ...]] = [
    ("id", "String"),
    ("isActive", "Boolean"),
    ("createdTime", "Long", "instant"),
    ("endedTime", "Long", "instant"),
    ("agentId", "String"),
    ("agentName", "String"),
    ("agentPhoneNumber", "String"),
    ("agentSessionId", "String"),
    ("agentChannelId", "String"),
    ("entrypointId", "String"),
    ("entrypointName", "String"),
    ("queueId", "String"),
    ("queueName", "String"),
    ("siteId", "String"),
    ("siteName", "String"),
    ("teamId", "String"),
    ("teamName", "String"),
    ("transferType", "String"),
    ("activityType", "String"),
    ("activityName", "String"),
    ("eventName", "String"),
    ("previousState", "String"),
    ("nextState", "String"),
    ("consultEpId", "String"),
    ("consultEpName", "String"),
    ("childContactId", "String"),
    ("childContactType", "String"),
    ("duration", "Long"),
    ("destinationAgentPhoneNumber", "Long"),  # documented as Long: kept int64, not a string
    ("destinationAgentId", "String"),
    ("destinationAgentName", "String"),
    ("destinationAgentSessionId", "String"),
    ("destinationAgentChannelId", "String"),
    ("destinationAgentTeamId", "String"),
    ("destinationAgentTeamName", "String"),
    ("destinationQueueName", "String"),
    ("destinationQueueId", "String"),
    ("terminationReason", "String"),
    ("ivrScriptId", "String"),
    ("ivrScriptName", "String"),
    ("ivrScriptTagId", "String"),
    ("ivrScriptTagName", "String"),
    ("bnrMode", "String"),
    ("lastActivityTime", "Long", "instant"),
    ("skillsAssignedIn", "String"),
    ("emailHasAttachments", "Boolean"),
    ("contactAssignmentType", "String"),
]

# Every top-level ASR field (DataDictionary/ASR.md) except ``orgId``: its snake_case name is the
# warehouse's own ``org_id`` column, which holds the same org (the one the session was fetched for).
# Instants: startTime, endTime.
_ASR_FIELDS: list[tuple[str, ...]] = [
    ("isActive", "Boolean"),
    ("agentId", "String"),
    ("agentName", "String"),
    ("agentSessionId", "String"),
    ("agentSignOutReason", "String"),
    ("userLoginId", "String"),
    ("endTime", "Long", "instant"),
    ("startTime", "Long", "instant"),
    ("state", "AgentState"),  # enum AgentState, landed as its literal
    ("siteId", "String"),
    ("siteName", "String"),
    ("teamId", "String"),
    ("teamName", "String"),
    ("orgName", "String"),
    ("multiMediaProfileType", "String"),
    ("skillsProfile", "String"),
    ("agentSkills", "JSON", "json"),
    ("parentOrgId", "String"),
    ("parentOrgName", "String"),
]

# Every ``channelInfo.*`` ASR field except ``channelInfo.activities`` (search.agent_activity),
# relative to the channel entry. Instants: lastActivityTime.
_ASR_CHANNEL_FIELDS: list[tuple[str, ...]] = [
    ("channelId", "String"),
    ("channelType", "String"),
    ("totalDuration", "Long"),  # documented "in seconds"; the API returns ms like every duration
    ("agentPhoneNumber", "String"),
    ("currentState", "String"),
    ("ringingDuration", "Long"),
    ("ringingCount", "Int"),
    ("outdialRingingCount", "Int"),
    ("outdialRingingDuration", "Long"),
    ("idleCount", "Int"),
    ("idleDuration", "Long"),
    ("availableCount", "Int"),
    ("availableDuration", "Long"),
    ("connectedCount", "Int"),
    ("connectedDuration", "Long"),
    ("outdialConnectedCount", "Int"),
    ("outdialConnectedDuration", "Long"),
    ("conferenceCount", "Int"),
    ("conferenceDuration", "Long"),
    ("outdialConferenceCount", "Int"),
    ("outdialConferenceDuration", "Long"),
    ("consultAnswerCount", "Int"),
    ("consultAnswerDuration", "Long"),
    ("outdialConsultAnswerCount", "Int"),
    ("outdialConsultAnswerDuration", "Long"),
    ("consultRequestCount", "Int"),
    ("consultRequestDuration", "Long"),
    ("outdialConsultRequestCount", "Int"),
    ("outdialConsultRequestDuration", "Long"),
    ("consultCount", "Int"),
    ("consultDuration", "Long"),
    ("outdialConsultCount", "Int"),
    ("outdialConsultDuration", "Long"),
    ("consultToQueueAnswerCount", "Int"),
    ("consultToQueueAnswerDuration", "Long"),
    ("outdialConsultToQueueAnswerCount", "Int"),
    ("outdialConsultToQueueAnswerDuration", "Long"),
    ("consultToQueueRequestCount", "Int"),
    ("consultToQueueRequestDuration", "Long"),
    ("outdialConsultToQueueRequestCount", "Int"),
    ("outdialConsultToQueueRequestDuration", "Long"),
    ("consultToQueueCount", "Int"),
    ("consultToQueueDuration", "Long"),
    ("holdCount", "Int"),
    ("holdDuration", "Long"),
    ("outdialHoldCount", "Int"),
    ("outdialHoldDuration", "Long"),
    ("notRespondedCount", "Int"),
    ("notRespondedDuration", "Long"),
    ("outdialNotRespondedCount", "Int"),
    ("outdialNotRespondedDuration", "Long"),
    ("wrapupCount", "Int"),
    ("wrapupDuration", "Long"),
    ("outdialWrapupCount", "Int"),
    ("outdialWrapupDuration", "Long"),
    ("disconnectedCount", "Int"),
    ("agentToAgentTransferCount", "Int"),
    ("outdialAgentToAgentTransferCount", "Int"),
    ("outdialAgentTransferToQueueRequestCount", "Int"),
    ("agentTransferToQueueRequestCount", "Int"),
    ("blindTransferCount", "Int"),
    ("outdialBlindTransferCount", "Int"),
    ("outdialCount", "Int"),
    ("outdialTransferCount", "Int"),
    ("disconnectedHoldCallsCount", "Int"),
    ("transferCount", "Int"),
    ("subChannelType", "String"),
    ("outdialConsultTransferDuration", "Long"),
    ("callBackCount", "Int"),
    ("lastActivityTime", "Long", "instant"),
    ("idleCodeName", "String"),
    ("consultToEpRequestedCount", "Int"),
    ("consultToEpRequestedDuration", "Long"),
    ("consultToEpAnsweredCount", "Int"),
    ("consultToEpAnsweredDuration", "Long"),
    ("outdialConsultToEpRequestedCount", "Int"),
    ("outdialConsultToEpRequestedDuration", "Long"),
    ("outdialConsultToEpAnsweredCount", "Int"),
    ("outdialConsultToEpAnsweredDuration", "Long"),
    ("totalReservationTime", "Long"),  # a duration (ms), despite its name
    ("reservationCount", "Int"),
    ("postCallDuration", "Long"),
    ("postCallCount", "Int"),
    ("outdialPostCallDuration", "Long"),
    ("outdialPostCallCount", "Int"),
    ("postCallAssistanceDuration", "Long"),
    ("postCallAssistanceCount", "Int"),
    ("outdialPostCallAssistanceDuration", "Long"),
    ("outdialPostCallAssistanceCount", "Int"),
    ("manualAssignCount", "Int"),
]

# Every ``channelInfo.activities.nodes.*`` AAR field (DataDictionary/AAR.md), relative to the node.
# The AAR's other fields are the session's and its channel's. Instants: startTime, endTime.
_AAR_NODE_FIELDS: list[tuple[str, ...]] = [
    ("id", "String"),
    ("startTime", "Long", "instant"),  # the dictionary swaps the start/end descriptions
    ("endTime", "Long", "instant"),
    ("duration", "Long"),
    ("state", "String"),
    ("idleCode.id", "String"),
    ("idleCode.name", "String"),
    ("taskId", "String"),
    ("queue.id", "String"),
    ("queue.name", "String"),
    ("wrapupCode.id", "String"),
    ("wrapupCode.name", "String"),
    ("isOutdial", "Boolean"),
    ("outboundType", "String"),
    ("isCurrentActivity", "Boolean"),
    ("isLoginActivity", "Boolean"),
    ("isLogoutActivity", "Boolean"),
    ("changedById", "String"),
    ("changedByName", "String"),
    ("contactAssignmentType", "String"),
]

# Every CLR field (DataDictionary/CLR.md) except the typed ``*GlobalVariables.name/value`` ones, which
# need a variable name to be selected. Instants: createdTime, endedTime, lastActivityTime,
# optOutOfQueueTimestamp.
_CLR_FIELDS: list[tuple[str, ...]] = [
    ("id", "String"),
    ("taskId", "String"),
    ("createdTime", "Long", "instant"),
    ("endedTime", "Long", "instant"),
    ("lastActivityTime", "Long", "instant"),
    ("isActive", "Boolean"),
    ("status", "String"),
    ("contactState", "String"),
    ("destination", "String"),
    ("origin", "String"),
    ("channelType", "String"),
    ("channelSubType", "String"),
    ("entryPoint.id", "String"),
    ("entryPoint.name", "String"),
    ("isWithinServiceLevel", "Boolean"),
    ("queue.id", "String"),
    ("queue.name", "String"),
    ("queue.duration", "Long"),  # documented "in epoch millis": a duration in ms
    ("ringingDuration", "Long"),
    ("owner.id", "String"),
    ("owner.name", "String"),
    ("owner.signInId", "String"),
    ("owner.sessionId", "String"),
    ("owner.phoneNumber", "String"),
    ("owner.channelId", "String"),
    ("site.id", "String"),
    ("site.name", "String"),
    ("team.id", "String"),
    ("team.name", "String"),
    ("direction", "String"),
    ("ivrScriptId", "String"),
    ("ivrScriptName", "String"),
    ("ivrScriptTagId", "String"),
    ("ivrScriptTagName", "String"),
    ("terminatingEnd", "String"),
    ("terminationReason", "String"),
    ("customer.name", "String"),
    ("customer.phoneNumber", "String"),
    ("customer.email", "String"),
    ("preferredAgentSystemId", "String"),
    ("preferredAgentName", "String"),
    ("isHandledByPreferredAgent", "Boolean"),
    ("routingType", "String"),
    ("callType", "String"),
    ("lastWrapupCodeName", "String"),
    ("wrapupDuration", "Long"),
    ("isOutdial", "Boolean"),
    ("abandonedType", "String"),
    ("blindTransferCount", "Int"),
    ("transferCount", "Int"),
    ("queueCount", "Int"),
    ("transferErrorCount", "Int"),
    ("taskLegCount", "Int"),
    ("handleType", "String"),
    ("isTaskLegHandled", "Boolean"),
    ("isOptOutOfQueue", "Boolean"),
    ("optOutOfQueueTimestamp", "Long", "instant"),
    ("connectedCount", "Int"),
    ("connectedDuration", "Long"),
    ("holdCount", "Int"),
    ("holdDuration", "Long"),
    ("consultDuration", "Long"),
    ("outdialConsultCount", "Int"),
    ("outdialConsultDuration", "Long"),
    ("outdialConferenceCount", "Int"),
    ("outdialConferenceDuration", "Long"),
    ("conferenceDuration", "Long"),
    ("selfserviceDuration", "Long"),
    ("selfserviceCount", "Int"),
    ("consultToQueueCount", "Int"),
    ("consultToQueueDuration", "Long"),
    ("outdialConsultToQueueCount", "Int"),
    ("outdialConsultToQueueDuration", "Long"),
    ("slaValue", "String"),
    ("handleTime", "Long"),  # a duration (ms), despite its name
    ("consultEpId", "String"),
    ("consultEpName", "String"),
    ("childContactId", "String"),
    ("childContactType", "String"),
    ("consultToEPCount", "Int"),
    ("consultToEPDuration", "Long"),
    ("outdialConsultToEPCount", "Int"),
    ("outdialConsultToEPDuration", "Long"),
    ("nextDestination.agent.id", "String"),
    ("nextDestination.agent.name", "String"),
    ("nextDestination.agent.signInId", "String"),
    ("nextDestination.agent.sessionId", "String"),
    ("nextDestination.agent.phoneNumber", "String"),
    ("nextDestination.agent.channelId", "String"),
    ("nextDestination.team.id", "String"),
    ("nextDestination.team.name", "String"),
    ("nextDestination.queue.id", "String"),
    ("nextDestination.queue.name", "String"),
    ("abandonedSlCount", "Int"),
    ("agentToDnTransferCount", "Int"),
    ("agentTransferedInCount", "Int"),
    ("matchedSkills", "JSON", "json"),
    ("requiredSkills", "JSON", "json"),
    ("matchedSkillsProfile", "String"),
    ("skillsAssignedIn", "String"),
    ("consultToQueueHandledCount", "Int"),
    ("outdialConsultToQueueHandledCount", "Int"),
    ("interQueueBlindTransferCount", "Int"),
    ("interQueueConsultTransferCount", "Int"),
    ("consultSuccessCount", "Int"),
    ("conferenceSuccessCount", "Int"),
    ("blindTransferToAgentCount", "Int"),
    ("queuedTo", "String"),
    ("consultToAgentErrorCount", "Int"),
    ("consultToQueueErrorCount", "Int"),
    ("outdialConsultToQueueErrorCount", "Int"),
    ("consultToEpErrorCount", "Int"),
    ("consultToDnErrorCount", "Int"),
    ("postCallDuration", "Long"),
    ("manualAssignCount", "Int"),
    ("transferEpDN", "String"),
]

TASK = Table(
    schema="search",
    name="task",
    columns=_columns(_TASK_FIELDS),
    key=("id",),
    time_column="created_time",
)

# Parent columns are named like the parent's own column, prefixed with the parent entity unless the
# name already starts with it: task_id, task_created_time, agent_session_id,
# agent_session_start_time, channel_id, channel_type. The parent's window column comes along so a
# reload of a parent window can delete exactly its children.
TASK_ACTIVITY = Table(
    schema="search",
    name="task_activity",
    columns=(
        parent_column("id", "String", "task_id"),
        parent_column("createdTime", "Long", "task_created_time", "instant"),
        *_columns(_CAR_NODE_FIELDS),
    ),
    key=("task_id", "id"),
    time_column="task_created_time",
    parent=Nesting("search.task_details", ("activities.nodes",)),
)

AGENT_SESSION = Table(
    schema="search",
    name="agent_session",
    columns=_columns(_ASR_FIELDS),
    key=("agent_session_id",),
    time_column="start_time",
)

_SESSION_PARENT_COLUMNS = (
    parent_column("agentSessionId", "String", "agent_session_id"),
    parent_column("startTime", "Long", "agent_session_start_time", "instant"),
)

AGENT_SESSION_CHANNEL = Table(
    schema="search",
    name="agent_session_channel",
    columns=(*_SESSION_PARENT_COLUMNS, *_columns(_ASR_CHANNEL_FIELDS)),
    key=("agent_session_id", "channel_id"),
    time_column="agent_session_start_time",
    parent=Nesting("search.agent_session", ("channelInfo",)),
)

AGENT_ACTIVITY = Table(
    schema="search",
    name="agent_activity",
    columns=(
        *_SESSION_PARENT_COLUMNS,
        parent_column("channelInfo.channelId", "String", "channel_id"),
        parent_column("channelInfo.channelType", "String", "channel_type"),
        *_columns(_AAR_NODE_FIELDS),
    ),
    key=("agent_session_id", "id"),
    time_column="agent_session_start_time",
    parent=Nesting("search.agent_session", ("channelInfo", "activities.nodes")),
)

TASK_LEG_DETAILS = Table(
    schema="search",
    name="task_leg_details",
    columns=_columns(_CLR_FIELDS),
    key=("id",),
    time_column="created_time",
)

# CAD (global) variables as a long table, one row per task and variable: every tenant defines its
# own variables and changes them over time, so columns per variable would change the table's schema
# with each configuration; a long table keeps one schema everywhere and BI tools pivot it easily.
# Rows come from each task's `globalVariables` JSON, put into the derived list `_variables` by
# `warehouse.variables` (the API's typed `*GlobalVariables(name:)` fields need one alias per name).
# A value lands in the column of its type: integer and long in integer_value.
TASK_VARIABLE = Table(
    schema="search",
    name="task_variable",
    columns=(
        parent_column("id", "String", "task_id"),
        parent_column("createdTime", "Long", "task_created_time", "instant"),
        Column("name", "String"),
        Column("type", "String"),
        Column("stringValue", "String"),
        Column("integerValue", "Long"),
        Column("doubleValue", "Float"),
        Column("booleanValue", "Boolean"),
    ),
    key=("task_id", "name"),
    time_column="task_created_time",
    parent=Nesting("search.task_details", ("_variables",)),
)

TABLES: dict[str, Table] = {
    t.qualified_name: t
    for t in (
        TASK,
        TASK_DETAILS,
        TASK_ACTIVITY,
        AGENT_SESSION,
        AGENT_SESSION_CHANNEL,
        AGENT_ACTIVITY,
        TASK_LEG_DETAILS,
        TASK_VARIABLE,
    )
}
