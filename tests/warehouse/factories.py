"""Records in API shape and the batches they normalize to, for the warehouse tests."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from warehouse.normalize import records_to_batch
from warehouse.schemas import (
    AGENT_ACTIVITY,
    AGENT_SESSION,
    AGENT_SESSION_CHANNEL,
    TASK_ACTIVITY,
    TASK_DETAILS,
    Column,
    Table,
)

ORG = "0b1c2d3e-0000-4000-8000-000000000042"
OTHER_ORG = "0b1c2d3e-0000-4000-8000-000000000043"
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
DAY0 = 1_717_200_000_000  # 2024-06-01T00:00:00Z
DAY1 = DAY0 + DAY_MS


def sample_value(column: Column, i: int) -> Any:
    """A valid, distinct value of a column's API type for record ``i``."""
    if column.kind == "instant":
        return DAY0 + i
    if column.kind == "json":
        return {"z": i, "a": [1, "x", None]}
    return {
        "String": f"{column.name}-{i}",
        "Int": i % 1000,
        "Long": 10_000_000_000 + i,
        "Float": i + 0.5,
        "Boolean": i % 2 == 0,
        "AgentState": ("available", "idle", "connected")[i % 3],
    }[column.graphql_type]


def api_record(table: Table = TASK_DETAILS, i: int = 0, **top: Any) -> dict[str, Any]:
    """A record in API shape with every selected path set; ``top`` overrides top-level members.

    For a child table: one list entry (every field of the entry, no parent columns).
    """
    record: dict[str, Any] = {}
    for column in table.columns:
        if column.from_parent:
            continue
        *parents, leaf = column.api_path.split(".")
        node = record
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = sample_value(column, i)
    record["id"] = f"task-{i}"
    record.update(top)
    return orjson.loads(orjson.dumps(record))


def task_batch(
    ids: list[int], start_ms: int = DAY0, step_ms: int = 60_000, org: str = ORG, **top: Any
) -> pa.RecordBatch:
    """task_details rows ``task-<i>`` created every ``step_ms`` from ``start_ms``."""
    records = [
        api_record(TASK_DETAILS, i, createdTime=start_ms + n * step_ms, **top)
        for n, i in enumerate(ids)
    ]
    return records_to_batch(TASK_DETAILS, records, org)


def task_record(i: int, activities: int = 2, created_ms: int = DAY0, **top: Any) -> dict[str, Any]:
    """A ``taskDetails`` record ``task-<i>`` with every CSR field and ``activities`` CAR nodes."""
    nodes = [
        api_record(TASK_ACTIVITY, i * 100 + j, id=f"task-{i}-{created_ms + j}-act{j}")
        for j in range(activities)
    ]
    activity_list = {"totalCount": activities, "nodes": nodes, "pageInfo": {"hasNextPage": False}}
    return api_record(TASK_DETAILS, i, createdTime=created_ms, activities=activity_list, **top)


def session_record(
    i: int, channels: int = 2, activities: int = 2, start_ms: int = DAY0, **top: Any
) -> dict[str, Any]:
    """An ``agentSession`` record ``session-<i>``: every ASR field, ``channels`` channelInfo
    entries (every channel field), each with ``activities`` AAR nodes."""
    channel_info = []
    for k in range(channels):
        channel_id = f"channel-{i}-{k}"
        channel_type = ("telephony", "chat", "email", "social")[k % 4]
        nodes = [
            api_record(
                AGENT_ACTIVITY,
                i * 100 + k * 10 + j,
                id=f"{channel_id}-{channel_type}-{start_ms + j}-idle",
                startTime=start_ms + j,
            )
            for j in range(activities)
        ]
        entry = api_record(
            AGENT_SESSION_CHANNEL, i * 10 + k, channelId=channel_id, channelType=channel_type
        )
        entry.pop("id")
        entry["activities"] = {"totalCount": activities, "nodes": nodes}
        channel_info.append(entry)
    record = api_record(
        AGENT_SESSION,
        i,
        agentSessionId=f"session-{i}",
        startTime=start_ms,
        channelInfo=channel_info,
        **top,
    )
    record.pop("id")
    return record
