"""Raw records: global variables, activities and their inner paging, GraphQL features."""

from __future__ import annotations

from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    NamedTypeNode,
    NameNode,
    SelectionSetNode,
    parse,
    print_ast,
)

from sandbox.search.schema import schema
from tests.sandbox._search_support import (
    DAY_END,
    DAY_START,
    data,
    engine,
    error_message,
    run,
    truth,
)

WINDOW = {"from": DAY_START, "to": DAY_END}


def _by_id() -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in truth()}


def test_global_variables_with_aliases_and_nulls_when_absent() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to) { tasks {
        id
        integerGlobalVariables(name: "GV2") { name value }
        GV1: stringGlobalVariables(name: "GV1") { name value }
        lang: stringGlobalVariables(name: "Global_Language") { value }
        booleanGlobalVariables(name: "BooleanGV") { name value }
        longGlobalVariables(name: "DateAndTime") { name value }
        doubleGlobalVariables(name: "NoSuchVariable") { name value }
        globalVariables
    } } }"""
    rows = data(engine(), q, WINDOW)["tasks"]
    records = _by_id()
    absent = present = 0
    for row in rows:
        gvs = {g["name"]: g for g in records[row["id"]]["_globalVariables"]}
        for key, name in (
            ("integerGlobalVariables", "GV2"),
            ("GV1", "GV1"),
            ("booleanGlobalVariables", "BooleanGV"),
            ("longGlobalVariables", "DateAndTime"),
        ):
            if name in gvs:
                present += 1
                assert row[key] == {"name": name, "value": gvs[name]["value"]}
            else:
                absent += 1
                assert row[key] == {"name": None, "value": None}
        assert row["doubleGlobalVariables"] == {"name": None, "value": None}
        assert list(row["lang"]) == ["value"]
        assert row["globalVariables"] == records[row["id"]]["globalVariables"]
    assert present and absent
    typed = [r for r in rows if r["integerGlobalVariables"]["value"] is not None]
    assert all(isinstance(r["integerGlobalVariables"]["value"], int) for r in typed)


def test_activities_newest_first_with_inner_paging() -> None:
    records = _by_id()
    task = max(truth(), key=lambda r: len(r["_activities"]))
    nodes = task["_activities"]
    assert len(nodes) > 3
    q = """query($from: Long!, $to: Long!, $id: String, $after: String) {
      taskDetails(from: $from, to: $to, filter: {id: {equals: $id}}) { tasks {
        id activities(first: 3, after: $after) {
          totalCount nodes { id createdTime eventName } pageInfo { hasNextPage endCursor } } } } }"""
    seen: list[str] = []
    after = None
    while True:
        (row,) = data(engine(), q, {**WINDOW, "id": task["id"], "after": after})["tasks"]
        acts = row["activities"]
        assert acts["totalCount"] == len(nodes)
        assert len(acts["nodes"]) <= 3
        seen += [n["id"] for n in acts["nodes"]]
        if not acts["pageInfo"]["hasNextPage"]:
            assert acts["pageInfo"]["endCursor"] is None
            break
        after = acts["pageInfo"]["endCursor"]
        assert after == str(acts["nodes"][-1]["createdTime"])
    distinct_times = len({n["createdTime"] for n in nodes}) == len(nodes)
    if distinct_times:
        assert seen == [n["id"] for n in nodes]
    assert records[task["id"]]["_activities"] == nodes


def test_activities_default_page_is_25_and_at_most_100() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to) { tasks {
        activities { totalCount nodes { id } pageInfo { hasNextPage } } } } }"""
    rows = data(engine(), q, WINDOW)["tasks"]
    for row in rows:
        acts = row["activities"]
        assert len(acts["nodes"]) == min(25, acts["totalCount"])
        assert acts["pageInfo"]["hasNextPage"] == (acts["totalCount"] > 25)
    big = q.replace("activities {", "activities(first: 101) {")
    assert "at most 100" in error_message(engine(), big, WINDOW)
    bad = q.replace("activities {", 'activities(after: "yesterday") {')
    assert "Invalid cursor" in error_message(engine(), bad, WINDOW)


def test_activities_sorted_ascending_on_request() -> None:
    task = max(truth(), key=lambda r: len(r["_activities"]))
    q = """query($from: Long!, $to: Long!, $id: String) {
      taskDetails(from: $from, to: $to, filter: {id: {equals: $id}}) {
        tasks { id activities(first: 100) { totalCount nodes { id createdTime(sort: asc) } } } } }"""
    (row,) = data(engine(), q, {**WINDOW, "id": task["id"]})["tasks"]
    times = [n["createdTime"] for n in row["activities"]["nodes"]]
    assert times == sorted(times) and len(times) == len(task["_activities"])


def test_every_activity_field_is_served() -> None:
    task = max(truth(), key=lambda r: len(r["_activities"]))
    q = """query($from: Long!, $to: Long!, $id: String) {
      taskDetails(from: $from, to: $to, filter: {id: {equals: $id}}) {
        tasks { activities(first: 100) { nodes { ...car } } } } }"""
    node_type = schema().type_map["TaskActivity"]
    assert isinstance(node_type, GraphQLObjectType)
    fragment = FragmentDefinitionNode(
        name=NameNode(value="car"),
        type_condition=NamedTypeNode(name=NameNode(value="TaskActivity")),
        selection_set=SelectionSetNode(
            selections=tuple(FieldNode(name=NameNode(value=n)) for n in node_type.fields)
        ),
    )
    document = DocumentNode(definitions=(*parse(q).definitions, fragment))
    (row,) = data(engine(), print_ast(document), {**WINDOW, "id": task["id"]})["tasks"]
    assert row["activities"]["nodes"] == task["_activities"]


def test_missing_linked_objects_are_objects_of_nulls() -> None:
    q = """query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to,
        filter: {lastAgent: {id: {equals: null}}}) { tasks { id lastAgent { id name } owner { id } } } }"""
    rows = data(engine(), q, WINDOW)["tasks"]
    assert rows
    assert all(r["lastAgent"] == {"id": None, "name": None} for r in rows)


def test_aliases_fragments_directives_and_typename() -> None:
    q = """query($from: Long!, $to: Long!, $withTeam: Boolean!) {
      taskDetails(from: $from, to: $to) {
        __typename
        tasks { ...core team: lastTeam @include(if: $withTeam) { __typename name } key: id }
        pageInfo { more: hasNextPage }
      }
    }
    fragment core on TaskDetails { id ... on TaskDetails { createdTime } }"""
    td = data(engine(), q, {**WINDOW, "withTeam": True})
    assert td["__typename"] == "TaskDetailsList"
    first = td["tasks"][0]
    assert list(first) == ["id", "createdTime", "team", "key"]
    assert first["team"]["__typename"] == "NameIdInfo"
    assert first["key"] == first["id"]
    assert td["pageInfo"] == {"more": True}
    without = data(engine(), q, {**WINDOW, "withTeam": False})
    assert "team" not in without["tasks"][0]


def test_two_root_fields_and_operation_name() -> None:
    q = """query A($from: Long!, $to: Long!) {
      a: taskDetails(from: $from, to: $to) { tasks { id } }
      b: taskDetails(from: $from, to: $to, filter: {isActive: {equals: true}}) { tasks { id } }
    }
    query B { taskDetails(from: 1, to: 2) { tasks { id } } }"""
    body = run(engine(), q, WINDOW | {})
    assert body["_status"] == 400  # two operations need an operationName
    result = engine().execute(q, WINDOW, "A")
    out = orjson.loads(result.body)["data"]
    assert len(out["a"]["tasks"]) == 250 and out["b"]["tasks"] == []


def test_introspection_is_served() -> None:
    body = run(engine(), '{ __type(name: "TaskDetails") { name fields { name } } }')
    names = {f["name"] for f in body["data"]["__type"]["fields"]}
    assert {"id", "lastAgent", "activities", "stringGlobalVariables"} <= names
    schema_body = run(engine(), "{ __schema { queryType { name } } }")
    assert schema_body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_answers_are_cached_and_identical() -> None:
    eng = engine()
    q = "query($from: Long!, $to: Long!) { taskDetails(from: $from, to: $to) { tasks { id } } }"
    first = eng.execute(q, WINDOW)
    second = eng.execute(q, WINDOW)
    assert second is first and first.cache_key is not None
