"""Warehouse tables as typed data: names, keys and types follow CONTRACT.md."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from warehouse.schemas import TABLES, TASK_DETAILS, Column, Table, snake_case

UTC_MS = pa.timestamp("ms", tz="UTC")
ALL = list(TABLES.values())
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


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


def test_registry_holds_task_details() -> None:
    assert TABLES["search.task_details"] is TASK_DETAILS


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
    api_paths = [c.api_path for c in table.columns]
    assert len(api_paths) == len(set(api_paths))


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_every_column_is_its_api_path_in_snake_case(table: Table) -> None:
    for column, field in zip(table.columns, list(table.arrow)[1:], strict=True):
        assert field.name == column.name == snake_case(column.api_path)
        assert field.metadata[b"api_path"] == column.api_path.encode()
        assert field.metadata.get(b"kind", b"") == column.kind.encode()
        assert table.column(field.name) is column


@pytest.mark.parametrize("table", ALL, ids=lambda t: t.qualified_name)
def test_types_follow_the_contract(table: Table) -> None:
    expected = {
        "String": pa.string(),
        "Int": pa.int32(),
        "Long": pa.int64(),
        "Float": pa.float64(),
        "Boolean": pa.bool_(),
        "JSON": pa.string(),
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
