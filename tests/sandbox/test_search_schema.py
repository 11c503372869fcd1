"""The Search SDL covers Cisco's data dictionaries, and every query the project sends validates."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLObjectType, get_named_type, parse, validate

from queries import graphql as project_query
from sandbox.search.schema import (
    NOT_AGGREGATABLE,
    NOT_GROUPABLE,
    schema,
    task_details_catalog,
)

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
DICTIONARIES = SAMPLES / "webexsamples_reporting" / "graphql-sample" / "DataDictionary"


def _dictionary(name: str) -> list[dict[str, str | bool]]:
    rows = []
    for line in (DICTIONARIES / name).read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or line.startswith("|--"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "Field Name":
            continue
        rows.append(
            {
                "path": cells[0],
                "type": cells[1],
                "agg": cells[3].startswith("Yes"),
                "group": cells[4].startswith("Yes"),
                "filter": cells[5].startswith("Yes"),
                "sort": cells[6].startswith("Yes"),
            }
        )
    return rows


CSR = _dictionary("CSR.md")
CAR_NODES = [r for r in _dictionary("CAR.md") if str(r["path"]).startswith("activities.nodes.")]


def test_dictionaries_were_read() -> None:
    assert len(CSR) == 196
    assert len(CAR_NODES) == 47


@pytest.mark.parametrize("row", CSR + CAR_NODES, ids=lambda r: str(r["path"]))
def test_every_dictionary_field_is_in_the_schema(row: dict[str, str | bool]) -> None:
    info = task_details_catalog().get(str(row["path"]))
    assert info is not None, f"{row['path']} missing from schema.graphql"
    assert info.graphql_type == row["type"]
    assert info.sortable == row["sort"]
    if row["type"] != "JSON":  # the filter syntax of JSON fields is not documented
        assert info.filterable == row["filter"]
    assert info.aggregatable == row["agg"]
    assert info.groupable == row["group"]


def test_catalog_has_nothing_undocumented_but_known_extras() -> None:
    documented = {str(r["path"]) for r in CSR + CAR_NODES}
    extras = set(task_details_catalog()) - documented
    assert extras == {"owner.id", "owner.name", "sentiment", "isWithinSLA"}


def test_not_aggregatable_tables_name_real_fields() -> None:
    assert NOT_AGGREGATABLE <= set(task_details_catalog())
    assert NOT_GROUPABLE <= set(task_details_catalog())


def test_documented_argument_types() -> None:
    query = schema().query_type
    assert query is not None
    args = query.fields["taskDetails"].args
    assert {name: str(arg.type) for name, arg in args.items()} == {
        "from": "Long!",
        "to": "Long!",
        "timeComparator": "QueryTimeType",
        "filter": "TaskDetailsFilters",
        "extFilter": "TaskDetailsSpecificFilters",
        "aggregations": "[TaskV2Aggregation]",
        "aggregationInterval": "IntervalData",
        "pagination": "Pagination",
        "aggregation": "TaskAggregationFilters",
    }
    assert str(query.fields["taskDetails"].type) == "TaskDetailsList"


def test_global_variable_fields_need_a_name() -> None:
    task = schema().type_map["TaskDetails"]
    assert isinstance(task, GraphQLObjectType)
    for name in (
        "integerGlobalVariables",
        "stringGlobalVariables",
        "longGlobalVariables",
        "doubleGlobalVariables",
        "booleanGlobalVariables",
    ):
        assert str(task.fields[name].args["name"].type) == "String!"
        assert set(get_named_type(task.fields[name].type).fields) == {"name", "value"}  # type: ignore[attr-defined]
    acts = task.fields["activities"]
    assert acts.args["first"].default_value == 25


@pytest.mark.parametrize("name", ["task_details", "task_details_count"])
def test_project_queries_validate(name: str) -> None:
    assert validate(schema(), parse(project_query(name))) == []


def test_long_rejects_strings_and_floats() -> None:
    for literal in ('"1"', "1.5", "true"):
        doc = parse(f"{{ taskDetails(from: {literal}, to: 2) {{ tasks {{ id }} }} }}")
        assert validate(schema(), doc), literal
    doc = parse("{ taskDetails(from: 1644859375000, to: 9007199254740993) { tasks { id } } }")
    assert validate(schema(), doc) == []


def test_channel_type_filter_takes_enum_literals_and_strings() -> None:
    for literal in ("telephony", '"telephony"'):
        doc = parse(
            f"{{ taskDetails(from: 1, to: 2, filter: {{channelType: {{equals: {literal}}}}}) "
            "{ tasks { id } } }"
        )
        assert validate(schema(), doc) == []
    other = parse(
        "{ taskDetails(from: 1, to: 2, filter: {status: {equals: ended}}) { tasks { id } } }"
    )
    assert validate(schema(), other)


def test_created_time_is_not_filterable() -> None:
    doc = parse("{ taskDetails(from: 1, to: 2, filter: {createdTime: {gt: 5}}) { tasks { id } } }")
    assert validate(schema(), doc)
