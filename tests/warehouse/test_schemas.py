"""Warehouse tables as typed data: names, keys and types follow CONTRACT.md."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from warehouse.schemas import (
    AGENT_ACTIVITY,
    AGENT_SESSION,
    AGENT_SESSION_CHANNEL,
    TABLES,
    TASK,
    TASK_ACTIVITY,
    TASK_DETAILS,
    TASK_LEG_DETAILS,
    TASK_VARIABLE,
    Column,
    Nesting,
    Table,
    parent_column,
    snake_case,
)

UTC_MS = pa.timestamp("ms", tz="UTC")
ALL = list(TABLES.values())
CHILDREN = [t for t in ALL if t.parent is not None]
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")

# The documented parent columns of each child table: name -> full path in the query record.
PARENT_COLUMNS = {
    "search.task_activity": {"task_id": "id", "task_created_time": "createdTime"},
    "search.agent_session_channel": {
        "agent_session_id": "agentSessionId",
        "agent_session_start_time": "startTime",
    },
    "search.agent_activity": {
        "agent_session_id": "agentSessionId",
        "agent_session_start_time": "startTime",
        "channel_id": "channelInfo.channelId",
        "channel_type": "channelInfo.channelType",
    },
    "search.task_variable": {"task_id": "id", "task_created_time": "createdTime"},
}

# Every instant of every table, by column name (decided per field, CONTRACT.md).
INSTANTS = {
    "search.task": {
        "created_time",
        "ended_time",
        "callback_data_callback_request_time",
        "callback_data_callback_connect_time",
    },
    "search.task_details": {
        "created_time",
        "ended_time",
        "callback_data_callback_request_time",
        "callback_data_callback_connect_time",
        "email_date",
        "monitoring_timestamp",
        "last_activity_time",
    },
    "search.task_activity": {
        "task_created_time",
        "created_time",
        "ended_time",
        "last_activity_time",
    },
    "search.agent_session": {"start_time", "end_time"},
    "search.agent_session_channel": {"agent_session_start_time", "last_activity_time"},
    "search.agent_activity": {"agent_session_start_time", "start_time", "end_time"},
    "search.task_leg_details": {
        "created_time",
        "ended_time",
        "last_activity_time",
        "opt_out_of_queue_timestamp",
    },
    "search.task_variable": {"task_created_time"},
}

JSON_COLUMNS = {
    "search.task": set(),
    "search.task_details": {"global_variables", "matched_skills", "required_skills"},
    "search.task_activity": set(),
    "search.agent_session": {"agent_skills"},
    "search.agent_session_channel": set(),
    "search.agent_activity": set(),
    "search.task_leg_details": {"matched_skills", "required_skills"},
    "search.task_variable": set(),
}


@pytest.mark.parametrize(
    ("api_path", "name"),
    [
        ("lastAgent.id", "last_agent_id"),
        ("consultToEPCount", "consult_to_ep_count"),
        ("channelMetaData.inBoundTranscript", "channel_meta_data_in_bound_transcript"),
        ("transferEpDN", "transfer_ep_dn"),
        ("isWithInServiceLevel", "is_with_in_service_level"),
        ("callbackData.callbackRequestTime", "callback_data_callback_request_time"),
        ("createdTime", "created_time"),
    ],
)
def test_snake_case(api_path: str, name: str) -> None:
    assert snake_case(api_path) == name


def test_registry_holds_every_search_table_of_the_contract() -> None:
    assert TABLES["search.task_details"] is TASK_DETAILS
    assert TABLES == {
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
    keys = {name: t.key for name, t in TABLES.items()}
    assert keys == {
        "search.task": ("id",),
        "search.task_details": ("id",),
        "search.task_activity": ("task_id", "id"),
        "search.agent_session": ("agent_session_id",),
        "search.agent_session_channel": ("agent_session_id", "channel_id"),
        "search.agent_activity": ("agent_session_id", "id"),
        "search.task_leg_details": ("id",),
        "search.task_variable": ("task_id", "name"),
    }


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_names_are_unique_identifiers_and_org_id_comes_first(table: Table) -> None:
    names = table.arrow.names
    assert len(names) == len(set(names))
    assert names[0] == "org_id"
    org = table.arrow.field("org_id")
    assert org.type == pa.string() and not org.nullable
    assert "org_id" not in [c.name for c in table.columns]
    assert all(IDENTIFIER.match(n) for n in names), [n for n in names if not IDENTIFIER.match(n)]
    assert IDENTIFIER.match(table.schema) and IDENTIFIER.match(table.name)
    query_paths = [table.query_path(c) for c in table.columns]
    assert len(query_paths) == len(set(query_paths))


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_every_column_is_its_api_path_in_snake_case(table: Table) -> None:
    parents = PARENT_COLUMNS.get(table.qualified_name, {})
    for column, field in zip(table.columns, list(table.arrow)[1:], strict=True):
        assert field.name == column.name
        assert field.metadata[b"api_path"] == column.api_path.encode()
        assert field.metadata.get(b"kind", b"") == column.kind.encode()
        assert table.column(field.name) is column
        if column.from_parent:
            assert field.metadata[b"from_parent"] == b"true"
            assert parents[column.name] == column.api_path
            assert table.query_path(column) == column.api_path
        else:
            # In a child table the path is relative to the list entry: the parent path is dropped.
            assert b"from_parent" not in field.metadata
            assert column.name == snake_case(column.api_path)
            assert not column.api_path.startswith(("activities.", "channelInfo."))
    assert {c.name for c in table.columns if c.from_parent} == set(parents)


@pytest.mark.parametrize("table", CHILDREN, ids=lambda t: t.qualified_name)
def test_a_child_table_carries_its_parents_key_and_window(table: Table) -> None:
    nesting = table.parent
    assert nesting is not None
    parent = TABLES[nesting.parent]
    assert parent.parent is None
    columns = list(table.columns)
    parent_columns = [c for c in columns if c.from_parent]
    # Parent columns come first, then the list entry's own fields.
    assert columns[: len(parent_columns)] == parent_columns
    by_path = {c.api_path: c for c in parent_columns}
    # The parent's key and its window column are copied, with the parent's types.
    for name in (*parent.key, parent.time_column):
        source = parent.column(name)
        copy = by_path[source.api_path]
        assert copy.arrow_type == source.arrow_type and copy.kind == source.kind
    assert table.time_column == by_path[parent.column(parent.time_column).api_path].name
    assert table.key[0] == by_path[parent.column(parent.key[0]).api_path].name
    for column in columns[len(parent_columns) :]:
        assert table.query_path(column) == f"{nesting.path}.{column.api_path}"


def test_nestings() -> None:
    assert TASK_ACTIVITY.parent == Nesting("search.task_details", ("activities.nodes",))
    assert AGENT_SESSION_CHANNEL.parent == Nesting("search.agent_session", ("channelInfo",))
    assert AGENT_ACTIVITY.parent == Nesting(
        "search.agent_session", ("channelInfo", "activities.nodes")
    )
    assert AGENT_ACTIVITY.parent.path == "channelInfo.activities.nodes"
    assert AGENT_ACTIVITY.parent.level_of("agentSessionId") == (0, "agentSessionId")
    assert AGENT_ACTIVITY.parent.level_of("channelInfo.channelId") == (1, "channelId")
    assert AGENT_ACTIVITY.query_path(AGENT_ACTIVITY.column("idle_code_name")) == (
        "channelInfo.activities.nodes.idleCode.name"
    )
    assert AGENT_ACTIVITY.column("state").api_path == "state"
    assert TASK_ACTIVITY.query_path(TASK_ACTIVITY.column("task_id")) == "id"
    assert TASK_ACTIVITY.query_path(TASK_ACTIVITY.column("id")) == "activities.nodes.id"
    for table in (TASK, TASK_DETAILS, AGENT_SESSION, TASK_LEG_DETAILS):
        assert table.parent is None


def test_field_sets_follow_the_data_dictionaries() -> None:
    # Counts of DataDictionary/{CAR,ASR,AAR,CLR}.md fields each table takes (see schemas.py).
    assert len([c for c in TASK_ACTIVITY.columns if not c.from_parent]) == 47  # CAR nodes
    assert len(AGENT_SESSION.columns) == 19  # 20 top-level ASR fields but orgId
    assert len([c for c in AGENT_SESSION_CHANNEL.columns if not c.from_parent]) == 90
    assert len([c for c in AGENT_ACTIVITY.columns if not c.from_parent]) == 20  # AAR nodes
    assert len(TASK_LEG_DETAILS.columns) == 116  # 126 CLR fields but the 10 typed variables
    assert len(TASK.columns) == 43
    assert not any("GlobalVariables" in c.api_path for t in ALL for c in t.columns)
    assert not any(c.api_path.startswith("channelInfo") for c in AGENT_SESSION.columns)
    assert "org_id" not in [c.name for c in AGENT_SESSION.columns]
    assert {"entry_point_name", "owner_id", "owner_name", "csat_score"} <= set(TASK.column_names)


def test_task_keeps_the_csr_types_of_the_same_fields() -> None:
    for column in TASK.columns:
        if column.api_path in {c.api_path for c in TASK_DETAILS.columns}:
            assert TASK_DETAILS.column(column.name) == column


def test_column_name_override_and_parent_column() -> None:
    column = parent_column("id", "String", "task_id")
    assert (column.name, column.api_path, column.from_parent) == ("task_id", "id", True)
    assert column.arrow_field().metadata == {b"api_path": b"id", b"from_parent": b"true"}
    assert Column("lastAgent.id", "String").name == "last_agent_id"


def test_a_table_refuses_a_key_or_window_it_lacks() -> None:
    with pytest.raises(ValueError, match="no column 'nope'"):
        Table("search", "t", (Column("id", "String"),), ("nope",), "id")
    with pytest.raises(ValueError, match="parent columns need a parent"):
        Table(
            "search",
            "t",
            (parent_column("id", "String", "task_id"), Column("createdTime", "Long", "instant")),
            ("task_id",),
            "created_time",
        )


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_types_follow_the_contract(table: Table) -> None:
    expected = {
        "String": pa.string(),
        "Int": pa.int32(),
        "Long": pa.int64(),
        "Float": pa.float64(),
        "Boolean": pa.bool_(),
        "JSON": pa.string(),
        "AgentState": pa.string(),
    }
    for column in table.columns:
        assert column.kind in ("", "instant", "json"), column
        if column.kind == "instant":
            assert column.graphql_type == "Long", column
            assert column.arrow_type == UTC_MS, column
        elif column.kind == "json":
            assert column.graphql_type == "JSON", column
            assert column.arrow_type == pa.string(), column
        else:
            assert column.graphql_type != "JSON", f"{column.api_path}: JSON without kind json"
            assert column.arrow_type == expected[column.graphql_type], column


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_key_and_time_column_exist(table: Table) -> None:
    assert table.key and "org_id" not in table.key
    for name in table.key:
        assert table.arrow.field(name).type == pa.string() or name.endswith("_time")
    assert table.arrow.field(table.time_column).type == UTC_MS


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_instants_are_exactly_the_listed_fields(table: Table) -> None:
    instants = {c.name for c in table.columns if c.arrow_type == UTC_MS}
    assert instants == INSTANTS[table.qualified_name]
    assert {c.name for c in table.columns if c.kind == "json"} == JSON_COLUMNS[table.qualified_name]


def test_durations_and_other_longs_stay_int64() -> None:
    cases = {
        TASK: ("total_duration", "queue_duration", "wrapup_duration"),
        TASK_ACTIVITY: ("duration", "destination_agent_phone_number"),  # documented Long
        AGENT_SESSION_CHANNEL: ("total_duration", "total_reservation_time", "idle_duration"),
        AGENT_ACTIVITY: ("duration",),
        TASK_LEG_DETAILS: ("handle_time", "queue_duration", "post_call_duration"),
    }
    for table, names in cases.items():
        for name in names:
            assert table.arrow.field(name).type == pa.int64(), (table.name, name)
    assert AGENT_SESSION.arrow.field("state").type == pa.string()
    assert AGENT_SESSION.column("state").graphql_type == "AgentState"
    assert AGENT_ACTIVITY.arrow.field("state").type == pa.string()
    assert AGENT_SESSION_CHANNEL.arrow.field("idle_count").type == pa.int32()


def test_task_details_instants_are_exactly_the_named_fields() -> None:
    instants = {c.name for c in TASK_DETAILS.columns if c.arrow_type == UTC_MS}
    assert instants == {
        "created_time",
        "ended_time",
        "callback_data_callback_request_time",
        "callback_data_callback_connect_time",
        "email_date",
        "monitoring_timestamp",
        "last_activity_time",
    }
    # Durations are Longs that stay int64 milliseconds, whatever their name suggests.
    for name in ("total_duration", "hold_duration", "last_queue_duration", "post_call_duration"):
        assert TASK_DETAILS.arrow.field(name).type == pa.int64()


def test_task_details_key_and_window() -> None:
    assert TASK_DETAILS.key == ("id",)
    assert TASK_DETAILS.time_column == "created_time"
    assert TASK_DETAILS.qualified_name == "search.task_details"
    assert {c.name for c in TASK_DETAILS.columns if c.kind == "json"} == {
        "global_variables",
        "matched_skills",
        "required_skills",
    }


def test_unknown_column_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="no column 'nope'"):
        TASK_DETAILS.column("nope")


def test_column_field_metadata() -> None:
    field = Column("createdTime", "Long", "instant").arrow_field()
    assert field.metadata == {b"api_path": b"createdTime", b"kind": b"instant"}
    assert field.type == UTC_MS
