"""The Search SDL covers Cisco's data dictionaries, and every query the project sends validates."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLObjectType, get_named_type, parse, validate

from queries import graphql as project_query
from sandbox.search.roots import catalog
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
        if not line.startswith("|") or line.startswith(("|--", "|:")):
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
    # seen in real answers and clients (sandbox/README.md, "Requests real clients send")
    assert extras == {
        "owner.id",
        "owner.name",
        "sentiment",
        "isWithinSLA",
        "isRealtimeTranscriptionEnabled",
        "lastQueue.durationBusinessHours",
        # older list fields of Cisco's 2021 sample answers
        *(f"queues.{m}" for m in ("id", "name", "duration", "durationBusinessHours")),
        *(f"{o}.{m}" for o in ("teams", "contributors", "sites") for m in ("id", "name")),
    }


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
        "startTimeLookBackDays": "Int",
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


def test_long_rejects_non_numeric_strings_and_floats() -> None:
    # graphql-java-extended-scalars' Long reads a numeric string literal (test_long_scalar.py)
    doc = parse('{ taskDetails(from: "1", to: 2) { tasks { id } } }')
    assert validate(schema(), doc) == []
    for literal in ('"1x"', "1.5", "true"):
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


# --- agentSession (ASR, AAR) and taskLegDetails (CLR) ------------------------------------------

ASR = _dictionary("ASR.md")
AAR_NODES = [
    r for r in _dictionary("AAR.md") if str(r["path"]).startswith("channelInfo.activities.nodes.")
]
CLR = _dictionary("CLR.md")


def test_more_dictionaries_were_read() -> None:
    assert (len(ASR), len(AAR_NODES), len(CLR)) == (110, 20, 126)


@pytest.mark.parametrize(
    ("root", "row"),
    [("agentSession", r) for r in ASR + AAR_NODES] + [("taskLegDetails", r) for r in CLR],
    ids=lambda x: x if isinstance(x, str) else str(x["path"]),
)
def test_every_asr_aar_clr_field_is_in_the_schema(root: str, row: dict[str, str | bool]) -> None:
    info = catalog(root).get(str(row["path"]))
    assert info is not None, f"{row['path']} missing from schema.graphql"
    assert info.graphql_type == row["type"]
    assert info.sortable == row["sort"]
    if row["type"] != "JSON":  # the filter syntax of JSON fields is not documented
        assert info.filterable == row["filter"]
    assert info.aggregatable == row["agg"]
    assert info.groupable == row["group"]


_OLDER_LIST_FIELDS = ("queues", "teams", "contributors", "sites")
AI_AGENT_METRICS = (
    "overallEvalScore",
    "overallEvalScoreCount",
    "evalInteractionsFailureCount",
    "evalInteractionsCount",
    "deadAirTotalTime",
    "deadAirCount",
    "wordRatioTotalScore",
    "wordRatioCount",
)


def test_other_catalogs_have_nothing_undocumented_but_known_extras() -> None:
    documented = {str(r["path"]) for r in ASR + AAR_NODES}
    # the rest: seen in real clients (sandbox/README.md, "Requests real clients send")
    assert set(catalog("agentSession")) - documented == {
        "channelInfo.ronaCount",
        "channelInfo.activities.nodes.reason",
        *(f"channelInfo.{name}" for name in AI_AGENT_METRICS),
    }
    documented = {str(r["path"]) for r in CLR}
    assert set(catalog("taskLegDetails")) - documented == {
        "isChildLeg",
        "consultCount",
        "queueDuration",
        "queue.durationBusinessHours",
    }
    task = set(catalog("task"))
    assert task == (
        {p for p in task_details_catalog() if "GlobalVariables" not in p}
        - {p for p in task_details_catalog() if p.startswith("activities.")}
        - {"isRealtimeTranscriptionEnabled"}
        - {p for p in task_details_catalog() if p.split(".")[0] in _OLDER_LIST_FIELDS}
    ) | {"entryPoint.id", "entryPoint.name"}


def test_documented_arguments_of_the_other_roots() -> None:
    query = schema().query_type
    assert query is not None

    def args(name: str) -> dict[str, str]:
        return {n: str(a.type) for n, a in query.fields[name].args.items()}

    assert args("agentSession") == {
        "from": "Long!",
        "to": "Long!",
        "filter": "AgentSessionFilters",
        "extFilter": "AgentSessionSpecificFilters",
        "aggregations": "[AgentSessionV2Aggregation]",
        "aggregationInterval": "IntervalData",
        "pagination": "Pagination",
    }
    assert args("taskLegDetails") == {
        "from": "Long!",
        "to": "Long!",
        "timeComparator": "QueryTimeType",
        "filter": "TaskLegDetailsFilters",
        "aggregations": "[TaskLegV2Aggregation]",
        "aggregationInterval": "IntervalData",
        "pagination": "Pagination",
    }
    assert set(args("task")) == {
        "from",
        "to",
        "timeComparator",
        "filter",
        "aggregation",
        "aggregations",
        "aggregationInterval",
        "pagination",
    }
    assert str(query.fields["agentSession"].type) == "AgentSessions"
    assert str(query.fields["taskLegDetails"].type) == "TaskLegDetailsList"
    assert str(query.fields["task"].type) == "TaskList"
    channel = schema().type_map["ChannelInfo"]
    assert isinstance(channel, GraphQLObjectType)
    assert channel.fields["activities"].args["first"].default_value == 25
    session = schema().type_map["AgentSession"]
    assert isinstance(session, GraphQLObjectType)
    assert str(session.fields["channelInfo"].type) == "[ChannelInfo]"


def test_enum_literals_where_cisco_writes_them() -> None:
    for text in (
        "{ agentSession(from: 1, to: 2, filter: {channelInfo: {currentState: {equals: idle}}})"
        " { agentSessions { agentId } } }",
        '{ agentSession(from: 1, to: 2, filter: {channelInfo: {channelType: {equals: "chat"}}})'
        " { agentSessions { agentId } } }",
        "{ task(from: 1, to: 2, filter: {and: [{channelType: {equals: telephony}},"
        ' {owner: {notequals: {id: null}}}, {callbackData: {equals: {callbackNumber: "1"}}}]},'
        ' aggregations: {field: "id", type: count, name: "n"}) { tasks { id } has } }',
        "{ task(from: 1, to: 2, aggregation: {aggr: [{field: totalDuration, type: sum,"
        ' name: "t"}]}) { tasks { aggregation { name value } } } }',
    ):
        assert validate(schema(), parse(text)) == [], text
    bad = parse(
        "{ agentSession(from: 1, to: 2, filter: {channelInfo: {activities: {nodes: "
        '{state: {equals: "idle"}}}}}) { agentSessions { agentId } } }'
    )
    assert validate(schema(), bad), "activity fields filter through extFilter"
