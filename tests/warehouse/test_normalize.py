"""API records -> Arrow: nested paths, absent and null objects, JSON text, instants, strict types."""

from __future__ import annotations

import copy
import json
import random
import re
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from tests.warehouse.factories import DAY0 as T0
from tests.warehouse.factories import api_record
from warehouse.normalize import NormalizeError, empty_batch, records_to_batch
from warehouse.schemas import TASK_DETAILS, Column, Table

ORG = "org-1"

# A small table with every type, for what task_details lacks (a Float column, a deeper path).
SMALL = Table(
    schema="test",
    name="small",
    columns=(
        Column("id", "String"),
        Column("createdTime", "Long", "instant"),
        Column("score", "Float"),
        Column("count", "Int"),
        Column("total", "Long"),
        Column("flag", "Boolean"),
        Column("a.b.c", "String"),
        Column("a.b.d", "Int"),
        Column("a.e", "String"),
        Column("extra", "JSON", "json"),
    ),
    key=("id",),
    time_column="created_time",
)


def _reference(table: Table, records: list[dict[str, Any]], org_id: str) -> pa.Table:
    """Row-by-row path walk, independent of the normalizer's plan."""
    rows = []
    for record in records:
        row: dict[str, Any] = {"org_id": org_id}
        for column in table.columns:
            value: Any = record
            for part in column.api_path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if column.kind == "json" and value is not None:
                value = json.dumps(value, sort_keys=True, separators=(",", ":"))
            if column.kind == "instant" and value is not None:
                value = datetime.fromtimestamp(value / 1000, tz=UTC)
            row[column.name] = value
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=table.arrow)


def test_batch_has_exactly_the_table_schema_with_field_metadata() -> None:
    batch = records_to_batch(TASK_DETAILS, [api_record()], ORG)
    assert batch.schema.equals(TASK_DETAILS.arrow, check_metadata=True)
    assert batch.schema.field("last_agent_id").metadata == {b"api_path": b"lastAgent.id"}
    assert batch.column("org_id").to_pylist() == [ORG]
    assert batch.column("org_id").null_count == 0


def test_nested_paths_land_in_their_columns() -> None:
    record = api_record(lastAgent={"id": "ag-1", "name": "Ann", "signInId": "ann@x"})
    record["channelMetaData"]["email"]["subject"] = "Hello"
    row = records_to_batch(TASK_DETAILS, [record], ORG).to_pylist()[0]
    assert row["last_agent_id"] == "ag-1"
    assert row["last_agent_name"] == "Ann"
    assert row["last_agent_sign_in_id"] == "ann@x"
    assert row["last_agent_session_id"] is None  # member missing from the object
    assert row["channel_meta_data_email_subject"] == "Hello"
    assert row["consult_to_ep_count"] == record["consultToEPCount"]


def test_absent_and_null_objects_give_null_columns() -> None:
    absent = api_record(i=1)
    del absent["lastAgent"]
    null = api_record(i=2, lastAgent=None)
    null["channelMetaData"] = {"email": None, "chat": {"chatReason": "r"}}
    full = api_record(i=3)
    rows = records_to_batch(TASK_DETAILS, [absent, null, full], ORG).to_pylist()
    agent_columns = [c.name for c in TASK_DETAILS.columns if c.api_path.startswith("lastAgent.")]
    assert len(agent_columns) == 6
    for row in rows[:2]:
        assert {row[c] for c in agent_columns} == {None}
    assert rows[1]["channel_meta_data_email_subject"] is None
    assert rows[1]["channel_meta_data_chat_chat_reason"] == "r"
    assert rows[1]["channel_meta_data_in_bound_transcript"] is None
    assert rows[2]["last_agent_id"] == "last_agent_id-3"


def test_missing_members_are_null_and_unknown_members_ignored() -> None:
    record = api_record(unexpectedField={"x": 1}, anotherOne=3)
    del record["status"]
    record["lastAgent"]["notSelected"] = "x"
    batch = records_to_batch(TASK_DETAILS, [record, api_record(i=1)], ORG)
    rows = batch.to_pylist()
    assert rows[0]["status"] is None
    assert rows[1]["status"] == "status-1"
    assert rows[0]["last_agent_id"] == "last_agent_id-0"
    assert "unexpected_field" not in batch.schema.names


def test_json_fields_are_compact_text_with_sorted_keys() -> None:
    record = api_record(
        globalVariables={"b": 1, "a": {"y": 2, "x": [3, None]}},
        matchedSkills=[{"name": "es", "value": 5}],
        requiredSkills=None,
    )
    row = records_to_batch(TASK_DETAILS, [record], ORG).to_pylist()[0]
    assert row["global_variables"] == '{"a":{"x":[3,null],"y":2},"b":1}'
    assert row["matched_skills"] == '[{"name":"es","value":5}]'
    assert row["required_skills"] is None


def test_instants_become_utc_milliseconds() -> None:
    record = api_record(createdTime=T0 + 123, endedTime=None)
    batch = records_to_batch(TASK_DETAILS, [record], ORG)
    assert batch.schema.field("created_time").type == pa.timestamp("ms", tz="UTC")
    assert batch.column("created_time").cast(pa.int64()).to_pylist() == [T0 + 123]
    created = batch.to_pylist()[0]["created_time"]
    assert created.utcoffset().total_seconds() == 0
    assert created.replace(tzinfo=None) == datetime(2024, 6, 1, 0, 0, 0, 123000)
    assert batch.column("ended_time").to_pylist() == [None]
    # A duration stays int64 milliseconds.
    assert batch.schema.field("hold_duration").type == pa.int64()


def test_matches_a_row_by_row_reference_on_random_shapes() -> None:
    rnd = random.Random(7)
    records = []
    for i in range(300):
        record = api_record(SMALL, i)
        if rnd.random() < 0.2:
            record["a"] = None
        elif rnd.random() < 0.2:
            del record["a"]
        elif rnd.random() < 0.2:
            record["a"]["b"] = None
        for key in ("score", "count", "flag", "extra", "createdTime"):
            if rnd.random() < 0.2:
                record[key] = None
            elif rnd.random() < 0.1:
                del record[key]
        record["score"] = rnd.choice([record.get("score"), 3])  # an int is a valid Float
        records.append(record)
    got = pa.Table.from_batches([records_to_batch(SMALL, records, ORG)])
    assert got.equals(_reference(SMALL, records, ORG))


def test_large_inputs_keep_order_and_report_the_global_record_index() -> None:
    records = [api_record(SMALL, i) for i in range(2500)]
    batch = records_to_batch(SMALL, records, ORG)
    assert batch.num_rows == 2500
    assert batch.column("id").to_pylist() == [f"task-{i}" for i in range(2500)]
    assert pa.Table.from_batches([batch]).equals(_reference(SMALL, records, ORG))
    records[2100]["count"] = "12"
    with pytest.raises(NormalizeError, match=r"record 2100 \(id 'task-2100'\)"):
        records_to_batch(SMALL, records, ORG)


@pytest.mark.parametrize(
    ("member", "value", "column", "expected"),
    [
        ("holdCount", "3", "hold_count", "expected an integer, got str"),
        ("holdCount", 2.0, "hold_count", "expected an integer, got float 2.0"),
        ("holdDuration", True, "hold_duration", "expected an integer, got bool True"),
        ("totalDuration", 1.5, "total_duration", "expected an integer, got float 1.5"),
        ("status", 5, "status", "expected a string, got int 5"),
        ("isActive", 1, "is_active", "expected a boolean, got int 1"),
        ("isActive", "true", "is_active", "expected a boolean, got str"),
        ("createdTime", "2024-06-01", "created_time", r"expected an integer \(epoch ms\)"),
        ("createdTime", 1.7e12, "created_time", "expected an integer"),
        ("status", {"a": 1}, "status", "expected a string, got dict"),
    ],
)
def test_a_wrong_type_names_the_column_and_api_path(
    member: str, value: Any, column: str, expected: str
) -> None:
    records = [api_record(i=0), api_record(i=1, **{member: value})]
    with pytest.raises(NormalizeError) as excinfo:
        records_to_batch(TASK_DETAILS, records, ORG)
    message = str(excinfo.value)
    assert f"search.task_details: column {column} (api path {member}," in message
    assert "record 1 (id 'task-1')" in message
    assert re.search(expected, message), message


def test_wrong_type_in_a_nested_member() -> None:
    record = api_record()
    record["callbackData"]["callbackRetryCount"] = "two"
    with pytest.raises(
        NormalizeError,
        match=r"column callback_data_callback_retry_count \(api path callbackData.callbackRetryCount",
    ):
        records_to_batch(TASK_DETAILS, [record], ORG)


def test_a_string_value_is_not_echoed_in_the_error() -> None:
    record = api_record(holdCount="+1 555 0100 secret")
    with pytest.raises(NormalizeError) as excinfo:
        records_to_batch(TASK_DETAILS, [record], ORG)
    assert "555" not in str(excinfo.value)
    assert "str of length 18" in str(excinfo.value)


def test_int32_bounds() -> None:
    ok = api_record(holdCount=2**31 - 1, queueCount=-(2**31))
    batch = records_to_batch(TASK_DETAILS, [ok], ORG)
    assert batch.column("hold_count").to_pylist() == [2**31 - 1]
    with pytest.raises(NormalizeError, match=r"column hold_count .* 2147483648 is out of range"):
        records_to_batch(TASK_DETAILS, [api_record(holdCount=2**31)], ORG)


def test_int64_and_instant_bounds() -> None:
    with pytest.raises(NormalizeError, match=r"column hold_duration .* is out of range for int64"):
        records_to_batch(TASK_DETAILS, [api_record(holdDuration=2**63)], ORG)
    with pytest.raises(NormalizeError, match=r"column created_time .* is out of range"):
        records_to_batch(TASK_DETAILS, [api_record(createdTime=2**62)], ORG)


def test_an_object_path_through_a_scalar_is_an_error() -> None:
    with pytest.raises(NormalizeError, match=r"api path lastAgent \(for columns last_agent_id, "):
        records_to_batch(TASK_DETAILS, [api_record(lastAgent="ag-1")], ORG)
    record = api_record()
    record["channelMetaData"]["email"] = ["not", "an", "object"]
    with pytest.raises(NormalizeError, match=r"channelMetaData.email .* got list in record 0"):
        records_to_batch(TASK_DETAILS, [record], ORG)


def test_a_record_that_is_not_an_object_is_an_error() -> None:
    with pytest.raises(NormalizeError, match=r"record 1 is list, not an object"):
        records_to_batch(TASK_DETAILS, [api_record(), []], ORG)  # type: ignore[list-item]


def test_a_null_key_is_an_error() -> None:
    with pytest.raises(NormalizeError, match=r"key column id \(api path id\) is null in record 1"):
        records_to_batch(TASK_DETAILS, [api_record(), api_record(id=None)], ORG)


def test_json_that_cannot_be_serialized_is_an_error() -> None:
    with pytest.raises(NormalizeError, match=r"column global_variables .* not JSON-serializable"):
        records_to_batch(TASK_DETAILS, [{**api_record(), "globalVariables": {1: "int key"}}], ORG)


def test_empty_inputs_and_bad_org() -> None:
    empty = empty_batch(TASK_DETAILS)
    assert empty.num_rows == 0
    assert empty.schema.equals(TASK_DETAILS.arrow, check_metadata=True)
    assert records_to_batch(TASK_DETAILS, [], ORG).schema.equals(TASK_DETAILS.arrow)
    with pytest.raises(NormalizeError, match="org_id"):
        records_to_batch(TASK_DETAILS, [api_record()], "")


def test_records_are_not_modified() -> None:
    records = [api_record(i=i, lastAgent=None) for i in range(3)]
    before = copy.deepcopy(records)
    records_to_batch(TASK_DETAILS, records, ORG)
    assert records == before


def test_minus_one_instants_mean_not_yet_and_become_null() -> None:
    from warehouse.schemas import AGENT_SESSION

    records = [
        {"agentSessionId": "s-open", "startTime": 1_700_000_000_000, "endTime": -1},
        {"agentSessionId": "s-done", "startTime": 1_700_000_000_000, "endTime": 1_700_000_060_000},
    ]
    batch = records_to_batch(AGENT_SESSION, records, "org-1")
    ends = batch.column("end_time").cast("int64").to_pylist()
    assert ends == [None, 1_700_000_060_000]
