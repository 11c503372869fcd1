"""Child tables normalized from their parent's records: flattening, parent columns, strict types."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tests.warehouse.factories import (
    DAY0,
    ORG,
    api_record,
    sample_value,
    session_record,
    task_record,
)
from warehouse.normalize import NormalizeError, records_to_batch
from warehouse.schemas import (
    AGENT_ACTIVITY,
    AGENT_SESSION,
    AGENT_SESSION_CHANNEL,
    TABLES,
    TASK,
    TASK_ACTIVITY,
    TASK_DETAILS,
    TASK_LEG_DETAILS,
    Table,
)


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _path(obj: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def test_task_activity_rows_come_from_task_details_records() -> None:
    records = [task_record(1, activities=3, created_ms=DAY0), task_record(2, 2, DAY0 + 60_000)]
    batch = records_to_batch(TASK_ACTIVITY, records, ORG)
    assert batch.schema == TASK_ACTIVITY.arrow
    assert batch.num_rows == 5
    rows = batch.to_pylist()
    assert [r["task_id"] for r in rows] == ["task-1"] * 3 + ["task-2"] * 2
    assert [r["task_created_time"] for r in rows] == [_utc(DAY0)] * 3 + [_utc(DAY0 + 60_000)] * 2
    nodes = records[0]["activities"]["nodes"] + records[1]["activities"]["nodes"]
    assert [r["id"] for r in rows] == [n["id"] for n in nodes]  # record order, then node order
    for row, node in zip(rows, nodes, strict=True):
        assert row["org_id"] == ORG
        assert row["event_name"] == node["eventName"]
        assert row["created_time"] == _utc(node["createdTime"])
        assert row["duration"] == node["duration"]
        assert row["destination_agent_phone_number"] == node["destinationAgentPhoneNumber"]
    # The same page still gives the parent's rows; the activities are not a task_details column.
    assert records_to_batch(TASK_DETAILS, records, ORG).num_rows == 2


def test_agent_session_pages_give_sessions_channels_and_activities() -> None:
    records = [session_record(1, channels=2, activities=3), session_record(2, 1, 2, DAY0 + 5)]
    sessions = records_to_batch(AGENT_SESSION, records, ORG).to_pylist()
    channels = records_to_batch(AGENT_SESSION_CHANNEL, records, ORG).to_pylist()
    activities = records_to_batch(AGENT_ACTIVITY, records, ORG).to_pylist()
    assert [s["agent_session_id"] for s in sessions] == ["session-1", "session-2"]
    assert sessions[0]["state"] == records[0]["state"]
    assert (
        sessions[0]["agent_skills"]
        == orjson.dumps(records[0]["agentSkills"], option=orjson.OPT_SORT_KEYS).decode()
    )
    assert [(c["agent_session_id"], c["channel_id"]) for c in channels] == [
        ("session-1", "channel-1-0"),
        ("session-1", "channel-1-1"),
        ("session-2", "channel-2-0"),
    ]
    assert [c["agent_session_start_time"] for c in channels] == [_utc(DAY0)] * 2 + [_utc(DAY0 + 5)]
    entry = records[0]["channelInfo"][1]
    assert channels[1]["idle_count"] == entry["idleCount"]
    assert channels[1]["last_activity_time"] == _utc(entry["lastActivityTime"])
    assert len(activities) == 2 * 3 + 2
    first = activities[3]  # session 1, channel 1, activity 0
    node = entry["activities"]["nodes"][0]
    assert first == {
        **first,
        "agent_session_id": "session-1",
        "agent_session_start_time": _utc(DAY0),
        "channel_id": "channel-1-1",
        "channel_type": "chat",
        "id": node["id"],
        "state": node["state"],
        "idle_code_id": node["idleCode"]["id"],
        "wrapup_code_name": node["wrapupCode"]["name"],
        "start_time": _utc(node["startTime"]),
        "duration": node["duration"],
    }


@pytest.mark.parametrize(
    "activities",
    [
        None,
        {"nodes": None},
        {"nodes": []},
        {"totalCount": 0},
        {"nodes": [None]},
    ],
    ids=["null object", "null list", "empty list", "absent list", "null entry"],
)
def test_null_absent_or_empty_nested_lists_give_no_rows(activities: Any) -> None:
    record = task_record(1, activities=0)
    record["activities"] = activities
    absent = task_record(2, activities=0)
    del absent["activities"]
    empty = records_to_batch(TASK_ACTIVITY, [record, absent], ORG)
    assert (empty.num_rows, empty.schema) == (0, TASK_ACTIVITY.arrow)
    # ... and the other records of the page still give theirs.
    batch = records_to_batch(TASK_ACTIVITY, [record, task_record(3, 2), absent], ORG)
    assert batch.column("task_id").to_pylist() == ["task-3", "task-3"]


def test_null_channel_info_or_channel_activities_give_no_rows() -> None:
    none = session_record(1, channels=0)
    none["channelInfo"] = None
    absent = session_record(2, channels=0)
    del absent["channelInfo"]
    empty = session_record(3, channels=0)
    mixed = session_record(4, channels=3, activities=2)
    mixed["channelInfo"][0]["activities"] = None
    mixed["channelInfo"][1]["activities"] = {"nodes": None}
    mixed["channelInfo"].insert(1, None)
    records = [none, absent, empty, mixed]
    assert records_to_batch(AGENT_SESSION, records, ORG).num_rows == 4
    channels = records_to_batch(AGENT_SESSION_CHANNEL, records, ORG)
    assert channels.column("channel_id").to_pylist() == [f"channel-4-{k}" for k in range(3)]
    activities = records_to_batch(AGENT_ACTIVITY, records, ORG)
    assert activities.column("channel_id").to_pylist() == ["channel-4-2", "channel-4-2"]
    assert records_to_batch(AGENT_ACTIVITY, [], ORG).num_rows == 0


def test_matches_a_row_by_row_reference_on_random_shapes() -> None:
    rnd = random.Random(7)
    records = []
    for i in range(600):
        record = session_record(i, channels=rnd.randint(0, 3), activities=rnd.randint(0, 4))
        for entry in record["channelInfo"]:
            if rnd.random() < 0.2:
                entry["activities"] = rnd.choice([None, {"nodes": None}, {}])
            for node in (entry.get("activities") or {}).get("nodes") or []:
                for member in ("idleCode", "queue", "wrapupCode"):
                    if rnd.random() < 0.3:
                        node[member] = rnd.choice([None, {}, {"id": None}])
                if rnd.random() < 0.3:
                    del node["duration"]
        if rnd.random() < 0.1:
            record["channelInfo"] = None
        records.append(record)
    records = orjson.loads(orjson.dumps(records))
    expected = []
    for record in records:
        for entry in record["channelInfo"] or []:
            for node in (entry.get("activities") or {}).get("nodes") or []:
                row: dict[str, Any] = {
                    "org_id": ORG,
                    "agent_session_id": record["agentSessionId"],
                    "agent_session_start_time": _utc(record["startTime"]),
                    "channel_id": entry["channelId"],
                    "channel_type": entry["channelType"],
                }
                for column in AGENT_ACTIVITY.columns:
                    if not column.from_parent:
                        value = _path(node, column.api_path)
                        if column.kind == "instant" and value is not None:
                            value = _utc(value)
                        row[column.name] = value
                expected.append(row)
    batch = records_to_batch(AGENT_ACTIVITY, records, ORG)
    assert len(expected) > 1024  # several conversion chunks
    assert batch.to_pylist() == expected


def test_large_inputs_report_the_parent_record_and_entry() -> None:
    records = [task_record(i, activities=3) for i in range(600)]
    records[500]["activities"]["nodes"][2]["duration"] = "long"
    with pytest.raises(NormalizeError) as err:
        records_to_batch(TASK_ACTIVITY, records, ORG)
    message = str(err.value)
    assert "search.task_activity: column duration (api path duration, Long)" in message
    assert "record 500 (id 'task-500'), activities.nodes entry (id 'task-500-" in message
    assert "str of length 4" in message


def test_a_wrong_type_in_a_parent_column_names_it() -> None:
    records = [task_record(1), task_record(2)]
    records[1]["createdTime"] = 1.5
    with pytest.raises(NormalizeError, match=r"column task_created_time \(api path createdTime"):
        records_to_batch(TASK_ACTIVITY, records, ORG)
    records = [session_record(1)]
    records[0]["channelInfo"][1]["channelType"] = 7
    with pytest.raises(
        NormalizeError,
        match=r"column channel_type \(api path channelInfo.channelType, String\) in record 0 "
        r"\(agentSessionId 'session-1'\)",
    ):
        records_to_batch(AGENT_ACTIVITY, records, ORG)


def test_a_null_parent_key_is_an_error() -> None:
    records = [task_record(1)]
    records[0]["id"] = None
    with pytest.raises(NormalizeError, match=r"key column task_id \(api path id\) is null"):
        records_to_batch(TASK_ACTIVITY, records, ORG)
    records = [session_record(1)]
    records[0]["channelInfo"][0]["activities"]["nodes"][1]["id"] = None
    with pytest.raises(NormalizeError, match=r"key column id \(api path id\) is null"):
        records_to_batch(AGENT_ACTIVITY, records, ORG)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.update(activities="x"), r"api path activities.nodes must be a list"),
        (lambda r: r.update(activities={"nodes": {"id": "a"}}), r"activities.nodes must be a list"),
        (lambda r: r.update(activities={"nodes": 0}), r"activities.nodes must be a list"),
        (
            lambda r: r["activities"]["nodes"].append(3),
            r"activities.nodes must be a list of objects, got an entry that is int 3 in record 0",
        ),
    ],
)
def test_a_list_path_through_something_else_is_an_error(mutate: Any, message: str) -> None:
    record = task_record(1)
    mutate(record)
    with pytest.raises(NormalizeError, match=message):
        records_to_batch(TASK_ACTIVITY, [record], ORG)


def test_a_nested_list_of_the_wrong_type_is_an_error() -> None:
    record = session_record(1)
    record["channelInfo"][1]["activities"] = {"nodes": "many"}
    with pytest.raises(
        NormalizeError, match=r"api path channelInfo.activities.nodes must be a list .*str"
    ):
        records_to_batch(AGENT_ACTIVITY, [record], ORG)
    record = session_record(1)
    record["channelInfo"] = {"channelId": "c"}
    with pytest.raises(NormalizeError, match=r"api path channelInfo must be a list"):
        records_to_batch(AGENT_SESSION_CHANNEL, [record], ORG)


def test_a_record_that_is_not_an_object_is_an_error() -> None:
    with pytest.raises(NormalizeError, match="record 1 is list, not an object"):
        records_to_batch(TASK_ACTIVITY, [task_record(1), []], ORG)  # type: ignore[list-item]


def test_records_are_not_modified() -> None:
    records = [session_record(1), session_record(2)]
    before = copy.deepcopy(records)
    for table in (AGENT_SESSION, AGENT_SESSION_CHANNEL, AGENT_ACTIVITY):
        records_to_batch(table, records, ORG)
    assert records == before


def test_task_query_records() -> None:
    # The legacy task query answers in the same shape: nested objects, maybe null.
    records = [api_record(TASK, 1), api_record(TASK, 2, owner=None, entryPoint={"name": None})]
    batch = records_to_batch(TASK, records, ORG)
    assert batch.schema == TASK.arrow
    rows = batch.to_pylist()
    assert rows[0]["owner_name"] == sample_value(TASK.column("owner_name"), 1)
    assert rows[0]["entry_point_name"] == sample_value(TASK.column("entry_point_name"), 1)
    assert rows[0]["callback_data_callback_request_time"] == _utc(DAY0 + 1)
    assert (rows[1]["owner_id"], rows[1]["owner_name"], rows[1]["entry_point_name"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("table", "make"),
    [
        (TASK_LEG_DETAILS, lambda i: api_record(TASK_LEG_DETAILS, i, id=f"task-{i}-callLeg-1")),
        (AGENT_SESSION, lambda i: session_record(i)),
    ],
    ids=["task_leg_details", "agent_session"],
)
def test_json_columns_are_compact_sorted_text(table: Table, make: Any) -> None:
    record = make(1)
    json_columns = [c for c in table.columns if c.kind == "json"]
    assert json_columns
    for column in json_columns:
        record[column.api_path] = [{"b": 1, "a": "x"}, None]
    record_null = make(2)
    for column in json_columns:
        record_null[column.api_path] = None
    rows = records_to_batch(table, [record, record_null], ORG).to_pylist()
    for column in json_columns:
        assert rows[0][column.name] == '[{"a":"x","b":1},null]'
        assert rows[1][column.name] is None


@pytest.mark.parametrize(
    "table",
    [
        t for t in TABLES.values() if t.name != "task_variable"
    ],  # test_variables.py: one value column a row
    ids=lambda t: t.qualified_name,
)
def test_every_table_normalizes_a_full_record(table: Table) -> None:
    parent = TABLES[table.parent.parent] if table.parent else table
    if parent.name == "task_details":
        records = [task_record(1), task_record(2, created_ms=DAY0 + 1)]
    elif parent.name == "agent_session":
        records = [session_record(1), session_record(2, start_ms=DAY0 + 1)]
    else:
        records = [api_record(table, 1), api_record(table, 2)]
    batch = records_to_batch(table, records, ORG)
    assert batch.schema == table.arrow
    assert batch.num_rows >= 2
    # Every column holds a value: no selected path is silently dropped.
    assert [n for n in batch.schema.names if batch.column(n).null_count] == []
