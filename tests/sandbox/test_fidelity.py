"""Cisco's published taskDetails samples, run against the sandbox over HTTP.

Each query is taken as published, its ``from``/``to`` moved into the sandbox's data and the
entity literals it filters on (team and queue ids and names, agent and task ids, global-variable
names and values) mapped onto the sandbox's own entities, by editing the parsed document (never
the text). The answer must have the published structure: the same keys in the same nesting, the
same JSON types where both sides hold a value, and rows wherever the published answer has rows.
Copies of the samples and their attribution are in tests/fixtures/samples/.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import (
    ArgumentNode,
    FieldNode,
    IntValueNode,
    ListValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    parse,
    print_ast,
)
from graphql.language import DocumentNode, OperationDefinitionNode, SelectionSetNode

from sandbox.app import create_app
from sandbox.auth import CLIENT_ID, CLIENT_SECRET
from sandbox.budget import ManualClock
from sandbox.search.schema import GLOBAL_VARIABLE_FIELDS
from tests.sandbox._search_support import DAY_END, DAY_MS, DAY_START, NOW_MS, AsgiClient, tenant

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
TASK_DETAILS = SAMPLES / "webexsamples_reporting" / "graphql-sample" / "taskDetails"
# Two of the sandbox's local days: short enough for activity (CAR) queries, long enough for
# several pages of raw records and every aggregation interval.
FROM_MS = DAY_START - DAY_MS
TO_MS = DAY_END

# (query, published response), every taskDetails sample with a published answer.
PUBLISHED: list[tuple[str, str]] = [
    ("Global Variables/Aggregation on global variables.graphql",
     "Global Variables/Aggregation on global variables-response.json"),
    ("Global Variables/Fetching global variables.graphql",
     "Global Variables/Fetching global variables-response.json"),
    ("Global Variables/Filter based on global variables.graphql",
     "Global Variables/Filter based on global variables-response.json"),
    ("Global Variables/Group by on global variables.graphql",
     "Global Variables/Group by on global variables-response.json"),
    ("Performing Aggregations/Aggregation pagination query.graphql",
     "Performing Aggregations/Aggregation pagination query -response.json"),
    ("Performing Aggregations/Aggregation query.graphql",
     "Performing Aggregations/Aggregation query -response.json"),
    ("Performing Aggregations/Aggregation query with filters.graphql",
     "Performing Aggregations/Aggregation query with filters-response.json"),
    ("Performing Aggregations/Aggregation query with sub-filters.graphql",
     "Performing Aggregations/Aggregation query with sub-filters-response.json"),
    ("Performing Aggregations/AggregationQueryForCAR.graphql",
     "Performing Aggregations/AggregationQueryForCAR-response.json"),
    ("Performing Aggregations/AggregationQueryWithFiltersForCAR.graphql",
     "Performing Aggregations/AggregationQueryWithFiltersForCAR-response.json"),
    ("Performing Aggregations/AggregationQueryWithPaginationForCAR.graphql",
     "Performing Aggregations/AggregationQueryWithPaginationForCAR-response.json"),
    ("Performing Aggregations/AggregationQueryWithSubFiltersForCAR.graphql",
     "Performing Aggregations/AggregationQueryWithSubFiltersForCAR-response.json"),
    ("Performing Aggregations/Group by aggregation query.graphql",
     "Performing Aggregations/Group by aggregation query-response.json"),
    ("Performing Aggregations/Group by multiple fields.graphql",
     "Performing Aggregations/Group by multiple fields -response.json"),
    ("Performing Aggregations/GroupByMultipleFieldsForCAR.graphql",
     "Performing Aggregations/GroupByMultipleFieldsForCAR-response.json"),
    ("Performing Aggregations/GroupBySingleFieldsForCAR.graphql",
     "Performing Aggregations/GroupBySingleFieldsForCAR-response.json"),
    ("Performing Aggregations/Interval based aggregation query.graphql",
     "Performing Aggregations/Interval based aggregation query-response.json"),
    ("Performing Aggregations/Interval based timezone supported aggregation query.graphql",
     "Performing Aggregations/Interval based timezone supported aggregation query-response.json"),
    ("Performing Aggregations/IntervalBasedTimezoneSupportedAggregationQueryForCAR.graphql",
     "Performing Aggregations/IntervalBasedTimezoneSupportedAggregationQueryForCAR-response.json"),
    ("Samples for Raw Data Fetching/Filtering on object types.graphql",
     "Samples for Raw Data Fetching/Filtering on object types-response.json"),
    ("Samples for Raw Data Fetching/Filtering using compound operators.graphql",
     "Samples for Raw Data Fetching/Filtering using compound operators-response.json"),
    ("Samples for Raw Data Fetching/Pagination query.graphql",
     "Samples for Raw Data Fetching/Pagination query -response.json"),
    ("Samples for Raw Data Fetching/Simple filtering.graphql",
     "Samples for Raw Data Fetching/Simple filtering-response.json"),
    ("Samples for Raw Data Fetching/Simple query.graphql",
     "Samples for Raw Data Fetching/Simple query-response.json"),
    ("Samples for Raw Data Fetching/SimpleQueryForCARFields.graphql",
     "Samples for Raw Data Fetching/SimpleQueryForCARFields-response.json"),
    ("Samples for Raw Data Fetching/Sorting results based on a field.graphql",
     "Samples for Raw Data Fetching/Sorting results based on a field-response.json"),
    ("Samples for Raw Data Fetching/SortingQueryForCAR.graphql",
     "Samples for Raw Data Fetching/SortingQueryForCAR.json"),
]  # fmt: skip

# taskDetails queries published without an answer (Power BI and DevNet samples): they must run
# and return rows. The Power BI copies hold ``{from}``/``{to}`` placeholders its Java code fills.
UNANSWERED: list[str] = [
    "webexsamples_reporting/graphql-powerbi-sample/graphql/allContactFields.graphql",
    "webexsamples_reporting/graphql-powerbi-sample/graphql/globalVariables.graphql",
    "webexsamples_reporting/graphql-powerbi-sample/graphql/globalVariableFilter.graphql",
    "ciscodevnet_graphql_sample/globalVariables.graphql",
    "ciscodevnet_graphql_sample/globalVariableFilter.graphql",
]

_OPERATORS = {"equals", "notequals", "match", "contains", "gt", "gte", "lt", "lte"}


class EntityMap:
    """Chooses sandbox values for the literals of a published query."""

    def __init__(self) -> None:
        self.records = list(tenant().tasks(FROM_MS, TO_MS, NOW_MS))
        self.gv_defs = [(g.name, g.type) for g in tenant().global_variables]
        self.busiest = max(self.records, key=lambda r: len(r["_activities"]))

    def _values(self, path: list[str], activity: bool) -> Counter[Any]:
        counts: Counter[Any] = Counter()
        sources = (n for r in self.records for n in r["_activities"]) if activity else self.records
        for source in sources:
            value: Any = source
            for part in path:
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                counts[value] += 1
        return counts

    def value(self, path: list[str], literal: str, activity: bool) -> str:
        if not activity and path == ["id"]:
            return str(self.busiest["id"])
        counts = self._values(path, activity)
        if literal in counts or not counts:
            return literal
        return str(counts.most_common(1)[0][0])

    def gv_name(self, field: str, literal: str) -> str:
        gv_type = GLOBAL_VARIABLE_FIELDS[field]
        names = [n for n, t in self.gv_defs if t == gv_type]
        return literal if literal in names or not names else names[0]

    def gv_value(self, field: str, name: str, literal: str) -> str:
        gv_type = GLOBAL_VARIABLE_FIELDS[field]
        counts = Counter(
            g["value"]
            for r in self.records
            for g in r["_globalVariables"]
            if g["name"] == name and g["type"] == gv_type
        )
        if literal in counts or not counts:
            return literal
        return str(counts.most_common(1)[0][0])

    def after(self) -> str:
        nodes = self.busiest["_activities"]
        return str(nodes[1]["createdTime"])


def _string(node: ValueNode, new: str) -> ValueNode:
    return StringValueNode(value=new) if isinstance(node, StringValueNode) else node


def _map_filter(node: ValueNode, path: list[str], activity: bool, m: EntityMap) -> ValueNode:
    if isinstance(node, ListValueNode):
        return ListValueNode(values=tuple(_map_filter(v, path, activity, m) for v in node.values))
    if not isinstance(node, ObjectValueNode):
        return node
    fields = []
    for f in node.fields:
        name = f.name.value
        value = f.value
        if name in ("and", "or"):
            value = _map_filter(value, path, activity, m)
        elif name in _OPERATORS:
            if name in ("equals", "notequals") and isinstance(value, StringValueNode):
                value = _string(value, m.value(path, value.value, activity))
        elif not activity and not path and name in GLOBAL_VARIABLE_FIELDS:
            value = _map_global_variable(name, value, m)
        elif name == "activities":
            value = _map_filter(value, [], True, m)
        elif name == "nodes" and activity:
            value = _map_filter(value, [], True, m)
        else:
            value = _map_filter(value, [*path, name], activity, m)
        fields.append(ObjectFieldNode(name=f.name, value=value))
    return ObjectValueNode(fields=tuple(fields))


def _operand(node: ValueNode, op: str = "equals") -> StringValueNode | None:
    if isinstance(node, ObjectValueNode):
        for f in node.fields:
            if f.name.value == op and isinstance(f.value, StringValueNode):
                return f.value
    return None


def _map_global_variable(field: str, node: ValueNode, m: EntityMap) -> ValueNode:
    if not isinstance(node, ObjectValueNode):
        return node
    members = {f.name.value: f.value for f in node.fields}
    name_literal = _operand(members.get("name", ObjectValueNode(fields=())))
    name = m.gv_name(field, name_literal.value) if name_literal else None
    fields = []
    for f in node.fields:
        value = f.value
        if f.name.value == "name" and name_literal is not None and name is not None:
            value = _replace_operand(value, name)
        elif f.name.value == "value" and name is not None:
            literal = _operand(value)
            if literal is not None:
                value = _replace_operand(value, m.gv_value(field, name, literal.value))
        fields.append(ObjectFieldNode(name=f.name, value=value))
    return ObjectValueNode(fields=tuple(fields))


def _replace_operand(node: ValueNode, new: str) -> ValueNode:
    assert isinstance(node, ObjectValueNode)
    return ObjectValueNode(
        fields=tuple(
            ObjectFieldNode(name=f.name, value=_string(f.value, new))
            if f.name.value == "equals"
            else f
            for f in node.fields
        )
    )


def _map_aggregations(node: ValueNode, m: EntityMap) -> ValueNode:
    items = node.values if isinstance(node, ListValueNode) else (node,)
    out = []
    for item in items:
        if not isinstance(item, ObjectValueNode):
            out.append(item)
            continue
        fields = []
        for f in item.fields:
            value = f.value
            if f.name.value == "filter":
                value = _map_filter(value, [], False, m)
            elif f.name.value == "extFilter":
                value = _map_filter(value, [], False, m)
            elif f.name.value == "predicate":
                value = _map_filter(value, [], False, m)
            fields.append(ObjectFieldNode(name=f.name, value=value))
        out.append(ObjectValueNode(fields=tuple(fields)))
    return ListValueNode(values=tuple(out))


def _map_selection(selection_set: SelectionSetNode | None, m: EntityMap) -> SelectionSetNode | None:
    if selection_set is None:
        return None
    out = []
    for sel in selection_set.selections:
        if not isinstance(sel, FieldNode):
            out.append(sel)
            continue
        args = []
        for a in sel.arguments or ():
            value = a.value
            if sel.name.value in GLOBAL_VARIABLE_FIELDS and a.name.value == "name":
                if isinstance(value, StringValueNode):
                    value = StringValueNode(value=m.gv_name(sel.name.value, value.value))
            elif sel.name.value == "activities" and a.name.value == "after":
                value = StringValueNode(value=m.after())
            args.append(ArgumentNode(name=a.name, value=value))
        out.append(
            FieldNode(
                alias=sel.alias,
                name=sel.name,
                arguments=tuple(args),
                directives=sel.directives,
                selection_set=_map_selection(sel.selection_set, m),
            )
        )
    return SelectionSetNode(selections=tuple(out))


def adapt(text: str, m: EntityMap) -> str:
    """The published query with its window and entity literals moved onto the sandbox."""
    doc = parse(text)
    definitions = []
    for definition in doc.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            definitions.append(definition)
            continue
        roots = []
        for root in definition.selection_set.selections:
            assert isinstance(root, FieldNode) and root.name.value == "taskDetails"
            args = []
            for a in root.arguments or ():
                value = a.value
                name = a.name.value
                if name == "from":
                    value = IntValueNode(value=str(FROM_MS))
                elif name == "to":
                    value = IntValueNode(value=str(TO_MS))
                elif name == "filter":
                    value = _map_filter(value, [], False, m)
                elif name == "extFilter":
                    value = _map_filter(value, [], False, m)
                elif name == "aggregations":
                    value = _map_aggregations(value, m)
                args.append(ArgumentNode(name=a.name, value=value))
            roots.append(
                FieldNode(
                    alias=root.alias,
                    name=root.name,
                    arguments=tuple(args),
                    directives=root.directives,
                    selection_set=_map_selection(root.selection_set, m),
                )
            )
        definitions.append(
            OperationDefinitionNode(
                operation=definition.operation,
                name=definition.name,
                variable_definitions=definition.variable_definitions,
                directives=definition.directives,
                selection_set=SelectionSetNode(selections=tuple(roots)),
            )
        )
    return print_ast(DocumentNode(definitions=tuple(definitions)))


# -- structure comparison --------------------------------------------------------------------


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def assert_same_structure(published: Any, ours: Any, where: str = "$") -> None:
    """Keys, nesting and JSON types of ``ours`` as in ``published`` (null matches anything)."""
    if published is None or ours is None:
        return
    pk, ok = _kind(published), _kind(ours)
    assert pk == ok, f"{where}: published {pk}, sandbox {ok} ({ours!r})"
    if pk == "object":
        assert list(ours) == list(published), f"{where}: keys {list(ours)} != {list(published)}"
        for key in published:
            assert_same_structure(published[key], ours[key], f"{where}.{key}")
    elif pk == "list":
        if published:
            assert ours, f"{where}: published has {len(published)} rows, sandbox none"
        if published and all(
            isinstance(p, dict) and set(p) == {"name", "value"} for p in published
        ):
            assert sorted(p["name"] for p in ours) == sorted(p["name"] for p in published)
        for i, item in enumerate(ours):
            # a row matches when it has the structure of some published row
            failures = []
            for candidate in published:
                try:
                    assert_same_structure(candidate, item, f"{where}[{i}]")
                    break
                except AssertionError as exc:
                    failures.append(str(exc))
            else:
                if published:
                    raise AssertionError(failures[0])


# -- the tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def entity_map() -> EntityMap:
    return EntityMap()


@pytest.fixture(scope="module")
def sandbox() -> tuple[AsgiClient, str]:
    app = create_app(tenant(), now_ms=NOW_MS, clock=ManualClock(NOW_MS / 1000), budget_per_minute=0)
    client = AsgiClient(app)
    token = client.post(
        "/v1/access_token",
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": "sandbox-refresh",
        },
    ).json()["access_token"]
    return client, token


def _post(sandbox: tuple[AsgiClient, str], query: str) -> dict[str, Any]:
    client, token = sandbox
    response = client.post(
        "/search", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text[:500]
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    return body


@pytest.mark.parametrize(("query_file", "response_file"), PUBLISHED, ids=[q for q, _ in PUBLISHED])
def test_published_sample(
    query_file: str, response_file: str, entity_map: EntityMap, sandbox: tuple[AsgiClient, str]
) -> None:
    query = adapt((TASK_DETAILS / query_file).read_text(encoding="utf-8"), entity_map)
    published = orjson.loads((TASK_DETAILS / response_file).read_bytes())
    ours = _post(sandbox, query)
    assert_same_structure(published, ours)


@pytest.mark.parametrize("query_file", UNANSWERED)
def test_unanswered_sample_runs(
    query_file: str, entity_map: EntityMap, sandbox: tuple[AsgiClient, str]
) -> None:
    text = (SAMPLES / query_file).read_text(encoding="utf-8")
    # The Power BI sample's own templating: its Java code substitutes these two placeholders.
    text = text.replace("{from}", "0").replace("{to}", "0")
    ours = _post(sandbox, adapt(text, entity_map))
    assert ours["data"]["taskDetails"]["tasks"]


def test_every_task_details_sample_is_listed() -> None:
    on_disk = {str(p.relative_to(TASK_DETAILS)) for p in TASK_DETAILS.rglob("*.graphql")}
    assert on_disk == {q for q, _ in PUBLISHED}


def test_structure_check_catches_differences() -> None:
    with pytest.raises(AssertionError):
        assert_same_structure({"a": [{"b": 1}]}, {"a": []})
    with pytest.raises(AssertionError):
        assert_same_structure({"a": {"b": 1}}, {"a": {"b": "x"}})
    with pytest.raises(AssertionError):
        assert_same_structure({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert_same_structure({"a": None}, {"a": {"x": 1}})
