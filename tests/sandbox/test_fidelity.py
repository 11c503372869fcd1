"""Every Cisco sample query (taskDetails, agentSession, taskLegDetails, the older task query),
run against the sandbox over HTTP.

Each query is taken as published, its ``from``/``to`` moved into the sandbox's data and the
entity literals it filters on (team, queue, agent and task ids and names, global-variable names
and values, activity states) mapped onto the sandbox's own values, by editing the parsed document
(never the text). The answer must have the published structure: the same keys in the same
nesting, the same JSON types where both sides hold a value, and rows wherever the published
answer has rows. Queries published without an answer must run and, where the sandbox's data can
satisfy their filter, return rows. Copies of the samples and their attribution are in
tests/fixtures/samples/.

Literal mapping: taskDetails samples take each literal's most common value in the window (or keep
it when the sandbox has it). The other roots map every literal of a query onto one *reference
record*: the first record of the window (richest first) for which the mapped query returns rows,
so conjunctions of ids and names (a queue and an agent, an agent and a state) stay satisfiable.

Two published answers do not answer their own query (noted in SOURCES.md): taskLegDetails
``Simple Query-response.json`` holds fields the query does not ask for (``isChildLeg``,
``nextDestination``, ``consultCount`` instead of ``consultSuccessCount``) and ``Aggregation on
global variables-response.json`` is keyed ``taskDetails``/``tasks``. Both are compared with what
their query asks: the published answer is projected onto the query's selection (published values
where the key exists, null otherwise; the root renamed). The first is also compared as published
with a query selecting exactly its fields. ``Interval timezone based aggregation query -
response.json`` names an aggregation "Number of consuls to the queue" where its query says
"consults"; the name is compared as the query spells it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
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
GRAPHQL_SAMPLE = SAMPLES / "webexsamples_reporting" / "graphql-sample"
TASK_DETAILS = GRAPHQL_SAMPLE / "taskDetails"
# taskDetails: two of the sandbox's local days, short enough for activity (CAR) queries, long
# enough for several pages of raw records and every aggregation interval. The other roots: the
# same two days and today up to now, so open sessions and legs exist (realtime samples).
WINDOWS = {
    "taskDetails": (DAY_START - DAY_MS, DAY_END),
    "task": (DAY_START - DAY_MS, NOW_MS),
    "agentSession": (DAY_START - DAY_MS, NOW_MS),
    "taskLegDetails": (DAY_START - DAY_MS, NOW_MS),
}
FROM_MS, TO_MS = WINDOWS["taskDetails"]

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


def _pairs(folder: str) -> list[tuple[str, str]]:
    """(query, response) of every agentSession / taskLegDetails sample with an answer."""
    root = GRAPHQL_SAMPLE / folder
    out = []
    for q in sorted(root.rglob("*.graphql")):
        stem = q.name.removesuffix(".graphql").strip()
        answers = [
            p
            for p in q.parent.glob("*.json")
            if p.name.removesuffix(".json").replace(" ", "").removesuffix("-response")
            == stem.replace(" ", "")
        ]
        if answers:
            out.append((str(q.relative_to(SAMPLES)), str(answers[0].relative_to(SAMPLES))))
    return out


PUBLISHED_OTHER = _pairs("agentSession") + _pairs("taskLegDetails")
SIMPLE_LEGS = "webexsamples_reporting/graphql-sample/taskLegDetails/Fetching Raw Data/"
# Published answers that do not answer their own query: compared with what the query asks.
PROJECTED = {
    SIMPLE_LEGS + "Simple Query-response.json",
    "webexsamples_reporting/graphql-sample/taskLegDetails/Global Variables/"
    "Aggregation on global variables-response.json",
}
RENAMED_AGGREGATIONS = {"Number of consuls to the queue": "Number of consults to the queue"}

# Queries published without an answer: they must run and, where the data allows, return rows.
# The Power BI copies hold ``{from}``/``{to}`` placeholders its Java code fills.
POWERBI = "webexsamples_reporting/graphql-powerbi-sample/graphql/"
DEVNET = "ciscodevnet_graphql_sample/"
UNANSWERED: list[str] = sorted(
    [str(p.relative_to(SAMPLES)) for p in (SAMPLES / POWERBI).glob("*.graphql")]
    + [str(p.relative_to(SAMPLES)) for p in (SAMPLES / DEVNET).rglob("*.graphql")]
    + ["webexsamples_reporting/graphql-sample/agentSession/Raw Data Fetching/"
       "SimpleQueryForAARFields.graphql"]
)  # fmt: skip
# Realtime samples whose filter the data need not satisfy at the sandbox's now.
MAY_BE_EMPTY = {POWERBI + "realTimeQueuedTasks.graphql", DEVNET + "realTimeQueuedTasks.graphql"}

_OPERATORS = {"equals", "notequals", "match", "contains", "gt", "gte", "lt", "lte"}


def _collect(value: Any, path: list[str]) -> Iterator[Any]:
    """The values at an API path of a record, through its lists (activities are `_activities`)."""
    if isinstance(value, list):
        for v in value:
            yield from _collect(v, path)
        return
    if not isinstance(value, dict):
        if not path and value is not None:
            yield value
        return
    if not path:
        return
    head, rest = path[0], path[1:]
    if head == "activities":
        head = "_activities"
        if rest[:1] == ["nodes"]:
            rest = rest[1:]
    yield from _collect(value.get(head), rest)


def _records(root: str) -> list[dict[str, Any]]:
    start, end = WINDOWS[root]
    t = tenant()
    if root == "taskDetails":
        return list(t.tasks(start, end, NOW_MS))
    if root == "task":
        return list(t.legacy_tasks(start, end, NOW_MS))
    if root == "agentSession":
        return list(t.agent_sessions_records(start, end, NOW_MS))
    return list(t.task_legs(start, end, NOW_MS))


class EntityMap:
    """Chooses sandbox values for the literals of a published query: each literal's most common
    value among a root's records (kept as is when the sandbox has it)."""

    def __init__(self, root: str = "taskDetails") -> None:
        self.records = _records(root)
        self.gv_defs = [(g.name, g.type) for g in tenant().global_variables]
        self.busiest = max(self.records, key=_richness)

    def value(self, path: list[str], literal: str) -> str:
        if path == ["id"]:
            return str(self.busiest["id"])
        counts: Counter[Any] = Counter(v for r in self.records for v in _collect(r, path))
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
            for g in r.get("_globalVariables") or ()
            if g["name"] == name and g["type"] == gv_type
        )
        if literal in counts or not counts:
            return literal
        return str(counts.most_common(1)[0][0])

    def after(self) -> str:
        nodes = self.busiest["_activities"]
        return str(nodes[1]["createdTime"])


class ReferenceMap(EntityMap):
    """Maps every literal onto one reference record's values (a literal the record holds at that
    path stays)."""

    def __init__(self, base: EntityMap, record: dict[str, Any]) -> None:
        self.records = base.records
        self.gv_defs = base.gv_defs
        self.busiest = base.busiest
        self.record = record

    def value(self, path: list[str], literal: str) -> str:
        found = list(_collect(self.record, path))
        if not found or literal in found:
            return literal
        return str(found[0])

    def gv_value(self, field: str, name: str, literal: str) -> str:
        gv_type = GLOBAL_VARIABLE_FIELDS[field]
        for g in self.record.get("_globalVariables") or ():
            if g["name"] == name and g["type"] == gv_type:
                return str(g["value"])
        return literal


class _PathRecorder(ReferenceMap):
    """Notes the paths a query's literals sit at (and changes nothing)."""

    def __init__(self, base: EntityMap) -> None:
        super().__init__(base, {})
        self.paths: list[list[str]] = []

    def value(self, path: list[str], literal: str) -> str:
        self.paths.append(path)
        return literal


def _richness(r: dict[str, Any]) -> int:
    if "channelInfo" in r:
        return sum(len(c["_activities"]) for c in r["channelInfo"])
    return len(r.get("_activities") or ()) + len(r.get("_globalVariables") or ())


def _string(node: ValueNode, new: str) -> ValueNode:
    return StringValueNode(value=new) if isinstance(node, StringValueNode) else node


def _map_filter(node: ValueNode, path: list[str], m: EntityMap) -> ValueNode:
    if isinstance(node, ListValueNode):
        return ListValueNode(values=tuple(_map_filter(v, path, m) for v in node.values))
    if not isinstance(node, ObjectValueNode):
        return node
    fields = []
    for f in node.fields:
        name = f.name.value
        value = f.value
        if name in ("and", "or"):
            value = _map_filter(value, path, m)
        elif name in _OPERATORS:
            if name in ("equals", "notequals") and isinstance(value, StringValueNode):
                value = _string(value, m.value(path, value.value))
            elif isinstance(value, ObjectValueNode):  # older task filters compare objects
                value = _map_object(value, path, m)
        elif not path and name in GLOBAL_VARIABLE_FIELDS:
            value = _map_global_variable(name, value, m)
        else:
            value = _map_filter(value, [*path, name], m)
        fields.append(ObjectFieldNode(name=f.name, value=value))
    return ObjectValueNode(fields=tuple(fields))


def _map_object(node: ObjectValueNode, path: list[str], m: EntityMap) -> ObjectValueNode:
    fields = []
    for f in node.fields:
        value = f.value
        if isinstance(value, StringValueNode):
            value = _string(value, m.value([*path, f.name.value], value.value))
        elif isinstance(value, ObjectValueNode):
            value = _map_object(value, [*path, f.name.value], m)
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
            if f.name.value in ("filter", "extFilter", "predicate"):
                value = _map_filter(value, [], m)
            fields.append(ObjectFieldNode(name=f.name, value=value))
        out.append(ObjectValueNode(fields=tuple(fields)))
    if isinstance(node, ListValueNode):
        return ListValueNode(values=tuple(out))
    return out[0]


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


def root_of(text: str) -> str:
    doc = parse(text)
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    first = op.selection_set.selections[0]
    assert isinstance(first, FieldNode)
    return first.name.value


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
            assert isinstance(root, FieldNode) and root.name.value in WINDOWS
            start, end = WINDOWS[root.name.value]
            args = []
            for a in root.arguments or ():
                value = a.value
                name = a.name.value
                if name == "from":
                    value = IntValueNode(value=str(start))
                elif name == "to":
                    value = IntValueNode(value=str(end))
                elif name in ("filter", "extFilter"):
                    value = _map_filter(value, [], m)
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


_LIST_FIELDS = {"taskDetails": "tasks", "task": "tasks", "agentSession": "agentSessions"}


def _rows(body: dict[str, Any], root: str) -> list[Any]:
    return body["data"][root][_LIST_FIELDS.get(root, "taskLegs")] or []


def adapt_with_reference(
    text: str, base: EntityMap, post: Any, *, candidates: int = 40
) -> tuple[str, dict[str, Any], bool]:
    """Adapt ``text`` onto the first reference record for which it returns rows.

    Returns the query, its answer, and whether a reference gave rows (else the most-common
    mapping is used)."""
    root = root_of(text)
    recorder = _PathRecorder(base)
    adapt(text, recorder)
    paths = recorder.paths

    def fit(r: dict[str, Any]) -> tuple[int, int]:
        return (sum(1 for p in paths if next(_collect(r, p), None) is not None), _richness(r))

    for record in sorted(base.records, key=fit, reverse=True)[:candidates]:
        query = adapt(text, ReferenceMap(base, record))
        body = post(query)
        if _rows(body, root):
            return query, body, True
    query = adapt(text, base)
    return query, post(query), False


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


def project(published: Any, selection: SelectionSetNode | None) -> Any:
    """The published value reduced to what ``selection`` asks: its keys, in its order."""
    if isinstance(published, list):
        return [project(p, selection) for p in published]
    if selection is None or not isinstance(published, dict):
        return published
    out = {}
    for sel in selection.selections:
        assert isinstance(sel, FieldNode)
        key = sel.alias.value if sel.alias else sel.name.value
        out[key] = project(published.get(key), sel.selection_set)
    return out


def expected_answer(published: dict[str, Any], query: str, projected: bool) -> dict[str, Any]:
    doc = parse(query)
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    root = op.selection_set.selections[0]
    assert isinstance(root, FieldNode)
    data = published["data"]
    if not projected:
        return published
    (value,) = data.values()
    assert root.selection_set is not None
    (list_sel,) = [s for s in root.selection_set.selections if isinstance(s, FieldNode)][:1]
    if isinstance(value, dict) and len(value) == 1:
        value = {list_sel.name.value: next(iter(value.values()))}
    return {"data": {root.name.value: project(value, root.selection_set)}}


def _renamed(value: Any) -> Any:
    if isinstance(value, list):
        return [_renamed(v) for v in value]
    if isinstance(value, dict):
        out = {k: _renamed(v) for k, v in value.items()}
        if set(out) == {"name", "value"} and out["name"] in RENAMED_AGGREGATIONS:
            out["name"] = RENAMED_AGGREGATIONS[out["name"]]
        return out
    return value


# -- the tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def entity_map() -> EntityMap:
    return EntityMap()


@pytest.fixture(scope="module")
def maps() -> dict[str, EntityMap]:
    return {root: EntityMap(root) for root in ("task", "agentSession", "taskLegDetails")}


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


@pytest.mark.parametrize(
    ("query_file", "response_file"),
    PUBLISHED_OTHER,
    ids=[q.split("graphql-sample/")[1] for q, _ in PUBLISHED_OTHER],
)
def test_published_agent_session_and_task_leg_sample(
    query_file: str,
    response_file: str,
    maps: dict[str, EntityMap],
    sandbox: tuple[AsgiClient, str],
) -> None:
    text = (SAMPLES / query_file).read_text(encoding="utf-8")
    published = _renamed(orjson.loads((SAMPLES / response_file).read_bytes()))
    query, ours, _found = adapt_with_reference(
        text, maps[root_of(text)], lambda q: _post(sandbox, q)
    )
    expected = expected_answer(published, query, response_file in PROJECTED)
    if response_file not in PROJECTED:
        assert expected == expected_answer(published, query, True), "answer matches its query"
    assert_same_structure(expected, ours)


def test_published_simple_leg_answer_as_published(
    maps: dict[str, EntityMap], sandbox: tuple[AsgiClient, str]
) -> None:
    """The fields Cisco's Simple Query answer holds (undocumented ones included) are served."""
    published = orjson.loads((SAMPLES / SIMPLE_LEGS / "Simple Query-response.json").read_bytes())
    start, end = WINDOWS["taskLegDetails"]
    query = f"""{{ taskLegDetails(from: {start}, to: {end}) {{
        taskLegs {{ id taskId createdTime isChildLeg nextDestination {{ agent {{ id }} }}
                    queue {{ id }} consultCount consultDuration entryPoint {{ id }} }}
        pageInfo {{ hasNextPage endCursor }} }} }}"""
    assert_same_structure(published, _post(sandbox, query))


@pytest.mark.parametrize("query_file", UNANSWERED)
def test_unanswered_sample_runs(
    query_file: str,
    entity_map: EntityMap,
    maps: dict[str, EntityMap],
    sandbox: tuple[AsgiClient, str],
) -> None:
    text = (SAMPLES / query_file).read_text(encoding="utf-8")
    # The Power BI sample's own templating: its Java code substitutes these two placeholders.
    text = text.replace("{from}", "0").replace("{to}", "0")
    root = root_of(text)
    if root == "taskDetails":
        ours = _post(sandbox, adapt(text, entity_map))
        found = True
    else:
        _query, ours, found = adapt_with_reference(text, maps[root], lambda q: _post(sandbox, q))
    rows = _rows(ours, root)
    if query_file not in MAY_BE_EMPTY:
        assert found and rows, "no rows"
    for row in rows:
        assert isinstance(row, dict)


def test_every_sample_is_listed() -> None:
    on_disk = {str(p.relative_to(TASK_DETAILS)) for p in TASK_DETAILS.rglob("*.graphql")}
    assert on_disk == {q for q, _ in PUBLISHED}
    everything = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.graphql")}
    listed = (
        {str((TASK_DETAILS / q).relative_to(SAMPLES)) for q, _ in PUBLISHED}
        | {q for q, _ in PUBLISHED_OTHER}
        | set(UNANSWERED)
    )
    assert everything == listed
    assert len(PUBLISHED_OTHER) == 19 + 19  # agentSession, taskLegDetails


def test_structure_check_catches_differences() -> None:
    with pytest.raises(AssertionError):
        assert_same_structure({"a": [{"b": 1}]}, {"a": []})
    with pytest.raises(AssertionError):
        assert_same_structure({"a": {"b": 1}}, {"a": {"b": "x"}})
    with pytest.raises(AssertionError):
        assert_same_structure({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert_same_structure({"a": None}, {"a": {"x": 1}})
