"""The reporting.* tables: the WxCC reporting REST APIs (tasks, statistics, activities, captures).

Columns are the API's field paths in snake_case, as everywhere. Two records are reshaped by the
client before they are normalized, the way a child table drops its parent's path:

- an agent statistics row (``data[]``) holds a ``channels`` list; each channel becomes one row
  with the agent's fields copied onto it (``agent_id``, ``channel_type`` ...);
- a captures answer (``data[]``: a task and its ``recording`` list) becomes one row per
  recording, with the task's ``taskId`` and, for the load window, the task's ``createdTime`` as
  ``taskCreatedTime``; the pre-signed ``attributes.filePath`` expires, so the client adds
  ``urlExpiresAt``: when it stops working.
"""

from __future__ import annotations

from warehouse.schemas import Column, Table


def _columns(spec: list[tuple[str, ...]]) -> tuple[Column, ...]:
    return tuple(Column(row[0], row[1], row[2] if len(row) > 2 else "") for row in spec)


# GET /v1/tasks: data[] = {id, attributes{...}} (OAS searchTasks). owner/queue absent when none.
TASKS = Table(
    schema="reporting",
    name="tasks",
    columns=_columns(
        [
            ("id", "String"),
            ("attributes.owner.id", "String"),
            ("attributes.owner.name", "String"),
            ("attributes.queue.id", "String"),
            ("attributes.queue.name", "String"),
            ("attributes.channelType", "String"),
            ("attributes.status", "String"),
            ("attributes.createdTime", "Long", "instant"),
            ("attributes.lastUpdatedTime", "Long", "instant"),
            ("attributes.captureRequested", "Boolean"),
            ("attributes.origin", "String"),
            ("attributes.destination", "String"),
            ("attributes.direction", "String"),
            ("attributes.reasonCode", "String"),
        ]
    ),
    key=("id",),
    time_column="attributes_created_time",
)

# GET /v1/queues/statistics: one row per queue, 15-minute interval and channel type. Averages
# are doubles in ms; totalAssignedTasks is deprecated (always 0) but kept as served.
QUEUE_STATISTICS = Table(
    schema="reporting",
    name="queue_statistics",
    columns=_columns(
        [
            ("intervalStartTime", "Long", "instant"),
            ("queueId", "String"),
            ("queueName", "String"),
            ("channelType", "String"),
            ("totalOfferedTasks", "Int"),
            ("totalEnqueuedTasks", "Int"),
            ("totalAssignedTasks", "Int"),
            ("totalAcceptedTasks", "Int"),
            ("totalRejectedTasks", "Int"),
            ("totalAbandonedTasks", "Int"),
            ("averageEnqueuedTime", "Float"),
            ("averageHandledTime", "Float"),
            ("serviceLevelThresholdPercentage", "Float"),
        ]
    ),
    key=("queue_id", "interval_start_time", "channel_type"),
    time_column="interval_start_time",
)

# GET /v1/agents/statistics: one row per agent, 15-minute interval and channel (data[].channels[]).
# Durations are BIGINT ms (the OAS types totalEngagedDuration int32; a BIGINT holds it).
AGENT_STATISTICS = Table(
    schema="reporting",
    name="agent_statistics",
    columns=_columns(
        [
            ("intervalStartTime", "Long", "instant"),
            ("agentId", "String"),
            ("agentName", "String"),
            ("teamId", "String"),
            ("teamName", "String"),
            ("channelType", "String"),
            ("totalAssignedTasks", "Int"),
            ("totalOfferedTasks", "Int"),
            ("totalAcceptedTasks", "Int"),
            ("totalRejectedTasks", "Int"),
            ("totalTransferredTasks", "Int"),
            ("totalEngagedDuration", "Long"),
            ("totalHoldDuration", "Long"),
            ("totalWrapUpDuration", "Long"),
            ("totalAvailableTime", "Long"),
            ("totalUnAvailableTime", "Long"),
            ("averageHandledTime", "Float"),
        ]
    ),
    key=("agent_id", "interval_start_time", "channel_type"),
    time_column="interval_start_time",
)

# GET /v1/agents/activities: one row per agent state on one channel. endTime -1 (still active)
# lands as NULL. isLogin is the API's int (1: the login event).
AGENT_ACTIVITIES = Table(
    schema="reporting",
    name="agent_activities",
    columns=_columns(
        [
            ("agentSessionId", "String"),
            ("channelId", "String"),
            ("startTime", "Long", "instant"),
            ("endTime", "Long", "instant"),
            ("active", "Boolean"),
            ("agentId", "String"),
            ("agentDn", "String"),
            ("agentLogin", "String"),
            ("agentName", "String"),
            ("currentState", "String"),
            ("siteId", "String"),
            ("siteName", "String"),
            ("teamId", "String"),
            ("teamName", "String"),
            ("isLogin", "Int"),
            ("taskId", "String"),
            ("channelType", "String"),
            ("subChannelType", "String"),
            ("idleCodeName", "String"),
            ("idleCode", "String"),
            ("queueId", "String"),
            ("queueName", "String"),
            ("wrapupCodeName", "String"),
            ("reason", "String"),
            ("mmProfileType", "String"),
        ]
    ),
    key=("agent_session_id", "channel_id", "start_time"),
    time_column="start_time",
)

# POST /v1/captures/query: one row per recording of a task. The window is the task's creation
# time (taskCreatedTime, copied from the task); attributes.filePath is a pre-signed URL valid
# until urlExpiresAt only.
CAPTURES = Table(
    schema="reporting",
    name="captures",
    columns=_columns(
        [
            ("taskId", "String"),
            ("id", "String"),
            ("taskCreatedTime", "Long", "instant"),
            ("segment", "Boolean"),
            ("attributes.fileName", "String"),
            ("attributes.startTime", "Long", "instant"),
            ("attributes.stopTime", "Long", "instant"),
            ("attributes.participants", "JSON", "json"),
            ("attributes.channel1", "String"),
            ("attributes.channel2", "String"),
            ("attributes.callType", "String"),
            ("attributes.sensitive", "Boolean"),
            ("attributes.filePath", "String"),
            ("urlExpiresAt", "Long", "instant"),
        ]
    ),
    key=("task_id", "id"),
    time_column="task_created_time",
)

TABLES: tuple[Table, ...] = (
    TASKS,
    QUEUE_STATISTICS,
    AGENT_STATISTICS,
    AGENT_ACTIVITIES,
    CAPTURES,
)
